/**
 * The seat's live line to the hub: the console WebSocket (/ws/console, docs/hub.md). The token goes in
 * the first frame (never the URL), a ping every 15 s keeps the seat present, and a dropped line is
 * reconnected after a short pause. A refused token (4401) ends the session; a non-seat account (4403)
 * is told so and not retried.
 */
import { expireSession } from "../../session.js";

const PING_MS = 15_000;
const RETRY_MS = [1000, 2000, 5000, 10_000];

export function openConsoleSocket({ token, onFrame, onState }) {
  let ws = null;
  let ping = null;
  let retry = null;
  let attempts = 0;
  let stopped = false;

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/ws/console`);
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token }));
      ping = setInterval(() => send({ type: "ping" }), PING_MS);
    };
    ws.onmessage = (event) => {
      let frame = null;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame && frame.type === "hello") { attempts = 0; onState("online"); }
      if (frame && typeof frame === "object") onFrame(frame);
    };
    ws.onclose = (event) => {
      clearInterval(ping);
      ws = null;
      if (stopped) return;
      if (event.code === 4401) { onState("closed"); expireSession(); return; }
      if (event.code === 4403) { onState("refused"); return; }
      onState("reconnecting");
      retry = setTimeout(connect, RETRY_MS[Math.min(attempts++, RETRY_MS.length - 1)]);
    };
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function stop() {
    stopped = true;
    clearInterval(ping);
    clearTimeout(retry);
    if (ws) ws.close(1000);
    ws = null;
  }

  onState("connecting");
  connect();
  return { send, stop };
}
