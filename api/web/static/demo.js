/* 演示企业页 — lists the demo enterprises (GET /api/demo/enterprises), issues an enterprise token for one
 * (POST /api/demo/token) and opens the widget with it in a new tab. Plain JS; every piece of text from the
 * API is inserted with textContent, never as HTML. Without DEMO_MODE the list answers 404: 演示模式未开启.
 */
(function () {
  "use strict";

  var TAXPAYER = { small_scale: "小规模纳税人", general: "一般纳税人" };
  var DEBOUNCE_MS = 300;
  var el = function (id) { return document.getElementById(id); };
  var timer = null;
  var sequence = 0;

  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  function status(text, isError) {
    var s = el("status");
    s.textContent = text || "";
    s.classList.toggle("error", !!isError);
  }

  function detail(response, body) {
    return (body && typeof body.detail === "string") ? body.detail : ("请求失败（" + response.status + "）");
  }

  function request(method, url, payload) {
    var options = { method: method, headers: { "Accept": "application/json" } };
    if (payload) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        return { response: response, body: body };
      });
    });
  }

  function load() {
    var mine = ++sequence;
    var query = new URLSearchParams();
    var q = el("q").value.trim();
    if (q) query.set("q", q);
    if (el("level").value) query.set("level", el("level").value);
    query.set("limit", "100");
    status("正在查询…");
    request("GET", "/api/demo/enterprises?" + query.toString()).then(function (result) {
      if (mine !== sequence) return; // a newer query has been sent
      if (result.response.status === 404) {
        el("panel").hidden = true;
        el("off").hidden = false;
        return;
      }
      el("off").hidden = true;
      el("panel").hidden = false;
      if (!result.response.ok) {
        status(detail(result.response, result.body), true);
        return;
      }
      render(result.body.items || []);
    }).catch(function () {
      if (mine === sequence) status("无法连接服务，请稍后再试", true);
    });
  }

  function render(items) {
    var rows = el("rows");
    rows.textContent = "";
    items.forEach(function (item) {
      var tr = node("tr", item.showcase ? "showcase" : "");
      var name = node("td", "", item.name);
      if (item.showcase) name.appendChild(node("span", "tag", "推荐演示"));
      tr.appendChild(name);
      tr.appendChild(node("td", "mono", item.uscc));
      tr.appendChild(node("td", "", TAXPAYER[item.taxpayer_type] || item.taxpayer_type_label));
      tr.appendChild(node("td", "small", item.region + " · " + item.industry));
      var level = node("td");
      if (item.credit_level) {
        level.appendChild(node("span", "level level-" + item.credit_level, item.credit_level));
        level.appendChild(node("span", "muted small", " " + item.credit_year + "年度"));
      } else {
        level.appendChild(node("span", "muted small", "未评价"));
      }
      tr.appendChild(level);
      tr.appendChild(node("td", item.pending_reminders ? "count" : "muted", item.pending_reminders));
      var action = node("td");
      var button = node("button", "btn btn-sm", "以此企业登录");
      button.type = "button";
      button.addEventListener("click", function () { login(item, button); });
      action.appendChild(button);
      tr.appendChild(action);
      rows.appendChild(tr);
    });
    status(items.length ? "共显示 " + items.length + " 家演示企业" : "没有符合条件的演示企业");
  }

  function login(item, button) {
    // Opened now, inside the click, so that no pop-up blocker stops it; pointed at the widget once the
    // token is here.
    var tab = window.open("about:blank", "_blank");
    if (tab) tab.opener = null;
    button.disabled = true;
    request("POST", "/api/demo/token", { uscc: item.uscc }).then(function (result) {
      button.disabled = false;
      if (!result.response.ok) {
        if (tab) tab.close();
        status(detail(result.response, result.body), true);
        return;
      }
      var data = result.body;
      var url = new URL(data.widget_url, window.location.origin).toString();
      if (tab) tab.location.href = url;
      el("issued-name").textContent = data.name + "（" + data.uscc + "）";
      el("issued-expires").textContent = "令牌有效期至 " + new Date(data.expires_at).toLocaleString("zh-CN");
      el("issued-token").value = data.token;
      el("open").href = url;
      el("issued").hidden = false;
      status(tab ? "已在新标签页打开智能助手" : "浏览器阻止了新标签页，请点击“打开智能助手”");
    }).catch(function () {
      button.disabled = false;
      if (tab) tab.close();
      status("无法连接服务，请稍后再试", true);
    });
  }

  function copy() {
    var input = el("issued-token");
    var done = function () { status("令牌已复制"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      return;
    }
    input.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* selected: the user copies it */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    el("filters").addEventListener("submit", function (event) { event.preventDefault(); load(); });
    el("level").addEventListener("change", load);
    el("q").addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, DEBOUNCE_MS);
    });
    el("copy").addEventListener("click", copy);
    load();
  });
})();
