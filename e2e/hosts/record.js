/* Test helper on the host pages: records the widget's host events and every message the
   page receives, in sessionStorage so that they survive the trip to the hosted pages. */
(function () {
  var TYPES = ["ready", "slot-selected", "lead-created", "booked", "rescheduled", "cancelled",
    "waitlist-joined", "countdown", "notify-requested"];
  function log(key, entry) {
    var list = JSON.parse(sessionStorage.getItem(key) || "[]");
    list.push(entry);
    sessionStorage.setItem(key, JSON.stringify(list));
  }
  TYPES.forEach(function (type) {
    addEventListener("minis:" + type, function (e) {
      log("minis-events", { type: type, detail: e.detail, on: "window" });
    });
    document.querySelectorAll("[data-minis]").forEach(function (el) {
      el.addEventListener("minis:" + type, function (e) {
        log("minis-events", { type: type, detail: e.detail, on: el.id || "container" });
      });
    });
  });
  addEventListener("message", function (e) {
    var d = e.data || {};
    var fake = document.getElementById("fake");
    log("minis-messages", {
      origin: e.origin,
      type: d.type || null,
      fromFake: !!(fake && e.source === fake.contentWindow)
    });
  });
})();
