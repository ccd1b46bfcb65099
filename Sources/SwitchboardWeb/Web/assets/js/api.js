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

export async function api(method, path, body) {
  const init = { method, headers: {} };
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
