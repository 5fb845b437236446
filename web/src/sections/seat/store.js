/**
 * The seat's day in one reactive store: who I am and my status, the waiting queue, my conversations,
 * the transcript of each open conversation, who is online per tier, and the commands a seat gives
 * (claim, answer, send a card, escalate, transfer, hand back, close, turn into a petition). Live frames
 * from the console socket (socket.js) and REST answers (docs/hub.md) land here the same way, so a
 * message seen twice (the POST's answer and the socket's frame) is shown once.
 */
import { reactive } from "vue";
import { api } from "../../api.js";
import { session } from "../../session.js";
import { openConsoleSocket } from "./socket.js";

export const seat = reactive({
  me: null, status: "offline", line: "idle", queue: [], mine: [], ended: [], selectedId: null,
  messages: {}, conversations: {}, board: null, typing: {},
});

let socket = null;
const TYPING_SHOWN_MS = 6000;
const readUpTo = {}; // conversation id → the last message id reported read
const SEAT_PATH = "/api/seats/conversations/";

export function conversationPath(id, suffix = "") {
  return `${SEAT_PATH}${encodeURIComponent(id)}${suffix}`;
}

/** The name staff read for a conversation: the enterprise, else the visitor's label. */
export function whoIs(summary) {
  if (!summary) return "";
  return summary.enterprise_name || summary.visitor || "访客";
}

export function start() {
  if (socket || !session.token) return;
  socket = openConsoleSocket({
    token: session.token,
    onFrame: handleFrame,
    onState: (line) => { seat.line = line; if (line !== "online") seat.status = line === "refused" ? "offline" : seat.status; },
  });
}

export function stop() {
  if (socket) socket.stop();
  socket = null;
  Object.assign(seat, { me: null, status: "offline", line: "idle", queue: [], mine: [], ended: [], selectedId: null,
    messages: {}, conversations: {}, board: null, typing: {} });
}

function upsert(list, summary) {
  const at = list.findIndex((c) => c.id === summary.id);
  if (at >= 0) list.splice(at, 1, { ...list[at], ...summary });
  else list.unshift(summary);
}

function remember(summary) {
  seat.conversations[summary.id] = { ...(seat.conversations[summary.id] || {}), ...summary };
}

/** A summary came back (a frame or a command's answer): file it under mine, ended or nowhere. */
export function applySummary(summary) {
  if (!summary || summary.id === undefined) return;
  remember(summary);
  const mineNow = seat.me && summary.assigned_staff_id === seat.me.id && summary.mode === "human";
  if (mineNow) {
    upsert(seat.mine, summary);
    seat.queue = seat.queue.filter((c) => c.id !== summary.id);
  } else {
    const wasMine = seat.mine.some((c) => c.id === summary.id);
    seat.mine = seat.mine.filter((c) => c.id !== summary.id);
    if (summary.mode === "closed" && (wasMine || seat.ended.some((c) => c.id === summary.id))) upsert(seat.ended, summary);
  }
}

export function addMessage(message) {
  if (!message || message.conversation_id === undefined) return;
  const list = seat.messages[message.conversation_id];
  if (!list) return; // not opened yet: the transcript is read in full when it opens
  if (list.some((m) => m.id === message.id)) return;
  list.push(message);
  list.sort((a, b) => a.id - b.id);
}

function handleFrame(frame) {
  switch (frame.type) {
    case "hello":
      seat.me = frame.seat;
      seat.status = (frame.seat && frame.seat.status) || "online";
      seat.queue = frame.queue || [];
      seat.mine = [];
      for (const c of frame.mine || []) applySummary(c);
      if (frame.seats) seat.board = frame.seats;
      if (seat.selectedId) refreshTranscript(seat.selectedId).catch(() => {});
      break;
    case "queue":
      seat.queue = frame.queue || [];
      for (const c of seat.queue) remember(c);
      break;
    case "conversation":
      applySummary(frame.conversation);
      break;
    case "message": {
      const m = frame.message;
      addMessage(m);
      const mine = seat.mine.find((c) => c.id === m.conversation_id);
      if (mine) {
        mine.last_message = { text: m.text || (m.attachment ? "[附件]" : ""), created_at: m.created_at };
        if (m.sender === "user" && m.conversation_id !== seat.selectedId) mine.unread = (mine.unread || 0) + 1;
      }
      if (m.sender === "user") seat.typing[m.conversation_id] = 0;
      if (m.conversation_id === seat.selectedId && m.sender === "user") markRead(m.conversation_id);
      break;
    }
    case "typing": {
      const id = frame.conversation_id;
      const at = Date.now();
      seat.typing[id] = at;
      setTimeout(() => { if (seat.typing[id] === at) seat.typing[id] = 0; }, TYPING_SHOWN_MS);
      break;
    }
    case "presence":
      seat.status = frame.status;
      break;
    case "seats":
      seat.board = frame.seats;
      break;
    default:
      break;
  }
}

export async function refreshTranscript(id) {
  const data = await api("GET", conversationPath(id));
  remember(data.conversation);
  seat.messages[id] = [...data.messages].sort((a, b) => a.id - b.id);
  return data;
}

export async function open(id) {
  seat.selectedId = id;
  await refreshTranscript(id);
  markRead(id);
}

/** The open conversation is read up to its last message: its unread count goes back to 0 (once per message). */
export function markRead(id) {
  const list = seat.messages[id] || [];
  const last = list[list.length - 1];
  const mine = seat.mine.find((c) => c.id === id);
  if (mine) mine.unread = 0;
  if (!last || !mine || last.id <= (readUpTo[id] || 0)) return;
  readUpTo[id] = last.id;
  api("POST", conversationPath(id, "/read"), { message_id: last.id }).catch(() => {});
}

export async function claim(id) {
  const summary = await api("POST", conversationPath(id, "/claim"));
  applySummary(summary);
  await open(id);
}

export async function sendText(id, text) {
  const clientId = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random()}`;
  const message = await api("POST", conversationPath(id, "/messages"), { text, client_id: clientId });
  addMessage(message);
  return message;
}

export async function sendCard(id, entryId) {
  addMessage(await api("POST", conversationPath(id, "/cards"), { entry_id: entryId }));
}

/** Escalate, transfer, hand back or close: the answer is the conversation's new summary. */
export async function command(id, suffix, body = null) {
  const summary = await api("POST", conversationPath(id, suffix), body);
  applySummary(summary);
  if (seat.messages[id]) await refreshTranscript(id).catch(() => {});
  return summary;
}

export async function setStatus(status) {
  const data = await api("PUT", "/api/seats/me/presence", { status });
  seat.status = data.status;
}

export function typing(id) {
  if (socket) socket.send({ type: "typing", conversation_id: id });
}

/** Who is online per tier (GET /api/seats/presence); the socket keeps it live with `seats` frames. */
export async function loadBoard() {
  seat.board = await api("GET", "/api/seats/presence");
  return seat.board;
}
