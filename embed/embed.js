/* Minis embed loader: mounts booking widgets (inline, popup, floating button) as iframes.
   Popups and the floating button are in dialog.js, loaded only on pages that use them.
   The contract is in DESIGN.md ("Embed contract"). Kept tiny on purpose: /embed.js serves
   this file minified, and its gzipped size is a benchmark figure. No globals but
   window.Minis; no cookies; styles via CSSOM only, so a strict host CSP does not break it. */
(function (w, d) {
  var M = w.Minis;
  if (M && M.loaded) return; // embed.js loaded twice: the first one stays in charge
  var script = d.currentScript || d.querySelector('script[src*="/embed.js"]');
  var origin = new URL(script.src, location.href).origin;
  var listeners = {};
  var frames = [];
  var TOP = "position:fixed;z-index:2147483000;";
  var LABEL = "Book a mini session";
  var api;

  function fire(el, type, data) {
    [el, w].forEach(function (t) {
      if (t) t.dispatchEvent(new CustomEvent("minis:" + type, { detail: data }));
    });
    (listeners[type] || []).forEach(function (fn) {
      try { fn(data); } catch (e) { console.error(e); } // one bad listener spoils nothing
    });
  }

  function here() { return location.href.split("#")[0]; }

  // "auto" becomes light or dark from what is really behind the widget: the first opaque
  // background up the tree, else the page's color-scheme. The iframe element and its page
  // then share that scheme, which keeps the iframe's own background transparent.
  function theme(o, el) {
    if (/^(dark|light)$/.test(o.theme)) return o.theme;
    for (; el; el = el.parentElement) {
      var c = getComputedStyle(el).backgroundColor.match(/[\d.]+/g);
      if (c && !(c[3] < 0.5)) return c[0] * 0.3 + c[1] * 0.6 + c[2] * 0.1 < 128 ? "dark" : "light";
    }
    var cs = getComputedStyle(d.documentElement).colorScheme;
    return cs == "dark" || (/dark/.test(cs) && matchMedia("(prefers-color-scheme:dark)").matches)
      ? "dark" : "light";
  }

  function make(tag, css, parent) {
    var el = d.createElement(tag);
    el.style.cssText = css;
    if (parent) parent.appendChild(el);
    return el;
  }

  // An iframe for `o.link` in `el`, behind a skeleton until it says it is ready.
  function frame(el, o) {
    var p = o.prefill || {};
    var scheme = theme(o, el);
    var q = new URLSearchParams();
    var params = {
      parent: location.origin, page: here(), theme: scheme, color: o.color,
      tab: o.newTab && "new", name: p.name, email: p.email, phone: p.phone, done: o.done,
      lang: o.lang
    };
    new URLSearchParams(location.search).forEach(function (v, k) {
      if (!k.indexOf("utm_")) q.set(k, v);
    });
    for (var k in params) if (params[k]) q.set(k, params[k]);
    var sk = make("div", "height:320px;border-radius:12px;background:#8882", el);
    var f = make("iframe", "display:block;width:100%;border:0;height:0;color-scheme:" + scheme, el);
    var rec = { f: f, el: el, sk: sk, o: o };
    f.title = LABEL;
    f.src = origin + "/embed/" + String(o.link).split("/").map(encodeURIComponent).join("/") + "?" + q;
    frames.push(rec);
    // No word from the widget: this site may not embed it (the browser refused the
    // frame), so take the placeholder away rather than leave an empty box.
    rec.t = setTimeout(function () {
      sk.remove();
      f.remove();
    }, 20000);
    return rec;
  }

  function mount(el, o) {
    if (el && !el.minis) { // mounting twice into one element: no-op
      el.minis = 1;
      frame(el, o);
    }
  }

  function options(el, link) {
    function a(k) { return el.getAttribute("data-minis-" + k); }
    return {
      link: link, theme: a("theme"), color: a("color"), newTab: a("new-tab") != null, lang: a("lang"),
      prefill: { name: a("name"), email: a("email"), phone: a("phone") }
    };
  }

  // Popups and the floating button live in dialog.js, fetched the first time a page
  // needs one (pages with popup triggers fetch it up front, so a click opens at once).
  var waiting;
  function dialog(kind, o, trigger) {
    if (api.popup) return o && (kind == "floating" ? api.floating(o) : api.popup(o, trigger));
    if (!waiting) {
      waiting = [];
      var s = make("script", "", d.head);
      s.src = origin + "/embed-dialog.js?lang=" + encodeURIComponent((o || options(trigger)).lang || "");
      s.onload = function () {
        waiting.forEach(function (args) { dialog.apply(null, args); });
      };
    }
    if (o) waiting.push([kind, o, trigger]);
  }

  w.addEventListener("message", function (e) {
    var m = e.data;
    var rec = frames.find(function (r) { return r.f.contentWindow == e.source; });
    // Only messages from our origin, and from an iframe this loader made.
    if (e.origin != origin || !rec || !m || m.minis != 1) return;
    var data = m.data || {};
    var type = m.type;
    if (type == "resize") rec.f.style.height = (+data.height || 0) + "px";
    if (type == "close" && rec.close) rec.close();
    if (type == "ready" && !rec.ready) {
      rec.ready = 1;
      if (data.label) rec.f.title = data.label;
      clearTimeout(rec.t);
      rec.sk.remove();
      fire(rec.el, type, { link: rec.o.link });
    }
    if (/^(slot-selected|lead-created|booked|waitlist-joined|countdown|notify-requested)$/.test(type)) {
      data.link = rec.o.link;
      fire(rec.el, type, data);
      if (type == "booked") convert(data);
    }
  });

  function scan() {
    d.querySelectorAll("[data-minis]").forEach(function (el) {
      mount(el, options(el, el.getAttribute("data-minis")));
    });
    d.querySelectorAll("[data-minis-popup]").forEach(function (el) {
      if (!el.minis) {
        el.minis = 1;
        dialog(0, 0, el); // fetch it now (in its language), not on the click
        el.addEventListener("click", function (e) {
          e.preventDefault();
          dialog("popup", options(el, el.getAttribute("data-minis-popup")), el);
        });
      }
    });
  }

  // A studio that reports bookings sends their value and currency with "booked": tell the
  // page's own Google Analytics 4 and Meta Pixel, if it has them.
  function convert(x) {
    if (!x.currency) return;
    var v = +x.value || 0;
    if (typeof w.gtag == "function")
      w.gtag("event", "purchase", { transaction_id: x.reference, value: v, currency: x.currency });
    if (typeof w.fbq == "function") w.fbq("track", "Purchase", { value: v, currency: x.currency });
  }

  api = function (cmd, o, fn) {
    if (cmd == "on") (listeners[o] = listeners[o] || []).push(fn);
    if (cmd == "inline") mount(typeof o.el == "string" ? d.querySelector(o.el) : o.el, o);
    if (cmd == "popup" || cmd == "floating") dialog(cmd, o);
  };
  api.loaded = 1;
  // What dialog.js builds on.
  api.parts = { frame: frame, frames: frames, theme: theme, make: make, top: TOP };
  w.Minis = api;
  ((M && M.q) || []).forEach(function (args) { api.apply(null, args); });

  function start() {
    // Back from a payment provider's page (#minis-booked=<token>, or -unpaid): the booking
    // opens again in the first inline widget, else in a popup; its page fires the events.
    var back = /[#&]minis-(\w+)=([\w.-]{1,200})/.exec(location.hash);
    if (back) {
      history.replaceState(null, "", here());
      var el = d.querySelector("[data-minis]");
      var o = el ? options(el, "b/" + back[2]) : { link: "b/" + back[2] };
      o.done = back[1];
      el ? mount(el, o) : dialog("popup", o);
    }
    scan();
    new MutationObserver(scan).observe(d.body, { childList: true, subtree: true });
  }
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(window, document);
