/**
 * The one HTTP client of the staff app: bearer token, JSON in and out, Chinese error text.
 *
 * Every call goes through `api()`: a non-2xx answer becomes an `ApiError` whose `message` is the
 * server's Chinese reason (the API's error body `detail`), a 401 ends the session (the login page says
 * why), and a network failure says so in Chinese. `download()` fetches a file with the token and saves it;
 * `openPage()` opens an HTML report that needs the token in a new window.
 */
import { session, expireSession } from "./session.js";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

const STATUS_TEXT = {
  400: "请求有误", 403: "您无权进行此操作", 404: "要找的内容不存在或已被删除", 409: "状态已变化，请刷新后重试",
  413: "内容太大", 422: "填写的内容有误", 429: "操作太频繁，请稍后再试",
};

/** The Chinese reason of an error body: the API's `detail` (a string, or pydantic's list of errors). */
export function reasonOf(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail) && detail.length) {
    const first = detail[0];
    if (first && typeof first.msg === "string") return first.msg;
  }
  if (body && typeof body.message === "string" && body.message) return body.message;
  return STATUS_TEXT[status] || (status >= 500 ? "服务暂时不可用，请稍后再试" : `请求失败（${status}）`);
}

function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

/** `api("GET", "/api/petitions", null, {query: {status: "queued"}})` → the parsed JSON body. */
export async function api(method, path, body = null, { query = null, auth = true, form = false } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === null || value === undefined || value === "") continue;
      for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
    }
    const text = params.toString();
    if (text) url += (url.includes("?") ? "&" : "?") + text;
  }
  const headers = auth ? authHeaders() : {};
  const init = { method, headers, cache: "no-store" };
  if (body !== null && body !== undefined) {
    if (form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = new URLSearchParams(body).toString();
    } else {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, "网络连接失败，请检查网络后重试", null);
  }
  const raw = await response.text();
  let data = null;
  if (raw) {
    try { data = JSON.parse(raw); } catch { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && auth && session.token) expireSession();
    throw new ApiError(response.status, reasonOf(response.status, data), data);
  }
  return data;
}

/** GET `path` (with `query`) with the bearer token: the response, or an `ApiError` with the Chinese reason. */
async function fetchWithToken(path, query = null) {
  let url = path;
  if (query) {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== ""));
    if ([...params].length) url += "?" + params.toString();
  }
  const response = await fetch(url, { headers: authHeaders(), cache: "no-store" }).catch(() => null);
  if (!response) throw new ApiError(0, "网络连接失败，请检查网络后重试", null);
  if (!response.ok) {
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (response.status === 401) expireSession();
    throw new ApiError(response.status, reasonOf(response.status, data), data);
  }
  return response;
}

/** Fetch a file with the bearer token and hand it to the browser as a download named `filename`. */
export async function download(path, filename, query = null) {
  const blob = await (await fetchWithToken(path, query)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/**
 * Open a page the API renders (an HTML report that needs the token) in a new window, to read and print.
 * The window is opened at once (inside the click, so no pop-up blocker stops it) and written when the page
 * arrives: a blank window of this origin keeps this page's address as its base, so the report's own
 * stylesheet (/static/…) loads, under this page's Content-Security-Policy (no script runs in it).
 */
export async function openPage(path, query = null) {
  const view = window.open("", "_blank");
  if (!view) throw new ApiError(0, "浏览器拦截了新窗口，请允许本站打开新窗口后重试", null);
  try {
    const html = await (await fetchWithToken(path, query)).text();
    view.document.open();
    view.document.write(html);
    view.document.close();
  } catch (error) {
    view.close();
    throw error;
  }
}
