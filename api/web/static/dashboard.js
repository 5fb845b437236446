/* 统计分析平台 (operator dashboard) — plain JS, no build step. API: docs/dashboard-api.md.
 * Charts are drawn by ECharts (served from /static/vendor, works offline) into canvas; every other
 * piece of text from the API is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var TOKEN_KEY = "taxDashboard.token";
  var STAFF_KEY = "taxDashboard.staff";
  var ROLES = { operator: "运营人员", admin: "系统管理员" };
  var OUTCOMES = { answered: "已解答", clarified: "澄清", fell_back: "未能回答", handed_off: "转人工",
    petition: "诉求", other: "其他" };
  var CHANNELS = { enterprise: "登录企业", visitor: "访客", all: "全部渠道" };
  var KINDS = { answer: "知识解答", clarify: "澄清", fallback: "未能回答", refuse: "拒绝", smalltalk: "寒暄",
    handoff: "转人工", form: "表单", petition_created: "诉求已登记", petition_status: "诉求进度",
    reminder: "提醒", credit: "纳税信用" };
  var SENDERS = { user: "用户", bot: "智能助手", staff: "税务干部", expert: "税务专家", system: "系统" };
  var CLOCKS = { handover: "转交", handling: "办理", feedback: "反馈" };
  var COLORS = ["#1557a6", "#2fa36b", "#e0922f", "#c62f2f", "#7a52c7", "#2aa3b8", "#8a94a3", "#d0648a"];

  var IMP_KINDS = { nlu_example: "意图例句", question_variant: "知识问法", new_entry: "新知识条目" };
  var ATTENTION = { expired: "已过有效期", review: "待复核" };

  var S = { token: null, staff: null, data: {}, charts: {}, tableMode: {}, review: { page: 1, filters: {} },
    current: null, markTarget: null, view: "charts", unmasked: false,
    imp: { status: "draft", page: 1, options: null, draft: null, entry: null, searchTimer: null } };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? "—" : String(v); }
  function secs(v) {
    if (v === null || v === undefined) return "—";
    if (v < 60) return Math.round(v) + " 秒";
    return (v / 60).toFixed(1) + " 分钟";
  }
  function toast(text, isError) {
    var t = el("div", "toast" + (isError ? " error" : ""), text);
    $("toast").appendChild(t);
    setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 4500);
  }
  function isoDay(d) {
    var m = d.getMonth() + 1, day = d.getDate();
    return d.getFullYear() + "-" + (m < 10 ? "0" : "") + m + "-" + (day < 10 ? "0" : "") + day;
  }

  // ---------------------------------------------------------------- API
  function ApiError(status, detail) { this.status = status; this.detail = detail; }
  function detailText(status, data) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && Array.isArray(data.detail)) return "参数有误，请检查筛选条件";
    if (status === 401) return "登录已过期，请重新登录";
    if (status === 403) return "没有权限";
    return "服务暂时不可用（" + status + "）";
  }
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { "Accept": "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    var init = { method: method, headers: headers, cache: "no-store" };
    if (body instanceof URLSearchParams) {
      headers["Content-Type"] = "application/x-www-form-urlencoded"; init.body = body.toString();
    } else if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (resp) {
      return resp.text().then(function (raw) {
        var data = null;
        if (raw) { try { data = JSON.parse(raw); } catch (e) { data = null; } }
        if (!resp.ok) {
          if (resp.status === 401 && !opts.noAuthRedirect) logout("登录已过期，请重新登录");
          throw new ApiError(resp.status, detailText(resp.status, data));
        }
        return data;
      });
    }, function () { throw new ApiError(0, "网络连接失败，请检查网络后重试"); });
  }
  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== "") q.set(k, params[k]);
    });
    return q.toString();
  }
  /* Only an admin may ask for unmasked data; the API audit-logs every such view. */
  function maskParams() { return S.unmasked ? { unmasked: "true" } : {}; }
  function scopeParams() {
    return { date_from: $("f-from").value, date_to: $("f-to").value, channel: $("f-channel").value };
  }

  /* A CSV link: the href names the export, the click downloads it with the bearer token. */
  function csvLink(anchor, url) {
    anchor.href = url;
    anchor.setAttribute("data-url", url);
  }
  function downloadCsv(ev) {
    var a = ev.currentTarget, url = a.getAttribute("data-url");
    if (!url) return;
    ev.preventDefault();
    fetch(url, { headers: { Authorization: "Bearer " + S.token }, cache: "no-store" }).then(function (resp) {
      if (!resp.ok) throw new ApiError(resp.status, "导出失败（" + resp.status + "）");
      var name = "export.csv", cd = resp.headers.get("Content-Disposition") || "";
      var m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
      if (m) name = decodeURIComponent(m[1]);
      return resp.blob().then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob); link.download = name;
        document.body.appendChild(link); link.click(); document.body.removeChild(link);
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
      });
    }).catch(function (e) { toast(e.detail || "导出失败", true); });
  }

  // ---------------------------------------------------------------- session
  function showLogin(message) {
    document.body.className = "view-login";
    $("app").hidden = true; $("login-view").hidden = false;
    var err = $("login-error");
    if (message) { err.textContent = message; err.hidden = false; } else { err.hidden = true; }
  }
  function logout(message) {
    S.token = null; S.staff = null;
    try { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(STAFF_KEY); } catch (e) { /* */ }
    Object.keys(S.charts).forEach(function (k) { S.charts[k].dispose(); });
    S.charts = {}; S.data = {};
    showLogin(message);
  }
  function onLogin(ev) {
    ev.preventDefault();
    var user = $("username").value.trim(), pass = $("password").value, err = $("login-error");
    if (!user || !pass) { err.textContent = "请输入用户名和密码"; err.hidden = false; return; }
    err.hidden = true;
    $("login-submit").disabled = true; $("login-submit").textContent = "登录中…";
    var form = new URLSearchParams(); form.set("username", user); form.set("password", pass);
    api("POST", "/api/auth/token", form, { noAuthRedirect: true }).then(function (data) {
      if (!data || !data.access_token) throw new ApiError(0, "登录失败：服务未返回令牌");
      var role = data.staff && data.staff.role;
      if (!ROLES[role]) throw new ApiError(403, "此账号不是运营人员或系统管理员，无权使用统计分析平台");
      S.token = data.access_token; S.staff = data.staff;
      try {
        sessionStorage.setItem(TOKEN_KEY, S.token); sessionStorage.setItem(STAFF_KEY, JSON.stringify(S.staff));
      } catch (e) { /* */ }
      $("password").value = "";
      startApp();
    }).catch(function (e) {
      err.textContent = e.detail || "登录失败，请稍后重试"; err.hidden = false;
    }).then(function () {
      $("login-submit").disabled = false; $("login-submit").textContent = "登录";
    });
  }
  function startApp() {
    document.body.className = "view-app";
    $("login-view").hidden = true; $("app").hidden = false;
    $("staff-name").textContent = (S.staff && (S.staff.display_name || S.staff.username)) || "";
    $("staff-role").textContent = ROLES[S.staff && S.staff.role] || "";
    $("unmask-wrap").hidden = !(S.staff && S.staff.role === "admin");
    $("unmask").checked = S.unmasked = false;
    showView("charts");
    loadCharts();
    loadTags();
  }

  // ---------------------------------------------------------------- views
  function showView(name) {
    S.view = name;
    $("view-charts").hidden = name !== "charts";
    $("view-review").hidden = name !== "review";
    $("view-improve").hidden = name !== "improve";
    $("filters").hidden = name === "improve";  // dates and channel do not apply to the improvement queue
    $("tab-charts").classList.toggle("active", name === "charts");
    $("tab-review").classList.toggle("active", name === "review");
    $("tab-improve").classList.toggle("active", name === "improve");
    if (name === "charts") Object.keys(S.charts).forEach(function (k) { S.charts[k].resize(); });
  }

  // ---------------------------------------------------------------- cards
  /* Each card: a chart (canvas) and, behind the 表格 toggle, the same numbers as a table, and a CSV link. */
  var CARDS = [
    { id: "daily", title: "每日会话量与消息量", source: "overview", wide: true, chart: dailyChart, table: dailyTable,
      note: "点击某日或数字查看该日会话" },
    { id: "rates", title: "独立解决率、转人工率与未能回答率", source: "overview", chart: ratesChart, table: ratesTable },
    { id: "reasons", title: "转人工原因与未能回答原因", source: "overview", chart: reasonsChart, table: reasonsTable },
    { id: "intents", title: "热门意图", source: "intents", chart: intentsChart, table: intentsTable },
    { id: "topics", title: "热门知识主题", source: "topics", chart: topicsChart, table: topicsTable },
    { id: "unanswered", title: "未能回答的问题（按相似度分组）", source: "unanswered", wide: true, chart: unansweredChart,
      table: unansweredTable, note: "点击次数查看相关会话，点击示例查看全文" },
    { id: "feedback", title: "答案反馈（有用 / 没用）", source: "feedback", chart: feedbackChart, table: feedbackTable },
    { id: "seats", title: "坐席响应、处理时长与满意度", source: "seats", chart: seatsChart, table: seatsTable },
    { id: "petitions", title: "诉求按期率与共性诉求", source: "petitions", wide: true, chart: petitionsChart,
      table: petitionsTable },
    { id: "campaigns", title: "提醒活动漏斗", source: "campaigns", wide: true, chart: campaignsChart, table: campaignsTable }
  ];
  var SOURCES = { overview: "/api/analytics/overview", intents: "/api/analytics/intents?limit=15",
    topics: "/api/analytics/topics?limit=15", unanswered: "/api/analytics/unanswered?limit=30",
    feedback: "/api/analytics/feedback?limit=30", seats: "/api/analytics/seats",
    petitions: "/api/analytics/petitions", campaigns: "/api/analytics/campaigns" };

  var MASKABLE = { unanswered: true, petitions: true };
  function sourceUrl(source, extra) {
    var base = SOURCES[source];
    var q = query(Object.assign(scopeParams(), MASKABLE[source] ? maskParams() : {}, extra || {}));
    return base + (base.indexOf("?") >= 0 ? "&" : "?") + q;
  }

  function buildCards() {
    var host = $("cards");
    clear(host);
    CARDS.forEach(function (card) {
      var box = el("section", "card" + (card.wide ? " wide" : ""));
      box.id = "card-" + card.id;
      box.setAttribute("data-card", card.id);
      var head = el("div", "card-head");
      var h = el("h2", null, card.title);
      if (card.note) h.appendChild(el("span", "card-note", card.note));
      head.appendChild(h);
      var toggle = el("button", "btn btn-xs toggle-table", "表格");
      toggle.type = "button";
      toggle.setAttribute("aria-pressed", "false");
      toggle.addEventListener("click", function () { setTableMode(card.id, !S.tableMode[card.id]); });
      head.appendChild(toggle);
      var csv = el("a", "btn btn-xs csv-link", "CSV");
      csv.addEventListener("click", downloadCsv);
      head.appendChild(csv);
      box.appendChild(head);
      var body = el("div", "card-body");
      var chart = el("div", "chart"); chart.setAttribute("role", "img"); chart.setAttribute("aria-label", card.title);
      var tableWrap = el("div", "table-wrap"); tableWrap.hidden = true;
      var status = el("div", "card-status", "加载中…");
      body.appendChild(chart); body.appendChild(tableWrap); body.appendChild(status);
      box.appendChild(body);
      host.appendChild(box);
      card.el = { box: box, chart: chart, table: tableWrap, status: status, toggle: toggle, csv: csv };
    });
  }

  function setTableMode(id, on) {
    var card = CARDS.filter(function (c) { return c.id === id; })[0];
    S.tableMode[id] = on;
    card.el.chart.hidden = on; card.el.table.hidden = !on;
    card.el.toggle.textContent = on ? "图表" : "表格";
    card.el.toggle.setAttribute("aria-pressed", on ? "true" : "false");
    card.el.toggle.classList.toggle("active", on);
    if (!on && S.charts[id]) S.charts[id].resize();
  }

  function loadCharts() {
    var err = $("f-error");
    if (!$("f-from").value || !$("f-to").value) { err.textContent = "请选择起止日期"; err.hidden = false; return; }
    if ($("f-from").value > $("f-to").value) { err.textContent = "起始日期不能晚于截止日期"; err.hidden = false; return; }
    err.hidden = true;
    var seq = (S.loadSeq = (S.loadSeq || 0) + 1);
    CARDS.forEach(function (card) {
      card.el.status.hidden = false; card.el.status.className = "card-status"; card.el.status.textContent = "加载中…";
      csvLink(card.el.csv, sourceUrl(card.source, { format: "csv" }));
    });
    Object.keys(SOURCES).forEach(function (source) {
      api("GET", sourceUrl(source)).then(function (data) {
        if (seq !== S.loadSeq) return;
        S.data[source] = data;
        if (source === "overview") renderKpis();
        if (source === "seats" && S.data.overview) renderKpis();
        CARDS.filter(function (c) { return c.source === source; }).forEach(function (card) { renderCard(card, data); });
      }).catch(function (e) {
        if (seq !== S.loadSeq) return;
        CARDS.filter(function (c) { return c.source === source; }).forEach(function (card) {
          card.el.status.hidden = false; card.el.status.className = "card-status error";
          card.el.status.textContent = e.detail || "加载失败";
        });
      });
    });
  }

  function renderCard(card, data) {
    var option = card.chart(data);
    var chart = S.charts[card.id];
    if (!chart) {
      chart = S.charts[card.id] = window.echarts.init(card.el.chart, null, { renderer: "canvas" });
      chart.on("click", function (params) { if (card.onClick) card.onClick(params); });
    }
    chart.setOption(Object.assign({ color: COLORS, animation: false, textStyle: { fontFamily: "inherit" } }, option), true);
    if (option.__click) card.onClick = option.__click;
    fillTable(card.el.table, card.table(data));
    card.el.box.setAttribute("data-loaded", "1");
    var empty = option.__empty;
    if (empty) { card.el.status.hidden = false; card.el.status.textContent = "所选期间暂无数据"; }
    else card.el.status.hidden = true;
  }

  /* spec: {head: [label | {text, num}], rows: [[cell]], totalRows: n}; cell: string/number or
     {text, num, drill: fn} or {node: Element}. */
  function fillTable(wrap, spec) {
    clear(wrap);
    var table = el("table", "data-table"), thead = el("thead"), tr = el("tr");
    spec.head.forEach(function (h) {
      var th = el("th", typeof h === "object" && h.num ? "num" : null, typeof h === "object" ? h.text : h);
      tr.appendChild(th);
    });
    thead.appendChild(tr); table.appendChild(thead);
    var tbody = el("tbody");
    spec.rows.forEach(function (row, i) {
      var r = el("tr", spec.totalFrom !== undefined && i >= spec.totalFrom ? "total" : null);
      row.forEach(function (cell, j) {
        var numeric = typeof cell === "number" || (cell && typeof cell === "object" && cell.num) ||
          (typeof spec.head[j] === "object" && spec.head[j].num);
        var td = el("td", numeric ? "num" : null);
        if (cell && typeof cell === "object" && cell.node) td.appendChild(cell.node);
        else if (cell && typeof cell === "object" && cell.drill) {
          var b = el("button", "drill", cell.text); b.type = "button";
          b.addEventListener("click", cell.drill); td.appendChild(b);
        } else if (cell && typeof cell === "object") td.textContent = num(cell.text);
        else td.textContent = num(cell);
        r.appendChild(td);
      });
      tbody.appendChild(r);
    });
    if (!spec.rows.length) {
      var er = el("tr"), ed = el("td", "empty", "所选期间暂无数据");
      ed.colSpan = spec.head.length; er.appendChild(ed); tbody.appendChild(er);
    }
    table.appendChild(tbody); wrap.appendChild(table);
  }

  function drillCell(value, filters) {
    if (!value) return value;
    return { text: value, num: true, drill: function () { openReview(filters); } };
  }

  // ---------------------------------------------------------------- KPIs
  function renderKpis() {
    var t = S.data.overview.total || {}, seats = S.data.seats && S.data.seats.overall;
    var host = $("kpis");
    clear(host);
    var items = [
      ["会话量", num(t.conversations), "其中有提问 " + num(t.engaged)],
      ["消息量", num(t.messages), "用户消息 " + num(t.user_messages)],
      ["独立解决率", pct(t.containment_rate), "独立解决 " + num(t.contained) + " 个会话"],
      ["转人工率", pct(t.handoff_rate), "转人工 " + num(t.handed_off) + " 个会话"],
      ["未能回答率", pct(t.fallback_rate), "未能回答 " + num(t.fell_back) + " 次"],
      ["人工服务满意度", seats && seats.rating_avg !== null && seats.rating_avg !== undefined ? seats.rating_avg + " 分" : "—",
        seats ? "满意率 " + pct(seats.satisfied_rate) + " · " + num(seats.ratings) + " 条评价" : ""]
    ];
    items.forEach(function (it) {
      var k = el("div", "kpi");
      k.appendChild(el("div", "kpi-label", it[0]));
      k.appendChild(el("div", "kpi-value", it[1]));
      k.appendChild(el("div", "kpi-sub", it[2]));
      host.appendChild(k);
    });
    var asOf = S.data.overview.as_of;
    $("as-of").textContent = asOf ? "数据更新于 " + new Date(asOf).toLocaleString("zh-CN", { hour12: false }) : "尚无汇总数据";
  }

  // ---------------------------------------------------------------- chart builders
  var GRID = { left: 48, right: 24, top: 36, bottom: 30, containLabel: true };
  function catAxisBar(names, series, opts) {
    opts = opts || {};
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, data: series.map(function (s) { return s.name; }) },
      grid: { left: 10, right: 24, top: 30, bottom: 10, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: names,
        axisLabel: { width: opts.labelWidth || 150, overflow: "truncate" } },
      series: series.map(function (s) { return Object.assign({ type: "bar", barMaxWidth: 16 }, s); }),
      __empty: !names.length
    };
  }

  function dailyChart(data) {
    var days = data.days || [];
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["会话", "转人工", "诉求", "消息"] },
      grid: GRID,
      xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
      yAxis: [{ type: "value", name: "会话", minInterval: 1 }, { type: "value", name: "消息", minInterval: 1 }],
      series: [
        { name: "会话", type: "bar", data: days.map(function (d) { return d.conversations; }), barMaxWidth: 22 },
        { name: "转人工", type: "bar", data: days.map(function (d) { return d.handed_off; }), barMaxWidth: 22 },
        { name: "诉求", type: "bar", data: days.map(function (d) { return d.petitions; }), barMaxWidth: 22 },
        { name: "消息", type: "line", yAxisIndex: 1, smooth: true, data: days.map(function (d) { return d.messages; }) }
      ],
      __empty: !days.some(function (d) { return d.conversations || d.messages; }),
      __click: function (p) {
        var d = days[p.dataIndex];
        if (!d) return;
        var f = { date_from: d.day, date_to: d.day };
        if (p.seriesName === "转人工") f.outcome = "handed_off";
        if (p.seriesName === "诉求") f.outcome = "petition";
        openReview(f);
      }
    };
  }
  function dailyTable(data) {
    var rows = (data.days || []).map(function (d) {
      var one = { date_from: d.day, date_to: d.day };
      return [d.day, drillCell(d.conversations, one), d.engaged, d.messages, d.bot_turns, d.answered, d.clarified,
        drillCell(d.fell_back, Object.assign({ outcome: "fell_back" }, one)),
        drillCell(d.handed_off, Object.assign({ outcome: "handed_off" }, one)),
        drillCell(d.petitions, Object.assign({ outcome: "petition" }, one)), d.contained,
        d.feedback_useful, d.feedback_useless];
    });
    var t = data.total || {};
    rows.push(["合计", t.conversations, t.engaged, t.messages, t.bot_turns, t.answered, t.clarified, t.fell_back,
      t.handed_off, t.petitions, t.contained, t.feedback_useful, t.feedback_useless]);
    return { head: ["日期"].concat(["会话", "有提问", "消息", "机器人回复", "已解答", "澄清", "未能回答", "转人工", "诉求",
      "独立解决", "有用", "没用"].map(function (x) { return { text: x, num: true }; })), rows: rows, totalFrom: rows.length - 1 };
  }
  function ratesChart(data) {
    var days = data.days || [];
    function series(name, key) {
      return { name: name, type: "line", smooth: true, connectNulls: false,
        data: days.map(function (d) { return d[key] === null ? null : Math.round(d[key] * 1000) / 10; }) };
    }
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
      legend: { top: 0 }, grid: GRID,
      xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [series("独立解决率", "containment_rate"), series("转人工率", "handoff_rate"),
        series("未能回答率", "fallback_rate"), series("澄清率", "clarify_rate")],
      __empty: !days.some(function (d) { return d.engaged; })
    };
  }
  function ratesTable(data) {
    var rows = (data.days || []).map(function (d) {
      return [d.day, d.engaged, pct(d.containment_rate), pct(d.handoff_rate), pct(d.fallback_rate), pct(d.clarify_rate)];
    });
    var t = data.total || {};
    rows.push(["合计", t.engaged, pct(t.containment_rate), pct(t.handoff_rate), pct(t.fallback_rate), pct(t.clarify_rate)]);
    return { head: ["日期", { text: "有提问会话", num: true }, { text: "独立解决率", num: true }, { text: "转人工率", num: true },
      { text: "未能回答率", num: true }, { text: "澄清率", num: true }], rows: rows, totalFrom: rows.length - 1 };
  }
  function reasonsChart(data) {
    var h = data.handoff_reasons || [], f = data.fallback_reasons || [];
    function pie(name, list, key, center) {
      return { name: name, type: "pie", radius: ["32%", "55%"], center: center,
        label: { formatter: "{b}\n{d}%", fontSize: 11 },
        data: list.map(function (r) { return { name: r.label, value: r[key] }; }) };
    }
    return {
      tooltip: { trigger: "item" },
      title: [{ text: "转人工原因", left: "25%", top: 4, textAlign: "center", textStyle: { fontSize: 12, color: "#4b5563" } },
        { text: "未能回答原因", left: "75%", top: 4, textAlign: "center", textStyle: { fontSize: 12, color: "#4b5563" } }],
      series: [pie("转人工原因", h, "conversations", ["25%", "56%"]), pie("未能回答原因", f, "turns", ["75%", "56%"])],
      __empty: !h.length && !f.length
    };
  }
  function reasonsTable(data) {
    var rows = [];
    (data.handoff_reasons || []).forEach(function (r) { rows.push(["转人工", r.label, r.conversations, pct(r.share)]); });
    (data.fallback_reasons || []).forEach(function (r) { rows.push(["未能回答", r.label, r.turns, pct(r.share)]); });
    return { head: ["类别", "原因", { text: "次数", num: true }, { text: "占比", num: true }], rows: rows };
  }
  function intentsChart(data) {
    var list = data.intents || [];
    var opt = catAxisBar(list.map(function (r) { return r.intent; }), [
      { name: "回复次数", data: list.map(function (r) { return r.turns; }) },
      { name: "未能回答/澄清", data: list.map(function (r) { return r.unanswered; }) }]);
    opt.__click = function (p) { var r = list[p.dataIndex]; if (r) openReview({ intent: r.intent }); };
    return opt;
  }
  function intentsTable(data) {
    return { head: ["意图", { text: "回复次数", num: true }, { text: "未能回答/澄清", num: true }, { text: "未答率", num: true },
      { text: "占比", num: true }],
      rows: (data.intents || []).map(function (r) {
        return [r.intent, drillCell(r.turns, { intent: r.intent }), r.unanswered, pct(r.unanswered_rate), pct(r.share)];
      }) };
  }
  function topicsChart(data) {
    var list = data.topics || [];
    var opt = catAxisBar(list.map(function (r) { return r.title; }), [
      { name: "解答次数", data: list.map(function (r) { return r.answers; }) },
      { name: "澄清提供", data: list.map(function (r) { return r.clarify_offers; }) }]);
    opt.__click = function (p) { var r = list[p.dataIndex]; if (r) openReview({ topic: r.topic }); };
    return opt;
  }
  function topicsTable(data) {
    return { head: ["主题", { text: "解答", num: true }, { text: "澄清提供", num: true }, { text: "有用", num: true },
      { text: "没用", num: true }, { text: "占比", num: true }],
      rows: (data.topics || []).map(function (r) {
        return [r.title, drillCell(r.answers, { topic: r.topic }), r.clarify_offers, r.useful, r.useless, pct(r.share)];
      }) };
  }
  function groupFilters(g) {
    var terms = (g.terms || []).slice().sort(function (a, b) { return b.length - a.length; });
    var f = { date_from: g.first_day, date_to: g.last_day };
    if (terms[0] && terms[0].indexOf("*") < 0) f.q = terms[0];
    return f;
  }
  function unansweredChart(data) {
    var list = (data.groups || []).slice(0, 15);
    var opt = catAxisBar(list.map(function (g) { return g.label; }), [
      { name: "未能回答", stack: "n", data: list.map(function (g) { return g.fallbacks; }) },
      { name: "澄清", stack: "n", data: list.map(function (g) { return g.clarifies; }) }], { labelWidth: 220 });
    opt.__click = function (p) { var g = list[p.dataIndex]; if (g) openReview(groupFilters(g)); };
    return opt;
  }
  function unansweredTable(data) {
    return { head: ["问题分组", { text: "次数", num: true }, { text: "未能回答", num: true }, { text: "澄清", num: true },
      "建议知识条目", "示例（点击查看全文）", "期间", "操作"],
      rows: (data.groups || []).map(function (g) {
        var ul = el("ul", "examples");
        (g.examples || []).forEach(function (e) {
          var li = el("li"), b = el("button", "drill", e.text); b.type = "button";
          b.addEventListener("click", function () { openReview({}, e.conversation_id); });
          li.appendChild(b); ul.appendChild(li);
        });
        return [g.label, drillCell(g.count, groupFilters(g)), g.fallbacks, g.clarifies,
          g.suggested_entry ? g.suggested_entry.title : (g.suggested_topic ? g.suggested_topic.title : "—"),
          { node: ul }, g.first_day === g.last_day ? g.first_day : g.first_day + " 至 " + g.last_day,
          { node: fixButton(g) }];
      }) };
  }
  function feedbackChart(data) {
    var list = (data.entries || []).filter(function (e) { return e.rated; }).slice(0, 12);
    return catAxisBar(list.map(function (e) { return e.title; }), [
      { name: "有用", stack: "f", data: list.map(function (e) { return e.useful; }), itemStyle: { color: "#2fa36b" } },
      { name: "没用", stack: "f", data: list.map(function (e) { return e.useless; }), itemStyle: { color: "#c62f2f" } }]);
  }
  function feedbackTable(data) {
    var rows = (data.entries || []).map(function (e) {
      return [e.title + (e.in_knowledge_base ? "" : "（已不在知识库）"), e.topic_title || "—", e.answers, e.useful, e.useless,
        pct(e.useful_rate)];
    });
    var t = data.total || {};
    rows.push(["合计", "", t.answers, t.useful, t.useless, pct(t.useful_rate)]);
    return { head: ["知识条目", "主题", { text: "解答次数", num: true }, { text: "有用", num: true }, { text: "没用", num: true },
      { text: "有用率", num: true }], rows: rows, totalFrom: rows.length - 1 };
  }
  function seatsChart(data) {
    var list = data.seats || [];
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: GRID,
      xAxis: { type: "category", data: list.map(function (s) { return s.name; }) },
      yAxis: [{ type: "value", name: "秒" }, { type: "value", name: "满意度", min: 0, max: 5 }],
      series: [
        { name: "平均首次响应（秒）", type: "bar", barMaxWidth: 22, data: list.map(function (s) { return s.first_response_avg_seconds; }) },
        { name: "平均处理时长（秒）", type: "bar", barMaxWidth: 22, data: list.map(function (s) { return s.handling_avg_seconds; }) },
        { name: "平均满意度", type: "line", yAxisIndex: 1, data: list.map(function (s) { return s.rating_avg; }) }],
      __empty: !list.length
    };
  }
  function seatsTable(data) {
    function row(name, unit, s) {
      return [name, unit, s.conversations, secs(s.wait_avg_seconds), secs(s.first_response_avg_seconds),
        secs(s.handling_avg_seconds), s.ratings, s.rating_avg === null ? "—" : s.rating_avg, pct(s.satisfied_rate)];
    }
    var rows = (data.seats || []).map(function (s) { return row(s.name, s.unit || "—", s); });
    if (data.overall) rows.push(row("全部坐席", "", data.overall));
    return { head: ["坐席", "单位", { text: "会话", num: true }, { text: "平均等待", num: true }, { text: "平均首次响应", num: true },
      { text: "平均处理时长", num: true }, { text: "评价数", num: true }, { text: "平均满意度", num: true },
      { text: "满意率", num: true }], rows: rows, totalFrom: data.overall ? rows.length - 1 : undefined };
  }
  function petitionsChart(data) {
    var list = data.by_category || [];
    var clocks = Object.keys(CLOCKS);
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
      legend: { top: 0 }, grid: GRID,
      xAxis: { type: "category", data: list.map(function (g) { return g.label; }) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: clocks.map(function (c) {
        return { name: CLOCKS[c] + "按期率", type: "bar", barMaxWidth: 22, data: list.map(function (g) {
          var r = g.on_time && g.on_time[c] && g.on_time[c].rate;
          return r === null || r === undefined ? null : Math.round(r * 1000) / 10;
        }) };
      }),
      __empty: !list.length
    };
  }
  function petitionsTable(data) {
    var rows = [];
    function add(dim, g) {
      var o = g.on_time || {};
      rows.push([dim, g.label, g.received, g.handled, g.fed_back, pct(o.handover && o.handover.rate),
        pct(o.handling && o.handling.rate), pct(o.feedback && o.feedback.rate),
        g.avg_handling_days === null || g.avg_handling_days === undefined ? "—" : g.avg_handling_days]);
    }
    (data.by_category || []).forEach(function (g) { add("类别", g); });
    (data.by_channel || []).forEach(function (g) { add("渠道", g); });
    (data.by_unit || []).forEach(function (g) { add("部门", g); });
    var n = rows.length;
    if (data.total) add("合计", Object.assign({ label: "全部" }, data.total));
    ((data.common_demands && data.common_demands.themes) || []).forEach(function (t) {
      rows.push(["共性诉求", t.theme + "（" + (t.keywords || []).join("、") + "）", t.count, "", "", "", "", "", ""]);
    });
    return { head: ["维度", "分组", { text: "受理", num: true }, { text: "办结", num: true }, { text: "已反馈", num: true },
      { text: "转交按期率", num: true }, { text: "办理按期率", num: true }, { text: "反馈按期率", num: true },
      { text: "平均办理天数", num: true }], rows: rows, totalFrom: data.total ? n : undefined };
  }
  var FUNNEL = [["evaluated", "评估企业"], ["targeted", "目标企业"], ["delivered", "已送达"], ["read", "已读"],
    ["answered", "已答复"], ["corrected", "已更正"], ["closed", "已关闭"]];
  function campaignsChart(data) {
    var list = (data.campaigns || []).slice(0, 6);
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: GRID,
      xAxis: { type: "category", data: FUNNEL.map(function (f) { return f[1]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: list.map(function (c) {
        return { name: c.name, type: "bar", barMaxWidth: 22,
          data: FUNNEL.map(function (f) { return (c.funnel || {})[f[0]] || 0; }) };
      }),
      __empty: !list.length
    };
  }
  function campaignsTable(data) {
    return { head: ["活动", "状态"].concat(FUNNEL.map(function (f) { return { text: f[1], num: true }; })),
      rows: (data.campaigns || []).map(function (c) {
        return [c.name, c.status].concat(FUNNEL.map(function (f) { return (c.funnel || {})[f[0]] || 0; }));
      }) };
  }

  // ---------------------------------------------------------------- review
  function reviewFilters() {
    var f = Object.assign(scopeParams(), {
      q: $("r-q").value.trim(), enterprise: $("r-enterprise").value.trim(), intent: $("r-intent").value.trim(),
      topic: $("r-topic").value.trim(), outcome: $("r-outcome").value, tag: $("r-tag").value });
    var r = $("r-rating").value;
    if (r === "rated") f.rated = "true"; else if (r === "unrated") f.rated = "false"; else if (r) f.rating = r;
    return f;
  }
  /* Opens the review list with these filters (dates default to the dashboard's), optionally a transcript. */
  function openReview(filters, conversationId) {
    filters = filters || {};
    $("r-q").value = filters.q || ""; $("r-enterprise").value = filters.enterprise || "";
    $("r-intent").value = filters.intent || ""; $("r-topic").value = filters.topic || "";
    $("r-outcome").value = filters.outcome || ""; $("r-rating").value = ""; $("r-tag").value = filters.tag || "";
    S.review.dates = { date_from: filters.date_from, date_to: filters.date_to };
    if (filters.date_from) $("f-from").value = filters.date_from;
    if (filters.date_to) $("f-to").value = filters.date_to;
    showView("review");
    S.review.page = 1;
    loadReview();
    if (conversationId) openTranscript(conversationId);
  }
  function loadReview() {
    var f = reviewFilters();
    var params = Object.assign({}, f, maskParams(), { page: S.review.page, page_size: 20 });
    csvLink($("r-csv"), "/api/review/conversations?" + query(Object.assign({}, f, maskParams(), { format: "csv" })));
    $("review-summary").textContent = "检索中…";
    api("GET", "/api/review/conversations?" + query(params)).then(function (data) {
      renderReview(data);
    }).catch(function (e) { $("review-summary").textContent = e.detail || "检索失败"; });
  }
  function renderReview(data) {
    var body = $("review-rows");
    clear(body);
    var f = reviewFilters(), parts = [f.date_from + " 至 " + f.date_to, CHANNELS[f.channel] || ""];
    if (f.outcome) parts.push("结果：" + OUTCOMES[f.outcome]);
    if (f.q) parts.push("包含“" + f.q + "”");
    if (f.intent) parts.push("意图：" + f.intent);
    if (f.topic) parts.push("主题：" + f.topic);
    $("review-summary").textContent = "共 " + data.total + (data.total_capped ? "+" : "") + " 个会话 · " + parts.join(" · ") +
      (data.masked ? " · 已脱敏" : " · 未脱敏（已记入审计日志）");
    (data.items || []).forEach(function (c) {
      var tr = el("tr");
      tr.setAttribute("data-id", c.id);
      if (S.current === c.id) tr.className = "selected";
      tr.appendChild(el("td", "num", c.id));
      tr.appendChild(el("td", null, c.day));
      tr.appendChild(el("td", null, CHANNELS[c.channel] || c.channel));
      tr.appendChild(el("td", null, c.enterprise_name || "访客"));
      var q = el("td", "question", c.first_question || "—"); q.title = c.first_question || "";
      tr.appendChild(q);
      var oc = el("td"); oc.appendChild(el("span", "chip chip-" + c.outcome, c.outcome_label || OUTCOMES[c.outcome] || c.outcome));
      tr.appendChild(oc);
      tr.appendChild(el("td", "small", (c.intents || []).join("、")));
      tr.appendChild(el("td", "num", c.rating ? c.rating + " 分" : "—"));
      tr.appendChild(el("td", "small", (c.tags || []).join("、")));
      tr.addEventListener("click", function () { openTranscript(c.id); });
      body.appendChild(tr);
    });
    if (!(data.items || []).length) {
      var er = el("tr"), ed = el("td", "empty", "没有符合条件的会话"); ed.colSpan = 9; er.appendChild(ed); body.appendChild(er);
    }
    $("r-page").textContent = "第 " + data.page + " 页";
    $("r-prev").disabled = data.page <= 1;
    $("r-next").disabled = !data.has_more;
  }
  function openTranscript(id) {
    S.current = id;
    Array.prototype.forEach.call(document.querySelectorAll("#review-rows tr"), function (tr) {
      tr.classList.toggle("selected", String(tr.getAttribute("data-id")) === String(id));
    });
    var extra = query(maskParams());
    api("GET", "/api/review/conversations/" + encodeURIComponent(id) + (extra ? "?" + extra : "")).then(renderTranscript)
      .catch(function (e) { toast(e.detail || "无法打开会话", true); });
  }
  function renderTranscript(data) {
    var c = data.conversation || {};
    S.transcript = data;
    $("transcript-empty").hidden = true; $("transcript").hidden = false;
    $("tr-title").textContent = "会话 #" + c.id + " · " + (c.enterprise_name || "访客");
    var oc = $("tr-outcome"); oc.className = "chip chip-" + c.outcome; oc.textContent = c.outcome_label || OUTCOMES[c.outcome] || "";
    var meta = [c.day, CHANNELS[c.channel] || c.channel];
    if (c.uscc) meta.push(c.uscc);
    if (c.seat && c.seat.name) meta.push("坐席 " + c.seat.name);
    if (c.reason_label) meta.push("转人工原因：" + c.reason_label);
    if (c.rating) meta.push("评价 " + c.rating + " 分" + (c.rating_comment ? "：" + c.rating_comment : ""));
    if (c.petition_ticket) meta.push("诉求 " + c.petition_ticket);
    if (c.summary) meta.push("小结：" + c.summary);
    $("tr-meta").textContent = meta.join(" · ");
    renderTags(c.tags || []);
    var list = $("tr-messages");
    clear(list);
    (data.messages || []).forEach(function (m) { list.appendChild(messageNode(m)); });
    $("transcript-pane").scrollTop = 0;
  }
  function messageNode(m) {
    var li = el("li", "msg msg-" + m.sender + (m.internal ? " msg-internal" : ""));
    li.setAttribute("data-message-id", m.id);
    var time = m.created_at ? new Date(m.created_at).toLocaleString("zh-CN", { hour12: false }) : "";
    li.appendChild(el("div", "msg-meta-line", (m.sender_name || SENDERS[m.sender] || m.sender) + " · " + time +
      (m.internal ? " · 内部备注" : "")));
    li.appendChild(el("div", "bubble", m.text || (m.attachment ? "［附件］" + m.attachment.filename : "")));
    if (m.sender === "bot") {
      var info = el("div", "turn-info");
      if (m.kind) info.appendChild(el("span", "chip chip-" + ({ answer: "answered", fallback: "fell_back",
        clarify: "clarified", handoff: "handed_off", petition_created: "petition" }[m.kind] || "x"), KINDS[m.kind] || m.kind));
      info.appendChild(el("span", "mono", "意图 " + (m.intent || "—")));
      var conf = el("span", "mono" + (m.confidence !== null && m.confidence < 0.6 ? " conf-low" : ""),
        "置信度 " + (m.confidence === null || m.confidence === undefined ? "—" : m.confidence.toFixed(2)));
      info.appendChild(conf);
      if (m.feedback) info.appendChild(el("span", "chip", m.feedback === "useful" ? "用户反馈：有用" : "用户反馈：没用"));
      var btn = el("button", "btn btn-xs mark-btn", m.mark ? "修改标记" : "标记有误");
      btn.type = "button";
      btn.addEventListener("click", function () { openMark(m); });
      info.appendChild(btn);
      li.appendChild(info);
      if (m.envelope) {
        var det = el("details", "envelope");
        det.appendChild(el("summary", null, "回复信封"));
        det.appendChild(el("pre", null, JSON.stringify(m.envelope, null, 2)));
        li.appendChild(det);
      }
      if (m.mark) li.appendChild(markNode(m.mark));
    }
    return li;
  }
  function markNode(mark) {
    var parts = ["已标记有误"];
    if (mark.correct_intent) parts.push("正确意图 " + mark.correct_intent);
    if (mark.correct_entry_id) parts.push("正确条目 " + mark.correct_entry_id);
    if (mark.correct_topic) parts.push("正确主题 " + mark.correct_topic);
    if (mark.note) parts.push("说明：" + mark.note);
    if (mark.marked_by && mark.marked_by.name) parts.push("标记人 " + mark.marked_by.name);
    var box = el("div", "mark-box");
    box.appendChild(el("span", null, parts.join(" · ")));
    if ((mark.improvement_ids || []).length) box.appendChild(el("span", "chip", "已起草改进 #" + mark.improvement_ids.join("、#")));
    var btn = el("button", "btn btn-xs improve-btn", "起草改进");
    btn.type = "button";
    btn.addEventListener("click", function () {
      openImprove({ text: mark.user_text || "", source_mark_id: mark.id, entry_id: mark.correct_entry_id,
        intent: mark.correct_intent, kind: !mark.correct_entry_id && mark.correct_intent ? "nlu_example" : "question_variant",
        origin: "来自标记有误的回复（消息 #" + mark.message_id + "）" });
    });
    box.appendChild(btn);
    return box;
  }
  function renderTags(tags) {
    var host = $("tr-tags");
    clear(host);
    if (!tags.length) host.appendChild(el("span", "muted small", "无"));
    tags.forEach(function (t) {
      var chip = el("span", "tag", t), x = el("button", null, "×");
      x.type = "button"; x.title = "移除标签"; x.setAttribute("aria-label", "移除标签 " + t);
      x.addEventListener("click", function () { changeTags([], [t]); });
      chip.appendChild(x); host.appendChild(chip);
    });
  }
  function changeTags(add, remove) {
    var id = S.current;
    api("POST", "/api/review/conversations/" + id + "/tags", { add: add, remove: remove }).then(function (data) {
      renderTags(data.tags || []);
      $("tag-input").value = "";
      var row = document.querySelector('#review-rows tr[data-id="' + id + '"] td:last-child');
      if (row) row.textContent = (data.tags || []).join("、");
      loadTags();
    }).catch(function (e) { toast(e.detail || "标签保存失败", true); });
  }
  function loadTags() {
    api("GET", "/api/review/tags").then(function (data) {
      var sel = $("r-tag"), keep = sel.value, opts = $("tag-options");
      while (sel.options.length > 1) sel.remove(1);
      clear(opts);
      (data.tags || []).forEach(function (t) {
        var o = el("option", null, t.tag + "（" + t.conversations + "）"); o.value = t.tag; sel.appendChild(o);
        var d = el("option"); d.value = t.tag; opts.appendChild(d);
      });
      sel.value = keep;
    }).catch(function () { /* the list works without it */ });
  }
  function openMark(m) {
    S.markTarget = m;
    $("mark-quote").textContent = m.text || "";
    var mk = m.mark || {};
    $("mark-intent").value = mk.correct_intent || ""; $("mark-entry").value = mk.correct_entry_id || "";
    $("mark-topic").value = mk.correct_topic || ""; $("mark-note").value = mk.note || "";
    $("mark-error").hidden = true;
    $("mark-backdrop").hidden = false;
    $("mark-intent").focus();
  }
  function saveMark(ev) {
    ev.preventDefault();
    var body = {};
    [["correct_intent", "mark-intent"], ["correct_entry_id", "mark-entry"], ["correct_topic", "mark-topic"],
      ["note", "mark-note"]].forEach(function (p) { var v = $(p[1]).value.trim(); if (v) body[p[0]] = v; });
    if (!Object.keys(body).length) {
      $("mark-error").textContent = "请至少填写一项：正确的意图、知识条目、主题或说明"; $("mark-error").hidden = false; return;
    }
    api("POST", "/api/review/messages/" + S.markTarget.id + "/mark", body).then(function () {
      $("mark-backdrop").hidden = true;
      toast("已保存标记");
      openTranscript(S.current);
    }).catch(function (e) { $("mark-error").textContent = e.detail || "保存失败"; $("mark-error").hidden = false; });
  }

  // ---------------------------------------------------------------- improvements
  function fixButton(g) {
    var b = el("button", "btn btn-xs fix-btn", "修复"), example = typicalExample(g.examples || []);
    b.type = "button";
    b.title = "把这个问题的说法加入知识库或训练数据";
    b.addEventListener("click", function () {
      openImprove({ text: example.text || "", source_message_id: example.user_message_id || null,
        source_group: g.group_id, entry_id: g.suggested_entry && g.suggested_entry.entry_id,
        kind: "question_variant", origin: "来自未能回答的问题分组：" + g.label + "（" + g.count + " 次）" });
    });
    return b;
  }
  /* The wording to learn: the shortest example with nothing masked in it (a masked phone is no training data). */
  function typicalExample(examples) {
    var clean = examples.filter(function (e) { return e.text && e.text.indexOf("*") < 0; });
    return (clean.length ? clean : examples).slice().sort(function (a, b) {
      return (a.text || "").length - (b.text || "").length; })[0] || {};
  }
  function improvementText(i) {
    var p = i.payload || {};
    if (i.kind === "nlu_example") return "“" + p.text + "” → 意图 " + p.intent;
    if (i.kind === "question_variant") return "“" + p.text + "” → 知识条目 " + p.entry_id;
    var e = p.entry || {};
    return e.title + "（" + e.id + "，问法 " + (e.questions || []).length + " 个）";
  }
  function when(iso) { return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : ""; }
  function loadImprovements() {
    $("imp-page").textContent = "加载中…";
    api("GET", "/api/improvements?" + query({ status: S.imp.status, page: S.imp.page, page_size: 20 }))
      .then(renderImprovements).catch(function (e) { $("imp-page").textContent = e.detail || "加载失败"; });
    api("GET", "/api/knowledge/attention").then(renderAttention)
      .catch(function (e) { toast(e.detail || "无法读取需要关注的条目", true); });
  }
  function renderImprovements(data) {
    var body = $("imp-rows");
    clear(body);
    (data.items || []).forEach(function (i) {
      var tr = el("tr");
      tr.setAttribute("data-id", i.id);
      tr.appendChild(el("td", "num", i.id));
      tr.appendChild(el("td", null, IMP_KINDS[i.kind] || i.kind));
      var what = el("td", "improve-what");
      what.appendChild(el("div", null, improvementText(i)));
      if (i.note) what.appendChild(el("div", "muted small", "备注：" + i.note));
      tr.appendChild(what);
      tr.appendChild(el("td", "small", ((i.created_by && i.created_by.name) || "") + " " + when(i.created_at)));
      var decided = el("td", "small");
      if (i.status === "approved") {
        decided.appendChild(el("div", null, "已通过 · " + ((i.approved_by && i.approved_by.name) || "") + " " + when(i.approved_at)));
        decided.appendChild(el("div", "mono", "写入 " + (i.applied_file || "")));
      } else if (i.status === "rejected") {
        decided.appendChild(el("div", null, "已驳回 · " + ((i.rejected_by && i.rejected_by.name) || "") + " " + when(i.rejected_at)));
        if (i.decision_note) decided.appendChild(el("div", "muted", "理由：" + i.decision_note));
      } else decided.textContent = "待审核";
      tr.appendChild(decided);
      tr.appendChild(decisionCell(i));
      body.appendChild(tr);
    });
    if (!(data.items || []).length) {
      var er = el("tr"), ed = el("td", "empty", "没有" + ({ draft: "待审核的草稿", approved: "已通过的改进",
        rejected: "已驳回的改进" }[S.imp.status] || "记录")); ed.colSpan = 6; er.appendChild(ed); body.appendChild(er);
    }
    $("imp-page").textContent = "第 " + data.page + " 页 · 共 " + data.total + " 项";
    $("imp-prev").disabled = data.page <= 1;
    $("imp-next").disabled = data.page * data.page_size >= data.total;
  }
  /* Approve / reject for drafts; the editor of a draft cannot approve it (the API says so too) unless admin. */
  function decisionCell(i) {
    var td = el("td", "actions");
    if (i.status !== "draft") return td;
    var own = i.created_by && S.staff && i.created_by.staff_id === S.staff.id && S.staff.role !== "admin";
    var ok = el("button", "btn btn-xs btn-primary approve-btn", "审核通过"), no = el("button", "btn btn-xs reject-btn", "驳回");
    ok.type = no.type = "button";
    if (own) { ok.disabled = true; ok.title = "不能审核自己起草的修改，请由其他运营人员审核"; }
    ok.addEventListener("click", function () { decide(i, "approve", null); });
    no.addEventListener("click", function () {
      clear(td);
      var reason = el("input"); reason.type = "text"; reason.maxLength = 200; reason.placeholder = "驳回理由（可不填）";
      reason.className = "reject-note";
      var confirm = el("button", "btn btn-xs reject-ok", "确认驳回"); confirm.type = "button";
      confirm.addEventListener("click", function () { decide(i, "reject", { note: reason.value.trim() || null }); });
      td.appendChild(reason); td.appendChild(confirm);
      reason.focus();
    });
    td.appendChild(ok); td.appendChild(no);
    if (own) td.appendChild(el("div", "muted small", "需由其他运营人员审核"));
    return td;
  }
  function decide(i, action, body) {
    api("POST", "/api/improvements/" + i.id + "/" + action, body).then(function (d) {
      if (action === "approve") {
        toast("已审核通过，写入 " + d.applied_file + "。知识库即时生效；执行 " + d.retrain + " 后机器人能识别新的说法");
      } else toast("已驳回");
      loadImprovements();
    }).catch(function (e) { toast(e.detail || "操作失败", true); });
  }
  function renderAttention(data) {
    var body = $("att-rows");
    clear(body);
    (data.entries || []).forEach(function (e) {
      var tr = el("tr");
      tr.setAttribute("data-entry", e.entry_id);
      var title = el("td");
      title.appendChild(el("div", null, e.title));
      title.appendChild(el("div", "mono muted small", e.entry_id));
      tr.appendChild(title);
      tr.appendChild(el("td", "small", e.topic_title || e.topic));
      tr.appendChild(el("td", "small nowrap", (e.valid_from || "—") + "\n至 " + (e.valid_until || "长期")));
      var why = el("td");
      (e.reasons || []).forEach(function (r) { why.appendChild(el("span", "chip chip-" + r, ATTENTION[r] || r)); });
      tr.appendChild(why);
      tr.appendChild(el("td", "mono small", e.file));
      body.appendChild(tr);
    });
    if (!(data.entries || []).length) {
      var er = el("tr"), ed = el("td", "empty", "没有需要关注的条目"); ed.colSpan = 5; er.appendChild(ed); body.appendChild(er);
    }
  }

  function ensureOptions() {
    if (S.imp.options) return Promise.resolve(S.imp.options);
    return api("GET", "/api/improvements/options").then(function (o) {
      S.imp.options = o;
      var intent = $("imp-intent"), topic = $("ne-topic");
      clear(intent); clear(topic);
      intent.appendChild(el("option", null, "请选择意图")).value = "";
      (o.intents || []).forEach(function (name) { intent.appendChild(el("option", null, name)).value = name; });
      topic.appendChild(el("option", null, "请选择主题")).value = "";
      (o.topics || []).forEach(function (t) { topic.appendChild(el("option", null, t.title + "（" + t.id + "）")).value = t.id; });
      $("imp-retrain-cmd").textContent = o.retrain || "make retrain";
      return o;
    });
  }
  function chosenKind() {
    var c = document.querySelector('input[name="imp-kind"]:checked');
    return c ? c.value : "question_variant";
  }
  function setKind(kind) {
    Array.prototype.forEach.call(document.querySelectorAll('input[name="imp-kind"]'), function (r) { r.checked = r.value === kind; });
    ["question_variant", "nlu_example", "new_entry"].forEach(function (k) { $("imp-pane-" + k).hidden = k !== kind; });
    $("imp-text-field").hidden = kind === "new_entry";
  }
  /* The dialog for a new improvement; `draft` carries the utterance and where it came from. */
  function openImprove(draft) {
    ensureOptions().then(function () {
      S.imp.draft = draft; S.imp.entry = draft.entry_id || null;
      $("imp-origin").textContent = draft.origin || "";
      $("imp-text").value = draft.text || "";
      $("imp-note").value = "";
      $("imp-intent").value = draft.intent || "";
      ["ne-id", "ne-title", "ne-answer", "ne-source-title", "ne-source-no", "ne-from", "ne-until"].forEach(function (id) { $(id).value = ""; });
      $("ne-topic").value = "";
      $("ne-questions").value = draft.text || "";
      $("imp-error").hidden = true;
      $("imp-entry-q").value = draft.entry_id || draft.text || "";
      clear($("imp-entry-list"));
      setKind(draft.kind || "question_variant");
      $("imp-backdrop").hidden = false;
      searchEntries();
      (draft.kind === "new_entry" ? $("ne-id") : $("imp-text")).focus();
    }).catch(function (e) { toast(e.detail || "无法打开起草窗口", true); });
  }
  function searchEntries() {
    var q = $("imp-entry-q").value.trim(), list = $("imp-entry-list");
    if (!q) { clear(list); return; }
    api("GET", "/api/knowledge/entries?" + query({ q: q })).then(function (entries) {
      clear(list);
      if (!entries.length) list.appendChild(el("li", "muted small", "没有找到相关条目，可以改用“起草新知识条目”"));
      entries.forEach(function (e) {
        var li = el("li"), label = el("label"), radio = el("input");
        radio.type = "radio"; radio.name = "imp-entry"; radio.value = e.entry_id;
        radio.checked = S.imp.entry === e.entry_id;
        radio.addEventListener("change", function () { S.imp.entry = e.entry_id; });
        label.appendChild(radio);
        label.appendChild(el("strong", null, e.title));
        label.appendChild(el("span", "mono muted small", " " + e.entry_id + " · " + (e.topic_title || e.topic)));
        li.appendChild(label);
        if ((e.questions || []).length) li.appendChild(el("div", "muted small", "现有问法：" + e.questions.join("；")));
        list.appendChild(li);
      });
    }).catch(function (e) { clear(list); list.appendChild(el("li", "form-error", e.detail || "检索失败")); });
  }
  function improveBody() {
    var kind = chosenKind(), d = S.imp.draft || {}, text = $("imp-text").value.trim();
    var body = { kind: kind, note: $("imp-note").value.trim() || null, source_message_id: d.source_message_id || null,
      source_mark_id: d.source_mark_id || null, source_group: d.source_group || null };
    if (kind !== "new_entry" && !text) return "请填写用户的说法";
    if (kind === "question_variant") {
      if (!S.imp.entry) return "请选择要归入的知识条目";
      body.text = text; body.entry_id = S.imp.entry;
    } else if (kind === "nlu_example") {
      if (!$("imp-intent").value) return "请选择意图";
      body.text = text; body.intent = $("imp-intent").value;
    } else {
      var questions = $("ne-questions").value.split("\n").map(function (q) { return q.trim(); }).filter(Boolean);
      var entry = { id: $("ne-id").value.trim(), topic: $("ne-topic").value, title: $("ne-title").value.trim(),
        answer: $("ne-answer").value.trim(), valid_from: $("ne-from").value || null, valid_until: $("ne-until").value || null,
        questions: questions, sources: [{ title: $("ne-source-title").value.trim(), doc_no: $("ne-source-no").value.trim() || null }] };
      if (!entry.id || !entry.topic || !entry.title || !entry.answer || !entry.sources[0].title || !questions.length) {
        return "请填写条目编号、主题、标题、答复、依据文件标题和至少一个问法";
      }
      body.entry = entry;
    }
    return body;
  }
  function saveImprove(ev) {
    ev.preventDefault();
    var body = improveBody(), err = $("imp-error");
    if (typeof body === "string") { err.textContent = body; err.hidden = false; return; }
    $("imp-ok").disabled = true;
    api("POST", "/api/improvements", body).then(function (i) {
      $("imp-backdrop").hidden = true;
      toast("草稿 #" + i.id + " 已保存，等待其他运营人员审核");
      if (S.view === "improve") loadImprovements();
    }).catch(function (e) { err.textContent = e.detail || "保存失败"; err.hidden = false; })
      .then(function () { $("imp-ok").disabled = false; });
  }
  function showImprovements(status) {
    S.imp.status = status || S.imp.status; S.imp.page = 1;
    Array.prototype.forEach.call(document.querySelectorAll(".seg [data-status]"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-status") === S.imp.status);
    });
    showView("improve");
    loadImprovements();
  }

  // ---------------------------------------------------------------- wiring
  function setDays(n) {
    var to = new Date(), from = new Date(); from.setDate(to.getDate() - (n - 1));
    $("f-from").value = isoDay(from); $("f-to").value = isoDay(to);
  }
  function init() {
    setDays(30);
    buildCards();
    $("login-form").addEventListener("submit", onLogin);
    $("btn-logout").addEventListener("click", function () { logout(); });
    $("tab-charts").addEventListener("click", function () { showView("charts"); });
    $("tab-review").addEventListener("click", function () { showView("review"); S.review.page = 1; loadReview(); });
    $("filters").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (S.view === "review") { S.review.page = 1; loadReview(); } else loadCharts();
    });
    Array.prototype.forEach.call(document.querySelectorAll(".quick [data-days]"), function (b) {
      b.addEventListener("click", function () {
        setDays(Number(b.getAttribute("data-days")));
        if (S.view === "review") loadReview(); else loadCharts();
      });
    });
    $("review-form").addEventListener("submit", function (ev) { ev.preventDefault(); S.review.page = 1; loadReview(); });
    $("r-reset").addEventListener("click", function () { openReview({}); });
    $("r-csv").addEventListener("click", downloadCsv);
    $("r-prev").addEventListener("click", function () { if (S.review.page > 1) { S.review.page -= 1; loadReview(); } });
    $("r-next").addEventListener("click", function () { S.review.page += 1; loadReview(); });
    $("tag-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var t = $("tag-input").value.trim();
      if (t) changeTags([t], []);
    });
    $("mark-dialog").addEventListener("submit", saveMark);
    $("tab-improve").addEventListener("click", function () { showImprovements(); });
    Array.prototype.forEach.call(document.querySelectorAll(".seg [data-status]"), function (b) {
      b.addEventListener("click", function () { showImprovements(b.getAttribute("data-status")); });
    });
    $("imp-prev").addEventListener("click", function () { if (S.imp.page > 1) { S.imp.page -= 1; loadImprovements(); } });
    $("imp-next").addEventListener("click", function () { S.imp.page += 1; loadImprovements(); });
    $("imp-new").addEventListener("click", function () { openImprove({ kind: "new_entry", origin: "新知识条目" }); });
    Array.prototype.forEach.call(document.querySelectorAll('input[name="imp-kind"]'), function (r) {
      r.addEventListener("change", function () { setKind(chosenKind()); });
    });
    $("imp-entry-q").addEventListener("input", function () {
      clearTimeout(S.imp.searchTimer); S.imp.searchTimer = setTimeout(searchEntries, 250);
    });
    $("imp-dialog").addEventListener("submit", saveImprove);
    $("imp-cancel").addEventListener("click", function () { $("imp-backdrop").hidden = true; });
    $("unmask").addEventListener("change", function () {
      S.unmasked = $("unmask").checked;
      if (S.unmasked) toast("已显示未脱敏信息，查看记录将写入审计日志");
      if (S.view === "review") { loadReview(); if (S.current) openTranscript(S.current); } else if (S.view === "charts") loadCharts();
    });
    $("mark-cancel").addEventListener("click", function () { $("mark-backdrop").hidden = true; });
    window.addEventListener("resize", function () { Object.keys(S.charts).forEach(function (k) { S.charts[k].resize(); }); });
    try {
      S.token = sessionStorage.getItem(TOKEN_KEY);
      S.staff = JSON.parse(sessionStorage.getItem(STAFF_KEY) || "null");
    } catch (e) { S.token = null; }
    if (S.token && S.staff && ROLES[S.staff.role]) startApp(); else showLogin();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
