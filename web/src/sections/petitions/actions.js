/**
 * The life-cycle steps a petition's detail offers, as the API takes them. Which steps are offered comes from
 * the server (`actions` of GET /api/petitions/{id}); this file only says what each step asks for (a unit, a
 * reason, days, satisfaction) and where it is sent. Button and dialog titles are the vocabulary's
 * `petition_action` labels.
 */
import { session } from "../../session.js";

export const HANDLING_KINDS = ["handling_department", "service_department", "legal_unit"];

export const STEPS = {
  hand_over: { path: "hand-over", unit: ["service_department"], body: (f) => ({ service_unit_id: f.unit }) },
  assign: {
    path: "assign", units: HANDLING_KINDS, longTerm: true, reason: "optional",
    body: (f) => ({ unit_ids: f.units, long_term: f.long_term, reason: f.reason || null }),
  },
  start: { path: "start", confirm: "确认开始办理这件诉求？" },
  transfer: { path: "transfer", unit: HANDLING_KINDS, reason: "required",
    body: (f) => ({ to_unit_id: f.unit, reason: f.reason }) },
  request_extension: { path: "extensions", days: true, reason: "required",
    body: (f) => ({ days: f.days, reason: f.reason }) },
  approve_extension: { extension: "approve", note: "optional", body: (f) => ({ note: f.note || null }) },
  reject_extension: { extension: "reject", note: "required", body: (f) => ({ note: f.note }) },
  resolve: { path: "resolve", resolution: true, body: (f) => ({ resolution: f.resolution }) },
  feed_back: { path: "feedback", message: true, body: (f) => ({ message: f.message || null }) },
  return_visit: { path: "return-visit", satisfaction: true, note: "optional",
    body: (f) => ({ satisfaction: f.satisfaction, note: f.note || null }) },
  close: { path: "close", reason: "optional", body: (f) => ({ reason: f.reason || null }) },
  // Joint handling: the lead invites a co-department (an outside one too); a co-department completes its own part.
  add_co_handler: { path: "co-handlers", unit: [...HANDLING_KINDS, "outside_department"], reason: "required",
    taskDays: true, body: (f) => ({ unit_id: f.unit, reason: f.reason, days: f.task_days || null }) },
  // The lead gives a co-department an earlier deadline than the handling deadline (empty: back to it).
  set_task_deadline: { taskDeadline: true, openTask: true, taskDays: true, reason: "optional",
    body: (f) => ({ days: f.task_days || null, reason: f.reason || null }) },
  complete_task: { task: true, answer: true, body: (f) => ({ answer: f.answer }) },
};

/** The buttons for the server's `actions`: a pending extension's decision becomes 批准 and 不批准. */
export function buttonsFor(actions) {
  return (actions || []).flatMap((action) => (action === "decide_extension"
    ? ["approve_extension", "reject_extension"] : [action])).filter((action) => STEPS[action]);
}

/** [method, url, body] of a step on petition `id` (`extensionId` for a decision). */
export function requestFor(action, id, form, extensionId) {
  const step = STEPS[action];
  const body = step.body ? step.body(form) : null;
  if (step.extension) return ["POST", `/api/petitions/extensions/${extensionId}/${step.extension}`, body];
  if (step.task) return ["POST", `/api/petitions/${id}/tasks/${session.staff.unit.id}/complete`, body];
  if (step.taskDeadline) return ["POST", `/api/petitions/${id}/tasks/${form.unit}/deadline`, body];
  return ["POST", `/api/petitions/${id}/${step.path}`, body];
}
