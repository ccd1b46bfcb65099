// One dashboard panel: its frame (title, controls) and its data's life —
// subscribe first, then read history over HTTP (so that history ∪ live has
// no hole), hold live messages back until the history is in, then append
// live ones. Charts get every message (`lossless`); panels that show only the
// newest value subscribe with `latest`. A `gap` frame becomes a marker.

import { hubApi } from "./api.js";
import { el } from "./format.js";
import { inferKind, kinds, needsHistory } from "./infer.js";
import { isPattern, topicMatches } from "./topics-match.js";
import { ChartView } from "./views/chart-view.js";
import { HeatmapView } from "./views/heatmap-view.js";
import { ImageView } from "./views/image-view.js";
import { LeaderboardView } from "./views/leaderboard-view.js";
import { TableView } from "./views/table-view.js";
import { ValueView } from "./views/value-view.js";

const viewTypes = {
  line: ChartView,
  bar: ChartView,
  scatter: ChartView,
  value: ValueView,
  gauge: ValueView,
  table: TableView,
  leaderboard: LeaderboardView,
  image: ImageView,
  heatmap: HeatmapView,
};

export const windowChoices = [
  ["", "window: auto"],
  ["p100", "100 points"],
  ["p1000", "1,000 points"],
  ["p10000", "10,000 points"],
  ["p100000", "100,000 points"],
  ["s60", "1 minute"],
  ["s600", "10 minutes"],
  ["s3600", "1 hour"],
];

const historyPageLimit = 10000;
const maxHistoryPages = 20;
const maxPatternTopics = 20;

export class Panel {
  /// `config`: {id, source, kind, w, h, window}; `hooks`: {client, topics(), onChange, onRemove, notify}.
  constructor(config, hooks) {
    this.config = config;
    this.hooks = hooks;
    this.client = hooks.client;
    this.isPattern = isPattern(config.source);
    this.loading = true;
    this.buffer = [];
    this.lastSeq = new Map();
    this.pendingGap = new Map();
    this.holes = 0;
    this.gaps = 0;
    this.received = 0;
    this.createdAt = performance.now();
    this.view = null;
    this.element = this.frame();
    this.unlisten = this.client.on(config.source, (event) => this.event(event));
  }

  // MARK: frame

  frame() {
    const config = this.config;
    this.title = el("h2", { title: config.source }, config.source);
    this.status = el("span", { class: "panel-status", "aria-live": "polite" });
    this.kindSelect = el(
      "select",
      { "aria-label": "Panel kind", onchange: () => this.hooks.onChange({ kind: this.kindSelect.value || null }) },
      el("option", { value: "" }, "auto"),
      kinds.map((kind) => el("option", { value: kind, selected: kind === config.kind }, kind)),
    );
    this.windowSelect = el(
      "select",
      { "aria-label": "Window", onchange: () => this.hooks.onChange({ window: this.windowSelect.value || null }) },
      windowChoices.map(([value, label]) => el("option", { value, selected: value === (config.window ?? "") }, label)),
    );
    this.liveButton = el("button", { class: "live", "aria-pressed": "true", title: "Follow live data (pause to inspect)", onclick: () => this.toggleLive() }, "Pause");
    const tool = (label, title, change) => el("button", { title, "aria-label": title, onclick: () => this.hooks.onChange(change()) }, label);
    this.body = el("div", { class: "panel-body" });
    const element = el(
      "article",
      { class: "panel", dataset: { id: config.id, source: config.source }, "aria-label": `Panel ${config.source}` },
      el(
        "header",
        {},
        this.title,
        this.status,
        this.liveButton,
        el(
          "button",
          { class: "more", "aria-expanded": "false", "aria-label": "Panel settings", title: "Kind, window, position and size", onclick: (event) => this.toggleTools(event.currentTarget) },
          "⋯",
        ),
        el("button", { class: "remove", title: "Remove panel", "aria-label": "Remove panel", onclick: () => this.hooks.onRemove() }, "✕"),
        (this.tools = el(
          "div",
          { class: "panel-tools", hidden: true },
          this.kindSelect,
          this.windowSelect,
          tool("◀", "Move earlier", () => ({ move: -1 })),
          tool("▶", "Move later", () => ({ move: 1 })),
          tool("⇤", "Narrower", () => ({ w: Math.max(2, config.w - 1) })),
          tool("⇥", "Wider", () => ({ w: Math.min(12, config.w + 1) })),
          tool("⤒", "Shorter", () => ({ h: Math.max(2, config.h - 1) })),
          tool("⤓", "Taller", () => ({ h: Math.min(12, config.h + 1) })),
        )),
      ),
      this.body,
    );
    this.applySize(element);
    return element;
  }

