/**
 * The chart cards of 统计概览: for each, the API answer it reads, an ECharts option and the same numbers as a
 * table. A table cell is a value, `{text, drill}` (opens the review list with those filters), `{list}` (examples
 * that open their conversation) or `{fix}` (a group to draft an improvement from). Names shown come from the
 * answers themselves or the server's vocabulary (`label`), never from keys.
 */
import { label } from "../../vocabulary.js";
import { num, openImprove, openReview, pct, secs } from "./store.js";

export const SOURCES = {
  overview: ["/api/analytics/overview", {}],
  intents: ["/api/analytics/intents", { limit: 15 }],
  topics: ["/api/analytics/topics", { limit: 15 }],
  unanswered: ["/api/analytics/unanswered", { limit: 30 }],
  feedback: ["/api/analytics/feedback", { limit: 30 }],
  seats: ["/api/analytics/seats", {}],
  petitions: ["/api/analytics/petitions", {}],
  campaigns: ["/api/analytics/campaigns", {}],
};
/** Sources that carry free text: an admin may see it unmasked. */
export const MASKABLE = new Set(["unanswered", "petitions"]);

const GRID = { left: 16, right: 16, top: 40, bottom: 8, containLabel: true };
const n = (text) => ({ text, num: true });

function drill(value, filters) {
  return value ? { text: value, num: true, drill: filters } : value;
}

function bars(names, series, narrow, labelWidth = 150) {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: names,
      axisLabel: { width: narrow ? 90 : labelWidth, overflow: "truncate" } },
    series: series.map((s) => ({ type: "bar", barMaxWidth: 16, ...s })),
  };
}

const dayAxis = (days) => ({ type: "category", data: days.map((d) => d.day.slice(5)) });

function daily(data) {
  const days = data.days || [];
  const t = data.total || {};
  const rows = days.map((d) => {
    const one = { date_from: d.day, date_to: d.day };
    return [d.day, drill(d.conversations, one), d.engaged, d.messages, d.bot_turns, d.answered, d.clarified,
      drill(d.fell_back, { ...one, outcome: "fell_back" }), drill(d.handed_off, { ...one, outcome: "handed_off" }),
      drill(d.petitions, { ...one, outcome: "petition" }), d.contained, d.feedback_useful, d.feedback_useless];
  });
  rows.push(["合计", t.conversations, t.engaged, t.messages, t.bot_turns, t.answered, t.clarified, t.fell_back,
    t.handed_off, t.petitions, t.contained, t.feedback_useful, t.feedback_useless]);
  return {
    option: {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: GRID, xAxis: dayAxis(days),
      yAxis: [{ type: "value", name: "会话", minInterval: 1 }, { type: "value", name: "消息", minInterval: 1 }],
      series: [
        { name: "会话", type: "bar", barMaxWidth: 22, data: days.map((d) => d.conversations) },
        { name: "转人工", type: "bar", barMaxWidth: 22, data: days.map((d) => d.handed_off) },
        { name: "诉求", type: "bar", barMaxWidth: 22, data: days.map((d) => d.petitions) },
        { name: "消息", type: "line", yAxisIndex: 1, smooth: true, data: days.map((d) => d.messages) },
      ],
    },
    empty: !days.some((d) => d.conversations || d.messages),
    pick(p) {
      const d = days[p.dataIndex];
      if (!d) return;
      const outcome = { 转人工: "handed_off", 诉求: "petition" }[p.seriesName];
      openReview({ date_from: d.day, date_to: d.day, ...(outcome ? { outcome } : {}) });
    },
    table: { head: ["日期", ...["会话", "有提问", "消息", "机器人回复", "已解答", "澄清", "未能回答", "转人工", "诉求", "独立解决",
      "有用", "没用"].map(n)], rows, totalFrom: rows.length - 1 },
  };
}

