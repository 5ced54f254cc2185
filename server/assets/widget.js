/*
 * Live chat widget loader: <script src="https://chat.example.com/widget.js" async></script>
 * Attributes: data-site, data-lang, data-theme, data-department, data-user-id/-name/-email/-hash.
 * Page API: window.LiveChat.open, close, identify, pageView, setLanguage, on, off.
 * How it works and what each does: docs/integrations.md of the chat server.
 * The chat runs in an iframe served by the chat server, isolated from this page;
 * the frame stays hidden until the chat server says it may be shown here.
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

  // Who the visitor is, as the site says: from the tag, or LiveChat.identify().
  function identityOf(data) {
    if (!data || data.user_id === undefined || data.user_id === null || data.user_id === "") return null;
    return {
      user_id: String(data.user_id),
      name: data.name ? String(data.name) : "",
      email: data.email ? String(data.email) : "",
      user_hash: data.user_hash ? String(data.user_hash) : ""
    };
  }
  var identity = identityOf({
    user_id: script.getAttribute("data-user-id"),
    name: script.getAttribute("data-user-name"),
    email: script.getAttribute("data-user-email"),
    user_hash: script.getAttribute("data-user-hash")
  });

  var frame = document.createElement("iframe");
  function frameSrc() {
    var query = new URLSearchParams({
      page_url: location.href,
      page_title: document.title,
      page_ref: document.referrer
    });
    if (lang) query.set("lang", lang);
    var department = script.getAttribute("data-department");
    if (department) query.set("department", department);
    var site = script.getAttribute("data-site");
    if (site) query.set("site", site);
    query.set("theme", theme);
    // The identity goes in the fragment: the frame's script reads it, the
    // server's logs never see it.
    var hash = identity ? "#identity=" + encodeURIComponent(JSON.stringify(identity)) : "";
    return origin + "/widget?" + query.toString() + hash;
  }
  frame.src = frameSrc();
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

  // Messages for the frame wait until its code listens.
  var listening = false;
  var waiting = [];
  function tell(message) {
    if (listening && frame.contentWindow) frame.contentWindow.postMessage(message, origin);
    else waiting.push(message);
  }

  // The page's handlers of the chat's events.
  var handlers = { message: [], open: [], close: [] };
  function emit(name, detail) {
    (handlers[name] || []).slice().forEach(function (handler) {
      try { handler(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  var isOpen = false;
  // The corner, and the closed frame's width (wider for a launcher with text):
  // the website's settings, as the frame says when it is ready.
  var side = "right", closedWidth = 96;
  var phone = window.matchMedia("(max-width: 479px)");
  // On a phone the open chat covers what is visible of the page: the visual
  // viewport, which shrinks when the on-screen keyboard opens.
  var visible = window.visualViewport;
  function resize() {
    var full = isOpen && phone.matches;
    var s = frame.style;
    s[side] = full ? "0" : "12px";
    s[side === "left" ? "right" : "left"] = "auto";
    s.maxWidth = full ? "100vw" : "calc(100vw - 24px)";
    s.width = full ? "100vw" : (isOpen ? 400 : closedWidth) + "px";
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
    if (data.type === "livechat:ready") {
      side = data.side === "left" ? "left" : "right";
      var width = Number(data.width) || 0;
      closedWidth = width > 96 ? Math.min(width, 320) : 96;
      resize();
    }
    if (data.type === "livechat:ready" || data.type === "livechat:resize") {
      frame.style.visibility = "visible";
    }
    // The frame (re)loads: what is said to it waits until its code listens.
    if (data.type === "livechat:ready") listening = false;
    if (data.type === "livechat:listening") {
      listening = true;
      var queued = waiting;
      waiting = [];
      queued.forEach(tell);
    }
    if (data.type === "livechat:resize") {
      var wasOpen = isOpen;
      isOpen = data.open === true;
      resize();
      if (isOpen !== wasOpen) emit(isOpen ? "open" : "close");
    }
    if (data.type === "livechat:message" && data.message) {
      var m = data.message;
      emit("message", {
        conversation_id: String(m.conversation_id || ""),
        author: String(m.author || ""),
        text: String(m.text || ""),
        at_ms: Number(m.at_ms) || 0
      });
    }
  });

  function pageView() {
    if (!listening) return; // the frame's first hello carries this page
    tell({
      type: "livechat:page",
      url: location.href,
      title: document.title,
      referrer: document.referrer
    });
  }
  window.addEventListener("popstate", pageView);

  var LANGS = ["en", "zh-Hans", "zh-Hant"];
  window.LiveChat = {
    pageView: pageView,
    open: function () { tell({ type: "livechat:open" }); },
    close: function () { tell({ type: "livechat:close" }); },
    identify: function (data) {
      var given = identityOf(data);
      if (!given) throw new TypeError("LiveChat.identify needs a user_id");
      identity = given;
      tell({ type: "livechat:identify", identity: given });
    },
    setLanguage: function (tag) {
      if (LANGS.indexOf(tag) < 0) throw new RangeError("LiveChat.setLanguage: one of " + LANGS.join(", "));
      if (tag === lang) return;
      lang = tag;
      // The frame loads again in that language; the conversation stays.
      listening = false;
      frame.src = frameSrc();
    },
    on: function (name, handler) {
      if (!handlers[name]) throw new RangeError("LiveChat.on: message, open or close");
      if (typeof handler === "function") handlers[name].push(handler);
    },
    off: function (name, handler) {
      if (!handlers[name]) return;
      handlers[name] = handlers[name].filter(function (h) { return h !== handler; });
    }
  };

  function mount() { document.body.appendChild(frame); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
