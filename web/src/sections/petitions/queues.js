/**
 * The queues of the 诉求 section and the one place that turns the page's filter into a query.
 *
 * A queue is a fixed part of the list's filter (one of the server's work queues, such as 长期跟踪: policy
 * suggestions and system improvements tracked without a deadline, kept out of 待办理 and 办理中; or an overdue
 * clock) shown as a tab to the roles whose work it is; 待审批延期 reads the pending extension requests instead,
 * 统计 shows the statistics of those who report (leaders, operators). Each tab's `count` names its number in
 * GET /api/petitions/queues, which counts by the same queue or clock the tab lists.
 * `listQuery()` builds what
 * GET /api/petitions gets, and `exportQuery()` turns that same query into GET /api/petitions/export's
 * parameters, so the 台账 holds exactly the rows the list shows. The page only offers filters both routes
 * apply alike (status, category, channel, receipt dates, text, overdue).
 */
const LEADERS = ["supervisor", "director"];
const ALL = ["staff", "handler", "supervisor", "director", "operator", "admin"];

export const QUEUES = [
  { key: "handover", title: "待转交", roles: ["staff", ...LEADERS, "admin"], fixed: { queue: "to_hand_over" },
    count: "to_hand_over" },
  { key: "assign", title: "待分办", roles: ["staff", ...LEADERS, "admin"], fixed: { queue: "to_assign" },
    count: "to_assign" },
  { key: "start", title: "待办理", roles: ["handler", "staff", "admin"], fixed: { queue: "to_start" },
    count: "to_start" },
  { key: "handling", title: "办理中", roles: ["handler", "staff", "admin"], fixed: { queue: "in_handling" },
    count: "in_handling" },
  { key: "extensions", title: "待审批延期", roles: LEADERS, pending: true, count: "my_approvals" },
  { key: "feedback", title: "待反馈", roles: ["handler", "staff", "admin"], fixed: { queue: "to_feed_back" },
    count: "to_feed_back" },
  { key: "visit", title: "待回访", roles: ["staff", ...LEADERS, "admin"], fixed: { queue: "to_visit" },
    count: "to_visit" },
  { key: "long_term", title: "长期跟踪", roles: ALL, fixed: { queue: "long_term" }, count: "long_term" },
  { key: "overdue", title: "已超期", roles: ALL, fixed: { clock: "overdue" }, count: "overdue", alert: true },
  { key: "tasks", title: "协办超期", roles: ALL, fixed: { clock: "task_overdue" }, count: "task_overdue",
    alert: true },
  { key: "all", title: "全部", roles: ALL, fixed: {} },
  { key: "stats", title: "统计", roles: [...LEADERS, "operator", "admin"], stats: true },
];

export function queuesFor(role) {
  return QUEUES.filter((queue) => queue.roles.includes(role));
}

/** The tabs' counts from GET /api/petitions/queues, by each tab's `count` name (queues, clocks, my_approvals). */
export function tabCounts(answer) {
  const counts = {};
  for (const item of [...(answer.queues || []), ...(answer.clocks || [])]) counts[item.name] = item.count;
  if (answer.my_approvals != null) counts.my_approvals = answer.my_approvals;
  return counts;
}

export function emptyFilter() {
  return { status: "", category: "", channel: "", dates: null, q: "" };
}

/** The list route's query for a queue and the filter form (a queue's own status wins over the form's). */
export function listQuery(queue, filter) {
  const [from, to] = filter.dates || [];
  return {
    status: filter.status || undefined,
    category: filter.category || undefined,
    channel: filter.channel || undefined,
    received_from: from || undefined,
    received_to: to || undefined,
    q: (filter.q || "").trim() || undefined,
    ...queue.fixed,
  };
}

/** The export route's parameters for the list's query: the same filter (both routes take the same parameters). */
export function exportQuery(query, format) {
  return { ...query, format };
}
