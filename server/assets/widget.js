/*
 * Live chat widget loader. Put this on every page of your website:
 *
 *   <script src="https://chat.example.com/widget.js" async></script>
 *
 * Optional attribute: data-lang="en" | "zh-Hans" | "zh-Hant" (otherwise the page's
 * ?lang= parameter, otherwise the browser's language).
 *
 * The chat itself runs in an iframe served by the chat server, isolated from this
 * page. This loader only tells it which page the visitor is on and resizes the frame
 * when the chat opens or closes. Single-page apps call window.LiveChat.pageView()
 * after changing the URL.
 */
(function () {
  "use strict";
  if (window.LiveChat) return;
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute("data-lang") ||
    new URLSearchParams(location.search).get("lang") || "";

  var frame = document.createElement("iframe");
  var query = new URLSearchParams({
    page_url: location.href,
    page_title: document.title,
    page_ref: document.referrer
  });
  if (lang) query.set("lang", lang);
  frame.src = origin + "/widget?" + query.toString();
  frame.id = "livechat-frame";
  frame.title = "Chat";
  frame.setAttribute("data-testid", "chat-frame");
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.style.cssText = [
    "position:fixed", "bottom:12px", "right:12px", "border:0", "margin:0", "padding:0",
    "z-index:2147483647", "background:transparent", "color-scheme:normal",
    "width:96px", "height:96px", "max-width:calc(100vw - 24px)", "max-height:calc(100vh - 24px)"
  ].join(";");

  function resize(open) {
    frame.style.width = open ? "400px" : "96px";
    frame.style.height = open ? "600px" : "96px";
  }

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data;
    if (data && data.type === "livechat:resize") resize(data.open === true);
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