function rates(data) {
  const days = data.days || [];
  const t = data.total || {};
  const line = (name, key) => ({ name, type: "line", smooth: true,
    data: days.map((d) => (d[key] === null ? null : Math.round(d[key] * 1000) / 10)) });
  const rows = days.map((d) => [d.day, d.engaged, pct(d.containment_rate), pct(d.handoff_rate), pct(d.fallback_rate),
    pct(d.clarify_rate)]);
  rows.push(["合计", t.engaged, pct(t.containment_rate), pct(t.handoff_rate), pct(t.fallback_rate), pct(t.clarify_rate)]);
  return {
    option: {
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
      legend: { top: 0 }, grid: GRID, xAxis: dayAxis(days),
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [line("独立解决率", "containment_rate"), line("转人工率", "handoff_rate"), line("未能回答率", "fallback_rate"),
        line("澄清率", "clarify_rate")],
    },
    empty: !days.some((d) => d.engaged),
    table: { head: ["日期", ...["有提问会话", "独立解决率", "转人工率", "未能回答率", "澄清率"].map(n)], rows,
      totalFrom: rows.length - 1 },
  };
}

function reasons(data, narrow) {
  const handoff = data.handoff_reasons || [];
  const fallback = data.fallback_reasons || [];
  const pie = (name, list, key, center) => ({ name, type: "pie", radius: ["30%", "52%"], center,
    label: narrow ? { show: false } : { formatter: "{b}\n{d}%", fontSize: 11 }, data: list.map((r) => ({ name: r.label, value: r[key], reason: r.reason })) });
  const title = (text, left) => ({ text, left, top: 4, textAlign: "center", textStyle: { fontSize: 12, color: "#4b5563" } });
  return {
    option: {
      tooltip: { trigger: "item" },
      title: [title("转人工原因", "25%"), title("未能回答原因", "75%")],
      ...(narrow ? { legend: { bottom: 0, type: "scroll" } } : {}),
      series: [pie("转人工原因", handoff, "conversations", ["25%", "56%"]), pie("未能回答原因", fallback, "turns", ["75%", "56%"])],
    },
    empty: !handoff.length && !fallback.length,
    pick(p) { if (p.seriesIndex === 0 && p.data) openReview({ reason: p.data.reason }); },
    table: { head: ["类别", "原因", n("次数"), n("占比")], rows: [
      ...handoff.map((r) => ["转人工", r.label, drill(r.conversations, { reason: r.reason }), pct(r.share)]),
      ...fallback.map((r) => ["未能回答", r.label, r.turns, pct(r.share)])] },
  };
}

function intents(data, narrow) {
  const list = data.intents || [];
  return {
    option: bars(list.map((r) => label("intent", r.intent)), [
      { name: "回复次数", data: list.map((r) => r.turns) }, { name: "未能回答/澄清", data: list.map((r) => r.unanswered) }], narrow),
    empty: !list.length,
    pick(p) { const r = list[p.dataIndex]; if (r) openReview({ intent: r.intent }); },
    table: { head: ["意图", n("回复次数"), n("未能回答/澄清"), n("未答率"), n("占比")],
      rows: list.map((r) => [label("intent", r.intent), drill(r.turns, { intent: r.intent }), r.unanswered,
        pct(r.unanswered_rate), pct(r.share)]) },
  };
}

function topics(data, narrow) {
  const list = data.topics || [];
  return {
    option: bars(list.map((r) => r.title), [{ name: "解答次数", data: list.map((r) => r.answers) },
      { name: "澄清提供", data: list.map((r) => r.clarify_offers) }], narrow),
    empty: !list.length,
    pick(p) { const r = list[p.dataIndex]; if (r) openReview({ topic: r.topic }); },
    table: { head: ["主题", n("解答"), n("澄清提供"), n("有用"), n("没用"), n("占比")],
      rows: list.map((r) => [r.title, drill(r.answers, { topic: r.topic }), r.clarify_offers, r.useful, r.useless,
        pct(r.share)]) },
  };
}

/** The review filters of an unanswered group: its days and its longest unmasked term. */
function groupFilters(g) {
  const terms = (g.terms || []).slice().sort((a, b) => b.length - a.length);
  const filters = { date_from: g.first_day, date_to: g.last_day };
  if (terms[0] && !terms[0].includes("*")) filters.q = terms[0];
  return filters;
}

