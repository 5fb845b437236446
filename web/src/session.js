/**
 * Who is logged in: the staff account and its bearer token, kept in sessionStorage (one tab, gone
 * when the tab closes). `login()` asks /api/auth/token, `logout(reason)` forgets everything and the
 * login page shows the reason; an expired or refused token ends the session the same way.
 */
import { reactive } from "vue";

const STORE_KEY = "taxStaffApp.session";

export const session = reactive({ token: null, staff: null, expiresAt: 0, notice: "" });

export function restoreSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    if (saved && saved.token && saved.staff && saved.expiresAt > Date.now()) {
      Object.assign(session, { token: saved.token, staff: saved.staff, expiresAt: saved.expiresAt });
      scheduleExpiry();
    }
  } catch {
    sessionStorage.removeItem(STORE_KEY);
  }
}

function persist() {
  try {
    if (session.token) {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({ token: session.token, staff: session.staff, expiresAt: session.expiresAt }));
    } else {
      sessionStorage.removeItem(STORE_KEY);
    }
  } catch { /* storage may be unavailable (private mode): the session lives in memory only */ }
}

let expiryTimer = null;

export function startSession({ access_token: token, expires_in: seconds, staff }) {
  Object.assign(session, { token, staff, expiresAt: Date.now() + seconds * 1000, notice: "" });
  persist();
  scheduleExpiry();
}

function scheduleExpiry() {
  clearTimeout(expiryTimer);
  if (session.token) expiryTimer = setTimeout(() => expireSession(), Math.max(0, session.expiresAt - Date.now()));
}

export function logout(notice = "") {
  clearTimeout(expiryTimer);
  Object.assign(session, { token: null, staff: null, expiresAt: 0, notice });
  persist();
  for (const listener of logoutListeners) listener();
}

export function expireSession() {
  if (session.token) logout("登录已过期，请重新登录");
}

const logoutListeners = new Set();
/** Sections that hold live resources (the seat's socket) close them here. */
export function onLogout(listener) {
  logoutListeners.add(listener);
  return () => logoutListeners.delete(listener);
}

export function hasRole(...roles) {
  return Boolean(session.staff && roles.includes(session.staff.role));
}
