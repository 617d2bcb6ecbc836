// Draws the page's plotly figures (core/charts.py figure_html: an empty div and its JSON) as
// each comes near the screen, fetching plotly.js then, once per page. The page's text paints
// without waiting for plotly.js; a chart below the fold costs nothing until it is scrolled to.
(function () {
  "use strict";
  var plotlySrc = document.currentScript.dataset.plotlySrc;
  var loading = null;

  function plotly() {
    if (window.Plotly) {
      return Promise.resolve(window.Plotly);
    }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = plotlySrc;
        tag.onload = function () { resolve(window.Plotly); };
        tag.onerror = function () { loading = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function draw(div) {
    var figure = JSON.parse(document.getElementById(div.dataset.figure).textContent);
    return plotly().then(function (Plotly) {
      return Plotly.newPlot(div, figure.data, figure.layout, figure.config);
    });
  }

  function start() {
    var charts = document.querySelectorAll(".plotly-chart[data-figure]");
    if (!charts.length) {
      return;
    }
    if (!("IntersectionObserver" in window)) {
      charts.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "200px 0px" });
    charts.forEach(function (div) { observer.observe(div); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
