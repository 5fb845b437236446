/**
 * A petition's clocks as staff read them. The server gives each clock (handover, handling, feedback; and
 * `visit_clock`, the 回访 owed after the feedback) its due date, state and working days left; `runningClock()`
 * picks the one that runs now and `clockText()` says how much time is left in working days. Colours: due soon →
 * warning, overdue → danger.
 */
const RUNNING = ["on_track", "due_soon", "overdue"];
const ORDER = ["handover", "handling", "feedback"];

export function runningClock(petition) {
  const clocks = (petition && petition.clocks) || {};
  const name = ORDER.find((key) => clocks[key] && RUNNING.includes(clocks[key].state));
  if (name) return { name, ...clocks[name] };
  const visit = petition && petition.visit_clock;  // 回访, once fed back (5 working days)
  return visit && RUNNING.includes(visit.state) ? { name: "visit", ...visit } : null;
}

export function clockText(clock) {
  if (!clock || !RUNNING.includes(clock.state)) return "";
  const left = clock.days_left;
  if (left === null || left === undefined) return `期限 ${clock.due}`;
  if (left < 0) return `超期 ${-left} 个工作日`;
  if (left === 0) return clock.state === "overdue" ? "已超期" : "今天到期";
  return `剩 ${left} 个工作日`;
}

export function clockType(clock) {
  if (!clock) return "info";
  return { overdue: "danger", due_soon: "warning", on_track: "success", met: "success", missed: "danger" }[clock.state]
    || "info";
}

/** A co-department's task clock: time left while open; met or late once its part is in. */
export function taskClockText(clock) {
  if (!clock) return "";
  if (clock.state === "met") return "按期完成";
  if (clock.state === "missed") return "逾期完成";
  return clockText(clock);
}
