/* Ticks a scheduled drop's countdown from the seconds the server wrote (the device's
   clock is never read as "now", only as a stopwatch), and reloads the page at zero so the
   times appear. Without JavaScript the server's figure (and a refresh) does the job. */
(function () {
  var el = document.querySelector("[data-seconds-left]");
  if (!el) return;
  var left = parseInt(el.getAttribute("data-seconds-left"), 10);
  if (!(left > 0)) return;
  var start = performance.now();
  var value = el.querySelector(".countdown-value");
  // Words and plural forms from the browser's CLDR data in the page's language, as the
  // server's Babel says them (formatting.time_left); "a moment" comes from the page.
  var lang = document.documentElement.lang || undefined;
  var moment = el.getAttribute("data-moment") || "";
  function amount(n, unit) {
    return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "long" }).format(n);
  }
  function say(s) {
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    var parts = d || h ? [[d, "day"], [h, "hour"], [m, "minute"]] : [[m, "minute"], [sec, "second"]];
    var named = parts.filter(function (p) { return p[0]; }).map(function (p) { return amount(p[0], p[1]); });
    if (!named.length) return moment;
    return new Intl.ListFormat(lang, { type: "unit", style: "narrow" }).format(named.slice(0, 2));
  }
  function tick() {
    var remaining = Math.max(0, Math.ceil(left - (performance.now() - start) / 1000));
    value.textContent = say(remaining);
    if (remaining <= 0) { window.location.reload(); return; }
    setTimeout(tick, 1000 - ((performance.now() - start) % 1000));
  }
  tick();
})();
