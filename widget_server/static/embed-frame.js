/* Minis, inside the embed iframe: reports its height, readiness and booking events to the
   host page's loader. It posts only to the origin the server validated (data-minis-parent),
   never to "*"; without one (a plain <iframe> embed) it posts nothing. */
(function () {
  var body = document.body;
  var parentOrigin = body.getAttribute("data-minis-parent");
  if (!parentOrigin || window.parent === window) return;

  function post(type, data) {
    window.parent.postMessage({ minis: 1, type: type, data: data || {} }, parentOrigin);
  }

  var lastHeight = 0;
  function reportHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post("resize", { height: height });
    }
  }
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.documentElement);
  reportHeight();
  // The iframe's title in the page's language (the loader carries no words of its own).
  post("ready", { label: body.getAttribute("data-minis-label") });

  var event = body.getAttribute("data-minis-event");
  if (event) post(event, JSON.parse(body.getAttribute("data-minis-detail") || "{}"));

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") post("close", {});
  });
})();
