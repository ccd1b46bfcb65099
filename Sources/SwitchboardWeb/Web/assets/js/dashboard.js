// The dashboard page (`/`): wires the hub connection, the status bar, the
// sidebar (topics, sources, devices) and the grid of panels together.

import { DevicesPanel } from "./devices-panel.js";
import { el } from "./format.js";
import { frameStats } from "./frames.js";
import { HubClient, hubSocketURL } from "./hub-client.js";
import { initialLayout, saveLayout, shareURL } from "./layout.js";
import { Panel } from "./panel.js";
import { SourcesPanel } from "./sources-panel.js";
import { Status } from "./status.js";
import { applyStoredTheme, toggleTheme } from "./theme.js";
import { TopicBrowser } from "./topic-browser.js";

const $ = (selector) => document.querySelector(selector);

applyStoredTheme();
const status = new Status({ indicator: $("#connection"), stats: $("#stats"), notices: $("#notices") });
const notify = (text, level) => status.notify(text, level);
const client = new HubClient(hubSocketURL());
status.watch(client);
status.startStats();

const grid = $("#grid");
const panels = new Map(); // id → Panel
let configs = [];
let nextId = 1;

const browser = new TopicBrowser($("#tab-topics"), { client, onAdd: addPanel, notify });
new SourcesPanel($("#tab-sources"), { client, topics: () => browser.topics, onAddPanel: addPanel, notify });
new DevicesPanel($("#tab-devices"), { client, notify });

function save() {
  saveLayout(configs);
  $("#empty-grid").hidden = configs.length > 0;
}

function mount(config, before = null) {
  const panel = new Panel(config, {
    client,
    topics: () => browser.topics,
    fresh: () => browser.fresh(),
    notify,
    onChange: (change) => changePanel(config.id, change),
    onRemove: () => removePanel(config.id),
  });
  panels.set(config.id, panel);
  grid.insertBefore(panel.element, before);
  panel.start();
  return panel;
}

function addPanel(source) {
  const config = { id: nextId++, source, kind: null, w: 6, h: 4, window: null };
  configs.push(config);
  const panel = mount(config);
  save();
  panel.element.scrollIntoView({ block: "nearest" });
  panel.element.querySelector("select")?.focus({ preventScroll: true });
}

function changePanel(id, change) {
  const index = configs.findIndex((c) => c.id === id);
  const config = configs[index];
  const panel = panels.get(id);
  if (change.move) {
    const target = index + change.move;
    if (target < 0 || target >= configs.length) return;
    configs.splice(index, 1);
    configs.splice(target, 0, config);
    grid.replaceChildren(...configs.map((c) => panels.get(c.id).element));
    panel.element.querySelector(change.move < 0 ? "[aria-label='Move earlier']" : "[aria-label='Move later']")?.focus();
  }
  if (change.w || change.h) {
    Object.assign(config, { w: change.w ?? config.w, h: change.h ?? config.h });
    panel.applySize();
  }
  if ("kind" in change || "window" in change) {
    Object.assign(config, change);
    const next = panel.element.nextSibling;
    panel.stop();
    mount(config, next);
    releaseUnused();
  }
  save();
}

function removePanel(id) {
  panels.get(id).stop();
  panels.delete(id);
  configs = configs.filter((c) => c.id !== id);
  releaseUnused();
  save();
}

/// Unsubscribes from panel sources no panel shows any more.
function releaseUnused() {
  const used = new Set(configs.map((c) => c.source));
  for (const pattern of client.subscriptions.keys()) {
    if (pattern !== "#" && !pattern.startsWith("$sys/") && !used.has(pattern)) client.unsubscribe(pattern);
  }
}

// MARK: page chrome

for (const config of initialLayout()) {
  configs.push({ ...config, id: nextId++ });
}
configs.forEach((config) => mount(config));
save();

$("#share").addEventListener("click", async () => {
  const url = shareURL(configs);
  try {
    await navigator.clipboard.writeText(url);
    notify("A link to this layout was copied to the clipboard.", "info");
  } catch {
    notify(`Link to this layout: ${url}`, "info");
  }
});
$("#theme").addEventListener("click", () => {
  const theme = toggleTheme();
  $("#theme").setAttribute("aria-label", `Switch to ${theme === "dark" ? "light" : "dark"} theme`);
});

// Sidebar tabs, with arrow keys between them as the ARIA tabs pattern has it.
const tabs = [...document.querySelectorAll("[role=tab]")];
function selectTab(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(`#${other.getAttribute("aria-controls")}`).hidden = !selected;
  }
}
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) {
    event.preventDefault();
    selectTab(tabs[0]);
    $("#tab-topics input[type=search]").focus();
  }
});

// For the curious, and for the browser tests: the live objects behind the page.
window.switchboard = { client, panels, configs: () => configs, frameStats, addPanel };
document.body.append(el("span", { id: "ready", hidden: true }));
