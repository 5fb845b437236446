/*
 * 企业端聊天窗口（微信风格）的脚本：身份（访客令牌 / 企业令牌）、WebSocket 收发与断线重连、
 * 消息渲染（答复卡片、澄清按钮、提醒、信用等级、修复申请、工单、附件）、上传、评价与留言，
 * 欢迎卡片（菜单与取自知识库的常见问题）、表单按钮，以及已登录企业的“消息”列表（提醒的全文、回复与已读）。
 * 状态、类型等名称一律取自服务端词表 GET /api/vocabulary，取不到时宁可不显示也不显示英文键。
 * 协议见 docs/hub.md 与 docs/enterprise.md。
 * 所有消息文字一律用 textContent / createTextNode 插入，从不使用 innerHTML。
 * 测试钩子：window.__taxWidget.handleServerEvent(evt) 可直接注入服务端事件。
 */
(function () {
  "use strict";

  var VISITOR_KEY = "taxWidget.visitorToken";
  var ENTERPRISE_KEY = "taxWidget.enterpriseToken"; // sessionStorage: 仅本标签页
  var MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
  var UPLOAD_TYPES = {
    "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "application/pdf": "pdf",
  };
  var UPLOAD_EXTENSIONS = /\.(png|jpe?g|gif|webp|pdf)$/i;
  var TIME_GAP_MS = 5 * 60 * 1000;
  var TURN_MS = 15000; // 同一轮回复的各条消息相隔不超过此时长
  var BACKOFF_MAX_MS = 15000;
  var LEAVE_RETRIES = 5; // 留言提交失败（断网、服务重启）时自动重发的次数
  var BOT_DOWN_PREFIX = "抱歉，智能助手暂时无法回复"; // 与服务端 api/hub/widget.py 的 BOT_DOWN 一致
  var BOT_RETRY_DELAYS_MS = [5000, 10000, 20000, 30000, 30000, 30000];
  var PING_MS = 20000;
  var TYPING_TIMEOUT_MS = 30000;
  var AVATARS = {
    bot: "/static/avatars/bot.svg",
    staff: "/static/avatars/staff.svg",
    expert: "/static/avatars/expert.svg",
    user: "/static/avatars/user.svg",
  };
  var VOCABULARY_GROUPS = ["sender", "conversation_mode", "reminder_type", "reminder_status", "reminder_answer",
    "petition_status", "notice_kind"];
  var PERSON_SENDERS = { bot: true, staff: true, expert: true }; // 显示头像和身份标签的发送方
  var WEEKDAYS = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  var STAR_LABELS = ["非常不满意", "不满意", "一般", "满意", "非常满意"];
  var ERROR_TEXTS = {
    rate_limited: "发送太频繁了，请稍后再试",
    too_long: "消息太长了，请分几次发送",
    empty: "不能发送空白消息",
    bot_unavailable: "智能助手暂时无法回复，请稍后再试或转人工",
  };
  var REMINDER_KINDS = { policy: true, risk: true, credit: true }; // 卡片配色；名称取自词表
  var CREDIT_LEVELS = ["A", "B", "M", "C", "D"];
  var EXPLAIN_PAYLOAD = "/risk_explain";
  var EXPLAIN_MAX = 500;
  var FLASH_MS = 2000;
  // 与 common/identifiers.py 的规则一致：手机号（可带 +86），或带区号的固定电话（可带分机）。
  var MOBILE_RE = /^(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}$/;
  var LANDLINE_RE = /^(?:\((?:0(?:10|2\d|[3-9]\d{2}))\)|0(?:10|2\d|[3-9]\d{2}))[ -]?[2-9]\d{6,7}(?:[ -]?(?:-|转|分机|ext|x|#)\s*\d{1,6})?$/i;

  var $ = function (id) { return document.getElementById(id); };
  var $messages, $input, $send, $handoff, $upload, $mode, $banner, $who;

  var state = {
    visitorToken: null,
    enterpriseToken: null,
    identity: null,
    vocabulary: {}, // 组 → 键 → 中文（GET /api/vocabulary）
    vocabularyLoading: null,
    turnStart: null, // 本轮回复的第一条消息：长回复从它的开头看起
    turnStartAt: 0,
    welcomeLoaded: false,
    conversation: null,
    maxId: 0,
    byId: new Map(), // 消息 id → 元素
    pending: new Map(), // client_id → {clientId, text, payload, el, failed}
    awaiting: null, // 最近发给智能助手、尚未收到回答的一条（echoId：服务端已存下它的消息 id）
    ws: null,
    connected: false,
    attempts: 0,
    reconnectTimer: null,
    pingTimer: null,
    lastSeen: 0,
    starting: false,
    waitingReply: false,
    typingTimer: null,
    lastTime: null, // 最近一条消息的时间，用于决定是否插入时间分隔
    askedForHuman: false,
    embedded: false,
    lastTypingSent: 0,
    blobUrls: new Map(),
    notices: { items: [], loading: false }, // 诉求办理与信用修复的告知（GET /api/widget/notices），与提醒同列于“消息”
    petitions: { items: [], loaded: false, failed: false, loading: false, rating: {} }, // 本企业的诉求与时限
    reminders: {
      enabled: false, // 仅已登录企业：显示“消息”按钮
      loaded: false,
      items: [],
      loading: false,
      failed: false, // 最近一次加载失败
      denied: false, // 服务端拒绝（访客、或本部署没有提醒）
      again: false, // 加载途中又要求刷新：结束后再取一次
      refreshTimer: null,
      detail: null, // 面板里点开的提醒 id
      readSent: new Set(), // 本页已发出（或正在发出）已读标记的提醒 id
      visible: new Set(), // 正在屏幕上、等页面可见时标记已读的提醒卡片
      seen: new Set(), // 已在屏幕上出现过、等列表加载完再标记已读的提醒 id
      observer: null,
      open: false,
    },
  };

  // ---------- 小工具 ----------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  /** 服务端词表里的中文名称；没有时返回 fallback（默认空串），从不返回英文键。 */
  function label(group, key, fallback) {
    var names = state.vocabulary[group];
    if (names && key != null && Object.prototype.hasOwnProperty.call(names, key)) return names[key];
    return fallback == null ? "" : fallback;
  }

  /** 词表只取一次；失败时（例如服务端尚无此路由）用空词表，名称处留空。 */
  function loadVocabulary() {
    return fetch("/api/vocabulary?groups=" + VOCABULARY_GROUPS.join(","))
      .then(function (response) { return response.ok ? readJson(response) : null; })
      .then(function (body) {
        if (body && body.groups && typeof body.groups === "object") state.vocabulary = body.groups;
      })
      .catch(function () { /* 留空 */ });
  }

  function storageGet(store, key) {
    try { return store.getItem(key); } catch (e) { return null; }
  }
  function storageSet(store, key, value) {
    try {
      if (value == null) store.removeItem(key); else store.setItem(key, value);
    } catch (e) { /* 浏览器禁用存储时只在内存中保存 */ }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function startOfDay(d) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()); }

  /** 微信式时间：今天 08:05；昨天 08:05；星期二 08:05；11月20日 08:05；2025年11月20日 08:05。 */
  function formatTime(d) {
    var now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    var days = Math.round((startOfDay(now) - startOfDay(d)) / 86400000);
    if (days <= 0) return hm;
    if (days === 1) return "昨天 " + hm;
    if (days < 7) return WEEKDAYS[d.getDay()] + " " + hm;
    if (d.getFullYear() === now.getFullYear()) return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
    return d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
  }

  function formatSize(bytes) {
    if (bytes == null) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function toHalfWidth(text) {
    return text.replace(/[\uFF01-\uFF5E]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); })
      .replace(/\u3000/g, " ");
  }

  function isValidPhone(raw) {
    var text = toHalfWidth(raw).trim();
    return MOBILE_RE.test(text) || LANDLINE_RE.test(text);
  }

  /** 只接受本站路径或 http(s) 地址，挡住 javascript: 之类的链接。 */
  function safeUrl(url) {
    return typeof url === "string" && /^(\/(?![\/\\])|https?:\/\/)/i.test(url) ? url : null;
  }

  function authHeaders(extra) {
    var headers = extra || {};
    if (state.visitorToken) headers.Authorization = "Bearer " + state.visitorToken;
    if (state.enterpriseToken) headers["X-Enterprise-Token"] = state.enterpriseToken;
    return headers;
  }

  function readJson(response) {
    return response.json().catch(function () { return null; });
  }

  /** 服务端 detail 若是中文说明就直接展示，否则用给定的默认文字。 */
  function detailText(body, fallback) {
    if (body && typeof body.detail === "string" && body.detail) return body.detail;
    return fallback;
  }

  function apiPost(path, payload) {
    return fetch(path, {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify(payload),
    });
  }

  // ---------- 滚动与插入位置 ----------
  function nearBottom() {
    return $messages.scrollHeight - $messages.scrollTop - $messages.clientHeight < 120;
  }
  function scrollToBottom() {
    $messages.scrollTop = $messages.scrollHeight;
  }

  /** 新到的回复：放得下就滚到底；本轮回复比窗口还高时，让它的开头停在窗口顶部，从头读起。 */
  function revealReply() {
    var first = state.turnStart;
    if (!first || !first.isConnected) { scrollToBottom(); return; }
    var top = first.getBoundingClientRect().top - $messages.getBoundingClientRect().top + $messages.scrollTop - 8;
    if ($messages.scrollHeight - top > $messages.clientHeight) $messages.scrollTop = Math.max(0, top);
    else scrollToBottom();
  }

  var typingEl = null;

  /** 已确认的内容放在本地待发送气泡与“正在输入”之前，使待发送消息总在最下方。 */
  function place(node) {
    var ref = $messages.querySelector(":scope > .pending") || (typingEl && typingEl.isConnected ? typingEl : null);
    $messages.insertBefore(node, ref);
  }

  // ---------- 欢迎卡片：快捷入口与常见问题（留在会话顶部，不随新消息隐藏） ----------
  function menuButton(key, title, onClick) {
    var b = el("button", "welcome-action", title);
    b.type = "button";
    b.dataset.action = key;
    b.addEventListener("click", onClick);
    return b;
  }

  /** 快捷入口：人人有“转人工”“提诉求”；已登录企业另有“我的诉求”“我的提醒”。 */
  function renderWelcomeMenu() {
    var menu = $("welcome-menu");
    while (menu.firstChild) menu.removeChild(menu.firstChild);
    menu.appendChild(menuButton("handoff", "转人工", function () { sendMessage("转人工", "/request_human"); }));
    menu.appendChild(menuButton("petition", "提诉求", function () { sendMessage("我要提诉求", "/file_petition"); }));
    if (isEnterprise()) {
      menu.appendChild(menuButton("petitions", "我的诉求", function () { openRemindersPanel("petitions"); }));
      menu.appendChild(menuButton("reminders", "我的提醒", function () { openRemindersPanel(); }));
    }
  }

  /** 常见问题取自知识库（GET /api/widget/welcome）：点一下即按该条目作答。 */
  function loadWelcome() {
    if (state.welcomeLoaded) return;
    fetch("/api/widget/welcome", { headers: authHeaders() })
      .then(function (response) { return response.ok ? readJson(response) : null; })
      .then(function (body) {
        var items = body && Array.isArray(body.suggestions) ? body.suggestions : [];
        var list = $("welcome-list");
        while (list.firstChild) list.removeChild(list.firstChild);
        items.forEach(function (item) {
          if (!item || !item.question) return;
          var li = el("li");
          var b = el("button", "welcome-question", item.question);
          b.type = "button";
          if (item.entry) b.dataset.entry = item.entry;
          var payload = item.entry ? "/ask_tax_question" + JSON.stringify({ entry_id: String(item.entry) }) : null;
          b.addEventListener("click", function () { sendMessage(item.question, payload); });
          li.appendChild(b);
          list.appendChild(li);
        });
        $("welcome-questions").hidden = !list.firstChild;
        state.welcomeLoaded = !!list.firstChild;
      })
      .catch(function () { /* 没有常见问题时只显示快捷入口 */ });
  }

  function maybeTimeSeparator(date) {
    if (isNaN(date)) return;
    if (state.lastTime === null || date - state.lastTime > TIME_GAP_MS) {
      place(el("div", "time-sep", formatTime(date)));
    }
    if (state.lastTime === null || date > state.lastTime) state.lastTime = date;
  }

  // ---------- 头部状态 ----------
  function modeText(conversation) {
    var bot = label("sender", "bot");
    if (!conversation) return ["bot", bot];
    switch (conversation.mode) {
      case "queued": {
        var text = label("conversation_mode", "queued");
        if (conversation.position) text += " 第" + conversation.position + "位";
        if (conversation.expected_wait_seconds != null) {
          text += " 预计等待" + Math.max(1, Math.ceil(conversation.expected_wait_seconds / 60)) + "分钟";
        }
        return ["queued", text.trim()];
      }
      case "human": {
        var seat = conversation.seat;
        if (!seat) return ["human", label("conversation_mode", "human")];
        var badge = seat.badge || label("sender", seat.role);
        return ["human", (badge ? badge + " " : "") + seat.name + " 正在为您服务"];
      }
      case "closed":
        return ["closed", label("conversation_mode", "closed")];
      default:
        return ["bot", bot];
    }
  }

  /** 头部的身份：已登录企业显示企业名称（企业本人看自己的名称，不打码；统一社会信用代码不显示），否则“访客”。 */
  function updateIdentity() {
    var enterprise = isEnterprise() && state.identity.name;
    $who.textContent = enterprise ? state.identity.name : "访客";
    $who.dataset.kind = enterprise ? "enterprise" : "visitor";
    $who.title = enterprise ? "已登录企业：" + state.identity.name : "未登录电子税务局，以访客身份咨询";
  }

  function updateHeader() {
    var result = modeText(state.conversation);
    $mode.dataset.mode = result[0];
    $mode.textContent = result[1];
    var withPerson = result[0] === "queued" || result[0] === "human";
    $handoff.disabled = withPerson;
    $handoff.title = withPerson ? "已转接人工服务" : "转接人工服务";
    $input.placeholder = result[0] === "human" ? "请输入您要咨询的内容" : "请输入您的问题";
  }

  // ---------- 消息渲染 ----------
  function avatar(sender, alt) {
    var img = el("img", "avatar");
    img.src = AVATARS[sender] || AVATARS.bot;
    img.alt = alt || "";
    img.width = 40;
    img.height = 40;
    return img;
  }

  function senderLine(message) {
    var line = el("div", "sender");
    var badge = PERSON_SENDERS[message.sender] ? label("sender", message.sender) : "";
    var name = message.sender_name || badge || "";
    if (name && name !== badge) line.appendChild(el("span", "sender-name", name));
    if (badge) line.appendChild(el("span", "badge " + message.sender, badge));
    return line;
  }

  function quickReplies(buttons) {
    var box = el("div", "quick-replies");
    buttons.forEach(function (button) {
      if (!button || !button.title) return;
      var b = el("button", "quick-reply", button.title);
      b.type = "button";
      if (button.payload) b.dataset.payload = button.payload;
      b.addEventListener("click", function () { sendMessage(button.title, button.payload || null); });
      box.appendChild(b);
    });
    return box;
  }

  function textBubble(text, extraClass) {
    return el("div", "bubble" + (extraClass ? " " + extraClass : ""), text || "");
  }

  function answerCard(message) {
    var custom = message.custom || {};
    var card = el("div", "bubble answer-card");
    card.appendChild(el("div", "answer-text", message.text || ""));

    var sources = el("div", "sources");
    sources.appendChild(el("div", "sources-title", "依据"));
    var list = Array.isArray(custom.sources) ? custom.sources : [];
    if (list.length) {
      var ol = el("ol");
      list.forEach(function (source) {
        var li = el("li");
        li.appendChild(el("span", "source-title", source.title || ""));
        if (source.doc_no) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("span", "doc-no", source.doc_no));
        }
        ol.appendChild(li);
      });
      sources.appendChild(ol);
    } else {
      sources.appendChild(el("div", "no-source", "暂无"));
    }
    sources.appendChild(el("div", "valid-until", custom.valid_until ? "有效期至 " + custom.valid_until : "长期有效"));
    card.appendChild(sources);

    if (message.id != null) card.appendChild(feedbackBar(message));
    return card;
  }

  function feedbackBar(message) {
    var bar = el("div", "feedback");
    var useful = el("button", "feedback-useful", "有用");
    var useless = el("button", "feedback-useless", "没用");
    useful.type = useless.type = "button";
    function show(value) {
      bar.dataset.value = value || "";
      useful.classList.toggle("chosen", value === "useful");
      useless.classList.toggle("chosen", value === "useless");
      useful.setAttribute("aria-pressed", String(value === "useful"));
      useless.setAttribute("aria-pressed", String(value === "useless"));
    }
    function choose(value) {
      if (bar.dataset.value === value || bar.dataset.busy) return;
      var before = bar.dataset.value || null;
      bar.dataset.busy = "1";
      show(value); // 先显示所选，失败再还原
      apiPost("/api/widget/messages/" + encodeURIComponent(message.id) + "/feedback", { value: value })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return readJson(response);
        })
        .then(function (updated) { show((updated && updated.feedback) || value); })
        .catch(function () {
          show(before);
          addSystemLine("评价提交失败，请稍后再试");
        })
        .finally(function () { delete bar.dataset.busy; });
    }
    useful.addEventListener("click", function () { choose("useful"); });
    useless.addEventListener("click", function () { choose("useless"); });
    bar.appendChild(useful);
    bar.appendChild(useless);
    show(message.feedback || null);
    return bar;
  }

  // ---------- 提醒卡片、信用等级卡片、修复申请卡片 ----------
  function reminderTag(type) {
    var known = Object.prototype.hasOwnProperty.call(REMINDER_KINDS, type);
    var tag = el("span", "reminder-tag type-" + (known ? type : "other"), label("reminder_type", type, "办税提醒"));
    return tag;
  }

  /** 提醒 id：取自 custom.reminder_id，没有时从按钮 payload 里的 {"reminder_id": …} 取。 */
  function reminderIdOf(message) {
    var custom = message.custom || {};
    if (custom.reminder_id != null && String(custom.reminder_id) !== "") return String(custom.reminder_id);
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    for (var i = 0; i < buttons.length; i++) {
      var match = /"reminder_id"\s*:\s*"?(\d+)"?/.exec((buttons[i] && buttons[i].payload) || "");
      if (match) return match[1];
    }
    return null;
  }

  /** 提醒消息：带类型标签、标题、正文、判断依据与回复按钮的卡片；“有合理原因”先展开填写原因的输入框。 */
  function reminderBlock(message, afterSend) {
    var custom = message.custom || {};
    var type = Object.prototype.hasOwnProperty.call(REMINDER_KINDS, custom.type) ? custom.type : "other";
    var reminderId = reminderIdOf(message);
    var card = el("div", "bubble reminder-card type-" + type);
    if (reminderId) card.dataset.reminder = reminderId;
    card.dataset.type = type;

    var head = el("div", "reminder-head");
    head.appendChild(reminderTag(custom.type));
    card.appendChild(head);
    if (custom.title) card.appendChild(el("div", "reminder-heading", custom.title));
    card.appendChild(el("div", "reminder-text", message.text || ""));

    var reasons = Array.isArray(custom.reasons) ? custom.reasons.filter(function (r) { return r != null && r !== ""; }) : [];
    if (reasons.length) {
      var box = el("div", "reminder-reasons");
      box.appendChild(el("div", "reminder-reasons-title", "判断依据"));
      var ul = el("ul");
      reasons.forEach(function (reason) { ul.appendChild(el("li", null, reason)); });
      box.appendChild(ul);
      card.appendChild(box);
    }

    var explain = explainForm(reminderId, afterSend);
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length) {
      var replies = el("div", "quick-replies reminder-actions");
      buttons.forEach(function (button) {
        if (!button || !button.title) return;
        var b = el("button", "quick-reply", button.title);
        b.type = "button";
        if (button.payload) b.dataset.payload = button.payload;
        if (typeof button.payload === "string" && button.payload.indexOf(EXPLAIN_PAYLOAD) === 0) {
          b.classList.add("explain-toggle");
          b.setAttribute("aria-expanded", "false");
          b.addEventListener("click", function () { explain.toggle(b); });
        } else {
          b.addEventListener("click", function () {
            sendMessage(button.title, button.payload || null);
            if (afterSend) afterSend();
          });
        }
        replies.appendChild(b);
      });
      card.appendChild(replies);
    }
    return { card: card, explain: explain.form };
  }

  /** “有合理原因”的输入框：原因必填、去掉首尾空白后 1–500 字，提交时把原因放进 payload 交给智能助手。 */
  function explainForm(reminderId, afterSend) {
    var form = el("form", "reminder-explain-form");
    form.noValidate = true;
    form.hidden = true;
    var label = el("label", "reminder-explain-label");
    label.appendChild(el("span", null, "请说明原因"));
    var textarea = el("textarea", "reminder-explain");
    textarea.rows = 3;
    textarea.placeholder = "请简要说明原因，例如：季节性停业";
    label.appendChild(textarea);
    form.appendChild(label);
    var error = el("div", "field-error reminder-explain-error");
    error.setAttribute("role", "alert");
    form.appendChild(error);
    var actions = el("div", "reminder-explain-actions");
    var cancel = el("button", "reminder-explain-cancel", "取消");
    cancel.type = "button";
    var submit = el("button", "reminder-explain-submit", "提交");
    submit.type = "submit";
    actions.appendChild(cancel);
    actions.appendChild(submit);
    form.appendChild(actions);
    var toggleButton = null;

    function close() {
      form.hidden = true;
      error.textContent = "";
      if (toggleButton) toggleButton.setAttribute("aria-expanded", "false");
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var reason = textarea.value.trim();
      var length = Array.from(reason).length;
      if (!length) { error.textContent = "请填写原因"; textarea.focus(); return; }
      if (length > EXPLAIN_MAX) { error.textContent = "原因不能超过" + EXPLAIN_MAX + "字（现在" + length + "字）"; textarea.focus(); return; }
      var data = { explanation: reason };
      if (reminderId) data = { reminder_id: String(reminderId), explanation: reason };
      sendMessage("有合理原因：" + reason, EXPLAIN_PAYLOAD + JSON.stringify(data));
      textarea.value = "";
      close();
      if (afterSend) afterSend();
    });
    cancel.addEventListener("click", function () { close(); });
    textarea.addEventListener("input", function () { if (error.textContent) error.textContent = ""; });

    return {
      form: form,
      toggle: function (button) {
        toggleButton = button;
        if (!form.hidden) { close(); return; }
        form.hidden = false;
        button.setAttribute("aria-expanded", "true");
        var stick = nearBottom();
        textarea.focus({ preventScroll: true });
        if (stick) scrollToBottom();
        else form.scrollIntoView({ block: "nearest" });
      },
    };
  }

  function creditCard(custom) {
    var level = CREDIT_LEVELS.indexOf(String(custom.level || "").toUpperCase()) >= 0 ? String(custom.level).toUpperCase() : null;
    var card = el("div", "info-card credit-card level-" + (level || "none"));
    var head = el("div", "credit-head");
    var letter = el("span", "credit-level", level || "—");
    letter.setAttribute("aria-label", "纳税信用等级 " + (level || "未评"));
    head.appendChild(letter);
    var meta = el("div", "credit-meta");
    meta.appendChild(el("div", "credit-year", (custom.year != null && custom.year !== "" ? custom.year + "年度" : "") + "纳税信用等级"));
    if (custom.score != null && custom.score !== "") meta.appendChild(el("div", "credit-score", "信用得分 " + custom.score + " 分"));
    head.appendChild(meta);
    card.appendChild(head);

    var deductions = Array.isArray(custom.deductions) ? custom.deductions.filter(Boolean) : [];
    var box = el("div", "credit-deductions");
    box.appendChild(el("div", "credit-deductions-title", "扣分记录"));
    if (deductions.length) {
      var ul = el("ul");
      deductions.forEach(function (d) {
        var li = el("li", "deduction");
        var main = el("div", "deduction-main");
        main.appendChild(el("span", "deduction-reason", d.reason || "扣分"));
        if (d.points != null && d.points !== "" && !isNaN(Number(d.points))) {
          main.appendChild(el("span", "deduction-points", "−" + Math.abs(Number(d.points)) + " 分"));
        }
        li.appendChild(main);
        var meta2 = el("div", "deduction-meta");
        if (d.date) meta2.appendChild(el("span", "deduction-date", d.date));
        if (d.repairable) meta2.appendChild(el("span", "tag tag-repairable", "可修复"));
        if (d.corrected) meta2.appendChild(el("span", "tag tag-corrected", "已纠正"));
        if (meta2.firstChild) li.appendChild(meta2);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    } else {
      box.appendChild(el("div", "credit-empty", "暂无扣分记录"));
    }
    card.appendChild(box);
    return card;
  }

  function repairCard(repair) {
    var card = el("div", "info-card repair-card");
    if (repair.id != null) card.dataset.repair = String(repair.id);
    card.appendChild(el("span", "card-title", "信用修复申请已受理"));
    var dl = el("dl");
    dl.appendChild(el("dt", null, "申请编号"));
    dl.appendChild(el("dd", "repair-no", "XF-" + (repair.id != null ? repair.id : "")));
    dl.appendChild(el("dt", null, "办结期限"));
    dl.appendChild(el("dd", "repair-due", repair.due_date || "以通知为准"));
    card.appendChild(dl);
    return card;
  }

  function petitionCard(custom) {
    var card = el("div", "info-card petition-card");
    card.appendChild(el("span", "card-title", custom.kind === "petition_status" ? "诉求办理进度" : "诉求已受理"));
    var dl = el("dl");
    function row(label, value) {
      if (value == null || value === "") return;
      dl.appendChild(el("dt", null, label));
      dl.appendChild(el("dd", null, value));
    }
    row("工单号", custom.ticket);
    row("类别", custom.category);
    row("状态", label("petition_status", custom.status));
    row("办理期限", custom.due_date);
    card.appendChild(dl);
    return card;
  }

  /** 附件要带令牌才能取到：用 fetch 取回后生成 blob: 地址；失败时退回原地址。 */
  function loadAttachment(url) {
    if (state.blobUrls.has(url)) return Promise.resolve(state.blobUrls.get(url));
    return fetch(url, { headers: authHeaders() }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    }).then(function (blob) {
      var objectUrl = URL.createObjectURL(blob);
      state.blobUrls.set(url, objectUrl);
      return objectUrl;
    });
  }

  function attachmentBubble(attachment, localUrl) {
    var url = safeUrl(attachment.url);
    var isImage = /^image\//.test(attachment.content_type || "");
    if (isImage) {
      var bubble = el("div", "bubble image");
      var img = el("img");
      img.alt = attachment.filename || "图片";
      bubble.appendChild(img);
      img.addEventListener("load", function () { if (nearBottom()) scrollToBottom(); });
      if (localUrl) {
        img.src = localUrl;
      } else if (url) {
        loadAttachment(url).then(function (u) { img.src = u; }).catch(function () { img.src = url; });
        img.addEventListener("click", function () { openAttachment(url); });
      }
      return bubble;
    }
    var fileBubble = el("div", "bubble file");
    var link = el("a", "file-card");
    link.href = url || "#";
    link.target = "_blank";
    link.rel = "noopener";
    link.appendChild(el("span", "file-icon", "PDF"));
    var meta = el("span", "file-meta");
    meta.appendChild(el("span", "file-name", attachment.filename || "文件"));
    meta.appendChild(el("span", "file-size", formatSize(attachment.size)));
    link.appendChild(meta);
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (url) openAttachment(url);
    });
    fileBubble.appendChild(link);
    return fileBubble;
  }

  function openAttachment(url) {
    var win = window.open("", "_blank"); // 先同步打开，避免被拦截弹窗
    loadAttachment(url).then(function (objectUrl) {
      if (win) win.location.href = objectUrl; else window.location.assign(objectUrl);
    }).catch(function () {
      if (win) win.location.href = url; else window.location.assign(url);
    });
  }

  function renderMessage(message) {
    var custom = message.custom || null;
    var kind = (custom && custom.kind) || "";
    var sender = message.sender || "system";
    var node = el("div", "line msg");
    node.dataset.id = String(message.id);
    node.dataset.sender = sender;
    node.dataset.kind = kind;
    if (message.client_id) node.dataset.clientId = message.client_id;

    if (sender === "system") {
      node.classList.add("system");
      node.appendChild(el("div", "system-text", message.text || ""));
      return node;
    }

    var mine = sender === "user";
    node.classList.add(mine ? "mine" : "theirs");
    node.appendChild(avatar(sender, mine ? "我" : message.sender_name || label("sender", sender)));
    var body = el("div", "body");
    if (!mine) body.appendChild(senderLine(message));
    var row = el("div", "row");
    var hasButtons = Array.isArray(message.buttons) && message.buttons.length;
    if (kind === "reminder" && !message.attachment) {
      var block = reminderBlock(message); // 按钮在卡片内
      row.appendChild(block.card);
      body.appendChild(row);
      body.appendChild(block.explain);
      node.appendChild(body);
      return node;
    }
    if (message.attachment) row.appendChild(attachmentBubble(message.attachment));
    else if (kind === "answer") row.appendChild(answerCard(message));
    else row.appendChild(textBubble(message.text));
    body.appendChild(row);
    if (kind === "petition_created" || kind === "petition_status") body.appendChild(petitionCard(custom));
    if (kind === "credit") body.appendChild(creditCard(custom));
    if (kind === "reminder_answer" && Array.isArray(custom.repairs)) {
      custom.repairs.forEach(function (repair) { if (repair) body.appendChild(repairCard(repair)); });
    }
    if (hasButtons) body.appendChild(quickReplies(message.buttons));
    node.appendChild(body);
    return node;
  }

  /** 本地的灰色提示（不是服务端消息，所以没有 .msg / data-id）。 */
  function addSystemLine(text, extraClass) {
    var node = el("div", "line system local" + (extraClass ? " " + extraClass : ""));
    node.appendChild(el("div", "system-text", text));
    place(node);
    scrollToBottom();
    return node;
  }

  function insertById(node, id) {
    var later = Array.prototype.find.call($messages.querySelectorAll(":scope > .msg[data-id]"), function (other) {
      return Number(other.dataset.id) > id;
    });
    if (later) $messages.insertBefore(node, later); else place(node);
  }

  /** 转人工无人接入（offline），或排队时无人在线、等待较长（leave_message）：都提供留言卡片。 */
  function isOfflineHandoff(message) {
    var custom = message.custom;
    return !!custom && custom.kind === "handoff" && (custom.status === "offline" || custom.leave_message === true);
  }

  /** 智能助手忙：问题已排队（不存入记录的提示，一条即可；回复到达时移除）。 */
  function showBusy(text) {
    var line = $messages.querySelector(":scope > .line.system.busy");
    if (line) line.remove();
    addSystemLine(text, "busy");
    if (state.waitingReply) showTyping("bot");
  }

  function clearBusy() {
    var line = $messages.querySelector(":scope > .line.system.busy");
    if (line) line.remove();
  }

  /** 加入一条服务端消息：按 id 去重；client_id 与本地待发送气泡相同则替换它。 */
  function addMessage(message, live) {
    if (!message || message.id == null || message.internal) return;
    var id = Number(message.id);
    if (message.sender && message.sender !== "user") clearBusy();
    if (message.client_id && state.pending.has(message.client_id)) {
      state.pending.get(message.client_id).el.remove();
      state.pending.delete(message.client_id);
    }
    var awaiting = state.awaiting;
    if (awaiting && message.client_id === awaiting.clientId && message.sender === "user") awaiting.echoId = id;
    else if (awaiting && awaiting.echoId != null && message.sender !== "user" && id > awaiting.echoId) {
      if (!isBotDown(message)) { state.awaiting = null; clearTimeout(state.botRetryTimer); }
      else if (live && !awaiting.botRetries) retryAwaiting(awaiting);
    }
    if (state.byId.has(id)) return;
    var stick = live || nearBottom();
    var node = renderMessage(message);
    if (id < state.maxId) {
      insertById(node, id);
    } else {
      maybeTimeSeparator(new Date(message.created_at));
      place(node);
      state.maxId = id;
    }
    state.byId.set(id, node);
    var card = node.querySelector(".reminder-card[data-reminder]");
    if (card) watchReminderCard(card);
    var kind = message.custom && message.custom.kind;
    if (live && (kind === "reminder" || kind === "reminder_answer" || kind === "petition_notice")) scheduleRemindersRefresh();

    if (message.sender === "user") state.turnStart = null;
    else if (live && (!state.turnStart || Date.now() - state.turnStartAt > TURN_MS)) {
      state.turnStart = node; // 用户发言后的第一条回复，或隔了一阵才来的消息，开始新的一轮
      state.turnStartAt = Date.now();
    }
    if (message.sender !== "user" && live) stopWaiting();
    if (live && isOfflineHandoff(message)) showLeaveMessageCard();
    if (stick) {
      if (live && message.sender !== "user") revealReply(); else scrollToBottom();
    }
  }

  // ---------- 本地待发送气泡 ----------
  function pendingBubble(content) {
    var node = el("div", "line mine pending");
    node.dataset.sender = "user";
    node.appendChild(avatar("user", "我"));
    var body = el("div", "body");
    var row = el("div", "row");
    row.appendChild(content);
    var mark = el("span", "pending-mark");
    mark.title = "发送中";
    mark.setAttribute("aria-label", "发送中");
    row.appendChild(mark);
    body.appendChild(row);
    node.appendChild(body);
    return node;
  }

  function appendPending(node) {
    $messages.insertBefore(node, typingEl && typingEl.isConnected ? typingEl : null);
    scrollToBottom();
  }

  function sendMessage(text, payload) {
    text = (text || "").replace(/\s+$/, "");
    if (!text.trim()) return;
    var item = { clientId: uuid(), text: text, payload: payload || null, el: null };
    item.el = pendingBubble(textBubble(text));
    item.el.dataset.clientId = item.clientId;
    state.pending.set(item.clientId, item);
    appendPending(item.el);
    if (payload === "/request_human") state.askedForHuman = true;
    transmit(item);
  }

  function transmit(item) {
    if (!state.connected || !state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    var frame = { type: "message", text: item.text, client_id: item.clientId };
    if (item.payload) frame.payload = item.payload;
    state.ws.send(JSON.stringify(frame));
    var mode = state.conversation ? state.conversation.mode : "bot";
    if (mode === "bot" || mode === "closed") {
      startWaiting();
      // 等待回答：服务中断、回答丢失时，重连后用同一 client_id 再发一次（服务端只存一次，并补上回答）
      state.awaiting = item;
    }
    return true;
  }

  /** 服务端“智能助手暂时无法回复”的提示（智能助手重启中）：不是回答。 */
  function isBotDown(message) {
    return message.sender === "system" && (message.text || "").indexOf(BOT_DOWN_PREFIX) === 0;
  }

  /** 智能助手暂时无法回复时，稍后用同一 client_id 自动再问几次（服务端只存一次，回答到了就停），不必重新输入。 */
  function retryAwaiting(item) {
    if (state.awaiting !== item || (item.botRetries || 0) >= BOT_RETRY_DELAYS_MS.length) return;
    var delay = BOT_RETRY_DELAYS_MS[item.botRetries || 0];
    item.botRetries = (item.botRetries || 0) + 1;
    clearTimeout(state.botRetryTimer);
    state.botRetryTimer = setTimeout(function () {
      if (state.awaiting !== item) return;
      transmit(item);
      retryAwaiting(item);
    }, delay);
  }

  function flushPending() {
    state.pending.forEach(function (item) { if (!item.failed) transmit(item); });
  }

  /** 服务端拒收（太频繁、太长…）的消息：标红，点一下用同一 client_id 重发。 */
  function markOldestPendingFailed() {
    var first = null;
    state.pending.forEach(function (item) { if (!first && !item.failed) first = item; });
    if (!first) return;
    first.failed = true;
    var mark = first.el.querySelector(".pending-mark");
    if (!mark) return;
    mark.className = "failed-mark";
    mark.textContent = "!";
    mark.title = "发送失败，点击重发";
    mark.setAttribute("role", "button");
    mark.addEventListener("click", function retry() {
      mark.removeEventListener("click", retry);
      first.failed = false;
      mark.className = "pending-mark";
      mark.textContent = "";
      mark.title = "发送中";
      transmit(first);
    });
  }

  // ---------- 正在输入 ----------
  function buildTypingIndicator() {
    var node = el("div", "line theirs typing-indicator");
    node.setAttribute("aria-label", "对方正在输入");
    var img = avatar("bot", "");
    node.appendChild(img);
    var body = el("div", "body");
    var row = el("div", "row");
    var bubble = el("div", "bubble");
    var dots = el("span", "dots");
    dots.appendChild(el("i"));
    dots.appendChild(el("i"));
    dots.appendChild(el("i"));
    bubble.appendChild(dots);
    row.appendChild(bubble);
    body.appendChild(row);
    node.appendChild(body);
    return node;
  }

  function showTyping(sender) {
    typingEl.querySelector(".avatar").src = AVATARS[sender] || AVATARS.bot;
    typingEl.dataset.sender = sender || "bot";
    var stick = nearBottom();
    $messages.appendChild(typingEl);
    if (stick) scrollToBottom();
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_TIMEOUT_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    if (typingEl.isConnected) typingEl.remove();
  }

  function startWaiting() {
    state.waitingReply = true;
    showTyping("bot");
  }

  function stopWaiting() {
    state.waitingReply = false;
    hideTyping();
  }

  // ---------- 评价卡片 ----------
  function showRatingCard(conversation) {
    var existing = $messages.querySelector('.rating-card[data-conversation-id="' + Number(conversation.id) + '"]');
    if (existing) return;
    ["rating-comment", "rating-submit"].forEach(function (id) {
      var old = document.getElementById(id);
      if (old) old.removeAttribute("id");
    });
    var card = el("div", "form-card rating-card");
    card.dataset.conversationId = String(conversation.id);
    card.appendChild(el("h2", null, "请对本次服务进行评价"));
    var seat = conversation.seat;
    card.appendChild(el("p", "hint", seat ? "为 " + (seat.badge ? seat.badge + " " : "") + seat.name + " 的服务打分" : "您的评价将帮助我们改进服务"));
    var stars = el("div", "stars");
    stars.setAttribute("role", "radiogroup");
    stars.setAttribute("aria-label", "评分");
    var label = el("div", "star-label");
    var score = 0;
    var comment = el("textarea");
    comment.id = "rating-comment";
    comment.rows = 2;
    comment.maxLength = 500;
    comment.placeholder = "其他意见或建议（选填）";
    var submit = el("button", "primary-btn", "提交");
    submit.id = "rating-submit";
    submit.type = "button";
    submit.disabled = true;
    var error = el("div", "field-error");

    function paint(value) {
      stars.querySelectorAll(".star").forEach(function (star) {
        star.classList.toggle("on", Number(star.dataset.score) <= value);
      });
      label.textContent = value ? STAR_LABELS[value - 1] : "";
    }
    for (var i = 1; i <= 5; i++) {
      var star = el("button", "star", "★");
      star.type = "button";
      star.dataset.score = String(i);
      star.setAttribute("role", "radio");
      star.setAttribute("aria-label", i + " 星");
      star.addEventListener("click", function (event) {
        score = Number(event.currentTarget.dataset.score);
        stars.querySelectorAll(".star").forEach(function (s) {
          s.setAttribute("aria-checked", String(Number(s.dataset.score) === score));
        });
        paint(score);
        submit.disabled = false;
      });
      stars.appendChild(star);
    }
    card.appendChild(stars);
    card.appendChild(label);
    card.appendChild(comment);
    card.appendChild(error);
    card.appendChild(submit);

    function done(text) {
      card.classList.add("done");
      while (card.firstChild) card.removeChild(card.firstChild);
      var result = el("div", "form-result");
      result.appendChild(el("div", "ok", text));
      if (score) result.appendChild(el("div", "stars-result", "★★★★★".slice(0, score) + "☆☆☆☆☆".slice(0, 5 - score)));
      card.appendChild(result);
    }

    submit.addEventListener("click", function () {
      if (!score) return;
      submit.disabled = true;
      error.textContent = "";
      var body = { score: score };
      var text = comment.value.trim();
      if (text) body.comment = text;
      apiPost("/api/widget/conversations/" + encodeURIComponent(conversation.id) + "/rating", body)
        .then(function (response) {
          if (response.ok) {
            done("感谢您的评价");
            return readJson(response).then(function (updated) {
              if (updated && state.conversation && updated.id === state.conversation.id) {
                state.conversation = updated;
                updateHeader();
              }
            });
          }
          if (response.status === 409) { done("本次服务已评价，感谢您的反馈"); return null; }
          return readJson(response).then(function (b) { throw new Error(detailText(b, "提交失败，请稍后再试")); });
        })
        .catch(function (e) {
          error.textContent = e && e.message && /[\u4e00-\u9fff]/.test(e.message) ? e.message : "提交失败，请稍后再试";
          submit.disabled = false;
        });
    });

    place(card);
    scrollToBottom();
  }

  // ---------- 留言卡片（非服务时间或无人在线） ----------
  function field(labelText, input, required) {
    var wrap = el("label");
    var caption = el("span", required ? "required" : null, labelText);
    wrap.appendChild(caption);
    wrap.appendChild(input);
    var error = el("div", "field-error");
    wrap.appendChild(error);
    return { wrap: wrap, input: input, error: error };
  }

  function lastUserText() {
    var nodes = $messages.querySelectorAll('.msg[data-sender="user"] .bubble');
    for (var i = nodes.length - 1; i >= 0; i--) {
      var text = nodes[i].textContent.trim();
      if (text && text !== "转人工" && !nodes[i].classList.contains("file") && !nodes[i].classList.contains("image")) return text;
    }
    return "";
  }

  function showLeaveMessageCard() {
    state.askedForHuman = false;
    if ($messages.querySelector(".leave-message-card:not(.done)")) return;
    var card = el("form", "form-card leave-message-card");
    card.noValidate = true;
    var waiting = state.conversation && state.conversation.mode === "queued";
    card.appendChild(el("h2", null, waiting ? "等待期间，您也可以留言" : "人工服务暂不在线，请留言"));
    var hours = state.conversation && state.conversation.service_hours;
    card.appendChild(el("p", "hint", (hours ? "人工服务时间：" + hours + "。" : "") + "留言后我们会尽快与您联系。"));

    var name = el("input");
    name.type = "text";
    name.name = "taxpayer_name";
    name.maxLength = 100;
    name.autocomplete = "organization";
    name.placeholder = "企业或个人名称";
    if (state.identity && state.identity.kind === "enterprise" && state.identity.name) name.value = state.identity.name;
    var phone = el("input");
    phone.type = "tel";
    phone.name = "contact_phone";
    phone.maxLength = 30;
    phone.autocomplete = "tel";
    phone.placeholder = "手机号或带区号的固定电话";
    var content = el("textarea");
    content.name = "content";
    content.rows = 3;
    content.maxLength = 1000;
    content.placeholder = "请描述您要咨询或反映的问题";
    content.value = lastUserText();

    var fields = {
      taxpayer_name: field("纳税人名称", name, true),
      contact_phone: field("联系电话", phone, true),
      content: field("留言内容", content, true),
    };
    Object.keys(fields).forEach(function (key) { card.appendChild(fields[key].wrap); });
    var general = el("div", "field-error");
    card.appendChild(general);
    var submit = el("button", "primary-btn", "提交留言");
    submit.type = "submit";
    card.appendChild(submit);

    function validate() {
      var ok = true;
      Object.keys(fields).forEach(function (key) { fields[key].error.textContent = ""; });
      if (!name.value.trim()) { fields.taxpayer_name.error.textContent = "请填写纳税人名称"; ok = false; }
      if (!phone.value.trim()) { fields.contact_phone.error.textContent = "请填写联系电话"; ok = false; }
      else if (!isValidPhone(phone.value)) {
        fields.contact_phone.error.textContent = "请填写正确的手机号（如 13800138000）或带区号的固定电话（如 0755-23456789）";
        ok = false;
      }
      if (!content.value.trim()) { fields.content.error.textContent = "请填写留言内容"; ok = false; }
      return ok;
    }

    // 同一张卡片的留言始终带同一个 client_id：网络中断或服务重启后重发，服务端只登记一次、回同一个工单号。
    var leaveClientId = uuid();

    /** 提交留言；连接失败或服务端 5xx 时用同一 client_id 自动重发几次，企业不必重新填写。 */
    function postLeaveMessage(payload, attempt) {
      return apiPost("/api/widget/leave-message", payload).then(function (response) {
        if (response.status >= 500 && attempt < LEAVE_RETRIES) return retryLater(payload, attempt);
        return response;
      }, function () {
        if (attempt < LEAVE_RETRIES) return retryLater(payload, attempt);
        throw new Error("网络连接中断，留言提交失败，请稍后再试");
      });
    }

    function retryLater(payload, attempt) {
      return new Promise(function (resolve) { setTimeout(resolve, Math.min(1000 * Math.pow(2, attempt), 8000)); })
        .then(function () { return postLeaveMessage(payload, attempt + 1); });
    }

    card.addEventListener("submit", function (event) {
      event.preventDefault();
      general.textContent = "";
      if (!validate()) return;
      submit.disabled = true;
      postLeaveMessage({
        taxpayer_name: name.value.trim(),
        contact_phone: toHalfWidth(phone.value).trim(),
        content: content.value.trim(),
        client_id: leaveClientId,
      }, 0).then(function (response) {
        return readJson(response).then(function (body) {
          if (!response.ok || !body || !body.ticket) throw new Error(detailText(body, "留言提交失败，请稍后再试"));
          card.classList.add("done");
          while (card.firstChild) card.removeChild(card.firstChild);
          var result = el("div", "form-result");
          result.appendChild(el("div", "ok", "留言已提交"));
          result.appendChild(el("div", "ticket", "工单号：" + body.ticket));
          if (body.due_date) result.appendChild(el("div", "due-date", "我们将在 " + body.due_date + " 前答复您"));
          card.appendChild(result);
        });
      }).catch(function (e) {
        general.textContent = e && e.message && /[\u4e00-\u9fff]/.test(e.message) ? e.message : "留言提交失败，请稍后再试";
        submit.disabled = false;
      });
    });

    place(card);
    scrollToBottom();
  }

  // ---------- 消息提醒：已读标记与“消息”列表（仅已登录企业） ----------
  var $remindersBtn, $remindersBadge, $remindersPanel, $remindersList, $remindersStatus, $remindersBackdrop;
  var $reminderDetail, $reminderBack;

  /** 提醒卡片在屏幕上出现过一次（且页面可见）就标记已读；每条提醒每次打开页面只标记一次。 */
  function watchReminderCard(card) {
    var r = state.reminders;
    if (r.readSent.has(card.dataset.reminder)) return;
    if (!("IntersectionObserver" in window)) return;
    if (!r.observer) {
      r.observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          var root = entry.rootBounds;
          var seen = entry.isIntersecting && (entry.intersectionRatio >= 0.5 ||
            (root && root.height > 0 && entry.intersectionRect.height >= root.height * 0.5));
          if (seen) r.visible.add(entry.target); else r.visible.delete(entry.target);
        });
        markVisibleReminderCards();
      }, { root: $messages, threshold: [0, 0.25, 0.5, 0.75, 1] });
    }
    r.observer.observe(card);
  }

  function markVisibleReminderCards() {
    var r = state.reminders;
    if (document.visibilityState !== "visible" || !r.visible.size) return;
    r.visible.forEach(function (card) {
      r.visible.delete(card);
      if (r.observer) r.observer.unobserve(card);
      if (card.isConnected) r.seen.add(card.dataset.reminder);
    });
    flushSeenReminders();
  }

  /** 列表正在加载时先等它（已是已读的就不必再标记）；只有企业身份才有提醒可标记。 */
  function flushSeenReminders() {
    var r = state.reminders;
    if (!r.seen.size || (r.enabled && r.loading && !r.loaded)) return;
    var ids = Array.from(r.seen);
    r.seen.clear();
    if (!isEnterprise() || r.denied) return;
    ids.forEach(markReminderRead);
  }

  function findReminder(id) {
    var key = String(id);
    for (var i = 0; i < state.reminders.items.length; i++) {
      if (String(state.reminders.items[i].id) === key) return state.reminders.items[i];
    }
    return null;
  }

  function markReminderRead(id) {
    var r = state.reminders;
    var key = String(id == null ? "" : id);
    if (!/^\d+$/.test(key) || r.readSent.has(key)) return;
    r.readSent.add(key);
    var item = findReminder(key);
    if (item && item.read_at) return; // 列表里已是已读
    if (item) {
      item.read_at = new Date().toISOString();
      if (item.status === "created" || item.status === "delivered") item.status = "read";
      renderReminders();
    }
    fetch("/api/widget/reminders/" + encodeURIComponent(key) + "/read", { method: "POST", headers: authHeaders() })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.status === 404) return null; // 不是本企业的提醒
        if (!response.ok) throw new Error(String(response.status));
        return readJson(response).then(function (updated) {
          if (!updated || updated.id == null) return;
          var index = r.items.findIndex(function (x) { return String(x.id) === String(updated.id); });
          if (index >= 0) { r.items[index] = updated; renderReminders(); }
        });
      })
      .catch(function () {
        r.readSent.delete(key); // 没标记上：在“消息”列表里点开时再试
        if (r.enabled) refreshReminders();
      });
  }

  /** 身份（或词表）有变：头部的身份、状态与欢迎卡片的入口跟着变。 */
  function identityChanged() {
    updateIdentity();
    updateHeader();
    renderWelcomeMenu();
  }

  function isEnterprise() {
    return !!(state.identity && state.identity.kind === "enterprise");
  }

  function updateRemindersAccess() {
    if (isEnterprise()) {
      state.reminders.enabled = true;
      state.reminders.denied = false;
      $remindersBtn.hidden = false;
      refreshReminders();
    } else {
      disableReminders();
    }
  }

  function disableReminders() {
    var r = state.reminders;
    r.enabled = false;
    r.loaded = false;
    r.items = [];
    closeRemindersPanel(false);
    $remindersBtn.hidden = true;
    renderReminders();
  }

  function scheduleRemindersRefresh() {
    var r = state.reminders;
    if (!r.enabled) return;
    clearTimeout(r.refreshTimer);
    r.refreshTimer = setTimeout(refreshReminders, 300);
  }

  function refreshReminders() {
    var r = state.reminders;
    if (!r.enabled) return;
    refreshNotices();
    if (r.open) refreshPetitions();
    if (r.loading) { r.again = true; return; }
    r.loading = true;
    r.again = false;
    if (!r.loaded) renderReminders();
    fetch("/api/widget/reminders", { headers: authHeaders() })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          r.denied = true;
          disableReminders(); // 访客（或本部署没有提醒）：不显示“消息”
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        return readJson(response).then(function (body) {
          if (!r.enabled) return;
          var items = body && Array.isArray(body.reminders) ? body.reminders.filter(function (x) { return x && x.id != null; }) : [];
          items.forEach(function (item) { // 已在本页标记已读而服务端尚未反映的，按已读显示
            if (!item.read_at && r.readSent.has(String(item.id))) item.read_at = new Date().toISOString();
          });
          r.items = items;
          r.loaded = true;
          r.failed = false;
          renderReminders();
        });
      })
      .catch(function () {
        r.failed = true;
        renderReminders();
      })
      .finally(function () {
        r.loading = false;
        flushSeenReminders();
        if (r.again) refreshReminders();
      });
  }

  function shortTime(value) {
    var d = new Date(value);
    if (!value || isNaN(d)) return "";
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  /** [样式, 文字]：未读的显示“未读”，其余显示服务端词表里的状态名（有答复时带上答复）。 */
  function reminderStatus(item) {
    var answer = item.answer ? label("reminder_answer", item.answer) : "";
    var name = label("reminder_status", item.status);
    if (item.status === "closed" || item.status === "expired") return ["closed", name + (answer ? "：" + answer : "")];
    if (item.status === "answered") return ["answered", name + (answer ? "：" + answer : "")];
    if (!item.read_at) return ["unread", "未读"];
    return ["read", label("reminder_status", "read")];
  }

  function sortedReminders() {
    return state.reminders.items.concat(state.notices.items).sort(function (a, b) {
      var ta = Date.parse(a.created_at) || 0;
      var tb = Date.parse(b.created_at) || 0;
      if (ta !== tb) return tb - ta;
      return Number(b.id) - Number(a.id);
    });
  }

  function unreadCount() {
    return state.reminders.items.concat(state.notices.items).filter(function (item) { return !item.read_at; }).length;
  }

  function renderReminders() {
    var r = state.reminders;
    var unread = r.loaded ? unreadCount() : 0;
    $remindersBadge.hidden = !unread;
    $remindersBadge.textContent = unread > 99 ? "99+" : String(unread);
    var label = unread ? "消息提醒，" + unread + " 条未读" : "消息提醒";
    $remindersBtn.setAttribute("aria-label", label);
    $remindersBtn.title = label;
    if (!r.open) return;

    var detail = r.detail != null ? findReminder(r.detail) : null;
    $reminderDetail.hidden = !detail;
    $remindersList.hidden = !!detail;
    if (detail) {
      $remindersStatus.hidden = true;
      renderReminderDetail(detail);
      return;
    }
    while ($remindersList.firstChild) $remindersList.removeChild($remindersList.firstChild);
    var items = sortedReminders();
    if (!r.loaded) $remindersStatus.textContent = r.failed ? "消息加载失败，请稍后再试" : "正在加载…";
    else if (!items.length) $remindersStatus.textContent = "暂无消息提醒";
    else $remindersStatus.textContent = "";
    $remindersStatus.hidden = !$remindersStatus.textContent;
    items.forEach(function (item) { $remindersList.appendChild(reminderItem(item)); });
  }

  function reminderItem(item) {
    if (item.notice) return noticeItem(item);
    var status = reminderStatus(item);
    var li = el("li", "reminder-item status-" + status[0]);
    li.dataset.id = String(item.id);
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    var head = el("div", "reminder-item-head");
    head.appendChild(reminderTag(item.type));
    head.appendChild(el("span", "reminder-item-title", item.title || label("reminder_type", item.type, "办税提醒")));
    li.appendChild(head);
    if (item.message) li.appendChild(el("div", "reminder-item-text", item.message));
    var foot = el("div", "reminder-item-foot");
    foot.appendChild(el("span", "reminder-item-time", shortTime(item.created_at)));
    foot.appendChild(el("span", "reminder-status status-" + status[0], status[1]));
    li.appendChild(foot);
    li.addEventListener("click", function () { openReminderDetail(item); });
    li.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openReminderDetail(item); }
    });
    return li;
  }

  /** 点开一条提醒：标记已读，在面板里显示全文、判断依据和回复按钮；回复经聊天交给智能助手，随后关闭面板看答复。 */
  function openReminderDetail(item) {
    var r = state.reminders;
    markReminderRead(item.id);
    r.detail = String(item.id);
    renderReminders();
    $reminderBack.focus({ preventScroll: true });
  }

  function renderReminderDetail(item) {
    var body = $("reminder-detail-body");
    var key = [item.id, item.status, item.answer].join("|");
    if (body.dataset.key === key) return; // unchanged: keep what is being typed in 有合理原因
    body.dataset.key = key;
    while (body.firstChild) body.removeChild(body.firstChild);
    var block = reminderBlock({
      text: item.message || "",
      custom: { kind: "reminder", reminder_id: item.id, type: item.type, title: item.title, reasons: item.reasons },
      buttons: Array.isArray(item.buttons) ? item.buttons : [],
    }, function () { closeRemindersPanel(false); });
    body.appendChild(block.card);
    body.appendChild(block.explain);
    var status = reminderStatus(item);
    var foot = el("div", "reminder-detail-foot");
    foot.appendChild(el("span", "reminder-status status-" + status[0], status[1]));
    var node = item.message_id != null ? state.byId.get(Number(item.message_id)) : null;
    if (node && node.isConnected) {
      var jump = el("button", "reminder-jump", "在聊天中查看");
      jump.type = "button";
      jump.addEventListener("click", function () { goToReminder(item); });
      foot.appendChild(jump);
    }
    body.appendChild(foot);
  }

  function closeReminderDetail() {
    state.reminders.detail = null;
    delete $("reminder-detail-body").dataset.key;
    renderReminders();
    var item = $remindersList.querySelector(".reminder-item");
    if (item) item.focus({ preventScroll: true });
  }

  /** 原消息已在聊天里时：关闭列表，滚动过去并短暂高亮。 */
  function goToReminder(item) {
    markReminderRead(item.id);
    closeRemindersPanel(false);
    var node = item.message_id != null ? state.byId.get(Number(item.message_id)) : null;
    if (!node || !node.isConnected) return;
    node.scrollIntoView({ block: "center", inline: "nearest" });
    node.classList.remove("flash");
    void node.offsetWidth; // 重新开始高亮动画
    node.classList.add("flash");
    clearTimeout(node.flashTimer);
    node.flashTimer = setTimeout(function () { node.classList.remove("flash"); }, FLASH_MS);
  }

  function openRemindersPanel(section) {
    var r = state.reminders;
    if (!r.enabled) return;
    r.detail = null;
    r.open = true;
    $remindersPanel.hidden = false;
    $remindersBackdrop.hidden = false;
    $remindersBtn.setAttribute("aria-expanded", "true");
    document.body.classList.add("reminders-open");
    renderReminders();
    refreshReminders();
    $remindersPanel.focus({ preventScroll: true });
    if (section === "petitions") $("petitions-section").scrollIntoView({ block: "start" });
  }

  function closeRemindersPanel(restoreFocus) {
    var r = state.reminders;
    var wasOpen = r.open;
    r.open = false;
    r.detail = null;
    delete $("reminder-detail-body").dataset.key;
    $remindersPanel.hidden = true;
    $remindersBackdrop.hidden = true;
    $remindersBtn.setAttribute("aria-expanded", "false");
    document.body.classList.remove("reminders-open");
    if (wasOpen && restoreFocus && !$remindersBtn.hidden) $remindersBtn.focus();
  }

  function bindReminders() {
    $remindersBtn = $("reminders-btn");
    $remindersBadge = $("reminders-badge");
    $remindersPanel = $("reminders-panel");
    $remindersList = $("reminders-list");
    $remindersStatus = $("reminders-status");
    $remindersBackdrop = $("reminders-backdrop");
    $reminderDetail = $("reminder-detail");
    $reminderBack = $("reminder-back");
    $reminderBack.addEventListener("click", closeReminderDetail);
    $remindersPanel.tabIndex = -1;
    $remindersBtn.addEventListener("click", function () {
      if (state.reminders.open) closeRemindersPanel(true); else openRemindersPanel();
    });
    $("reminders-close").addEventListener("click", function () { closeRemindersPanel(true); });
    $remindersBackdrop.addEventListener("click", function () { closeRemindersPanel(true); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.reminders.open) closeRemindersPanel(true);
    });
  }

  // ---------- “消息”里的办理告知与“我的诉求”（时限、办理结果与评价） ----------
  function refreshNotices() {
    var n = state.notices;
    if (n.loading || !state.reminders.enabled) return;
    n.loading = true;
    fetch("/api/widget/notices", { headers: authHeaders() })
      .then(function (response) { return response.ok ? readJson(response) : null; })
      .then(function (body) {
        if (!body || !Array.isArray(body.notices)) return;
        n.items = body.notices.map(function (item) { return Object.assign({ notice: true }, item); });
        renderReminders();
      })
      .catch(function () { /* 办理告知也已在聊天里；列表下次打开时再取 */ })
      .finally(function () { n.loading = false; });
  }

  function noticeItem(item) {
    var li = el("li", "reminder-item notice-item status-" + (item.read_at ? "read" : "unread"));
    li.dataset.notice = String(item.id);
    var head = el("div", "reminder-item-head");
    head.appendChild(el("span", "reminder-tag tag-notice", label("notice_kind", item.kind, "办理消息")));
    head.appendChild(el("span", "reminder-item-title", item.ticket ? "诉求 " + item.ticket : label("reminder_type", "credit", "信用修复")));
    li.appendChild(head);
    li.appendChild(el("div", "notice-text", item.text || ""));
    var foot = el("div", "reminder-item-foot");
    foot.appendChild(el("span", "reminder-item-time", shortTime(item.created_at)));
    foot.appendChild(el("span", "reminder-status status-" + (item.read_at ? "read" : "unread"), item.read_at ? "已读" : "未读"));
    li.appendChild(foot);
    if (!item.read_at) markNoticeRead(item);
    return li;
  }

  /** 办理告知打开“消息”即全文可见，看到即已读。 */
  function markNoticeRead(item) {
    if (item.readSent) return;
    item.readSent = true;
    fetch("/api/widget/notices/" + encodeURIComponent(item.id) + "/read", { method: "POST", headers: authHeaders() })
      .then(function (response) {
        if (!response.ok) return;
        item.read_at = new Date().toISOString();
        renderReminders();
      })
      .catch(function () { item.readSent = false; });
  }

  function refreshPetitions() {
    var p = state.petitions;
    if (p.loading) return;
    p.loading = true;
    fetch("/api/widget/petitions", { headers: authHeaders() })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return readJson(response);
      })
      .then(function (body) {
        p.items = body && Array.isArray(body.petitions) ? body.petitions : [];
        p.loaded = true;
        p.failed = false;
      })
      .catch(function () { p.failed = true; })
      .finally(function () { p.loading = false; renderPetitions(); });
  }

  /** 时限的说法：办理中说承诺日期与剩余工作日，超期如实说，已反馈的说结果。 */
  function clockText(item) {
    if (item.result) return "已办结";
    if (!item.due_date) return "办理中，进展会及时告知您";
    var due = item.due_date.replace(/^(\d{4})-(\d{2})-(\d{2})$/, function (_, y, m, d) { return Number(m) + "月" + Number(d) + "日"; });
    if (item.days_left == null) return "承诺" + due + "前办结";
    if (item.days_left < 0) return "已超过承诺的" + due + "，我们正在督办";
    return "承诺" + due + "前办结（还剩" + item.days_left + "个工作日）";
  }

  function renderPetitions() {
    var p = state.petitions;
    var section = $("petitions-section");
    section.hidden = !state.reminders.enabled;
    var list = $("petitions-list");
    var status = $("petitions-status");
    while (list.firstChild) list.removeChild(list.firstChild);
    status.textContent = !p.loaded ? (p.failed ? "诉求加载失败，请稍后再试" : "正在加载…") : (p.items.length ? "" : "暂无诉求");
    status.hidden = !status.textContent;
    p.items.forEach(function (item) { list.appendChild(petitionItem(item)); });
  }

  function petitionItem(item) {
    var li = el("li", "petition-item");
    li.dataset.ticket = item.ticket;
    var head = el("div", "reminder-item-head");
    head.appendChild(el("span", "reminder-tag tag-petition", label("petition_status", item.status, "办理中")));
    head.appendChild(el("span", "reminder-item-title", item.ticket + " · " + item.category));
    li.appendChild(head);
    li.appendChild(el("div", "petition-content", item.content.length > 60 ? item.content.slice(0, 59) + "…" : item.content));
    var clock = el("div", "petition-clock" + (item.days_left != null && item.days_left < 0 ? " late" : ""), clockText(item));
    li.appendChild(clock);
    if (item.result) li.appendChild(el("div", "petition-result", "办理结果：" + item.result));
    if (item.rating != null) li.appendChild(el("div", "petition-rated", "您的评价：" + item.rating + "分，感谢您的反馈"));
    else if (item.may_rate) li.appendChild(petitionRating(item));
    return li;
  }

  var SCORES = ["很不满意", "不满意", "一般", "满意", "很满意"];

  /** 对办理的评价：1–5 分必选，意见可填可不填；提交一次。 */
  function petitionRating(item) {
    var chosen = state.petitions.rating;
    var box = el("div", "petition-rating");
    box.appendChild(el("div", "petition-rating-title", "请您评价这件诉求的办理："));
    var scores = el("div", "petition-scores");
    SCORES.forEach(function (name, index) {
      var b = el("button", "petition-score" + (chosen[item.id] === index + 1 ? " chosen" : ""), (index + 1) + "分 " + name);
      b.type = "button";
      b.dataset.score = String(index + 1);
      b.addEventListener("click", function () { chosen[item.id] = index + 1; renderPetitions(); });
      scores.appendChild(b);
    });
    box.appendChild(scores);
    var note = el("textarea", "petition-note");
    note.rows = 2;
    note.maxLength = 500;
    note.placeholder = "其他意见（选填）";
    box.appendChild(note);
    var error = el("div", "petition-rating-error");
    error.setAttribute("role", "alert");
    var submit = el("button", "petition-rate-submit", "提交评价");
    submit.type = "button";
    submit.addEventListener("click", function () {
      if (!chosen[item.id]) { error.textContent = "请先选择分数"; return; }
      submit.disabled = true;
      apiPost("/api/widget/petitions/" + encodeURIComponent(item.id) + "/rating",
              { satisfaction: chosen[item.id], note: note.value.trim() || null })
        .then(function (response) {
          if (response.ok) { delete chosen[item.id]; refreshPetitions(); return; }
          return readJson(response).then(function (body) {
            submit.disabled = false;
            error.textContent = detailText(body, "评价提交失败，请稍后再试");
            if (response.status === 409) refreshPetitions(); // 已评价过：显示已有的评价
          });
        })
        .catch(function () {
          submit.disabled = false;
          error.textContent = "网络连接失败，评价未提交，请稍后再试";
        });
    });
    box.appendChild(submit);
    box.appendChild(error);
    return box;
  }

  // ---------- 会话状态 ----------
  function applyState(conversation) {
    state.conversation = conversation || null;
    updateHeader();
    if (!conversation) return;
    if (conversation.mode === "queued" || conversation.mode === "human") {
      stopWaiting();
      state.askedForHuman = false;
    }
    if (conversation.mode === "closed" && conversation.can_rate && conversation.rating == null) {
      showRatingCard(conversation);
    }
    if (conversation.mode === "queued" && conversation.offer_leave_message && !$messages.querySelector(".leave-message-card")) {
      showLeaveMessageCard(); // 排队中坐席都已离线或等待较长：服务端如实告知并提供留言
    }
    if (conversation.service_open === false && state.askedForHuman && conversation.mode !== "queued" && conversation.mode !== "human") {
      showLeaveMessageCard();
    }
  }

  // ---------- 服务端事件 ----------
  function handleServerEvent(evt) {
    if (!evt || typeof evt !== "object") return;
    switch (evt.type) {
      case "hello": {
        if (evt.identity) { state.identity = evt.identity; identityChanged(); }
        var messages = Array.isArray(evt.messages) ? evt.messages : [];
        messages.forEach(function (message) { addMessage(message, false); });
        if (messages.some(function (m) { return m.sender !== "user"; })) stopWaiting();
        if ("conversation" in evt) applyState(evt.conversation);
        var last = messages[messages.length - 1];
        if (last && isOfflineHandoff(last)) showLeaveMessageCard();
        flushPending();
        // 已送达却没等到回答的一条（回答时服务中断）：重连后再发一次，不必重新输入
        if (state.awaiting && state.awaiting.echoId != null && !state.pending.has(state.awaiting.clientId)) {
          transmit(state.awaiting);
        }
        scrollToBottom();
        updateRemindersAccess(); // 每次（重新）连接都刷新消息列表
        break;
      }
      case "message":
        addMessage(evt.message, true);
        break;
      case "typing":
        if (evt.on) showTyping(evt.sender || "bot");
        else stopWaiting();
        break;
      case "state":
        applyState(evt.conversation);
        break;
      case "busy":
        showBusy(evt.text || "当前咨询的人较多，您的问题已在排队，请稍候。");
        break;
      case "error":
        stopWaiting();
        if (evt.code === "rate_limited" || evt.code === "too_long" || evt.code === "empty") markOldestPendingFailed();
        addSystemLine(evt.text || ERROR_TEXTS[evt.code] || "出错了，请稍后再试");
        break;
      default:
        break; // pong 等
    }
  }

  // ---------- 身份与连接 ----------
  function setVisitorToken(token) {
    state.visitorToken = token || null;
    storageSet(localStorage, VISITOR_KEY, state.visitorToken);
  }

  function setEnterpriseToken(token) {
    state.enterpriseToken = token || null;
    if (!state.embedded) storageSet(sessionStorage, ENTERPRISE_KEY, state.enterpriseToken);
  }

  /** 取得或刷新访客令牌；企业令牌失效时改用访客身份并提示。返回是否成功。 */
  function ensureSession() {
    var body = {};
    if (state.visitorToken) body.visitor_token = state.visitorToken;
    if (state.enterpriseToken) body.enterprise_token = state.enterpriseToken;
    return fetch("/api/widget/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 401) {
        if (state.enterpriseToken) {
          setEnterpriseToken(null);
          addSystemLine("登录已过期，已切换为访客身份", "notice");
          return ensureSession();
        }
        if (state.visitorToken) {
          setVisitorToken(null);
          return ensureSession();
        }
        return false;
      }
      if (!response.ok) return false;
      return readJson(response).then(function (data) {
        if (!data || !data.visitor_token) return false;
        setVisitorToken(data.visitor_token);
        state.identity = data.identity || null;
        return true;
      });
    }).catch(function () { return false; });
  }

  /** 令牌不放在地址里（地址会进入日志）：连接后第一条消息是登录帧（docs/hub.md）。 */
  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/widget";
  }

  function authFrame() {
    var frame = { type: "auth", visitor_token: state.visitorToken };
    if (state.enterpriseToken) frame.enterprise_token = state.enterpriseToken;
    if (state.maxId > 0) frame.after = state.maxId;
    return JSON.stringify(frame);
  }

  function setConnected(on) {
    state.connected = on;
    document.body.dataset.connected = on ? "1" : "0";
    if (on) $banner.hidden = true;
  }

  function start() {
    if (state.starting || state.ws) return;
    state.starting = true;
    clearTimeout(state.reconnectTimer);
    var vocabulary = state.vocabularyLoading || (state.vocabularyLoading = loadVocabulary());
    Promise.all([ensureSession(), vocabulary]).then(function (results) {
      state.starting = false;
      if (!results[0]) { scheduleReconnect(); return; }
      identityChanged();
      loadWelcome();
      openSocket();
    });
  }

  function openSocket() {
    var ws;
    try { ws = new WebSocket(socketUrl()); } catch (e) { scheduleReconnect(); return; }
    state.ws = ws;
    ws.addEventListener("open", function () {
      if (state.ws !== ws) return;
      ws.send(authFrame());
      state.attempts = 0;
      state.lastSeen = Date.now();
      setConnected(true);
      startPing();
    });
    ws.addEventListener("message", function (event) {
      if (state.ws !== ws) return;
      state.lastSeen = Date.now();
      var evt;
      try { evt = JSON.parse(event.data); } catch (e) { return; }
      handleServerEvent(evt);
    });
    ws.addEventListener("close", function (event) {
      if (state.ws !== ws) return;
      state.ws = null;
      setConnected(false);
      stopPing();
      hideTyping();
      if (event.code === 4401) setVisitorToken(null); // 访客令牌无效：重新领取
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    $banner.hidden = false;
    clearTimeout(state.reconnectTimer);
    var delay = Math.min(1000 * Math.pow(2, state.attempts), BACKOFF_MAX_MS);
    state.attempts += 1;
    state.reconnectTimer = setTimeout(start, delay);
  }

  function reconnectNow() {
    if (state.connected || state.ws || state.starting) return;
    state.attempts = 0;
    start();
  }

  function startPing() {
    stopPing();
    state.pingTimer = setInterval(function () {
      var ws = state.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - state.lastSeen > PING_MS * 2.5) { ws.close(); return; } // 连接已假死
      ws.send(JSON.stringify({ type: "ping" }));
    }, PING_MS);
  }

  function stopPing() {
    clearInterval(state.pingTimer);
    state.pingTimer = null;
  }

  // ---------- 上传 ----------
  function uploadFile(file) {
    var typeOk = UPLOAD_TYPES[file.type] || (!file.type && UPLOAD_EXTENSIONS.test(file.name));
    if (!typeOk) { addSystemLine("仅支持发送 PNG、JPEG、GIF、WebP 图片或 PDF 文件"); return; }
    if (file.size > MAX_UPLOAD_BYTES) { addSystemLine("文件太大了，不能超过 5 MB"); return; }
    if (file.size === 0) { addSystemLine("文件是空的，请重新选择"); return; }

    var isImage = /^image\//.test(file.type);
    var localUrl = isImage ? URL.createObjectURL(file) : null;
    var preview = attachmentBubble({ filename: file.name, content_type: file.type || "application/pdf", size: file.size }, localUrl);
    var node = pendingBubble(preview);
    appendPending(node);

    function post(retry) {
      var form = new FormData();
      form.append("file", file, file.name);
      return fetch("/api/widget/uploads", { method: "POST", headers: authHeaders(), body: form }).then(function (response) {
        if (response.status === 401 && retry) return ensureSession().then(function () { return post(false); });
        return readJson(response).then(function (body) {
          if (!response.ok) throw new Error(detailText(body, "文件上传失败，请稍后再试"));
          return body;
        });
      });
    }

    post(true).then(function (message) {
      node.remove();
      if (message && message.id != null) {
        if (message.attachment && message.attachment.url && localUrl) state.blobUrls.set(message.attachment.url, localUrl);
        addMessage(message, true);
      }
    }).catch(function (e) {
      node.remove();
      if (localUrl) URL.revokeObjectURL(localUrl);
      addSystemLine(e && e.message && /[\u4e00-\u9fff]/.test(e.message) ? e.message : "文件上传失败，请稍后再试");
    });
  }

  // ---------- 输入栏 ----------
  function autoGrow() {
    $input.style.height = "auto";
    $input.style.height = Math.min($input.scrollHeight, 120) + "px";
    $send.disabled = !$input.value.trim();
  }

  function submitInput() {
    var text = $input.value;
    if (!text.trim()) return;
    sendMessage(text, null);
    $input.value = "";
    autoGrow();
    $input.focus();
  }

  function notifyTyping() {
    var conversation = state.conversation;
    if (!conversation || conversation.mode !== "human" || !state.connected) return;
    var now = Date.now();
    if (now - state.lastTypingSent < 3000) return;
    state.lastTypingSent = now;
    state.ws.send(JSON.stringify({ type: "typing" }));
  }

  function bindInput() {
    $input.addEventListener("input", function () { autoGrow(); notifyTyping(); });
    $input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey) return;
      if (event.isComposing || event.keyCode === 229) return; // 输入法正在组词：回车用于上屏
      event.preventDefault();
      submitInput();
    });
    $send.addEventListener("click", submitInput);
    $handoff.addEventListener("click", function () { sendMessage("转人工", "/request_human"); });
    $upload.addEventListener("change", function () {
      var file = $upload.files && $upload.files[0];
      $upload.value = "";
      if (file) uploadFile(file);
    });
  }

  // ---------- 启动 ----------
  /**
   * 企业令牌在地址的片段里（#enterprise_token=…）：片段不会发给服务器，也不会出现在 Referer 中。
   * 嵌入时只取自 iframe 地址（由 embed.js 给出）；独立打开时取出后存入本标签页。取出后即从地址栏和历史记录中清除。
   */
  function readTokens() {
    state.visitorToken = storageGet(localStorage, VISITOR_KEY);
    var embedded = new URLSearchParams(location.search).get("embed") === "1";
    var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    var fromUrl = fragment.get("enterprise_token");
    if (fromUrl !== null) {
      fragment.delete("enterprise_token");
      var rest = fragment.toString();
      try { history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : "")); } catch (e) { /* 忽略 */ }
    }
    if (embedded) {
      state.enterpriseToken = fromUrl || null;
      state.embedded = true;
    } else if (fromUrl) {
      setEnterpriseToken(fromUrl);
    } else {
      state.enterpriseToken = storageGet(sessionStorage, ENTERPRISE_KEY);
    }
    return embedded;
  }

  function init() {
    $messages = $("messages");
    $input = $("input");
    $send = $("send");
    $handoff = $("handoff-btn");
    $upload = $("upload-input");
    $mode = $("mode");
    $banner = $("conn-banner");
    $who = $("who");
    typingEl = buildTypingIndicator();
    document.body.dataset.connected = "0";

    var embedded = readTokens();
    if (embedded) {
      document.body.classList.add("embedded");
      var close = $("close-btn");
      close.hidden = false;
      close.addEventListener("click", function () {
        if (window.parent !== window) window.parent.postMessage({ type: "taxWidget:close" }, "*");
      });
    }
    identityChanged();
    bindInput();
    bindReminders();
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        reconnectNow();
        markVisibleReminderCards();
      }
    });
    start();
  }

  window.__taxWidget = {
    handleServerEvent: handleServerEvent,
    state: state,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
