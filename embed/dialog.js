/* Minis embed dialogs: the popup and the floating button, loaded by embed.js on first need
   and served minified at /embed-dialog.js. Builds on the loader's parts (Minis.parts). */
(function (w, d) {
  var api = w.Minis;
  var parts = api.parts;
  var make = parts.make;
  // The words, in the language the loader asked for (/embed-dialog.js?lang=): the server
  // puts them here (web/loader.py), so neither script carries a language of its own.
  var words = MINIS_WORDS;

  // A modal dialog: focus moves in and stays in, Escape closes, focus returns to the trigger.
  function popup(o, trigger) {
    var root = d.documentElement;
    var overflow = root.style.overflow;
    var hidden = [].filter.call(d.body.children, function (c) { return !c.inert; });
    var back = make("div", parts.top + "inset:0;background:#0009;overflow:auto;padding:24px 8px");
    var first = make("span", "", back);
    // Canvas follows the color-scheme: a light or dark sheet to match the widget.
    var box = make("div", "position:relative;max-width:760px;margin:auto;padding:44px 8px 8px;border-radius:14px;background:Canvas;color:CanvasText;color-scheme:" + parts.theme(o, trigger), back);
    var x = make("button", "position:absolute;top:0;right:0;width:44px;height:44px;border:0;background:none;font-size:28px;color:inherit", box);
    var last = make("span", "", back);
    var rec = parts.frame(box, o);
    function close() {
      back.remove();
      hidden.forEach(function (c) { c.inert = false; });
      root.style.overflow = overflow;
      parts.frames.splice(parts.frames.indexOf(rec), 1);
      d.removeEventListener("keydown", key, true);
      if (trigger) trigger.focus();
    }
    function key(e) {
      if (e.key == "Escape") { e.preventDefault(); close(); }
    }
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", words.label);
    x.setAttribute("aria-label", words.close);
    x.textContent = "\u00d7";
    box.tabIndex = -1;
    first.tabIndex = last.tabIndex = 0;
    first.onfocus = function () { rec.f.focus(); }; // wrap around, both ways
    last.onfocus = function () { x.focus(); };
    x.onclick = rec.close = close;
    back.onclick = function (e) { if (e.target == back) close(); };
    d.addEventListener("keydown", key, true);
    d.body.appendChild(back);
    hidden.forEach(function (c) { c.inert = true; });
    root.style.overflow = "hidden";
    box.focus();
  }

  function floating(o) {
    var b = make("button", parts.top + "right:20px;bottom:20px;border:0;border-radius:99px;padding:14px 22px;font:600 16px system-ui;color:#fff;box-shadow:0 6px 20px #0004;background:" + (o.color || "#3b5bdb"), d.body);
    b.textContent = o.text || words.book;
    b.onclick = function () { popup(o, b); };
  }

  api.popup = popup;
  api.floating = floating;
})(window, document);