/** The wording to learn: the shortest example with nothing masked in it (a masked phone is no training data). */
function typicalExample(examples) {
  const clean = examples.filter((e) => e.text && !e.text.includes("*"));
  return (clean.length ? clean : examples).slice().sort((a, b) => (a.text || "").length - (b.text || "").length)[0] || {};
}

export function fixGroup(g) {
  const example = typicalExample(g.examples || []);
  openImprove({ text: example.text || "", source_message_id: example.user_message_id || null, source_group: g.group_id,
    entry_id: g.suggested_entry && g.suggested_entry.entry_id, entry_title: g.suggested_entry && g.suggested_entry.title,
    kind: "question_variant", origin: `来自未能回答的问题分组：${g.label}（${g.count} 次）` });
}

function unanswered(data, narrow) {
  const groups = data.groups || [];
  const top = groups.slice(0, 15);
  const option = bars(top.map((g) => g.label), [
    { name: "未能回答", stack: "n", data: top.map((g) => g.fallbacks) },
    { name: "澄清", stack: "n", data: top.map((g) => g.clarifies) }], narrow, 220);
  return {
    option,
    empty: !groups.length,
    pick(p) { const g = top[p.dataIndex]; if (g) openReview(groupFilters(g)); },
    table: { head: ["问题分组", n("次数"), n("未能回答"), n("澄清"), "建议知识条目", "示例（点击查看全文）", "期间", "操作"],
      rows: groups.map((g) => [g.label, drill(g.count, groupFilters(g)), g.fallbacks, g.clarifies,
        (g.suggested_entry && g.suggested_entry.title) || (g.suggested_topic && g.suggested_topic.title) || "—",
        { list: (g.examples || []).map((e) => ({ text: e.text, conversationId: e.conversation_id })) },
        g.first_day === g.last_day ? g.first_day : `${g.first_day} 至 ${g.last_day}`, { fix: g }]) },
  };
}

function feedback(data, narrow) {
  const entries = data.entries || [];
  const rated = entries.filter((e) => e.rated).slice(0, 12);
  const t = data.total || {};
  const rows = entries.map((e) => [e.title + (e.in_knowledge_base ? "" : "（已不在知识库）"), e.topic_title || "—", e.answers,
    e.useful, e.useless, pct(e.useful_rate)]);
  rows.push(["合计", "", t.answers, t.useful, t.useless, pct(t.useful_rate)]);
  return {
    option: bars(rated.map((e) => e.title), [
      { name: "有用", stack: "f", data: rated.map((e) => e.useful), itemStyle: { color: "#2fa36b" } },
      { name: "没用", stack: "f", data: rated.map((e) => e.useless), itemStyle: { color: "#c62f2f" } }], narrow),
    empty: !rated.length,
    table: { head: ["知识条目", "主题", n("解答次数"), n("有用"), n("没用"), n("有用率")], rows, totalFrom: rows.length - 1 },
  };
}

function seats(data) {
  const list = data.seats || [];
  const row = (name, unit, s) => [name, unit, s.conversations, secs(s.wait_avg_seconds), secs(s.first_response_avg_seconds),
    secs(s.handling_avg_seconds), s.ratings, num(s.rating_avg), pct(s.satisfied_rate)];
  const rows = list.map((s) => row(s.name, s.unit || "—", s));
  if (data.overall) rows.push(row("全部坐席", "", data.overall));
  return {
    option: {
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: GRID,
      xAxis: { type: "category", data: list.map((s) => s.name) },
      yAxis: [{ type: "value", name: "秒" }, { type: "value", name: "满意度", min: 0, max: 5 }],
      series: [
        { name: "平均首次响应（秒）", type: "bar", barMaxWidth: 22, data: list.map((s) => s.first_response_avg_seconds) },
        { name: "平均处理时长（秒）", type: "bar", barMaxWidth: 22, data: list.map((s) => s.handling_avg_seconds) },
        { name: "平均满意度", type: "line", yAxisIndex: 1, data: list.map((s) => s.rating_avg) }],
    },
    empty: !list.length,
    table: { head: ["坐席", "单位", ...["会话", "平均等待", "平均首次响应", "平均处理时长", "评价数", "平均满意度", "满意率"].map(n)],
      rows, totalFrom: data.overall ? rows.length - 1 : undefined },
  };
}

