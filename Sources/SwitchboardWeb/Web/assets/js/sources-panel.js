// The Sources panel: every managed source with its state and rate; start,
// stop, create, delete. State comes from `$sys/sources` events, so every open
// tab shows the same state as soon as the hub commits it, whichever tab, CLI
// or program acted. Actions go over HTTP; their outcome arrives as an event.

import { hubApi } from "./api.js";
import { el, rate } from "./format.js";

const kindsOfSource = ["sensor", "sine", "accel", "clock", "replay", "tcp-client", "exec"];

export class SourcesPanel {
  constructor(container, { client, topics, onAddPanel, notify }) {
    this.client = client;
    this.topics = topics;
    this.onAddPanel = onAddPanel;
    this.notify = notify;
    this.sources = new Map();
    this.rows = new Map();
    this.pendingEvents = null;
    this.table = el("table", { class: "data-table sources" });
    this.tbody = el("tbody");
    this.table.append(
      el("thead", {}, el("tr", {}, ["Name", "Kind", "Topic", "State", "Rate", ""].map((h) => el("th", { scope: "col" }, h)))),
      this.tbody,
    );
    this.empty = el("p", { class: "muted small" }, "No sources yet.");
    container.append(this.table, this.empty, this.createForm());
    client.on("$sys/sources", (event) => event.msg && this.event(event.msg.data));
    client.addEventListener("state", (event) => event.detail.state === "open" && this.reload());
    client.subscribe("$sys/sources");
    setInterval(() => this.renderRates(), 2000);
  }

  // Events that arrive while the list is read are applied after it: each carries the
  // whole source as of that event, so replaying them in order ends in the newest state.
  async reload() {
    this.pendingEvents = [];
    await this.client.resubscribed;
    try {
      const answer = await hubApi.sources();
      this.sources = new Map(answer.sources.map((s) => [s.name, s]));
    } catch (error) {
      this.notify(`Listing sources failed: ${error.message}`, "error");
    }
    const events = this.pendingEvents;
    this.pendingEvents = null;
    for (const event of events) this.apply(event);
    this.render();
  }

  event(data) {
    if (this.pendingEvents) {
      this.pendingEvents.push(data);
      return;
    }
    this.apply(data);
    this.render();
  }

  apply(data) {
    const source = data?.source;
    if (!source?.name) return;
    if (data.event === "deleted") this.sources.delete(source.name);
    else this.sources.set(source.name, source);
  }

  async act(name, action) {
    try {
      if (action === "delete") {
        if (!confirm(`Delete the source ${name}? Its stored messages stay.`)) return;
        await hubApi.deleteSource(name);
      } else {
        await hubApi.sourceAction(name, action);
      }
    } catch (error) {
      this.notify(`${action} ${name}: ${error.message}`, "error");
    }
  }

  render() {
    const names = [...this.sources.keys()].sort();
    this.empty.hidden = names.length > 0;
    const items = names.map((name) => {
      const source = this.sources.get(name);
      let row = this.rows.get(name);
      if (!row) {
        const cells = { kind: el("td"), topic: el("td"), state: el("span", { class: "state" }), rate: el("td", { class: "num" }) };
        const actions = el(
          "td",
          { class: "actions" },
          (cells.start = el("button", { onclick: () => this.act(name, "start") }, "Start")),
          (cells.stop = el("button", { onclick: () => this.act(name, "stop") }, "Stop")),
          el("button", { class: "danger", onclick: () => this.act(name, "delete"), "aria-label": `Delete ${name}` }, "Delete"),
        );
        cells.topicButton = el("button", { class: "link", title: "Add a panel for this topic", onclick: () => this.onAddPanel(this.sources.get(name).topic) });
        cells.topic.append(cells.topicButton);
        const tr = el("tr", { dataset: { source: name } }, el("th", { scope: "row" }, name), cells.kind, cells.topic, el("td", {}, cells.state), cells.rate, actions);
        row = { tr, cells };
        this.rows.set(name, row);
      }
      const { cells } = row;
      cells.kind.textContent = source.kind;
      cells.topicButton.textContent = source.topic;
      cells.state.textContent = source.state + (source.error ? `: ${source.error}` : "");
      cells.state.dataset.state = source.state;
      row.tr.dataset.state = source.state;
      cells.start.disabled = source.state === "running";
      cells.stop.disabled = source.state === "stopped";
      return row.tr;
    });
    for (const name of [...this.rows.keys()]) if (!this.sources.has(name)) this.rows.delete(name);
    const current = [...this.tbody.children];
    if (current.length !== items.length || current.some((tr, i) => tr !== items[i])) this.tbody.replaceChildren(...items);
    this.renderRates();
  }

  renderRates() {
    const rates = new Map(this.topics().map((t) => [t.topic, t.rate]));
    for (const [name, row] of this.rows) {
      const source = this.sources.get(name);
      row.cells.rate.textContent = source?.state === "running" ? rate(rates.get(source.topic) ?? 0) : "–";
    }
  }

  createForm() {
    const name = el("input", { name: "name", required: true, pattern: "[A-Za-z0-9_.~\\-]+", placeholder: "lab-temp", "aria-label": "Source name" });
    const kind = el("select", { name: "kind", "aria-label": "Source kind" }, kindsOfSource.map((k) => el("option", { value: k }, k)));
    const topic = el("input", { name: "topic", placeholder: "topic (default sources/<name>)", "aria-label": "Topic" });
    const params = el("textarea", { name: "params", rows: 2, placeholder: '{"rate_hz": 2}', "aria-label": "Parameters as JSON" });
    const running = el("input", { type: "checkbox", name: "running", checked: true });
    const error = el("p", { class: "form-error", role: "alert" });
    const form = el(
      "form",
      { class: "create-source", "aria-label": "Create a source" },
      el("h3", {}, "New source"),
      el("div", { class: "form-row" }, name, kind),
      topic,
      params,
      el("label", { class: "check" }, running, " start now"),
      el("button", { type: "submit" }, "Create"),
      error,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      let parsed = {};
      if (params.value.trim()) {
        try {
          parsed = JSON.parse(params.value);
        } catch (e) {
          error.textContent = `Parameters are not JSON: ${e.message}`;
          return;
        }
      }
      const body = { name: name.value.trim(), kind: kind.value, params: parsed, state: running.checked ? "running" : "stopped" };
      if (topic.value.trim()) body.topic = topic.value.trim();
      try {
        await hubApi.createSource(body);
        form.reset();
        running.checked = true;
      } catch (e) {
        error.textContent = `${e.code}: ${e.message}`;
      }
    });
    return form;
  }
}
