/* Minis checkout: counts the hold down and says when it ends on the client's own clock
   (the page without script names the session's zone). The count starts from the seconds
   the server gave, not the client's clock, which may be off. At zero the page reloads,
   and the server shows the "hold ran out" page, with the same time offered again. */
(function () {
  var hold = document.querySelector(".hold[data-seconds-left]");
  if (!hold) return;
  var seconds = +hold.getAttribute("data-seconds-left");
  if (!(seconds > 0)) return;
  var end = Date.now() + seconds * 1000;
  var left = hold.querySelector(".hold-left");
  var until = hold.querySelector(".hold-until");
  // The words come from the page (data-your-time, in the client's language), the clock
  // format from the page's language.
  var lang = document.documentElement.lang || undefined;
  var clock = new Date(end).toLocaleTimeString(lang, { hour: "numeric", minute: "2-digit" })
    .replace(/ /g, "\u00a0");  // "9:35 PM" never splits at a line's end
  // The script's wording is shorter than the page's ("19:49" for "20 more minutes", "your
  // time" for the zone's long name): keep the box's height, so nothing under it jumps up
  // once the page is painted (a layout shift). A new width (a turned phone) lets it refit.
  hold.style.minHeight = hold.offsetHeight + "px";
  window.addEventListener("resize", function () { hold.style.minHeight = ""; }, { once: true });
  until.textContent = (hold.getAttribute("data-your-time") || "{time}").replace("{time}", clock);
  function tick() {
    var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    left.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    if (s > 0) setTimeout(tick, (end - Date.now()) % 1000 || 1000);
    else location.reload();
  }
  tick();
})();