const CLOCKS = ["handover", "handling", "feedback"];
/** 转交按期率 … from the vocabulary's 转交时限 …. */
const onTime = (clock) => `${label("petition_clock", clock).replace(/时限$/, "")}按期率`;

function petitions(data) {
  const list = data.by_category || [];
  const rows = [];
  const add = (dim, g) => {
    const o = g.on_time || {};
    rows.push([dim, g.label, g.received, g.handled, g.fed_back, ...CLOCKS.map((c) => pct(o[c] && o[c].rate)),
      num(g.avg_handling_days)]);
  };
  (data.by_category || []).forEach((g) => add("类别", g));
  (data.by_channel || []).forEach((g) => add("渠道", g));
  (data.by_unit || []).forEach((g) => add("部门", g));
  const totalFrom = rows.length;
  if (data.total) add("合计", { label: "全部", ...data.total });
  for (const t of (data.common_demands && data.common_demands.themes) || []) {
    rows.push(["共性诉求", `${t.theme}（${(t.keywords || []).join("、")}）`, t.count, "", "", "", "", "", ""]);
  }
  return {
    option: {
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
      legend: { top: 0 }, grid: GRID, xAxis: { type: "category", data: list.map((g) => g.label) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: CLOCKS.map((c) => ({ name: onTime(c), type: "bar", barMaxWidth: 22,
        data: list.map((g) => { const r = g.on_time && g.on_time[c] && g.on_time[c].rate;
          return r === null || r === undefined ? null : Math.round(r * 1000) / 10; }) })),
    },
    empty: !list.length,
    table: { head: ["维度", "分组", n("受理"), n("办结"), n("已反馈"),
      ...CLOCKS.map((c) => n(onTime(c))), n("平均办理天数")], rows,
    totalFrom: data.total ? totalFrom : undefined },
  };
}

const FUNNEL = [["evaluated", "评估企业"], ["targeted", "目标企业"], ["delivered", "已送达"], ["read", "已读"],
  ["answered", "已答复"], ["corrected", "已更正"], ["closed", "已关闭"]];

function campaigns(data) {
  const list = data.campaigns || [];
  return {
    option: {
      tooltip: { trigger: "axis" }, legend: { top: 0, type: "scroll" }, grid: GRID,
      xAxis: { type: "category", data: FUNNEL.map((f) => f[1]) }, yAxis: { type: "value", minInterval: 1 },
      series: list.slice(0, 6).map((c) => ({ name: c.name, type: "bar", barMaxWidth: 22,
        data: FUNNEL.map((f) => (c.funnel || {})[f[0]] || 0) })),
    },
    empty: !list.length,
    table: { head: ["活动", "状态", ...FUNNEL.map((f) => n(f[1]))],
      rows: list.map((c) => [c.name, label("campaign_status", c.status), ...FUNNEL.map((f) => (c.funnel || {})[f[0]] || 0)]) },
  };
}

export const CARDS = [
  { id: "daily", title: "每日会话量与消息量", source: "overview", wide: true, build: daily, note: "点击某日或数字查看该日会话" },
  { id: "rates", title: "独立解决率、转人工率与未能回答率", source: "overview", build: rates },
  { id: "reasons", title: "转人工原因与未能回答原因", source: "overview", build: reasons },
  { id: "intents", title: "热门意图", source: "intents", build: intents },
  { id: "topics", title: "热门知识主题", source: "topics", build: topics },
  { id: "unanswered", title: "未能回答的问题（按相似度分组）", source: "unanswered", wide: true, build: unanswered,
    note: "点击次数查看相关会话，点击示例查看全文" },
  { id: "feedback", title: "答案反馈（有用 / 没用）", source: "feedback", build: feedback },
  { id: "seats", title: "坐席响应、处理时长与满意度", source: "seats", build: seats },
  { id: "petitions", title: "诉求按期率与共性诉求", source: "petitions", wide: true, build: petitions },
  { id: "campaigns", title: "提醒活动漏斗", source: "campaigns", wide: true, build: campaigns },
];
