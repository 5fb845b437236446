/**
 * The 统计分析 section's shared state and small helpers: the scope every chart and the review list use
 * (dates, channel, unmasked for an admin), the drill-down request from a number to the review list, the
 * improvement dialog's request, and the options of the pickers (intents, topics, entry titles) fetched once.
 * API: docs/dashboard-api.md.
 */
import { reactive } from "vue";
import { api } from "../../api.js";
import { todayInChina } from "../../format.js";
import { onLogout } from "../../session.js";

/** YYYY-MM-DD `days` days before the Shanghai date `day`. */
export function shiftDay(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export const scope = reactive({ dateFrom: shiftDay(todayInChina(), -29), dateTo: todayInChina(), channel: "all",
  unmasked: false, version: 0 });

/** The last `n` days up to today. */
export function setLastDays(n) {
  scope.dateTo = todayInChina();
  scope.dateFrom = shiftDay(scope.dateTo, -(n - 1));
}

export function scopeQuery() {
  return { date_from: scope.dateFrom, date_to: scope.dateTo, channel: scope.channel };
}

/** Only an admin may ask for unmasked text; the API audit-logs every such view. */
export function maskQuery() {
  return scope.unmasked ? { unmasked: "true" } : {};
}

/** Requests between the panes: `review` (filters, a conversation to open) and `improve` (a draft to start). */
export const requests = reactive({ review: null, improve: null, improvementsChanged: 0, tab: "overview" });

/** Forget the last drill-down (a pane mounted later must not replay it). */
export function clearRequests() {
  requests.review = null;
  requests.improve = null;
}

// The next person to log in on this tab starts masked, on the default period, with no pending request.
onLogout(() => {
  scope.unmasked = false;
  scope.channel = "all";
  setLastDays(30);
  clearRequests();
});

export function openReview(filters = {}, conversationId = null) {
  if (filters.date_from) scope.dateFrom = filters.date_from;
  if (filters.date_to) scope.dateTo = filters.date_to;
  requests.review = { filters, conversationId, at: Date.now() };
  requests.tab = "review";
}

export function openImprove(draft) {
  requests.improve = { ...draft, at: Date.now() };
}

export function pct(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

export function num(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

export function secs(value) {
  if (value === null || value === undefined) return "—";
  return value < 60 ? `${Math.round(value)} 秒` : `${(value / 60).toFixed(1)} 分钟`;
}

let optionsLoading = null;
/** `{intents: [key], topics: [{id, title}], retrain}` of GET /api/improvements/options, once. */
export function loadOptions() {
  if (!optionsLoading) {
    optionsLoading = api("GET", "/api/improvements/options").catch((error) => {
      optionsLoading = null;
      throw error;
    });
  }
  return optionsLoading;
}

const entryTitles = reactive({});
/** Remember entries seen in a search, so a mark or a draft can name its entry by title. */
export function rememberEntries(entries) {
  for (const entry of entries || []) entryTitles[entry.entry_id] = entry.title;
}

/** Knowledge entries for a picker: GET /api/knowledge/entries?q= (an id, a title or a user's question). */
export async function searchEntries(q) {
  const text = String(q || "").trim();
  if (!text) return [];
  const entries = await api("GET", "/api/knowledge/entries", null, { query: { q: text.slice(0, 200) } });
  rememberEntries(entries);
  return entries;
}

/** The title of an entry id ("" until known); looked up once by its id. */
export function entryTitle(entryId) {
  if (!entryId) return "";
  if (!(entryId in entryTitles)) {
    entryTitles[entryId] = "";
    searchEntries(entryId)
      .then(() => { if (!entryTitles[entryId]) entryTitles[entryId] = "（已不在知识库）"; })
      .catch(() => { delete entryTitles[entryId]; });
  }
  return entryTitles[entryId];
}

const topicTitles = reactive({});
export function topicTitle(topicId) {
  if (!topicId) return "";
  if (!Object.keys(topicTitles).length) {
    loadOptions().then((o) => { for (const t of o.topics || []) topicTitles[t.id] = t.title; }).catch(() => {});
  }
  return topicTitles[topicId] || "";
}

/** `screen.narrow`: a phone-sized window (the shell's own breakpoint), for one-column tables and charts. */
export const screen = reactive({ narrow: false });
const PHONE_QUERY = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(max-width: 767px)") : null;
if (PHONE_QUERY) {
  screen.narrow = PHONE_QUERY.matches;
  PHONE_QUERY.addEventListener("change", (event) => { screen.narrow = event.matches; });
}
