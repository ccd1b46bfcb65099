// The topic browser: every topic with its live message rate, last value and
// last seen, filtered by a search (text, or a pattern such as `lab/+/temp`).
// Clicking a topic, or the pattern, adds a panel. Rates and counts come from
// /api/v1/topics every two seconds; last values from a `latest` subscription
// to `#` (the newest message per topic is all this list needs).

import { hubApi } from "./api.js";
import { ago, el, rate, short } from "./format.js";
import { isPattern, isValidPattern, topicMatches } from "./topics-match.js";

export class TopicBrowser {
  constructor(container, { client, onAdd, notify }) {
    this.client = client;
    this.onAdd = onAdd;
    this.notify = notify;
    this.topics = [];
    this.latest = new Map(); // topic → envelope
    this.search = el("input", {
      type: "search",
      placeholder: "Search topics or type a pattern (lab/+/temp, demo/#)",
      "aria-label": "Search topics",
      oninput: () => this.render(),
      onkeydown: (event) => event.key === "Enter" && this.addSearched(),
    });
    this.patternButton = el("button", { class: "add-pattern", hidden: true, onclick: () => this.addSearched() });
    this.list = el("ul", { class: "topic-list", "aria-label": "Topics" });
    this.summary = el("p", { class: "muted small" });
    container.append(el("div", { class: "search-row" }, this.search), this.patternButton, this.summary, this.list);
    client.on(null, (event) => {
      if (event.msg) {
        this.latest.set(event.msg.topic, event.msg);
        this.dirty = true;
      }
    });
    client.subscribe("#", { policy: "latest", last: 1 });
    this.refresh();
    setInterval(() => this.refresh(), 2000);
    setInterval(() => this.dirty && this.render(), 1000);
  }

  /// A listing read now (one request however many panels ask at once).
  fresh() {
    this.inFlight = this.inFlight ?? this.refresh().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  async refresh() {
    try {
      const answer = await hubApi.topics();
      this.topics = answer.topics.sort((a, b) => a.topic.localeCompare(b.topic));
      this.failed = false;
      this.render();
    } catch (error) {
      if (!this.failed) this.notify(`Listing topics failed: ${error.message}`, "error");
      this.failed = true;
    }
  }

  addSearched() {
    const text = this.search.value.trim();
    if (isValidPattern(text) && (isPattern(text) || this.topics.some((t) => t.topic === text))) this.onAdd(text);
  }

  render() {
    this.dirty = false;
    const query = this.search.value.trim();
    const pattern = isPattern(query) && isValidPattern(query);
    const shown = this.topics.filter((t) => (pattern ? topicMatches(query, t.topic) : t.topic.toLowerCase().includes(query.toLowerCase())));
    this.patternButton.hidden = !pattern;
    this.patternButton.textContent = `Add a panel for ${query} (${shown.length} topics)`;
    this.summary.textContent = `${shown.length} of ${this.topics.length} topics`;
    const now = Date.now();
    // Rows are kept and updated in place: a re-render must not steal the keyboard focus.
    this.rows = this.rows ?? new Map();
    const items = shown.map((t) => {
      let row = this.rows.get(t.topic);
      if (!row) {
        const cells = {
          rate: el("span", { class: "topic-rate", title: "messages per second" }),
          value: el("span", { class: "topic-value" }),
          seen: el("span", { class: "topic-seen" }),
        };
        const button = el(
          "button",
          { class: "topic-row", dataset: { topic: t.topic }, title: `Add a panel for ${t.topic}`, onclick: () => this.onAdd(t.topic) },
          el("span", { class: "topic-name" }, t.topic),
          cells.rate,
          cells.value,
          cells.seen,
        );
        row = { item: el("li", {}, button), cells };
        this.rows.set(t.topic, row);
      }
      const latest = this.latest.get(t.topic);
      row.cells.rate.textContent = rate(t.rate);
      row.cells.value.textContent = latest ? short(latest.data, 60) : `${t.count} messages`;
      row.cells.seen.textContent = ago(Math.max(latest?.ts ?? 0, t.last_ts ?? 0), now);
      return row.item;
    });
    const current = [...this.list.children];
    if (current.length !== items.length || current.some((item, i) => item !== items[i])) this.list.replaceChildren(...items);
  }
}
