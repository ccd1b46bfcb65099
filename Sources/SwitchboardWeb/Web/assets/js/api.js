// The hub's HTTP API (/api/v1): JSON in, JSON out, errors as exceptions
// carrying the hub's `{"error":{"code","message"}}`.

import { topicPath } from "./topics-match.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// A page opened with `?token=…` (an OBS overlay, a kiosk) uses that token; a
// logged-in browser uses its session cookie, and sends the session's CSRF token
// with every change. Without credentials where the hub needs them: to /login.
const pageToken = new URLSearchParams(location.search).get("token");
let csrfRead = null;

export function authHeaders() {
  return pageToken ? { Authorization: `Bearer ${pageToken}` } : {};
}

export function withToken(url) {
  return pageToken ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(pageToken)}` : url;
}

function csrfToken() {
  csrfRead ??= fetch("/api/v1/session", { headers: authHeaders() })
    .then((response) => (response.ok ? response.json() : null))
    .then((session) => session?.csrf ?? null)
    .catch(() => null);
  return csrfRead;
}

export function toLogin() {
  if (!pageToken) location.assign(`/login?next=${encodeURIComponent(location.pathname + location.hash)}`);
}

export async function api(method, path, body) {
  const init = { method, headers: authHeaders() };
  if (method !== "GET") {
    const csrf = await csrfToken();
    if (csrf) init.headers["X-CSRF-Token"] = csrf;
  }
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "unreachable", `the hub did not answer (${error.message})`);
  }
  if (response.status === 401) toLogin();
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok && !(response.status === 504 && json && json.state)) {
    const error = json && json.error ? json.error : { code: String(response.status), message: text || response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  return json;
}

export const hubApi = {
  topics: () => api("GET", "/api/v1/topics"),
  history: (topic, query) => api("GET", `/api/v1/topics/${topicPath(topic)}/messages?${new URLSearchParams(query)}`),
  sources: () => api("GET", "/api/v1/sources"),
  createSource: (source) => api("POST", "/api/v1/sources", source),
  sourceAction: (name, action) => api("POST", `/api/v1/sources/${encodeURIComponent(name)}/${action}`),
  deleteSource: (name) => api("DELETE", `/api/v1/sources/${encodeURIComponent(name)}`),
  devices: () => api("GET", "/api/v1/devices"),
  commands: (device) => api("GET", `/api/v1/commands?${new URLSearchParams({ device, limit: "20" })}`),
  sendCommand: (device, command) => api("POST", `/api/v1/devices/${encodeURIComponent(device)}/commands?async=true`, command),
};
