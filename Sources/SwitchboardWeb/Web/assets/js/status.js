// The status bar: the connection to the hub (and what happened to it), the
// hub's numbers (connections, messages/s in and out, from /healthz and
// /metrics), and notices — errors are shown in the page, not only in the console.

import { authHeaders } from "./api.js";
import { el } from "./format.js";

export class Status {
  constructor({ indicator, stats, notices }) {
    this.indicator = indicator;
    this.stats = stats;
    this.notices = notices;
    this.previous = null;
    window.addEventListener("error", (event) => this.notify(`Page error: ${event.message}`, "error"));
    window.addEventListener("unhandledrejection", (event) => this.notify(`Page error: ${event.reason?.message ?? event.reason}`, "error"));
  }

  /// Follows a HubClient's connection: online, lost (and since when), back (after how long).
  watch(client) {
    client.addEventListener("state", (event) => {
      const detail = event.detail;
      const lastState = this.lastState;
      this.lastState = detail.state;
      this.indicator.dataset.state = detail.state;
      if (detail.state === "open") {
        this.indicator.textContent = "live";
        this.indicator.title = "Connected to the hub";
        if (detail.reconnected) {
          const seconds = (detail.downtime / 1000).toFixed(1);
          this.notify(`Reconnected after ${seconds} s; missed messages are replayed from the last seq seen (a gap is marked if the hub no longer has them).`, "info");
        }
      } else if (detail.state === "closed") {
        if (lastState === "open") {
          this.notify(`Disconnected from the hub${detail.reason ? ` (${detail.reason})` : ""}; reconnecting…`, "warn", "disconnected");
        }
        this.indicator.textContent = client.everConnected ? "disconnected — reconnecting…" : "hub unreachable — retrying…";
        this.indicator.title = "Not connected to the hub";
      } else {
        this.indicator.textContent = "connecting…";
      }
    });
    client.addEventListener("error", (event) => this.notify(event.detail.message, "error"));
  }

  /// Shows a notice; info fades after a while, warnings and errors stay until dismissed.
  notify(text, level = "info", kind = level) {
    const notice = el(
      "div",
      { class: `notice ${level}`, role: level === "error" ? "alert" : "status", dataset: { kind } },
      el("span", {}, `${new Date().toLocaleTimeString([], { hour12: false })} ${text}`),
      el("button", { class: "dismiss", "aria-label": "Dismiss", onclick: () => notice.remove() }, "×"),
    );
    this.notices.prepend(notice);
    while (this.notices.children.length > 6) this.notices.lastElementChild.remove();
    if (level === "info") setTimeout(() => notice.remove(), 15000);
  }

  /// Polls the hub's numbers every two seconds.
  startStats() {
    const poll = async () => {
      try {
        const [health, metrics] = await Promise.all([
          fetch("/healthz", { headers: authHeaders() }).then((r) => r.json()),
          fetch("/metrics", { headers: authHeaders() }).then((r) => (r.ok ? r.text() : "")),
        ]);
        const now = performance.now();
        const counters = { in: sum(metrics, "switchboard_messages_committed_total"), out: sum(metrics, "switchboard_deliveries_total") };
        let rates = "";
        if (this.previous) {
          const seconds = (now - this.previous.at) / 1000;
          const perSecond = (key) => Math.max(0, (counters[key] - this.previous[key]) / seconds);
          rates = ` · in ${Math.round(perSecond("in"))} msg/s · out ${Math.round(perSecond("out"))} msg/s`;
        }
        this.previous = { at: now, ...counters };
        this.stats.textContent = `${health.connections} connections · ${health.topics} topics${rates}`;
      } catch {
        this.stats.textContent = "hub stats unavailable";
      }
    };
    poll();
    setInterval(poll, 2000);
  }
}

/// The sum of a Prometheus counter over all its label sets.
function sum(text, name) {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (isFinite(value)) total += value;
  }
  return total;
}