  applySize(element = this.element) {
    element.style.gridColumn = `span ${this.config.w}`;
    element.style.gridRow = `span ${this.config.h}`;
  }

  toggleTools(button) {
    this.tools.hidden = !this.tools.hidden;
    button.setAttribute("aria-expanded", String(!this.tools.hidden));
  }

  toggleLive() {
    const chart = this.view?.chart;
    if (!chart) return;
    chart.setFollow(!chart.follow);
  }

  setStatus(text) {
    this.status.textContent = text;
  }

  // MARK: data

  windowOptions(descriptor) {
    const choice = this.config.window ?? "";
    if (choice.startsWith("p")) return { windowPoints: Number(choice.slice(1)), windowMs: 0 };
    if (choice.startsWith("s")) return { windowPoints: 0, windowMs: Number(choice.slice(1)) * 1000 };
    const points = Number(descriptor?.window);
    return { windowPoints: points >= 1 ? points : 500, windowMs: 0 };
  }

  matchingTopics() {
    const topics = this.hooks.topics();
    if (!this.isPattern) return topics.filter((t) => t.topic === this.config.source);
    return topics.filter((t) => topicMatches(this.config.source, t.topic)).slice(0, maxPatternTopics);
  }

  async start() {
    try {
      await this.begin();
    } catch (error) {
      this.setStatus("failed");
      this.hooks.notify(`Panel ${this.config.source}: ${error.message}`, "error");
    }
  }

  async begin() {
    await this.client.ready();
    await this.hooks.fresh();
    const topics = this.matchingTopics();
    const descriptor = topics.find((t) => t.descriptor)?.descriptor ?? null;
    this.descriptor = descriptor;
    if (descriptor?.title && !this.isPattern) this.title.textContent = descriptor.title;
    let kind = this.config.kind || inferKind(descriptor, undefined);
    let sample = [];
    if (!kind && topics.length) {
      sample = await this.newest(topics);
      if (sample.length) kind = inferKind(descriptor, sample[sample.length - 1].data);
    }
    const policy = kind && !needsHistory(kind) ? "latest" : "lossless";
    await this.client.subscribe(this.config.source, { policy });
    if (!kind) {
      // Nothing stored yet: the first live message decides.
      this.setStatus("waiting for data…");
      this.loading = "undecided";
      return;
    }
    this.setStatus("loading history…");
    const history = needsHistory(kind) ? await this.history(this.matchingTopics(), descriptor) : await this.newest(this.matchingTopics());
    this.build(kind, history);
  }

  build(kind, history) {
    this.kind = kind;
    this.element.dataset.kind = kind;
    this.windowSelect.hidden = !needsHistory(kind);
    this.liveButton.hidden = !needsHistory(kind);
    const context = {
      kind,
      source: this.config.source,
      isPattern: this.isPattern,
      descriptor: this.descriptor,
      ...this.windowOptions(this.descriptor),
    };
    this.view = new viewTypes[kind](this.body, context);
    const chart = this.view.chart;
    if (chart) {
      chart.onFollowChange = (follow) => {
        this.liveButton.textContent = follow ? "Pause" : "Live";
        this.liveButton.setAttribute("aria-pressed", String(follow));
        this.setStatus(follow ? "" : "paused");
      };
      chart.onNeedOlder = () => this.loadOlder();
      // Since the panel was made, and since the page started loading (what a user waits).
      chart.onFirstPaint = () => {
        this.element.dataset.firstPaintMs = String(Math.round(performance.now() - this.createdAt));
        this.element.dataset.firstPaintSinceLoadMs = String(Math.round(performance.now()));
      };
    }
    history.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    this.view.load(history);
    for (const message of history) this.lastSeq.set(message.topic, Math.max(this.lastSeq.get(message.topic) ?? 0, message.seq));
    this.loading = false;
    this.setStatus("");
    const held = this.buffer;
    this.buffer = [];
    for (const event of held) this.event(event);
    this.publishStats();
  }

