/*
 * Live chat widget loader. Put this on every page of your website:
 *
 *   <script src="https://chat.example.com/widget.js" async></script>
 *
 * Optional attributes: data-lang="en" | "zh-Hans" | "zh-Hant" (otherwise the
 * page's ?lang= parameter, otherwise the browser's language); data-theme="light" |
 * "dark" | "auto" (otherwise the page's own color-scheme: dark if it is dark only,
 * the visitor's system if it offers both, light otherwise).
 *
 * The chat itself runs in an iframe served by the chat server, isolated from this
 * page. This loader only tells it which page the visitor is on and resizes the frame
 * when the chat opens or closes (on screens narrower than 480 px the open chat
 * fills the screen). The frame stays invisible until the chat server says it may
 * be shown here, so a site that is not allowed to embed the widget shows nothing.
 * Single-page apps call window.LiveChat.pageView() after changing the URL.
 */
(function () {
  "use strict";
  if (window.LiveChat) return;
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") ||
    new URLSearchParams(location.search).get("lang") || "";

  // The site's choice of colours for the widget.
  function siteTheme() {
    var declared = script.getAttribute("data-theme");
    if (declared === "light" || declared === "dark" || declared === "auto") return declared;
    var scheme = getComputedStyle(document.documentElement).colorScheme || "";
    if (!scheme || scheme === "normal") {
      var meta = document.querySelector('meta[name="color-scheme"]');
      scheme = meta ? meta.getAttribute("content") || "" : "";
    }
    var dark = /dark/.test(scheme), light = /light/.test(scheme);
    return dark && light ? "auto" : dark ? "dark" : "light";
  }
  var theme = siteTheme();

  var frame = document.createElement("iframe");
  var query = new URLSearchParams({
    page_url: location.href,
    page_title: document.title,
    page_ref: document.referrer
  });
  if (lang) query.set("lang", lang);
  query.set("theme", theme);
  frame.src = origin + "/widget?" + query.toString();
  frame.id = "livechat-frame";
  frame.title = "Chat";
  frame.setAttribute("data-testid", "chat-frame");
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.style.cssText = [
    "position:fixed", "bottom:12px", "right:12px", "border:0", "margin:0", "padding:0",
    "z-index:2147483647", "background:transparent",
    // The same scheme as the frame's page, or the browser paints the frame opaque.
    "color-scheme:" + (theme === "auto" ? "light dark" : theme),
    "width:96px", "height:96px", "max-width:calc(100vw - 24px)", "max-height:calc(100vh - 24px)",
    "visibility:hidden"
  ].join(";");

  var isOpen = false;
  var phone = window.matchMedia("(max-width: 479px)");
  // On a phone the open chat covers what is visible of the page: the visual
  // viewport, which shrinks when the on-screen keyboard opens.
  var visible = window.visualViewport;
  function resize() {
    var full = isOpen && phone.matches;
    var s = frame.style;
    s.right = full ? "0" : "12px";
    s.maxWidth = full ? "100vw" : "calc(100vw - 24px)";
    s.width = full ? "100vw" : isOpen ? "400px" : "96px";
    if (full && visible) {
      s.top = visible.offsetTop + "px";
      s.bottom = "auto";
      s.height = s.maxHeight = visible.height + "px";
    } else {
      s.top = "auto";
      s.bottom = full ? "0" : "12px";
      s.maxHeight = full ? "100%" : "calc(100vh - 24px)";
      s.height = full ? "100%" : isOpen ? "600px" : "96px";
    }
    if (frame.contentWindow) {
      frame.contentWindow.postMessage({ type: "livechat:layout", full: full }, origin);
    }
  }
  if (visible) {
    visible.addEventListener("resize", resize);
    visible.addEventListener("scroll", resize);
  }
  if (phone.addEventListener) phone.addEventListener("change", resize);

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data;
    if (!data) return;
    if (data.type === "livechat:ready" || data.type === "livechat:resize") {
      frame.style.visibility = "visible";
    }
    if (data.type === "livechat:resize") {
      isOpen = data.open === true;
      resize();
    }
  });

  function pageView() {
    if (!frame.contentWindow) return;
    frame.contentWindow.postMessage({
      type: "livechat:page",
      url: location.href,
      title: document.title,
      referrer: document.referrer
    }, origin);
  }
  window.addEventListener("popstate", pageView);
  window.LiveChat = { pageView: pageView };

  function mount() { document.body.appendChild(frame); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
