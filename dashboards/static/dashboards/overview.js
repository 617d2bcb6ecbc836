// The staff overview reloads itself every data-seconds (its figures are recomputed every
// minute), unless the reader pauses it: a page that changes under someone reading it, with no
// way to stop it, fails WCAG 2.2.1 (why this is not a <meta http-equiv="refresh">).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var toggle = document.getElementById("overview-reload-toggle");
  if (!toggle) {
    return;
  }
  var seconds = parseInt(toggle.dataset.seconds, 10) || 60;
  var timer = null;

  function schedule() {
    timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }

  toggle.addEventListener("click", function () {
    var paused = toggle.getAttribute("aria-pressed") === "true";
    if (paused) {
      schedule();
    } else {
      window.clearTimeout(timer);
    }
    toggle.setAttribute("aria-pressed", paused ? "false" : "true");
    toggle.textContent = paused ? toggle.dataset.pause : toggle.dataset.resume;
  });
  schedule();
});