  /// The newest stored message of each topic.
  async newest(topics) {
    const pages = await Promise.all(
      topics.map((t) => hubApi.history(t.topic, { after: String(Math.max(0, t.last_seq - 1)), limit: "1" }).catch(() => ({ messages: [] }))),
    );
    return pages.flatMap((page) => page.messages);
  }

  /// A chart's history: the window's messages, decimated (`points`) when the window is longer than a page.
  async history(topics, descriptor) {
    const { windowPoints, windowMs } = this.windowOptions(descriptor);
    const width = Math.max(400, Math.round(this.body.clientWidth || 800));
    const all = [];
    for (const t of topics) {
      // Read the newest last_seq now: it may have grown since the listing.
      const query = {};
      if (windowMs > 0) query.from = String(Date.now() - windowMs);
      else query.after = String(Math.max(0, t.last_seq - windowPoints));
      if (windowMs > 0 || windowPoints > historyPageLimit) {
        query.points = String(width * 2);
        const page = await hubApi.history(t.topic, query);
        all.push(...page.messages);
        continue;
      }
      query.limit = String(historyPageLimit);
      for (let pages = 0; pages < maxHistoryPages; pages++) {
        const page = await hubApi.history(t.topic, query);
        all.push(...page.messages);
        if (page.next_after === null || page.next_after === undefined) break;
        query.after = String(page.next_after);
      }
    }
    return all;
  }

  /// Scrolling back before the first loaded point: the page of messages before it.
  async loadOlder() {
    const data = this.view?.data;
    if (this.isPattern || this.olderLoading || !data || data.length === 0) return;
    const firstSeq = data.seq[0];
    if (firstSeq <= 1) return;
    this.olderLoading = true;
    this.setStatus("loading older…");
    try {
      const count = Math.min(2000, firstSeq - 1);
      const page = await hubApi.history(this.config.source, { after: String(firstSeq - 1 - count), limit: String(count) });
      this.view.prepend(page.messages.filter((m) => m.seq < firstSeq));
    } catch (error) {
      this.hooks.notify(`Loading older data of ${this.config.source} failed: ${error.message}`, "error");
    } finally {
      this.olderLoading = false;
      this.setStatus(this.view.chart?.follow === false ? "paused" : "");
    }
  }

  event(event) {
    if (this.loading) {
      this.buffer.push(event);
      if (this.loading === "undecided" && event.msg) {
        this.loading = true;
        this.descriptor = this.descriptor ?? this.matchingTopics().find((t) => t.descriptor)?.descriptor ?? null;
        this.build(this.config.kind || inferKind(this.descriptor, event.msg.data), []);
      }
      return;
    }
    if (event.gap) {
      const gap = event.gap;
      this.gaps += 1;
      this.pendingGap.set(gap.topic, gap);
      this.lastSeq.set(gap.topic, Math.max(this.lastSeq.get(gap.topic) ?? 0, gap.to));
      const data = this.view.data;
      this.view.gap(gap, data && data.length ? data.lastTs : Date.now());
      this.publishStats();
      return;
    }
    const message = event.msg;
    const last = this.lastSeq.get(message.topic);
    if (last !== undefined && message.seq <= last) return;
    let gapBefore = this.pendingGap.delete(message.topic);
    // A hole the hub did not announce: count it (it would be a bug) and break the line there.
    if (last !== undefined && message.seq > last + 1 && !gapBefore) {
      this.holes += message.seq - last - 1;
      gapBefore = true;
    }
    this.lastSeq.set(message.topic, message.seq);
    this.received += 1;
    this.view.push(message, gapBefore);
    this.statsDue = true;
    if (!this.statsTimer) this.statsTimer = setTimeout(() => this.publishStats(), 250);
  }

  /// What tests and curious users can read off the element: seqs seen, holes, gaps.
  publishStats() {
    this.statsTimer = null;
    const d = this.element.dataset;
    const seqs = [...this.lastSeq.values()];
    d.lastSeq = String(seqs.length ? Math.max(...seqs) : 0);
    d.received = String(this.received);
    d.holes = String(this.holes);
    d.gaps = String(this.gaps);
  }

  async stop() {
    this.unlisten();
    clearTimeout(this.statsTimer);
    this.element.remove();
  }
}
