// The page's one WebSocket to the hub's /ws: subscriptions, calls, and
// recovery. After a lost connection it reconnects with back-off and
// re-subscribes with `since` = the last seq it saw per topic, so the hub
// replays exactly what was missed (or sends a `gap` frame when it cannot).

import { withToken } from "./api.js";
import { topicMatches } from "./topics-match.js";

export class HubClient extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.socket = null;
    this.state = "connecting"; // connecting | open | closed
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject}
    this.subscriptions = new Map(); // pattern → {policy, last}
    this.lastSeq = new Map(); // topic → highest seq received
    this.handlers = []; // {pattern|null, fn}
    this.retryMs = 250;
    this.disconnectedAt = null;
    this.everConnected = false;
    this.received = 0;
    this.connect();
  }

  connect() {
    this.state = "connecting";
    this.emit("state", { state: this.state });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.opened();
    socket.onmessage = (event) => this.frame(event.data);
    socket.onclose = (event) => this.closed(event);
  }

  opened() {
    this.state = "open";
    this.retryMs = 250;
    const downtime = this.disconnectedAt === null ? null : Date.now() - this.disconnectedAt;
    this.disconnectedAt = null;
    this.resubscribe();
    this.emit("state", { state: "open", reconnected: this.everConnected, downtime });
    this.everConnected = true;
  }

  closed(event) {
    if (this.socket === null) return;
    this.socket = null;
    this.state = "closed";
    if (this.disconnectedAt === null) this.disconnectedAt = Date.now();
    for (const { reject } of this.pending.values()) reject(new Error("connection to the hub lost"));
    this.pending.clear();
    this.emit("state", { state: "closed", code: event.code, reason: event.reason });
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    // Back-off with jitter, so that a restarted hub is not hit by every tab at once.
    const delay = this.retryMs * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    this.emit("state", { state: "closed", retryIn: delay });
    setTimeout(() => this.connect(), delay);
  }

  // Lossless subscriptions first, each with `since` for the topics it covers:
  // the hub starts one replay per topic, and a later `last` must not start it elsewhere.
  resubscribe() {
    const ordered = [...this.subscriptions].sort((a, b) => (a[1].policy === "lossless" ? 0 : 1) - (b[1].policy === "lossless" ? 0 : 1));
    // Readers of state (lists over HTTP) wait for this, so that no event falls between the read and the subscription.
    this.resubscribed = Promise.all(ordered.map(([pattern, options]) => this.sendSub(pattern, options, true).catch(() => {})));
  }

  sendSub(pattern, options, resuming) {
    const request = { op: "sub", topics: [pattern], policy: options.policy };
    if (resuming && options.policy === "lossless") {
      const since = {};
      for (const [topic, seq] of this.lastSeq) if (topicMatches(pattern, topic)) since[topic] = seq;
      request.since = since;
    } else if (options.last > 0) {
      request.last = options.last;
    }
    return this.request(request);
  }

  frame(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.emit("error", { message: "the hub sent a frame that is not JSON" });
      return;
    }
    switch (message.op) {
      case "msg":
        this.deliver(message);
        break;
      case "gap":
        if ((this.lastSeq.get(message.topic) ?? 0) < message.to) this.lastSeq.set(message.topic, message.to);
        this.dispatch(message.topic, { gap: message });
        break;
      case "ok":
      case "result":
      case "error": {
        const waiting = this.pending.get(message.id);
        if (waiting) {
          this.pending.delete(message.id);
          if (message.op === "error") waiting.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
          else waiting.resolve(message.op === "result" ? message.result : message);
        } else if (message.op === "error") {
          this.emit("error", { message: `${message.error.code}: ${message.error.message}` });
        }
        break;
      }
    }
  }

  deliver(message) {
    // One delivery per seq: a re-subscription may replay what was already seen.
    const last = this.lastSeq.get(message.topic) ?? 0;
    if (message.seq <= last) return;
    this.lastSeq.set(message.topic, message.seq);
    this.received += 1;
    this.dispatch(message.topic, { msg: message });
  }

  dispatch(topic, event) {
    for (const handler of this.handlers) {
      if (handler.pattern === null || topicMatches(handler.pattern, topic)) handler.fn(event);
    }
  }

  request(body) {
    if (this.state !== "open") return Promise.reject(new Error("not connected to the hub"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ ...body, id }));
    });
  }

  // MARK: public API

  /// Calls `fn({msg})` / `fn({gap})` for every message of topics matching `pattern` (null: all).
  on(pattern, fn) {
    const handler = { pattern, fn };
    this.handlers.push(handler);
    return () => (this.handlers = this.handlers.filter((h) => h !== handler));
  }

  /// Subscribes (once per pattern; a lossless request upgrades a latest one).
  async subscribe(pattern, { policy = "lossless", last = 0 } = {}) {
    const existing = this.subscriptions.get(pattern);
    if (existing && (existing.policy === "lossless" || policy === "latest")) return;
    const options = { policy, last };
    this.subscriptions.set(pattern, options);
    if (this.state === "open") await this.sendSub(pattern, options, false);
  }

  async unsubscribe(pattern) {
    if (!this.subscriptions.delete(pattern)) return;
    if (this.state === "open") await this.request({ op: "unsub", topics: [pattern] }).catch(() => {});
  }

  /// Resolves once subscribed (now, or after the next connection).
  ready() {
    if (this.state === "open") return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (event) => {
        if (event.detail.state === "open") {
          this.removeEventListener("state", listener);
          resolve();
        }
      };
      this.addEventListener("state", listener);
    });
  }

  call(method, params = {}) {
    return this.request({ op: "call", method, params });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/// ws:// or wss:// to the hub that served this page.
export function hubSocketURL() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return withToken(`${scheme}//${location.host}/ws`);
}
