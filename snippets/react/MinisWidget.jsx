/* MinisWidget: the Minis booking widget in a React app, mounted by the embed.js loader.

   <MinisWidget link="demo/fall-minis" prefill={{ name: "Ada" }} theme="light" />

   Written without JSX syntax (createElement), so it works with or without a JSX
   transform. Replace WIDGET with your Minis address. */
import { createElement, useEffect, useRef } from "react";

const WIDGET = "https://book.example.com";

// The loader's queue stub: calls made before embed.js has arrived wait in Minis.q.
function minis() {
  window.Minis =
    window.Minis ||
    function () {
      (window.Minis.q = window.Minis.q || []).push(arguments);
    };
  const src = WIDGET + "/embed.js";
  if (!document.querySelector('script[src="' + src + '"]')) {
    const script = document.createElement("script");
    script.async = true;
    script.src = src;
    document.head.appendChild(script);
  }
  return window.Minis;
}

export default function MinisWidget({ link, prefill, theme, color }) {
  const container = useRef(null);
  useEffect(() => {
    // Mounting twice into one element is a no-op for the loader, so React's
    // development double effects are harmless. To show another session, render
    // the component again with a new `key`.
    minis()("inline", { el: container.current, link, prefill, theme, color });
  }, [link]);
  return createElement("div", { ref: container });
}
