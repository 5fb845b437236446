/*
 * 嵌入脚本：在任意网页加入一行
 *   <script src="https://办税助手域名/embed.js" data-enterprise-token="..." async></script>
 * 即在右下角显示圆形悬浮按钮，点击后以 iframe 面板打开聊天窗口（桌面 400×640，窄于 480px 时全屏）。
 * 聊天窗口地址取自本脚本自身的来源：<origin>/?embed=1#enterprise_token=...
 * （令牌放在片段里：片段不发给服务器、不进日志，也不出现在 Referer 中。）
 * 对外提供 window.TaxWidget.open() / close() / toggle() / setEnterpriseToken(token)。
 */
(function () {
  "use strict";
  if (window.TaxWidget) return; // 同一页面只嵌入一次

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src]");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/embed\.js(?:[?#]|$)/.test(all[i].src)) return all[i];
    }
    return null;
  })();
  if (!script) return;

  var ORIGIN = new URL(script.src, location.href).origin;
  var TITLE = "小微企业智能办税助手";
  var Z = "2147483000";
  var enterpriseToken = script.getAttribute("data-enterprise-token") || "";
  var narrow = window.matchMedia("(max-width: 479.98px)");
  var button, panel, iframe;
  var opened = false;

  function css(node, styles) {
    Object.keys(styles).forEach(function (key) { node.style.setProperty(key, styles[key]); });
  }

  var generation = 0; // 换令牌时递增：只改片段的地址不会重新加载 iframe

  function widgetUrl() {
    var url = new URL("/", ORIGIN);
    url.searchParams.set("embed", "1");
    if (generation) url.searchParams.set("v", String(generation));
    if (enterpriseToken) url.hash = "enterprise_token=" + encodeURIComponent(enterpriseToken);
    return url.toString();
  }

  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function chatIcon() {
    var icon = svg("svg", { viewBox: "0 0 24 24", width: "28", height: "28", "aria-hidden": "true" });
    icon.appendChild(svg("path", {
      d: "M12 3C6.9 3 3 6.5 3 10.8c0 2.4 1.2 4.5 3.2 5.9L5.5 20l3.7-2c.9.2 1.8.3 2.8.3 5.1 0 9-3.5 9-7.8S17.1 3 12 3z",
      fill: "#fff",
    }));
    [8.2, 12, 15.8].forEach(function (cx) { icon.appendChild(svg("circle", { cx: String(cx), cy: "10.8", r: "1.3", fill: "#07c160" })); });
    return icon;
  }

  function closeIcon() {
    var icon = svg("svg", { viewBox: "0 0 24 24", width: "24", height: "24", "aria-hidden": "true" });
    icon.appendChild(svg("path", { d: "M6 6l12 12M18 6L6 18", stroke: "#fff", "stroke-width": "2.4", "stroke-linecap": "round" }));
    return icon;
  }

  function layout() {
    if (!panel) return;
    if (narrow.matches) {
      css(panel, { left: "0", top: "0", right: "0", bottom: "0", width: "100%", height: "100%", "border-radius": "0" });
    } else {
      css(panel, {
        left: "auto", top: "auto", right: "20px", bottom: "92px", width: "400px", height: "640px",
        "max-height": "calc(100vh - 112px)", "border-radius": "10px",
      });
    }
    css(button, { display: opened && narrow.matches ? "none" : "flex" });
  }

  function buildButton() {
    button = document.createElement("button");
    button.type = "button";
    button.id = "tax-widget-launcher";
    button.setAttribute("aria-label", "打开" + TITLE);
    button.setAttribute("aria-expanded", "false");
    button.title = TITLE;
    css(button, {
      position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px", margin: "0", padding: "0",
      border: "0", "border-radius": "50%", background: "#07c160", cursor: "pointer", display: "flex",
      "align-items": "center", "justify-content": "center", "box-shadow": "0 4px 14px rgba(0,0,0,.25)", "z-index": Z,
    });
    button.appendChild(chatIcon());
    button.addEventListener("click", toggle);
    document.body.appendChild(button);
  }

  function buildPanel() {
    panel = document.createElement("div");
    panel.id = "tax-widget-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", TITLE);
    css(panel, {
      position: "fixed", overflow: "hidden", background: "#ededed", "box-shadow": "0 8px 32px rgba(0,0,0,.25)",
      "z-index": Z, display: "none",
    });
    iframe = document.createElement("iframe");
    iframe.title = TITLE;
    iframe.src = widgetUrl();
    iframe.setAttribute("allow", "clipboard-write");
    iframe.setAttribute("referrerpolicy", "no-referrer");
    css(iframe, { width: "100%", height: "100%", border: "0", display: "block" });
    panel.appendChild(iframe);
    document.body.appendChild(panel);
    layout();
  }

  function open() {
    if (!panel) buildPanel(); // 第一次打开时才加载聊天窗口
    opened = true;
    css(panel, { display: "block" });
    button.replaceChildren(closeIcon());
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-label", "关闭" + TITLE);
    layout();
  }

  function close() {
    if (!panel) return;
    opened = false;
    css(panel, { display: "none" });
    button.replaceChildren(chatIcon());
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", "打开" + TITLE);
    layout();
  }

  function toggle() {
    if (opened) close(); else open();
  }

  /** 宿主页面登录或退出后更新企业令牌；已打开的聊天窗口随之重新加载。 */
  function setEnterpriseToken(token) {
    enterpriseToken = token || "";
    generation += 1;
    if (iframe) iframe.src = widgetUrl();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== ORIGIN || !event.data || event.data.type !== "taxWidget:close") return;
    close();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && opened) close();
  });
  if (narrow.addEventListener) narrow.addEventListener("change", layout);

  function boot() {
    buildButton();
    layout();
  }

  window.TaxWidget = { open: open, close: close, toggle: toggle, setEnterpriseToken: setEnterpriseToken };
  if (document.body) boot();
  else document.addEventListener("DOMContentLoaded", boot);
})();
