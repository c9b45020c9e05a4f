/* The dashboard's menu is a <details> so that phones get a compact menu without any script.
   On a wide screen there is room for every link: keep it open (and its toggle hidden by CSS). */
(function () {
  "use strict";
  var menu = document.querySelector("[data-admin-menu]");
  if (!menu || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 900px)");
  function fit() { menu.open = wide.matches; }
  fit();
  if (wide.addEventListener) wide.addEventListener("change", fit);
})();
