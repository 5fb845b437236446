/* 坐席工作台 (staff console) — plain JS, no framework, no build step.
 *
 * Protocol: docs/hub.md (console WebSocket /ws/console and the /api/seats REST routes).
 * Every piece of text that comes from a user, a member of staff or the API is inserted with
 * textContent / createTextNode, never as HTML.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- constants
  var TOKEN_KEY = "taxConsole.token";
  var STAFF_KEY = "taxConsole.staff";
  var SELECTED_KEY = "taxConsole.selected";
  var EXPIRES_KEY = "taxConsole.expires";
  var PING_MS = 15000;
  var TYPING_SEND_MS = 3000;
  var TYPING_SHOW_MS = 5000;
  var TOAST_MS = 4500;

  var REASONS = {
    user_request: "用户要求转人工",
    bot_failed: "智能助手未能解答",
    escalated: "干部升级至专家",
    topic: "需人工办理的事项"
  };
  var MODES = { bot: "智能助手", queued: "排队中", human: "人工服务中", closed: "已结束" };
  var TIERS = { staff: "税务干部", expert: "税务专家" };
  var BADGES = { staff: "税务干部", expert: "税务专家" };
  var PRESENCE = { online: "在线", busy: "忙碌", away: "离开", offline: "离线" };
  var KINDS = {
    answer: "知识解答", clarify: "澄清", fallback: "未能理解", refuse: "拒绝", smalltalk: "寒暄",
    handoff: "转人工", form: "表单", petition_created: "诉求已登记", petition_status: "诉求进度",
    reminder: "提醒", credit: "纳税信用"
  };
  var CATEGORIES = ["政策落实类", "执法规范类", "纳税服务类", "信息化建设类", "法律救济类", "其他"];
  var PETITION_STATUS = {
    registered: "已受理登记", handed_over: "已转交纳税服务部门", assigned: "已转交办理部门",
    in_progress: "办理中", resolved: "已办结", fed_back: "已反馈", visited: "已回访", closed: "已关闭"
  };
  var REMINDER_TYPES = { policy: "政策提醒", risk: "风险提示", credit: "信用修复" };
  var REMINDER_STATUS = {
    created: "已生成", delivered: "已送达", read: "已读", answered: "已答复", closed: "已关闭"
  };
  var NOTIF_KINDS = { due_soon: "即将到期", overdue: "已超期", escalated: "督办" };
  var FIELD_LABELS = {
    name: "名称", uscc: "统一社会信用代码", kind: "类型", industry: "行业", region: "地区",
    district: "区县", address: "地址", taxpayer_type: "纳税人类型", registered_at: "登记日期",
    established: "成立日期", established_at: "成立日期", legal_representative: "法定代表人",
    employees: "从业人数", headcount: "从业人数", assets: "资产总额", total_assets: "资产总额",
    annual_revenue: "年销售额", revenue: "销售额", taxable_income: "应纳税所得额", scale: "规模",
    small_low_profit: "小型微利企业", small_scale: "小规模纳税人", tax_authority: "主管税务机关",
    unit: "主管税务机关", contact_phone: "联系电话", phone: "联系电话", contact: "联系人",
    credit_level: "信用等级", level: "等级", year: "年度", status: "状态", category: "分类",
    ticket: "编号", due_date: "办理期限", created_at: "时间", date: "日期", mode: "方式",
    summary: "小结", rating: "评价", title: "标题", topic: "主题", type: "类型", points: "扣分",
    reason: "原因", item: "事项", repairable: "可修复", description: "说明", content: "内容"
  };
  var SECTION_TITLES = {
    key_facts: "关键信息", details: "详细信息",
    identity: "企业身份", profile: "基本信息", credit: "纳税信用", reminders: "提醒",
    petitions: "诉求", conversations: "历史会话", past_conversations: "历史会话", history: "历史会话",
    filings: "申报记录", risks: "风险提示", risk_findings: "风险提示"
  };

  // ---------------------------------------------------------------- state
  var S = {
    token: null,
    staff: null,          // from /api/auth/token or /api/auth/me
    seat: null,           // from the WebSocket hello
    queue: [],            // summaries
    queueReceivedAt: 0,
    queueKnown: null,     // ids seen in the queue (null before the first list)
    mine: [],             // summaries
    gotHello: false,
    selectedId: null,
    selected: null,       // summary of the selected conversation
    messages: [],         // messages of the selected conversation, sorted by id
    pending: [],          // {client_id, text, failed}
    maxId: 0,
    loadSeq: 0,
    readTimer: null,
    lastReadSent: {},     // conversation id -> message id
    typingTimer: null,
    lastTypingSent: 0,
    notifications: [],
    notifUnread: 0,
    ws: null,
    wsWanted: false,
    wsAttempt: 0,
    wsRetryTimer: null,
    pingTimer: null,
    hadConnection: false,
    blobs: {},            // attachment url -> Promise<objectURL>
    composing: false,
    dialog: null
  };

  // ---------------------------------------------------------------- helpers
  function $(id) { return document.getElementById(id); }

  /** Builds an element. Text goes in with textContent only. */
  function el(tag, opts, children) {
    var node = document.createElement(tag);
    opts = opts || {};
    if (opts.cls) node.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.title) node.title = String(opts.title);
    if (opts.attrs) {
      Object.keys(opts.attrs).forEach(function (k) {
        if (opts.attrs[k] !== undefined && opts.attrs[k] !== null) node.setAttribute(k, String(opts.attrs[k]));
      });
    }
    if (opts.data) {
      Object.keys(opts.data).forEach(function (k) {
        if (opts.data[k] !== undefined && opts.data[k] !== null) node.dataset[k] = String(opts.data[k]);
      });
    }
    if (opts.on) {
      Object.keys(opts.on).forEach(function (k) { node.addEventListener(k, opts.on[k]); });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function isBlank(v) {
    return v === null || v === undefined || v === "" ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
  }

  function uuid() {
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var fmtTime, fmtDay, fmtDateTime;
  (function () {
    function make(o) {
      try { return new Intl.DateTimeFormat("zh-CN", Object.assign({ timeZone: "Asia/Shanghai" }, o)); }
      catch (e) { return new Intl.DateTimeFormat("zh-CN", o); }
    }
    var t = make({ hour: "2-digit", minute: "2-digit", hour12: false });
    var d = make({ year: "numeric", month: "2-digit", day: "2-digit" });
    var dt = make({ month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
    function wrap(f) {
      return function (iso) {
        if (!iso) return "";
        var x = new Date(iso);
        if (isNaN(x.getTime())) return String(iso);
        return f.format(x);
      };
    }
    fmtTime = wrap(t); fmtDay = wrap(d); fmtDateTime = wrap(dt);
  })();

  function mmss(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
  }

  function fmtSize(n) {
    if (typeof n !== "number") return "";
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(0) + " KB";
    return (n / 1024 / 1024).toFixed(1) + " MB";
  }

  function label(map, key) {
    if (key === null || key === undefined || key === "") return "";
    return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : String(key);
  }

  function displayValue(v) {
    if (v === null || v === undefined || v === "") return "—";
    if (v === true) return "是";
    if (v === false) return "否";
    if (Array.isArray(v)) return v.map(displayValue).join("、");
    if (typeof v === "object") {
      return Object.keys(v).map(function (k) { return label(FIELD_LABELS, k) + "：" + displayValue(v[k]); }).join("；");
    }
    return String(v);
  }

  function reasonText(c) {
    if (!c || !c.reason) return "";
    if (Object.prototype.hasOwnProperty.call(REASONS, c.reason)) return REASONS[c.reason];
    return c.reason_label || String(c.reason);
  }

  function convName(c) {
    if (!c) return "";
    return c.enterprise_name || c.visitor || "访客";
  }

  // ---------------------------------------------------------------- toast
  function toast(text, kind) {
    var box = $("toast");
    var item = el("div", { cls: "toast-item" + (kind ? " toast-" + kind : ""), text: text, attrs: { role: "status" } });
    box.appendChild(item);
    setTimeout(function () {
      item.classList.add("leaving");
      setTimeout(function () { if (item.parentNode) item.parentNode.removeChild(item); }, 400);
    }, TOAST_MS);
  }

  // ---------------------------------------------------------------- HTTP
  function ApiError(status, detail, body) {
    this.status = status; this.detail = detail; this.body = body;
    this.message = detail;
  }

  function detailText(status, body) {
    if (body && typeof body.detail === "string" && body.detail) return body.detail;
    if (body && Array.isArray(body.detail) && body.detail.length) {
      return "请求内容不符合要求：" + body.detail.map(function (d) { return d && d.msg ? d.msg : String(d); }).join("；");
    }
    if (status === 401) return "登录已过期，请重新登录";
    if (status === 403) return "没有权限执行此操作";
    if (status === 404) return "请求的内容不存在";
    if (status === 409) return "操作冲突，请刷新后重试";
    if (status === 413) return "文件过大";
    if (status === 429) return "操作过于频繁，请稍后再试";
    if (status >= 500) return "服务暂时不可用，请稍后重试（HTTP " + status + "）";
    return "请求失败（HTTP " + status + "）";
  }

  /** fetch with the bearer token; JSON in and out; a 401 sends the seat back to the login. */
  function api(method, path, body, opts) {
    opts = opts || {};
    var headers = { "Accept": "application/json" };
    if (S.token) headers["Authorization"] = "Bearer " + S.token;
    var init = { method: method, headers: headers, cache: "no-store" };
    if (body !== undefined && body !== null) {
      if (body instanceof URLSearchParams) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        init.body = body.toString();
      } else {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    return fetch(path, init).then(function (resp) {
      return resp.text().then(function (raw) {
        var data = null;
        if (raw) { try { data = JSON.parse(raw); } catch (e) { data = null; } }
        if (!resp.ok) {
          if (resp.status === 401 && !opts.noAuthRedirect) expireSession();
          throw new ApiError(resp.status, detailText(resp.status, data), data);
        }
        return data;
      });
    }, function () {
      throw new ApiError(0, "网络连接失败，请检查网络后重试", null);
    });
  }

  function listOf(data, keys) {
    if (Array.isArray(data)) return data;
    if (data && typeof data === "object") {
      for (var i = 0; i < keys.length; i++) if (Array.isArray(data[keys[i]])) return data[keys[i]];
    }
    return [];
  }

  // ---------------------------------------------------------------- session
  function showLogin(message) {
    document.body.classList.remove("view-app");
    document.body.classList.add("view-login");
    $("app").hidden = true;
    $("login-view").hidden = false;
    var err = $("login-error");
    if (message) { err.textContent = message; err.hidden = false; } else { err.hidden = true; }
    $("login-submit").disabled = false;
    setTimeout(function () { ($("username").value ? $("password") : $("username")).focus(); }, 0);
  }

  function showApp() {
    document.body.classList.remove("view-login");
    document.body.classList.add("view-app");
    $("login-view").hidden = true;
    $("app").hidden = false;
  }

  function resetState() {
    stopSocket();
    Object.keys(S.blobs).forEach(function (k) {
      S.blobs[k].then(function (u) { if (u) URL.revokeObjectURL(u); }, function () {});
    });
    S.blobs = {};
    S.staff = null; S.seat = null; S.queue = []; S.queueKnown = null; S.mine = []; S.gotHello = false;
    S.selectedId = null; S.selected = null; S.messages = []; S.pending = []; S.maxId = 0;
    S.notifications = []; S.notifUnread = 0; S.lastReadSent = {}; S.hadConnection = false;
    closeDialog();
  }

  function logout(message) {
    S.token = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(STAFF_KEY);
      sessionStorage.removeItem(SELECTED_KEY);
      sessionStorage.removeItem(EXPIRES_KEY);
    } catch (e) { /* storage may be unavailable */ }
    resetState();
    renderAll();
    showLogin(message);
  }

  var expiring = false;
  function expireSession() {
    if (expiring || !S.token) return;
    expiring = true;
    logout("登录已过期，请重新登录");
    expiring = false;
  }

  function onLoginSubmit(ev) {
    ev.preventDefault();
    var user = $("username").value.trim(), pass = $("password").value;
    var err = $("login-error");
    if (!user || !pass) {
      err.textContent = "请输入用户名和密码"; err.hidden = false; return;
    }
    err.hidden = true;
    $("login-submit").disabled = true;
    $("login-submit").textContent = "登录中…";
    var form = new URLSearchParams();
    form.set("username", user); form.set("password", pass);
    api("POST", "/api/auth/token", form, { noAuthRedirect: true }).then(function (data) {
      if (!data || !data.access_token) throw new ApiError(0, "登录失败：服务未返回令牌", null);
      var role = data.staff && data.staff.role;
      if (role && role !== "staff" && role !== "expert") {
        throw new ApiError(403, "此账号不是坐席（税务干部或税务专家），不能使用坐席工作台", null);
      }
      S.token = data.access_token;
      S.staff = data.staff || null;
      try {
        if (typeof data.expires_in === "number") {
          sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + data.expires_in * 1000));
        }
        sessionStorage.setItem(TOKEN_KEY, S.token);
        if (S.staff) sessionStorage.setItem(STAFF_KEY, JSON.stringify(S.staff));
      } catch (e) { /* ignore */ }
      $("password").value = "";
      startApp();
    }).catch(function (e) {
      err.textContent = e.detail || "登录失败，请稍后重试";
      err.hidden = false;
    }).then(function () {
      $("login-submit").disabled = false;
      $("login-submit").textContent = "登录";
    });
  }

  var expiryTimer = null;

  /** Logs out when the token's lifetime (expires_in at login) runs out, before a request fails. */
  function watchExpiry() {
    clearTimeout(expiryTimer);
    var at = null;
    try { at = Number(sessionStorage.getItem(EXPIRES_KEY)) || null; } catch (e) { /* ignore */ }
    if (!at) return true;
    var left = at - Date.now();
    if (left <= 0) { expireSession(); return false; }
    expiryTimer = setTimeout(expireSession, Math.min(left, 2147483000));
    return true;
  }

  function startApp() {
    if (!watchExpiry()) return;
    showApp();
    renderAll();
    if (!S.staff) {
      api("GET", "/api/auth/me").then(function (me) {
        if (me) {
          S.staff = me;
          try { sessionStorage.setItem(STAFF_KEY, JSON.stringify(me)); } catch (e) { /* ignore */ }
          renderSeat();
        }
      }).catch(function (e) { console.warn("auth/me", e.detail); });
    }
    api("GET", "/api/seats/me").then(function (me) {
      if (me && typeof me === "object") {
        me = Object.assign({}, me.seat || me);
        if (S.gotHello) delete me.status;  // the socket's hello is newer
        S.seat = Object.assign({}, S.seat || {}, me);
        renderSeat();
      }
    }).catch(function (e) { console.warn("seats/me", e.detail); });
    api("GET", "/api/seats/queue").then(function (data) {
      if (!S.gotHello) setQueue(listOf(data, ["queue", "items", "conversations"]), false);
    }).catch(function (e) { console.warn("seats/queue", e.detail); });
    api("GET", "/api/seats/conversations").then(function (data) {
      if (!S.gotHello) setMine(listOf(data, ["mine", "items", "conversations"]));
    }).catch(function (e) { console.warn("seats/conversations", e.detail); });
    loadNotifications();
    startSocket();
    var remembered = null;
    try { remembered = sessionStorage.getItem(SELECTED_KEY); } catch (e) { /* ignore */ }
    if (remembered && !S.selectedId) selectConversation(Number(remembered) || remembered);
  }

  // ---------------------------------------------------------------- seat / top bar
  function myRole() {
    return (S.seat && S.seat.role) || (S.staff && S.staff.role) || "staff";
  }
  function myName() {
    return (S.seat && S.seat.name) || (S.staff && S.staff.display_name) || (S.staff && S.staff.username) || "";
  }
  function myId() {
    return (S.seat && S.seat.id) || (S.staff && S.staff.id) || null;
  }

  function renderSeat() {
    $("seat-name").textContent = myName() || "坐席";
    var role = myRole();
    var badge = $("seat-badge");
    badge.textContent = (S.seat && S.seat.badge) || BADGES[role] || (S.staff && S.staff.role_label) || "";
    badge.className = "badge " + (role === "expert" ? "badge-expert" : "badge-staff");
    badge.hidden = !badge.textContent;
    var unit = (S.staff && S.staff.unit && S.staff.unit.name) || (S.seat && S.seat.unit_name);
    $("seat-unit").textContent = unit || "";
    if (S.seat && S.seat.status) setPresenceUI(S.seat.status);
    updateActions();
  }

  function setPresenceUI(status) {
    var sel = $("presence");
    if (status === "offline") status = "away";
    if (PRESENCE[status]) sel.value = status;
    $("presence-dot").className = "presence-dot presence-" + (sel.value || "online");
    document.body.dataset.presence = sel.value;
  }

  function onPresenceChange() {
    var status = $("presence").value;
    var previous = (S.seat && S.seat.status) || "online";
    setPresenceUI(status);
    wsSend({ type: "presence", status: status });
    api("PUT", "/api/seats/me/presence", { status: status }).then(function (data) {
      S.seat = Object.assign({}, S.seat || {}, { status: (data && data.status) || status });
      toast("状态已切换为：" + PRESENCE[status]);
    }).catch(function (e) {
      if (e.status === 401) return;
      if (S.ws && S.ws.readyState === 1) {   // the WebSocket carried it
        S.seat = Object.assign({}, S.seat || {}, { status: status });
        return;
      }
      setPresenceUI(previous);
      toast(e.detail, "error");
    });
  }

  // ---------------------------------------------------------------- notifications
  function loadNotifications() {
    return api("GET", "/api/notifications?limit=30").then(function (data) {
      if (!data) return;
      S.notifications = listOf(data, ["items"]);
      S.notifUnread = typeof data.unread === "number" ? data.unread
        : S.notifications.filter(function (n) { return !n.read_at; }).length;
      renderNotifications();
    }).catch(function (e) { console.warn("notifications", e.detail); });
  }

  function renderNotifications() {
    var count = $("notif-count");
    count.textContent = S.notifUnread > 99 ? "99+" : String(S.notifUnread);
    count.hidden = S.notifUnread <= 0;
    count.dataset.count = String(S.notifUnread);
    $("notif-summary").textContent = S.notifUnread ? S.notifUnread + " 条未读" : "全部已读";
    var list = $("notif-list");
    clear(list);
    if (!S.notifications.length) {
      list.appendChild(el("li", { cls: "empty", text: "暂无通知" }));
      return;
    }
    S.notifications.forEach(function (n) {
      var unread = !n.read_at;
      list.appendChild(el("li", {
        cls: "notif-item" + (unread ? " is-unread" : ""),
        data: { id: n.id, kind: n.kind },
        attrs: { tabindex: "0", role: "button" },
        on: {
          click: function () { markNotificationRead(n); },
          keydown: function (e) { if (e.key === "Enter") markNotificationRead(n); }
        }
      }, [
        el("div", { cls: "notif-top" }, [
          el("span", { cls: "tag tag-" + (n.kind || "info"), text: label(NOTIF_KINDS, n.kind) || "通知" }),
          el("span", { cls: "muted", text: fmtDateTime(n.created_at) })
        ]),
        el("div", { cls: "notif-text", text: n.message || "" })
      ]));
    });
  }

  function markNotificationRead(n) {
    if (n.read_at) return;
    api("POST", "/api/notifications/" + encodeURIComponent(n.id) + "/read").then(function (data) {
      n.read_at = (data && data.read_at) || new Date().toISOString();
      S.notifUnread = Math.max(0, S.notifUnread - 1);
      renderNotifications();
    }).catch(function (e) { if (e.status !== 401) toast(e.detail, "error"); });
  }

  function addNotification(n) {
    if (!n) return;
    if (n.id === undefined || !n.message) {
      // the hub relays only ids ({notification_id, petition_id, recipient_…}): read the list again
      var wanted = n.notification_id !== undefined ? n.notification_id : n.id;
      loadNotifications().then(function () {
        var found = null;
        S.notifications.forEach(function (x) { if (String(x.id) === String(wanted)) found = x; });
        toast("新通知" + (found && found.message ? "：" + found.message : ""), "info");
      });
      return;
    }
    var exists = S.notifications.some(function (x) { return x.id === n.id; });
    if (!exists) {
      S.notifications.unshift(n);
      if (!n.read_at) S.notifUnread += 1;
    }
    renderNotifications();
    toast("新通知：" + (n.message || label(NOTIF_KINDS, n.kind)), "info");
  }

  function toggleNotifPanel(force) {
    var panel = $("notif-panel");
    var open = force === undefined ? panel.hidden : force;
    panel.hidden = !open;
    $("btn-notif").setAttribute("aria-expanded", open ? "true" : "false");
  }

  // ---------------------------------------------------------------- queue
  function waitStartMs(c, receivedAt) {
    if (typeof c.waiting_seconds === "number") return receivedAt - c.waiting_seconds * 1000;
    if (c.queued_at) {
      var t = Date.parse(c.queued_at);
      if (!isNaN(t)) return t;
    }
    return receivedAt;
  }

  function setQueue(list, announce) {
    var now = Date.now();
    list = Array.isArray(list) ? list.slice() : [];
    list.forEach(function (c) { c._waitStart = waitStartMs(c, now); });
    var fresh = [];
    if (S.queueKnown) {
      list.forEach(function (c) { if (!S.queueKnown[c.id]) fresh.push(c); });
    }
    S.queueKnown = S.queueKnown || {};
    list.forEach(function (c) { S.queueKnown[c.id] = true; });
    S.queue = list;
    S.queueReceivedAt = now;
    renderQueue();
    if (announce && fresh.length) {
      flashQueue();
      toast("新的待接入会话" + (fresh.length > 1 ? "（" + fresh.length + " 个）" : "：" + convName(fresh[0])), "info");
    }
    if (S.selected && S.selected.mode === "queued") {
      var q = findIn(S.queue, S.selectedId);
      if (q) { S.selected = Object.assign({}, S.selected, q); renderChatHead(); }
    }
  }

  function flashQueue() {
    var head = $("queue-head");
    head.classList.remove("flash");
    void head.offsetWidth; // restart the animation
    head.classList.add("flash");
    setTimeout(function () { head.classList.remove("flash"); }, 3200);
  }

  function renderQueue() {
    var ul = $("queue");
    clear(ul);
    $("queue-count").textContent = String(S.queue.length);
    $("queue-empty").hidden = S.queue.length > 0;
    S.queue.forEach(function (c) {
      var reason = reasonText(c);
      var claim = el("button", {
        cls: "btn btn-primary btn-xs claim", text: "接入", attrs: { type: "button" },
        on: { click: function (e) { e.stopPropagation(); claimConversation(c.id, claim); } }
      });
      var li = el("li", {
        cls: "queue-item" + (String(c.id) === String(S.selectedId) ? " selected" : ""),
        data: { id: c.id, tier: c.tier || "" },
        attrs: { tabindex: "0" },
        on: {
          click: function () { selectConversation(c.id); },
          keydown: function (e) { if (e.key === "Enter" && e.target === li) selectConversation(c.id); }
        }
      }, [
        el("div", { cls: "item-row" }, [
          el("span", { cls: "item-name" + (c.enterprise_name ? "" : " is-visitor"), text: convName(c), title: convName(c) }),
          el("span", { cls: "wait mono", data: { start: String(c._waitStart) }, title: "已等待", text: mmss((Date.now() - c._waitStart) / 1000) })
        ]),
        el("div", { cls: "item-row item-meta" }, [
          c.tier ? el("span", { cls: "chip chip-tier tier-" + c.tier, text: label(TIERS, c.tier) }) : null,
          c.skill ? el("span", { cls: "chip chip-skill", text: c.skill, title: "业务类别" }) : null,
          el("span", { cls: "grow" }),
          claim
        ]),
        reason ? el("div", { cls: "item-reason", text: reason, title: c.reason }) : null
      ]);
      ul.appendChild(li);
    });
    tickWaits();
  }

  function tickWaits() {
    var now = Date.now();
    var nodes = document.querySelectorAll("#queue .wait");
    for (var i = 0; i < nodes.length; i++) {
      var start = Number(nodes[i].dataset.start);
      var secs = (now - start) / 1000;
      nodes[i].textContent = mmss(secs);
      nodes[i].classList.toggle("long", secs >= 300);
    }
    if (S.selected && S.selected.mode === "queued" && S.selected._waitStart) {
      var sub = $("chat-wait");
      if (sub) sub.textContent = mmss((now - S.selected._waitStart) / 1000);
    }
  }

  function claimConversation(id, button) {
    if (button) button.disabled = true;
    api("POST", "/api/seats/conversations/" + encodeURIComponent(id) + "/claim").then(function (data) {
      S.queue = S.queue.filter(function (c) { return String(c.id) !== String(id); });
      renderQueue();
      var summary = (data && (data.conversation || data)) || {};
      if (summary.id === undefined) summary.id = id;
      if (!summary.mode) summary.mode = "human";
      upsertMine(summary, true);
      toast("已接入：" + convName(summary));
      selectConversation(id, true);
    }).catch(function (e) {
      if (button) button.disabled = false;
      if (e.status === 401) return;
      if (e.status === 409) {
        toast("该会话已被其他坐席接入", "warn");
        S.queue = S.queue.filter(function (c) { return String(c.id) !== String(id); });
        renderQueue();
        if (String(S.selectedId) === String(id)) selectConversation(id, true);
        return;
      }
      toast(e.detail, "error");
    });
  }

  // ---------------------------------------------------------------- mine
  function findIn(list, id) {
    for (var i = 0; i < list.length; i++) if (String(list[i].id) === String(id)) return list[i];
    return null;
  }

  function isMine(c) {
    if (!c || c.mode !== "human") return false;
    if (c.assigned_staff_id === undefined || c.assigned_staff_id === null) return true;
    var me = myId();
    return me === null || String(c.assigned_staff_id) === String(me);
  }

  function setMine(list) {
    S.mine = (Array.isArray(list) ? list : []).filter(function (c) { return c && c.mode !== "closed"; });
    renderMine();
  }

  function upsertMine(summary, toTop) {
    var existing = findIn(S.mine, summary.id);
    if (existing) {
      Object.assign(existing, summary);
      if (toTop) { S.mine = S.mine.filter(function (c) { return c !== existing; }); S.mine.unshift(existing); }
    } else {
      S.mine.unshift(Object.assign({}, summary));
    }
    renderMine();
  }

  function removeMine(id) {
    S.mine = S.mine.filter(function (c) { return String(c.id) !== String(id); });
    renderMine();
  }

  function renderMine() {
    var ul = $("mine");
    clear(ul);
    $("mine-count").textContent = String(S.mine.length);
    $("mine-empty").hidden = S.mine.length > 0;
    var totalUnread = 0;
    S.mine.forEach(function (c) {
      var unread = Number(c.unread) || 0;
      totalUnread += unread;
      var last = c.last_message || null;
      var lastText = last ? (last.text || (last.attachment ? "[附件]" : "")) : "";
      var badge = el("span", { cls: "unread", text: String(unread), data: { count: String(unread) } });
      badge.hidden = unread <= 0;
      var li = el("li", {
        cls: "conv-item" + (String(c.id) === String(S.selectedId) ? " selected" : "") + (unread ? " has-unread" : ""),
        data: { id: c.id, mode: c.mode || "" },
        attrs: { tabindex: "0" },
        on: {
          click: function () { selectConversation(c.id); },
          keydown: function (e) { if (e.key === "Enter") selectConversation(c.id); }
        }
      }, [
        el("div", { cls: "item-row" }, [
          el("span", { cls: "item-name" + (c.enterprise_name ? "" : " is-visitor"), text: convName(c), title: convName(c) }),
          el("span", { cls: "muted small", text: last ? fmtTime(last.created_at) : "" })
        ]),
        el("div", { cls: "item-row" }, [
          el("span", { cls: "item-preview", text: lastText || "（暂无消息）", title: lastText }),
          badge
        ]),
        el("div", { cls: "item-row item-meta" }, [
          el("span", { cls: "chip chip-mode mode-" + (c.mode || "none"), text: label(MODES, c.mode) || "—" }),
          c.tier ? el("span", { cls: "chip chip-tier tier-" + c.tier, text: label(TIERS, c.tier) }) : null,
          c.skill ? el("span", { cls: "chip chip-skill", text: c.skill }) : null
        ])
      ]);
      ul.appendChild(li);
    });
    document.title = (totalUnread ? "(" + totalUnread + ") " : "") + "坐席工作台 · 小微企业智能办税助手";
  }

  // ---------------------------------------------------------------- selection & chat
  function selectConversation(id, force) {
    if (id === null || id === undefined || id === "") return;
    var same = String(id) === String(S.selectedId);
    if (same && !force) return;
    if (!same) {
      S.selectedId = id;
      S.selected = findIn(S.mine, id) || findIn(S.queue, id) || { id: id };
      S.messages = []; S.pending = []; S.maxId = 0;
      hideTyping();
      $("chat").dataset.stick = "1";
      $("chat-input").value = "";
      closeKnowledge();
      renderChat();
      renderPicturePlaceholder("加载中…");
    }
    try { sessionStorage.setItem(SELECTED_KEY, String(id)); } catch (e) { /* ignore */ }
    showChatPane(true);
    renderChatHead();
    renderQueue(); renderMine();
    loadConversation(id);
    if (!same) loadPicture(id);
  }

  function showChatPane(on) {
    $("chat-pane").hidden = !on;
    $("chat-placeholder").hidden = !!on;
  }

  function deselect() {
    S.selectedId = null; S.selected = null; S.messages = []; S.pending = [];
    try { sessionStorage.removeItem(SELECTED_KEY); } catch (e) { /* ignore */ }
    showChatPane(false);
    renderPicturePlaceholder("选择会话后显示企业的全场景信息");
    renderQueue(); renderMine();
  }

  function loadConversation(id) {
    var seq = ++S.loadSeq;
    return api("GET", "/api/seats/conversations/" + encodeURIComponent(id)).then(function (data) {
      if (seq !== S.loadSeq || String(id) !== String(S.selectedId) || !data) return;
      var summary = data.conversation || data;
      var msgs = data.messages || (data.conversation && data.conversation.messages) || [];
      var clean = Object.assign({}, summary);
      delete clean.messages;
      if (clean.id === undefined) clean.id = id;
      applySummary(clean);
      mergeMessages(msgs);
      scheduleRead();
    }).catch(function (e) {
      if (seq !== S.loadSeq || e.status === 401) return;
      if (e.status === 404 || e.status === 403) {
        toast(e.detail || "会话不存在或无权查看", "error");
        if (String(id) === String(S.selectedId)) {
          removeMine(id);
          deselect();
        }
        return;
      }
      setBanner("会话加载失败：" + e.detail, "error");
    });
  }

  /** A newer summary of the selected conversation (from REST or from a live event). */
  function applySummary(summary) {
    if (!summary || String(summary.id) !== String(S.selectedId)) return;
    var queued = findIn(S.queue, summary.id);
    S.selected = Object.assign({}, S.selected || {}, summary);
    if (S.selected.mode === "queued" && !S.selected._waitStart) {
      S.selected._waitStart = queued && queued._waitStart ? queued._waitStart : waitStartMs(S.selected, Date.now());
    }
    renderChatHead();
  }

  function mergeMessages(list) {
    var changed = false;
    (list || []).forEach(function (m) { if (addMessage(m, true)) changed = true; });
    if (changed) renderChat();
  }

  /** Adds one message if not seen (dedupe by id; a stored echo replaces its pending bubble). */
  function addMessage(m, deferRender) {
    if (!m || m.id === undefined || m.id === null) return false;
    var hadPending = false;
    if (m.client_id) {
      var before = S.pending.length;
      S.pending = S.pending.filter(function (p) { return p.client_id !== m.client_id; });
      hadPending = S.pending.length !== before;  // its bubble must go: a full render
    }
    var exists = false;
    for (var i = 0; i < S.messages.length; i++) {
      if (S.messages[i].id === m.id) { S.messages[i] = m; exists = true; break; }
    }
    var appendOnly = false;
    if (!exists) {
      var last = S.messages[S.messages.length - 1];
      appendOnly = !deferRender && !hadPending && !S.pending.length && !!last && m.id > last.id &&
        !!document.querySelector('#chat .msg[data-id="' + cssEscape(String(last.id)) + '"]');
      S.messages.push(m);
      S.messages.sort(function (a, b) { return a.id - b.id; });
    }
    if (typeof m.id === "number" && m.id > S.maxId) S.maxId = m.id;
    if (appendOnly) appendMessageNode(m, last);  // no re-render: thumbnails do not flicker
    else if (!deferRender) renderChat();
    return true;
  }

  function modeBanner(c) {
    if (!c) return null;
    if (c.mode === "queued") {
      return isMineTierQueue(c) ? "该会话正在排队，接入后可回复" : "该会话正在排队等待" + label(TIERS, c.tier || "staff");
    }
    if (c.mode === "closed") return "会话已结束" + (c.rating ? "，企业评价 " + c.rating + " 分" : "");
    if (c.mode === "bot") return "会话已由智能助手接待，人工服务已结束";
    if (c.mode === "human" && !isMine(c)) return "会话已由 " + (c.assigned_name || "其他坐席") + " 接待";
    return null;
  }

  function isMineTierQueue(c) {
    return !!findIn(S.queue, c.id);
  }

  function setBanner(text, kind) {
    var b = $("chat-banner");
    if (!text) { b.hidden = true; b.textContent = ""; return; }
    b.textContent = text;
    b.className = "chat-banner" + (kind ? " banner-" + kind : "");
    b.hidden = false;
  }

  function renderChatHead() {
    var c = S.selected;
    if (!c) return;
    $("chat-name").textContent = convName(c);
    $("chat-uscc").textContent = c.uscc || "";
    var mode = $("chat-mode");
    mode.textContent = label(MODES, c.mode) || "加载中";
    mode.className = "chip chip-mode mode-" + (c.mode || "none");
    var tier = $("chat-tier");
    tier.textContent = label(TIERS, c.tier);
    tier.hidden = !c.tier;
    tier.className = "chip chip-tier tier-" + (c.tier || "none");
    var sub = $("chat-sub");
    clear(sub);
    var bits = [];
    if (c.skill) bits.push(el("span", { text: "业务：" + c.skill }));
    if (c.reason) bits.push(el("span", { text: "原因：" + reasonText(c) }));
    if (c.mode === "queued") bits.push(el("span", {}, ["已等待 ", el("span", { cls: "mono", attrs: { id: "chat-wait" }, text: "00:00" })]));
    if (c.assigned_name) bits.push(el("span", { text: "接待：" + c.assigned_name }));
    if (!c.enterprise_name && c.visitor) bits.push(el("span", { text: "未登录访客" }));
    bits.forEach(function (b, i) { if (i) sub.appendChild(el("span", { cls: "sep", text: "·" })); sub.appendChild(b); });
    setBanner(modeBanner(c), c.mode === "closed" ? "muted" : "info");
    $("btn-claim-current").hidden = !(c.mode === "queued" && isMineTierQueue(c));
    updateActions();
    tickWaits();
  }

  function canAct() {
    return !!(S.selected && S.selected.mode === "human" && isMine(S.selected));
  }

  function updateActions() {
    var active = canAct();
    ["btn-knowledge", "btn-transfer", "btn-petition", "btn-handback", "btn-close", "chat-send"].forEach(function (id) {
      $(id).disabled = !active;
    });
    var esc = $("btn-escalate");
    var isExpert = myRole() === "expert" || (S.selected && S.selected.tier === "expert");
    esc.disabled = !active || isExpert;
    esc.title = isExpert ? "已在专家坐席，无法再升级" : "升级至税务专家";
    var input = $("chat-input");
    input.disabled = !active;
    input.placeholder = active ? "输入回复，Enter 发送，Shift+Enter 换行" : "当前会话不可回复";
    // 转为诉求 stays possible on a closed conversation of mine as well
    if (S.selected && S.selected.mode === "closed" && String(S.selected.assigned_staff_id) === String(myId())) {
      $("btn-petition").disabled = false;
    }
  }

  function senderSide(m) {
    if (m.sender === "system") return "center";
    if (m.sender === "staff" || m.sender === "expert") return "right";
    return "left";
  }

  function renderChat() {
    var box = $("chat");
    var nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    clear(box);
    if (!S.messages.length && !S.pending.length) {
      box.appendChild(el("p", { cls: "empty chat-empty", text: S.selected && S.selected.mode ? "暂无消息" : "加载中…" }));
    }
    var lastDay = null;
    S.messages.forEach(function (m) {
      var day = fmtDay(m.created_at);
      if (day && day !== lastDay) {
        box.appendChild(el("div", { cls: "day-sep" }, [el("span", { text: day })]));
        lastDay = day;
      }
      box.appendChild(renderMessage(m));
    });
    S.pending.forEach(function (p) { box.appendChild(renderPending(p)); });
    if (nearBottom || box.dataset.stick !== "0") box.scrollTop = box.scrollHeight;
  }

  function appendMessageNode(m, previous) {
    var box = $("chat");
    var stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || box.dataset.stick !== "0";
    var day = fmtDay(m.created_at);
    if (day && day !== fmtDay(previous && previous.created_at)) {
      box.appendChild(el("div", { cls: "day-sep" }, [el("span", { text: day })]));
    }
    box.appendChild(renderMessage(m));
    if (stick) box.scrollTop = box.scrollHeight;
  }

  function renderMessage(m) {
    var side = senderSide(m);
    var cls = "msg side-" + side + " sender-" + (m.sender || "unknown");
    if (m.internal) cls += " internal";
    if (side === "right" && m.sender_name && m.sender_name === myName()) cls += " own";
    var node = el("div", { cls: cls, data: { id: m.id, sender: m.sender || "", kind: (m.custom && m.custom.kind) || "" } });

    if (side === "center" && !m.internal) {
      node.appendChild(el("div", { cls: "system-text" }, [
        el("span", { text: m.text || "" }),
        el("span", { cls: "time", text: fmtTime(m.created_at) })
      ]));
      return node;
    }

    var meta = el("div", { cls: "msg-meta" });
    if (m.internal) meta.appendChild(el("span", { cls: "tag tag-internal", text: "内部备注" }));
    var who = m.sender_name || (m.sender === "bot" ? "智能助手" : m.sender === "user" ? "企业" : m.sender === "expert" ? "税务专家" : m.sender === "staff" ? "税务干部" : "系统");
    if (m.sender === "bot") who = "智能助手";
    meta.appendChild(el("span", { cls: "who", text: who }));
    if (m.sender === "staff" || m.sender === "expert") {
      meta.appendChild(el("span", { cls: "badge badge-mini badge-" + m.sender, text: m.badge || BADGES[m.sender] }));
    }
    if (m.custom && m.custom.kind) {
      meta.appendChild(el("span", {
        cls: "tag tag-kind kind-" + m.custom.kind, title: m.custom.kind,
        data: { kind: m.custom.kind }, text: label(KINDS, m.custom.kind)
      }));
    }
    meta.appendChild(el("span", { cls: "time", text: fmtTime(m.created_at), title: m.created_at || "" }));
    node.appendChild(meta);

    var bubble = el("div", { cls: "bubble" });
    if (m.text) bubble.appendChild(el("div", { cls: "msg-text", text: m.text }));
    if (m.attachment) bubble.appendChild(renderAttachment(m.attachment));
    var custom = m.custom || {};
    if (Array.isArray(custom.sources) && custom.sources.length) {
      bubble.appendChild(el("div", { cls: "sources" }, [el("span", { cls: "sources-label", text: "依据：" })].concat(
        custom.sources.map(function (s) {
          var t = typeof s === "string" ? s : (s.title || "") + (s.doc_no ? "（" + s.doc_no + "）" : "");
          return el("span", { cls: "source", text: t });
        }))));
    }
    if (custom.valid_until) bubble.appendChild(el("div", { cls: "valid-until muted", text: "有效期至 " + custom.valid_until }));
    if (custom.kind === "petition_created" || custom.kind === "petition_status") {
      var bits = [];
      if (custom.ticket) bits.push("编号 " + custom.ticket);
      if (custom.category) bits.push(custom.category);
      if (custom.status) bits.push(label(PETITION_STATUS, custom.status));
      if (custom.due_date) bits.push("期限 " + custom.due_date);
      if (bits.length) bubble.appendChild(el("div", { cls: "card-line", text: bits.join(" · ") }));
    }
    if (custom.kind === "handoff" && custom.status) {
      bubble.appendChild(el("div", { cls: "card-line muted", text: "转" + label(TIERS, custom.tier) + " · " + custom.status + (custom.position ? " · 第 " + custom.position + " 位" : "") }));
    }
    if (custom.kind === "fallback" && custom.reason) {
      bubble.appendChild(el("div", { cls: "card-line muted", text: "原因：" + custom.reason }));
    }
    if (Array.isArray(m.buttons) && m.buttons.length) {
      bubble.appendChild(el("div", { cls: "quick-replies", title: "提供给企业的快捷选项" },
        [el("span", { cls: "muted small", text: "选项：" })].concat(m.buttons.map(function (b) {
          return el("span", { cls: "quick", text: b.title || b.payload || "", title: b.payload || "" });
        }))));
    }
    if (m.feedback) {
      bubble.appendChild(el("div", { cls: "feedback feedback-" + m.feedback, text: m.feedback === "useful" ? "企业评价：有用" : "企业评价：没用" }));
    }
    node.appendChild(bubble);
    return node;
  }

  function renderPending(p) {
    var node = el("div", { cls: "msg side-right own pending" + (p.failed ? " failed" : ""), data: { clientId: p.client_id, sender: myRole() } }, [
      el("div", { cls: "msg-meta" }, [el("span", { cls: "who", text: myName() || "我" }), el("span", { cls: "time", text: p.failed ? "发送失败" : "发送中…" })]),
      el("div", { cls: "bubble" }, [el("div", { cls: "msg-text", text: p.text })])
    ]);
    if (p.failed) {
      node.appendChild(el("button", {
        cls: "btn btn-xs retry", text: "重新发送", attrs: { type: "button" },
        on: { click: function () { p.failed = false; renderChat(); postMessage(p); } }
      }));
    }
    return node;
  }

  function fetchBlobUrl(url) {
    if (!S.blobs[url]) {
      S.blobs[url] = fetch(url, { headers: { "Authorization": "Bearer " + S.token }, cache: "force-cache" }).then(function (r) {
        if (r.status === 401) expireSession();
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
      }).then(function (b) { return URL.createObjectURL(b); });
      S.blobs[url].catch(function () { delete S.blobs[url]; });
    }
    return S.blobs[url];
  }

  function renderAttachment(a) {
    var ct = a.content_type || "";
    var name = a.filename || "附件";
    if (ct.indexOf("image/") === 0 && a.url) {
      var img = el("img", { cls: "thumb", attrs: { alt: name, title: name + (a.size ? "（" + fmtSize(a.size) + "）" : "") } });
      var wrap = el("div", { cls: "attachment attachment-image loading" }, [img]);
      fetchBlobUrl(a.url).then(function (u) {
        img.src = u;
        wrap.classList.remove("loading");
        img.addEventListener("click", function () { openLightbox(u, name); });
      }).catch(function () {
        wrap.classList.remove("loading");
        wrap.classList.add("broken");
        wrap.appendChild(el("span", { cls: "muted", text: "图片加载失败：" + name }));
      });
      return wrap;
    }
    var link = el("a", {
      cls: "attachment attachment-file", attrs: { href: "#", target: "_blank", rel: "noopener" },
      title: "打开 " + name
    }, [el("span", { cls: "file-icon", text: ct === "application/pdf" ? "PDF" : "FILE" }),
      el("span", { cls: "file-name", text: name }),
      el("span", { cls: "muted small", text: fmtSize(a.size) })]);
    if (a.url) {
      fetchBlobUrl(a.url).then(function (u) { link.href = u; }).catch(function () {
        link.classList.add("broken");
        link.title = "文件加载失败";
      });
    }
    link.addEventListener("click", function (e) {
      if (link.getAttribute("href") === "#") { e.preventDefault(); toast("文件正在加载，请稍候", "info"); }
    });
    return link;
  }

  function openLightbox(url, name) {
    $("lightbox-img").src = url;
    $("lightbox-img").alt = name;
    $("lightbox").hidden = false;
  }

  // ---------------------------------------------------------------- read marks
  function scheduleRead() {
    if (!S.selected || !isMine(S.selected) || !S.maxId) return;
    if (document.hidden) return;  // marked when the seat comes back to the tab
    clearTimeout(S.readTimer);
    S.readTimer = setTimeout(sendRead, 250);
  }

  function sendRead() {
    var id = S.selectedId, upTo = S.maxId;
    if (!id || !upTo || !S.selected || !isMine(S.selected)) return;
    var mine = findIn(S.mine, id);
    if (S.lastReadSent[id] >= upTo && !(mine && mine.unread)) return;
    S.lastReadSent[id] = upTo;
    if (mine) { mine.unread = 0; renderMine(); }
    api("POST", "/api/seats/conversations/" + encodeURIComponent(id) + "/read", { message_id: upTo }).catch(function (e) {
      if (e.status !== 401) console.warn("read", e.detail);
      S.lastReadSent[id] = 0;
    });
  }

  // ---------------------------------------------------------------- sending
  function sendCurrent() {
    var input = $("chat-input");
    var text = input.value.replace(/\s+$/, "");
    if (!text.trim()) return;
    if (!canAct()) { toast("当前会话不可回复", "warn"); return; }
    if (text.length > 4000) { toast("消息过长（最多 4000 字）", "warn"); return; }
    var p = { client_id: uuid(), text: text, conversation_id: S.selectedId, failed: false };
    S.pending.push(p);
    input.value = "";
    $("chat").dataset.stick = "1";
    renderChat();
    postMessage(p);
  }

  function postMessage(p) {
    api("POST", "/api/seats/conversations/" + encodeURIComponent(p.conversation_id) + "/messages",
      { text: p.text, client_id: p.client_id }).then(function (m) {
      if (String(p.conversation_id) !== String(S.selectedId)) return;
      if (m && m.id !== undefined) {
        if (!m.client_id) m.client_id = p.client_id;
        addMessage(m);
        bumpMineLast(p.conversation_id, m);
        scheduleRead();
      } else {
        S.pending = S.pending.filter(function (x) { return x !== p; });
        loadConversation(p.conversation_id);
      }
    }).catch(function (e) {
      if (e.status === 401) return;
      p.failed = true;
      if (String(p.conversation_id) === String(S.selectedId)) renderChat();
      toast("发送失败：" + e.detail, "error");
    });
  }

  function bumpMineLast(convId, m) {
    var c = findIn(S.mine, convId);
    if (!c) return;
    c.last_message = { text: m.text || (m.attachment ? "[附件] " + (m.attachment.filename || "") : ""), created_at: m.created_at };
    renderMine();
  }

  function onInputKeydown(e) {
    if (e.key !== "Enter") return;
    if (e.isComposing || S.composing || e.keyCode === 229) return;  // IME is choosing characters
    if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;  // newline
    e.preventDefault();
    sendCurrent();
  }

  function onInputTyping() {
    if (!canAct()) return;
    var now = Date.now();
    if (now - S.lastTypingSent < TYPING_SEND_MS) return;
    S.lastTypingSent = now;
    wsSend({ type: "typing", conversation_id: S.selectedId });
  }

  function showTyping(convId) {
    if (String(convId) !== String(S.selectedId)) {
      var c = findIn(S.mine, convId);
      if (c) {
        var li = document.querySelector('#mine .conv-item[data-id="' + cssEscape(String(convId)) + '"]');
        if (li) {
          li.classList.add("is-typing");
          setTimeout(function () { li.classList.remove("is-typing"); }, TYPING_SHOW_MS);
        }
      }
      return;
    }
    $("typing").hidden = false;
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(hideTyping, TYPING_SHOW_MS);
  }

  function hideTyping() {
    clearTimeout(S.typingTimer);
    $("typing").hidden = true;
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  // ---------------------------------------------------------------- dialog
  /**
   * In-page modal. opts: title, desc, caption (label of #dialog-input), value, placeholder,
   * input (false hides the textarea), required, extra (a node shown under the textarea),
   * before (a node shown above it), okText, onOk(value) → Promise (a rejection keeps the dialog open
   * and shows its detail).
   */
  function openDialog(opts) {
    closeDialog();
    S.dialog = opts;
    $("dialog-title").textContent = opts.title || "";
    $("dialog-desc").textContent = opts.desc || "";
    $("dialog-desc").hidden = !opts.desc;
    var input = $("dialog-input");
    input.value = opts.value || "";
    input.placeholder = opts.placeholder || "";
    input.rows = opts.rows || 4;
    $("dialog-input-caption").textContent = opts.caption || "";
    $("dialog-input-label").hidden = opts.input === false;
    var before = $("dialog-extra-before"), extra = $("dialog-extra");
    clear(before); clear(extra);
    if (opts.before) before.appendChild(opts.before);
    if (opts.extra) extra.appendChild(opts.extra);
    $("dialog-error").hidden = true;
    $("dialog-ok").textContent = opts.okText || "确定";
    $("dialog-ok").disabled = false;
    $("dialog").dataset.kind = opts.kind || "";
    $("dialog-backdrop").hidden = false;
    document.body.classList.add("dialog-open");
    setTimeout(function () {
      if (opts.input !== false) input.focus();
      else $("dialog-ok").focus();
    }, 0);
  }

  function closeDialog() {
    S.dialog = null;
    $("dialog-backdrop").hidden = true;
    document.body.classList.remove("dialog-open");
    clear($("dialog-extra")); clear($("dialog-extra-before"));
  }

  function dialogError(text) {
    var e = $("dialog-error");
    e.textContent = text; e.hidden = !text;
  }

  function onDialogOk() {
    var opts = S.dialog;
    if (!opts) return;
    var value = $("dialog-input").value.trim();
    if (opts.input !== false && opts.required && !value) {
      dialogError(opts.requiredText || "请填写" + (opts.caption || "内容"));
      $("dialog-input").focus();
      return;
    }
    dialogError("");
    var ok = $("dialog-ok");
    ok.disabled = true;
    Promise.resolve().then(function () { return opts.onOk ? opts.onOk(value) : null; }).then(function () {
      if (S.dialog === opts) closeDialog();
    }).catch(function (e) {
      if (S.dialog !== opts) return;
      ok.disabled = false;
      dialogError((e && (e.detail || e.message)) || "操作失败");
    });
  }

  // ---------------------------------------------------------------- actions
  function convPath(suffix) {
    return "/api/seats/conversations/" + encodeURIComponent(S.selectedId) + suffix;
  }

  function afterAction(data, fallbackMode) {
    var summary = data && (data.conversation || data);
    if (summary && summary.id !== undefined && summary.mode) {
      handleConversation(summary);
    } else {
      if (fallbackMode && S.selected) handleConversation(Object.assign({}, S.selected, { mode: fallbackMode }));
      loadConversation(S.selectedId);
    }
  }

  function doEscalate() {
    if (!canAct()) return;
    openDialog({
      title: "升级至税务专家", kind: "escalate",
      desc: "会话将回到队列，由税务专家接入。备注仅坐席可见，不会发给企业。",
      caption: "内部备注（问题要点、已做的解答）", required: true, requiredText: "请填写给专家的备注",
      placeholder: "例如：企业咨询研发费用加计扣除的负面清单行业认定，已说明一般规定，需专家确认。",
      okText: "升级",
      onOk: function (note) {
        var id = S.selectedId;
        return api("POST", convPath("/escalate"), { note: note }).then(function (data) {
          toast("已升级至税务专家");
          removeMine(id);
          afterAction(data, "queued");
        });
      }
    });
  }

  function doTransfer() {
    if (!canAct()) return;
    var listBox = el("div", { cls: "colleagues", attrs: { id: "colleague-list", role: "radiogroup" } }, [el("p", { cls: "muted", text: "正在加载同事…" })]);
    var chosen = { id: null };
    openDialog({
      title: "转交同事", kind: "transfer",
      before: listBox, caption: "转交说明（可选，仅坐席可见）", required: false, rows: 3,
      okText: "转交",
      onOk: function (note) {
        if (!chosen.id) return Promise.reject(new ApiError(0, "请选择要转交的同事", null));
        var id = S.selectedId;
        var body = { staff_id: chosen.id };
        if (note) body.note = note;
        return api("POST", convPath("/transfer"), body).then(function (data) {
          toast("已转交给 " + (chosen.name || "同事"));
          removeMine(id);
          afterAction(data, null);
        });
      }
    });
    api("GET", "/api/seats/colleagues").then(function (data) {
      var list = listOf(data, ["colleagues", "items", "seats"]);
      clear(listBox);
      var me = myId();
      list = list.filter(function (c) { return me === null || String(c.id) !== String(me); });
      if (!list.length) { listBox.appendChild(el("p", { cls: "empty", text: "本单位暂无可转交的同层级坐席" })); return; }
      list.forEach(function (c) {
        var name = c.name || c.display_name || c.username || ("#" + c.id);
        var status = c.status || c.presence;
        var radio = el("input", { attrs: { type: "radio", name: "colleague", value: c.id } });
        if (status === "offline") radio.disabled = true;
        radio.addEventListener("change", function () { chosen.id = c.id; chosen.name = name; dialogError(""); });
        var load = c.open_conversations !== undefined ? c.open_conversations : c.load;
        listBox.appendChild(el("label", { cls: "colleague" + (radio.disabled ? " disabled" : ""), data: { id: c.id } }, [
          radio,
          el("span", { cls: "presence-dot presence-" + (status || "unknown") }),
          el("span", { cls: "colleague-name", text: name }),
          el("span", { cls: "muted", text: c.badge || label(BADGES, c.role) || "" }),
          el("span", { cls: "grow" }),
          el("span", { cls: "muted small", text: (status ? label(PRESENCE, status) : "") + (load !== undefined && load !== null ? " · " + load + " 个会话" : "") })
        ]));
      });
    }).catch(function (e) {
      if (e.status === 401) return;
      clear(listBox);
      listBox.appendChild(el("p", { cls: "form-error", text: "同事列表加载失败：" + e.detail }));
    });
  }

  function doPetition() {
    if (!S.selectedId) return;
    var convId = S.selectedId;
    api("GET", convPath("/petition-draft")).then(function (draft) {
      draft = draft || {};
      var category = el("select", { attrs: { id: "petition-category", required: "required" } },
        [el("option", { text: "请选择分类", attrs: { value: "" } })].concat(CATEGORIES.map(function (c) {
          return el("option", { text: c, attrs: { value: c } });
        })));
      category.value = CATEGORIES.indexOf(draft.category) >= 0 ? draft.category : "";
      var name = el("input", { attrs: { id: "petition-name", type: "text", maxlength: "100" } });
      name.value = draft.taxpayer_name || (S.selected && S.selected.enterprise_name) || "";
      var phone = el("input", { attrs: { id: "petition-phone", type: "tel", maxlength: "30" } });
      phone.value = draft.contact_phone || "";
      var uscc = el("input", { attrs: { id: "petition-uscc", type: "text", maxlength: "18" } });
      uscc.value = draft.uscc || (S.selected && S.selected.uscc) || "";
      var grid = el("div", { cls: "form-grid" }, [
        el("label", { cls: "field" }, [el("span", { text: "分类" }), category]),
        el("label", { cls: "field" }, [el("span", { text: "纳税人名称" }), name]),
        el("label", { cls: "field" }, [el("span", { text: "联系电话" }), phone]),
        el("label", { cls: "field" }, [el("span", { text: "统一社会信用代码（可选）" }), uscc])
      ]);
      openDialog({
        title: "转为诉求", kind: "petition",
        desc: "登记为“智能助手”渠道的诉求，会话记录将一并附上。",
        caption: "诉求内容", value: draft.content || "", rows: 5, required: true, requiredText: "请填写诉求内容",
        extra: grid, okText: "登记诉求",
        onOk: function (content) {
          var body = {
            content: content, category: category.value,
            taxpayer_name: name.value.trim(), contact_phone: phone.value.trim()
          };
          if (!body.category) return Promise.reject(new ApiError(0, "请选择诉求分类", null));
          if (!body.taxpayer_name) return Promise.reject(new ApiError(0, "请填写纳税人名称", null));
          if (!body.contact_phone) return Promise.reject(new ApiError(0, "请填写联系电话", null));
          if (uscc.value.trim()) body.uscc = uscc.value.trim().toUpperCase();
          return api("POST", "/api/seats/conversations/" + encodeURIComponent(convId) + "/petition", body).then(function (res) {
            res = res || {};
            var ticket = res.ticket || (res.petition && res.petition.ticket) || "";
            var due = res.due_date || (res.petition && res.petition.due_date) || "";
            toast("诉求已登记" + (ticket ? "，编号 " + ticket : "") + (due ? "，办理期限 " + due : ""), "success");
            if (String(convId) === String(S.selectedId)) loadPicture(convId);
          });
        }
      });
    }).catch(function (e) { if (e.status !== 401) toast("无法生成诉求草稿：" + e.detail, "error"); });
  }

  function doHandback() {
    if (!canAct()) return;
    var id = S.selectedId;
    var btn = $("btn-handback");
    btn.disabled = true;
    api("POST", convPath("/handback")).then(function (data) {
      toast("已转回智能助手");
      removeMine(id);
      afterAction(data, "bot");
    }).catch(function (e) {
      updateActions();
      if (e.status !== 401) toast(e.detail, "error");
    });
  }

  function doClose() {
    if (!canAct()) return;
    openDialog({
      title: "结束会话", kind: "close",
      desc: "结束后企业将收到满意度评价邀请。",
      caption: "服务小结", required: true, requiredText: "请填写服务小结", rows: 4,
      placeholder: "例如：已解答小规模纳税人免征增值税标准及申报填写，企业表示清楚。",
      okText: "结束会话",
      onOk: function (summary) {
        var id = S.selectedId;
        return api("POST", convPath("/close"), { summary: summary }).then(function (data) {
          toast("会话已结束");
          removeMine(id);
          afterAction(data, "closed");
        });
      }
    });
  }

  // ---------------------------------------------------------------- knowledge
  var kbSeq = 0, kbTimer = null;

  function openKnowledge() {
    if (!canAct()) return;
    var box = $("chat"), atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    $("kb-panel").hidden = false;
    $("btn-knowledge").classList.add("active");
    if (atBottom) box.scrollTop = box.scrollHeight;  // the narrower chat grows taller
    $("kb-query").focus();
    if (!$("kb-results").childNodes.length && S.selected && S.selected.skill && !$("kb-query").value) {
      $("kb-status").textContent = "输入关键词检索知识库";
    }
  }

  function closeKnowledge() {
    $("kb-panel").hidden = true;
    $("btn-knowledge").classList.remove("active");
  }

  function searchKnowledge() {
    var q = $("kb-query").value.trim();
    var seq = ++kbSeq;
    var status = $("kb-status");
    if (!q) { status.textContent = "请输入关键词"; clear($("kb-results")); return; }
    status.textContent = "检索中…";
    api("GET", "/api/seats/knowledge?q=" + encodeURIComponent(q)).then(function (data) {
      if (seq !== kbSeq) return;
      var list = listOf(data, ["results", "items", "entries"]);
      status.textContent = list.length ? "共 " + list.length + " 条" : "未找到相关条目";
      renderKnowledge(list);
    }).catch(function (e) {
      if (seq !== kbSeq || e.status === 401) return;
      status.textContent = "检索失败：" + e.detail;
    });
  }

  function renderKnowledge(list) {
    var ul = $("kb-results");
    clear(ul);
    list.forEach(function (r) {
      var send = el("button", { cls: "btn btn-xs btn-primary kb-send", text: "发送", attrs: { type: "button" } });
      send.addEventListener("click", function () { sendCard(r, send); });
      var sources = Array.isArray(r.sources) ? r.sources.map(function (s) {
        return typeof s === "string" ? s : (s.title || "") + (s.doc_no ? "（" + s.doc_no + "）" : "");
      }).join("；") : "";
      ul.appendChild(el("li", { cls: "kb-result", data: { entry: r.entry_id, topic: r.topic || "" } }, [
        el("div", { cls: "item-row" }, [el("strong", { cls: "kb-title", text: r.title || r.entry_id }), send]),
        r.topic ? el("div", { cls: "muted small mono", text: r.topic }) : null,
        r.snippet ? el("div", { cls: "kb-snippet", text: r.snippet }) : null,
        sources ? el("div", { cls: "kb-sources small", text: "依据：" + sources }) : null,
        el("div", { cls: "muted small", text: r.valid_until ? "有效期至 " + r.valid_until : "长期有效" })
      ]));
    });
  }

  function sendCard(r, button) {
    if (!canAct()) { toast("当前会话不可回复", "warn"); return; }
    button.disabled = true;
    var convId = S.selectedId;
    api("POST", "/api/seats/conversations/" + encodeURIComponent(convId) + "/cards", { entry_id: r.entry_id }).then(function (m) {
      toast("已发送知识卡片：" + (r.title || r.entry_id), "success");
      if (m && m.id !== undefined && String(convId) === String(S.selectedId)) {
        addMessage(m);
        bumpMineLast(convId, m);
        scheduleRead();
      }
    }).catch(function (e) {
      if (e.status !== 401) toast("发送失败：" + e.detail, "error");
    }).then(function () { button.disabled = false; });
  }

  // ---------------------------------------------------------------- picture
  var pictureSeq = 0;

  function renderPicturePlaceholder(text) {
    var box = $("picture");
    clear(box);
    box.appendChild(el("p", { cls: "empty", text: text }));
  }

  function loadPicture(id) {
    var seq = ++pictureSeq;
    api("GET", "/api/seats/conversations/" + encodeURIComponent(id) + "/picture").then(function (data) {
      if (seq !== pictureSeq || String(id) !== String(S.selectedId)) return;
      renderPicture(data || {});
    }).catch(function (e) {
      if (seq !== pictureSeq || e.status === 401) return;
      renderPicturePlaceholder("企业全景加载失败：" + e.detail);
    });
  }

  function section(key, title, body) {
    return el("section", { cls: "pic-section", data: { section: key } }, [
      el("h3", { cls: "pic-title", text: title }), body
    ]);
  }

  function noData() { return el("p", { cls: "empty small", text: "暂无数据" }); }

  function kvTable(obj, skip) {
    var keys = Object.keys(obj || {}).filter(function (k) { return !(skip && skip.indexOf(k) >= 0); });
    if (!keys.length) return noData();
    var tbody = el("tbody");
    keys.forEach(function (k) {
      tbody.appendChild(el("tr", {}, [
        el("th", { text: label(FIELD_LABELS, k), title: k }),
        el("td", { text: displayValue(obj[k]) })
      ]));
    });
    return el("table", { cls: "kv" }, [tbody]);
  }

  function genericList(items) {
    if (!Array.isArray(items) || !items.length) return noData();
    return el("ul", { cls: "pic-list" }, items.map(function (it) {
      if (it === null || typeof it !== "object") return el("li", { text: displayValue(it) });
      return el("li", {}, [kvTable(it)]);
    }));
  }

  function renderCredit(c) {
    if (isBlank(c)) return noData();
    if (typeof c !== "object") return el("p", { text: String(c) });
    var wrap = el("div", { cls: "credit" });
    var head = el("div", { cls: "credit-head" }, [
      el("span", { cls: "credit-level level-" + String(c.level || "na").toUpperCase(), text: c.level || "—" }),
      el("span", { cls: "muted", text: c.year ? c.year + " 年度" : "" }),
      c.score !== undefined ? el("span", { cls: "muted", text: "得分 " + c.score }) : null
    ]);
    wrap.appendChild(head);
    var ded = c.deductions;
    if (Array.isArray(ded) && ded.length) {
      wrap.appendChild(el("div", { cls: "sub-title", text: "扣分记录" }));
      wrap.appendChild(el("ul", { cls: "pic-list" }, ded.map(function (d) {
        if (d === null || typeof d !== "object") return el("li", { text: displayValue(d) });
        var main = d.item || d.reason || d.description || d.title || d.code || "";
        return el("li", { cls: "ded" }, [
          el("div", { cls: "item-row" }, [
            el("span", { text: main || displayValue(d) }),
            d.points !== undefined ? el("span", { cls: "chip chip-warn", text: "-" + Math.abs(Number(d.points) || 0) + " 分" }) : null
          ]),
          el("div", { cls: "muted small", text: [d.date || d.occurred_at || "", d.repairable === true ? "可修复" : d.repairable === false ? "不可修复" : ""].filter(Boolean).join(" · ") })
        ]);
      })));
    } else if (ded !== undefined) {
      wrap.appendChild(el("p", { cls: "muted small", text: "无扣分记录" }));
    }
    var rest = Object.keys(c).filter(function (k) { return ["level", "year", "score", "deductions"].indexOf(k) < 0; });
    if (rest.length) {
      var o = {}; rest.forEach(function (k) { o[k] = c[k]; });
      wrap.appendChild(kvTable(o));
    }
    return wrap;
  }

  // key facts and details come labelled in Chinese from the server (api/enterprise/summary.py)
  function renderKeyFacts(list) {
    if (!Array.isArray(list) || !list.length) return noData();
    var tbody = el("tbody");
    list.forEach(function (f) {
      tbody.appendChild(el("tr", {}, [
        el("th", { text: f.label }),
        el("td", {}, [el("span", { text: f.value }), f.hint ? el("div", { cls: "muted small", text: f.hint }) : null])
      ]));
    });
    return el("table", { cls: "kv key-facts" }, [tbody]);
  }

  function renderDetails(groups) {
    if (!Array.isArray(groups) || !groups.length) return noData();
    var wrap = el("div", { cls: "details" });
    groups.forEach(function (g) {
      wrap.appendChild(el("div", { cls: "sub-title", text: g.title }));
      var tbody = el("tbody");
      (g.items || []).forEach(function (i) {
        tbody.appendChild(el("tr", {}, [el("th", { text: i.label }), el("td", { text: i.value })]));
      });
      wrap.appendChild(el("table", { cls: "kv" }, [tbody]));
    });
    return wrap;
  }

  function renderReminders(list) {
    if (!Array.isArray(list) || !list.length) return noData();
    return el("ul", { cls: "pic-list" }, list.map(function (r) {
      if (r === null || typeof r !== "object") return el("li", { text: displayValue(r) });
      return el("li", {}, [
        el("div", { cls: "item-row" }, [
          el("span", { text: r.title || r.topic || r.text || r.message || "提醒" }),
          r.type ? el("span", { cls: "chip chip-" + r.type, text: label(REMINDER_TYPES, r.type) }) : null
        ]),
        el("div", { cls: "muted small", text: [label(REMINDER_STATUS, r.status), fmtDay(r.created_at || r.delivered_at), r.answer ? "答复：" + displayValue(r.answer) : ""].filter(Boolean).join(" · ") })
      ]);
    }));
  }

  function renderPetitions(list) {
    if (!Array.isArray(list) || !list.length) return noData();
    return el("ul", { cls: "pic-list" }, list.map(function (p) {
      if (p === null || typeof p !== "object") return el("li", { text: displayValue(p) });
      return el("li", { data: { ticket: p.ticket || "" } }, [
        el("div", { cls: "item-row" }, [
          el("span", { cls: "mono", text: p.ticket || "—" }),
          el("span", { cls: "chip chip-status status-" + (p.status || ""), text: p.status_label || label(PETITION_STATUS, p.status) || "—" })
        ]),
        el("div", { cls: "muted small", text: [p.category, p.received_at ? "受理 " + fmtDay(p.received_at) : "", p.due_date ? "期限 " + p.due_date : "", p.overdue ? "已超期" : ""].filter(Boolean).join(" · ") }),
        p.content ? el("div", { cls: "small clamp", text: p.content }) : null
      ]);
    }));
  }

  function renderPastConversations(list) {
    if (!Array.isArray(list) || !list.length) return noData();
    return el("ul", { cls: "pic-list" }, list.map(function (c) {
      if (c === null || typeof c !== "object") return el("li", { text: displayValue(c) });
      var rating = c.rating !== undefined && c.rating !== null ? Number(c.rating) : null;
      return el("li", {}, [
        el("div", { cls: "item-row" }, [
          el("span", { text: fmtDay(c.date || c.closed_at || c.created_at) || c.date || "—" }),
          el("span", { cls: "chip chip-mode mode-" + (c.mode || ""), text: label(MODES, c.mode) || "—" }),
          rating ? el("span", { cls: "stars", title: rating + " 分", text: "★★★★★".slice(0, rating) + "☆☆☆☆☆".slice(0, 5 - rating) }) : null
        ]),
        c.summary ? el("div", { cls: "small", text: c.summary }) : null,
        c.staff_name || c.assigned_name ? el("div", { cls: "muted small", text: "接待：" + (c.staff_name || c.assigned_name) }) : null,
        c.petition_ticket ? el("div", { cls: "muted small", text: "已转诉求 " + c.petition_ticket }) : null
      ]);
    }));
  }

  function renderPicture(data) {
    var box = $("picture");
    clear(box);
    var identity = data.enterprise || data.identity || {};
    var name = identity.name || data.name || (S.selected && convName(S.selected)) || "访客";
    var uscc = identity.uscc || data.uscc || (S.selected && S.selected.uscc) || "";
    var card = el("div", { cls: "identity" }, [
      el("div", { cls: "identity-name", text: name }),
      el("div", { cls: "mono muted", text: uscc ? "统一社会信用代码 " + uscc : "未登录访客（无企业身份）" })
    ]);
    var extraId = {};
    Object.keys(identity).forEach(function (k) {
      if (["name", "uscc", "kind", "logged_in"].indexOf(k) < 0) extraId[k] = identity[k];
    });
    if (Object.keys(extraId).length) card.appendChild(kvTable(extraId));
    box.appendChild(card);

    var known = {
      key_facts: renderKeyFacts,
      details: renderDetails,
      profile: function (v) { return v && typeof v === "object" && !Array.isArray(v) ? kvTable(v) : genericList(v); },
      credit: renderCredit,
      reminders: renderReminders,
      petitions: renderPetitions,
      conversations: renderPastConversations,
      past_conversations: renderPastConversations,
      history: renderPastConversations
    };
    var order = ["key_facts", "details", "profile", "credit", "reminders", "petitions", "past_conversations",
      "conversations", "history"];
    var skip = ["identity", "enterprise", "name", "uscc", "conversation_id", "id"];
    var keys = order.filter(function (k) { return k in data; });
    Object.keys(data).forEach(function (k) { if (order.indexOf(k) < 0 && skip.indexOf(k) < 0) keys.push(k); });
    // the usual sections appear even when the response leaves them out
    ["profile", "credit", "reminders", "petitions"].forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    if (!("past_conversations" in data) && !("conversations" in data) && !("history" in data)) keys.push("past_conversations");
    keys.forEach(function (k) {
      var v = data[k];
      var title = SECTION_TITLES[k] || k;
      var body;
      if (isBlank(v)) body = noData();
      else if (known[k]) body = known[k](v);
      else if (Array.isArray(v)) body = genericList(v);
      else if (typeof v === "object") body = kvTable(v);
      else body = el("p", { text: displayValue(v) });
      box.appendChild(section(k, title, body));
    });
  }

  // ---------------------------------------------------------------- live events
  function handleConversation(summary) {
    if (!summary || summary.id === undefined) return;
    if (isMine(summary)) {
      var existed = !!findIn(S.mine, summary.id);
      upsertMine(summary, false);
      if (!existed) toast("新会话已分配给您：" + convName(summary), "info");
      S.queue = S.queue.filter(function (c) { return String(c.id) !== String(summary.id); });
      renderQueue();
    } else {
      removeMine(summary.id);
    }
    if (String(summary.id) === String(S.selectedId)) {
      applySummary(summary);
      scheduleRead();
    }
  }

  function handleMessage(m) {
    if (!m) return;
    var convId = m.conversation_id;
    var c = findIn(S.mine, convId);
    if (String(convId) === String(S.selectedId)) {
      if (String(m.sender) === "user") hideTyping();
      addMessage(m);
      scheduleRead();
      if (c) {
        c.last_message = { text: m.text || (m.attachment ? "[附件] " + (m.attachment.filename || "") : ""), created_at: m.created_at };
        renderMine();
      }
      return;
    }
    if (c) {
      c.last_message = { text: m.text || (m.attachment ? "[附件] " + (m.attachment.filename || "") : ""), created_at: m.created_at };
      if (m.sender === "user") c.unread = (Number(c.unread) || 0) + 1;
      S.mine = S.mine.filter(function (x) { return x !== c; });
      S.mine.unshift(c);
      renderMine();
    }
  }

  function handleServerEvent(evt) {
    if (!evt || typeof evt !== "object") return;
    switch (evt.type) {
      case "hello":
        // the first hello is the baseline; after a reconnect, what arrived meanwhile is announced
        var announce = S.gotHello;
        S.gotHello = true;
        if (evt.seat) { S.seat = Object.assign({}, S.seat || {}, evt.seat); renderSeat(); }
        if (!announce) S.queueKnown = null;
        setQueue(evt.queue || [], announce);
        setMine(evt.mine || []);
        if (S.selectedId) {
          var sel = findIn(S.mine, S.selectedId) || findIn(S.queue, S.selectedId);
          if (sel) applySummary(sel);
        }
        break;
      case "queue":
        setQueue(evt.queue || [], true);
        break;
      case "conversation":
        handleConversation(evt.conversation);
        break;
      case "message":
        handleMessage(evt.message);
        break;
      case "typing":
        showTyping(evt.conversation_id);
        break;
      case "notification":
        addNotification(evt.notification);
        break;
      case "presence":
        S.seat = Object.assign({}, S.seat || {}, { status: evt.status });
        setPresenceUI(evt.status);
        break;
      case "pong":
        break;
      case "error":
        if (evt.text || evt.detail) toast(evt.text || evt.detail, "error");
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- WebSocket
  function setConnected(on, text) {
    document.body.dataset.connected = on ? "1" : "0";
    var s = $("conn-status");
    s.textContent = text;
    s.className = "conn-status " + (on ? "is-on" : "is-off");
  }

  function startSocket() {
    S.wsWanted = true;
    S.wsAttempt = 0;
    openSocket();
  }

  function stopSocket() {
    S.wsWanted = false;
    clearTimeout(S.wsRetryTimer);
    clearInterval(S.pingTimer);
    if (S.ws) {
      try { S.ws.onclose = null; S.ws.close(1000); } catch (e) { /* ignore */ }
      S.ws = null;
    }
    delete document.body.dataset.connected;
  }

  function openSocket() {
    if (!S.wsWanted || !S.token) return;
    clearTimeout(S.wsRetryTimer);
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + location.host + "/ws/console"; // 令牌在第一条消息里，不进地址和日志
    var ws;
    try { ws = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    S.ws = ws;
    setConnected(false, S.hadConnection ? "正在重新连接…" : "连接中…");
    ws.onopen = function () {
      if (S.ws !== ws) return;
      ws.send(JSON.stringify({ type: "auth", token: S.token }));
      var reconnect = S.hadConnection;
      S.hadConnection = true;
      S.wsAttempt = 0;
      setConnected(true, "实时连接正常");
      clearInterval(S.pingTimer);
      S.pingTimer = setInterval(function () { wsSend({ type: "ping" }); }, PING_MS);
      var status = $("presence").value;
      if (status && status !== "online" && reconnect) wsSend({ type: "presence", status: status });
      if (reconnect && S.selectedId) {
        loadConversation(S.selectedId);   // catch up on what the drop missed (deduped by id)
        loadPicture(S.selectedId);
      }
      if (reconnect) loadNotifications();
    };
    ws.onmessage = function (e) {
      if (S.ws !== ws) return;
      var evt;
      try { evt = JSON.parse(e.data); } catch (err) { return; }
      try { handleServerEvent(evt); } catch (err) { console.error("event", evt && evt.type, err); }
    };
    ws.onerror = function () { /* onclose follows */ };
    ws.onclose = function (e) {
      if (S.ws !== ws) return;
      clearInterval(S.pingTimer);
      S.ws = null;
      if (e.code === 4401 || e.code === 4403 || e.code === 1008) {
        if (e.code === 4403) { setConnected(false, "无坐席权限"); logout("此账号不能使用坐席工作台"); return; }
        expireSession();
        return;
      }
      setConnected(false, "连接中断，正在重连…");
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (!S.wsWanted) return;
    S.wsAttempt += 1;
    var base = Math.min(30000, 1000 * Math.pow(2, Math.min(S.wsAttempt - 1, 5)));
    var delay = base / 2 + Math.random() * base / 2;
    clearTimeout(S.wsRetryTimer);
    S.wsRetryTimer = setTimeout(openSocket, delay);
  }

  function wsSend(obj) {
    if (S.ws && S.ws.readyState === 1) {
      try { S.ws.send(JSON.stringify(obj)); return true; } catch (e) { return false; }
    }
    return false;
  }

  // ---------------------------------------------------------------- render all
  function renderAll() {
    renderSeat();
    renderQueue();
    renderMine();
    renderNotifications();
    if (!S.selectedId) showChatPane(false);
    if (!S.selectedId) renderPicturePlaceholder("选择会话后显示企业的全场景信息");
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    $("login-form").addEventListener("submit", onLoginSubmit);
    $("btn-logout").addEventListener("click", function () { logout(null); });
    $("presence").addEventListener("change", onPresenceChange);
    $("btn-notif").addEventListener("click", function (e) { e.stopPropagation(); toggleNotifPanel(); });
    $("notif-panel").addEventListener("click", function (e) { e.stopPropagation(); });
    document.addEventListener("click", function () { if (!$("notif-panel").hidden) toggleNotifPanel(false); });

    var input = $("chat-input");
    input.addEventListener("keydown", onInputKeydown);
    input.addEventListener("compositionstart", function () { S.composing = true; });
    input.addEventListener("compositionend", function () { setTimeout(function () { S.composing = false; }, 0); });
    input.addEventListener("input", onInputTyping);
    $("chat-send").addEventListener("click", sendCurrent);
    $("chat").addEventListener("scroll", function () {
      var box = $("chat");
      box.dataset.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80 ? "1" : "0";
    });

    $("btn-claim-current").addEventListener("click", function () { if (S.selectedId) claimConversation(S.selectedId, $("btn-claim-current")); });
    $("btn-knowledge").addEventListener("click", function () { if ($("kb-panel").hidden) openKnowledge(); else closeKnowledge(); });
    $("kb-close").addEventListener("click", closeKnowledge);
    $("kb-form").addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(kbTimer); searchKnowledge(); });
    $("kb-query").addEventListener("input", function () { clearTimeout(kbTimer); kbTimer = setTimeout(searchKnowledge, 400); });
    $("btn-escalate").addEventListener("click", doEscalate);
    $("btn-transfer").addEventListener("click", doTransfer);
    $("btn-petition").addEventListener("click", doPetition);
    $("btn-handback").addEventListener("click", doHandback);
    $("btn-close").addEventListener("click", doClose);
    $("picture-refresh").addEventListener("click", function () { if (S.selectedId) loadPicture(S.selectedId); });

    $("dialog-ok").addEventListener("click", onDialogOk);
    $("dialog-cancel").addEventListener("click", closeDialog);
    $("dialog-backdrop").addEventListener("mousedown", function (e) { if (e.target === $("dialog-backdrop")) closeDialog(); });
    $("dialog-input").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.isComposing) { e.preventDefault(); onDialogOk(); }
    });
    $("lightbox").addEventListener("click", function () { $("lightbox").hidden = true; });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      if (!$("lightbox").hidden) $("lightbox").hidden = true;
      else if (S.dialog) closeDialog();
      else if (!$("notif-panel").hidden) toggleNotifPanel(false);
      else if (!$("kb-panel").hidden) closeKnowledge();
    });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) scheduleRead(); });

    setInterval(tickWaits, 1000);

    try {
      S.token = sessionStorage.getItem(TOKEN_KEY);
      var staff = sessionStorage.getItem(STAFF_KEY);
      S.staff = staff ? JSON.parse(staff) : null;
    } catch (e) { S.token = null; }
    if (S.token) startApp();
    else showLogin(null);
  }

  window.__taxConsole = {
    handleServerEvent: handleServerEvent,
    state: S
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
