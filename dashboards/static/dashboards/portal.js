// The portal's one script of its own: keep the current tab in view in a tab bar that scrolls
// sideways (a phone screen), so the page's own section is always shown as selected.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var current = document.querySelector("nav.portal [aria-current='page']");
  if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
});
