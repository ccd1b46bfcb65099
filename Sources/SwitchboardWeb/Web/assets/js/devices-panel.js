// The Devices panel: each device online or offline, last seen, its info; a
// button per command it declares in its `hello`, and a form for any command
// (name, JSON params, timeout). Commands are sent asynchronously; their state
// (queued → sent → succeeded | failed | timed_out | …) and result follow from
// `$sys/commands`, and `$sys/devices` keeps online/offline current.

import { hubApi } from "./api.js";
import { ago, clock, el, short } from "./format.js";

const finalStates = new Set(["succeeded", "failed", "timed_out", "expired", "cancelled"]);
const rank = (state) => (state === "queued" ? 0 : state === "sent" ? 1 : finalStates.has(state) ? 2 : 0);
const commandsShown = 8;

export class DevicesPanel {
  constructor(container, { client, notify }) {
    this.client = client;
    this.notify = notify;
    this.devices = new Map();
    this.commands = new Map(); // id → command
    this.cards = new Map();
    this.pendingEvents = null;
    this.list = el("div", { class: "device-list" });
    this.empty = el("p", { class: "muted small" }, "No device has connected yet. A device says hello on /ws or raw TCP.");
    container.append(this.empty, this.list);
    client.on("$sys/devices", (event) => event.msg && this.event("device", event.msg.data));
    client.on("$sys/commands", (event) => event.msg && this.event("command", event.msg.data));
    client.addEventListener("state", (event) => event.detail.state === "open" && this.reload());
    client.subscribe("$sys/devices");
    client.subscribe("$sys/commands");
    setInterval(() => this.renderTimes(), 1000);
  }

  async reload() {
    this.pendingEvents = [];
    await this.client.resubscribed;
    try {
      const answer = await hubApi.devices();
      this.devices = new Map(answer.devices.map((d) => [d.id, d]));
      const recent = await Promise.all([...this.devices.keys()].slice(0, 20).map((id) => hubApi.commands(id).catch(() => ({ commands: [] }))));
      for (const page of recent) for (const command of page.commands) this.upsertCommand(command);
    } catch (error) {
      this.notify(`Listing devices failed: ${error.message}`, "error");
    }
    const events = this.pendingEvents;
    this.pendingEvents = null;
    for (const [kind, data] of events) this.apply(kind, data);
    this.render();
  }

  event(kind, data) {
    if (this.pendingEvents) {
      this.pendingEvents.push([kind, data]);
      return;
    }
    this.apply(kind, data);
    this.render();
  }

  apply(kind, data) {
    if (kind === "device" && data?.device?.id) this.devices.set(data.device.id, data.device);
    if (kind === "command" && data?.command?.id) this.upsertCommand(data.command);
  }

  /// Newer states win; an answer that overtook the send's own reply is not undone by it.
  upsertCommand(command) {
    const known = this.commands.get(command.id);
    if (known && rank(known.state) > rank(command.state)) return;
    this.commands.set(command.id, command);
  }

  async send(id, name, params, timeoutMs, errorLine) {
    errorLine.textContent = "";
    const body = { name, params };
    if (timeoutMs) body.timeout_ms = timeoutMs;
    try {
      const command = await hubApi.sendCommand(id, body);
      this.upsertCommand(command);
      this.render();
    } catch (error) {
      errorLine.textContent = `${error.code}: ${error.message}`;
    }
  }

  render() {
    const ids = [...this.devices.keys()].sort();
    this.empty.hidden = ids.length > 0;
    const cards = ids.map((id) => this.card(id));
    const current = [...this.list.children];
    if (current.length !== cards.length || current.some((c, i) => c !== cards[i])) this.list.replaceChildren(...cards);
  }

  card(id) {
    const device = this.devices.get(id);
    let card = this.cards.get(id);
    if (!card) {
      card = this.makeCard(id);
      this.cards.set(id, card);
    }
    card.element.dataset.online = String(device.online);
    card.status.textContent = device.online ? "online" : "offline";
    card.status.dataset.state = device.online ? "online" : "offline";
    card.where.textContent = [device.transport, device.address].filter(Boolean).join(" · ");
    const info = device.info && typeof device.info === "object" ? device.info : {};
    const infoText = JSON.stringify(info, null, 2);
    if (card.info.textContent !== infoText) card.info.textContent = infoText;
    const declared = Array.isArray(info.commands) ? info.commands.filter((c) => typeof c === "string") : [];
    if (declared.join() !== card.declared) {
      card.declared = declared.join();
      card.buttons.replaceChildren(
        ...declared.map((name) =>
          el("button", { class: "command", dataset: { command: name }, onclick: () => this.send(id, name, {}, null, card.error) }, name),
        ),
      );
      card.names.replaceChildren(...declared.map((name) => el("option", { value: name })));
    }
    const commands = [...this.commands.values()].filter((c) => c.device === id).sort((a, b) => b.created_at - a.created_at).slice(0, commandsShown);
    card.log.replaceChildren(
      ...commands.map((c) =>
        el(
          "li",
          { dataset: { command: c.id, state: c.state } },
          el("span", { class: "command-name" }, c.name),
          el("span", { class: "state", dataset: { state: c.state } }, c.state),
          el("span", { class: "command-result" }, c.error ? `${c.error.code}: ${c.error.message}` : c.result !== null && c.result !== undefined ? short(c.result, 120) : ""),
          el("time", { class: "muted" }, clock(c.created_at)),
        ),
      ),
    );
    this.renderTime(card, device);
    return card.element;
  }

  makeCard(id) {
    const card = {};
    card.status = el("span", { class: "state" });
    card.seen = el("span", { class: "muted small" });
    card.where = el("span", { class: "muted small" });
    card.info = el("pre", { class: "device-info" });
    card.buttons = el("div", { class: "command-buttons", "aria-label": "Declared commands" });
    card.names = el("datalist", { id: `commands-${id}` });
    card.error = el("p", { class: "form-error", role: "alert" });
    card.log = el("ol", { class: "command-log", "aria-label": "Recent commands", "aria-live": "polite" });
    const name = el("input", { name: "name", required: true, placeholder: "command", list: `commands-${id}`, "aria-label": "Command name" });
    const params = el("textarea", { name: "params", rows: 1, placeholder: "{} params as JSON", "aria-label": "Command parameters as JSON" });
    const timeout = el("input", { name: "timeout_ms", type: "number", min: 1, placeholder: "timeout ms (10000)", "aria-label": "Timeout in milliseconds" });
    const form = el("form", { class: "command-form", "aria-label": `Send a command to ${id}` }, name, params, timeout, card.names, el("button", { type: "submit" }, "Send"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      let parsed = {};
      if (params.value.trim()) {
        try {
          parsed = JSON.parse(params.value);
        } catch (e) {
          card.error.textContent = `Parameters are not JSON: ${e.message}`;
          return;
        }
      }
      this.send(id, name.value.trim(), parsed, Number(timeout.value) || null, card.error);
    });
    card.element = el(
      "article",
      { class: "device", dataset: { device: id }, "aria-label": `Device ${id}` },
      el("header", {}, el("h3", {}, id), card.status, card.seen),
      card.where,
      el("details", {}, el("summary", {}, "info"), card.info),
      card.buttons,
      form,
      card.error,
      card.log,
    );
    return card;
  }

  renderTime(card, device) {
    card.seen.textContent = device.online ? `connected, last seen ${ago(device.last_seen)}` : `last seen ${ago(device.last_seen)}`;
  }

  renderTimes() {
    for (const [id, card] of this.cards) {
      const device = this.devices.get(id);
      if (device) this.renderTime(card, device);
    }
  }
}
