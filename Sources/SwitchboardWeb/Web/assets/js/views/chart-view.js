// A line, bar or scatter panel: a legend that toggles series, and a Chart
// over the panel's SeriesData. Series are the message's numeric fields (for
// a pattern panel, topic · field).

import { Chart } from "../chart.js";
import { numericFields } from "../infer.js";
import { SeriesData } from "../series-data.js";
import { palette } from "../theme.js";
import { el } from "../format.js";

export class ChartView {
  constructor(body, context) {
    this.context = context;
    const descriptor = context.descriptor ?? {};
    this.fields = Array.isArray(descriptor.fields) && descriptor.fields.length ? descriptor.fields.map(String) : null;
    this.legendNames = Array.isArray(descriptor.legend) ? descriptor.legend : [];
    this.descriptorColors = Array.isArray(descriptor.colors) ? descriptor.colors : [];
    this.data = new SeriesData();
    this.legend = el("div", { class: "legend", role: "group", "aria-label": "Series" });
    this.canvas = el("canvas", { class: "chart", "aria-label": `${context.kind} chart of ${context.source}` });
    body.append(this.legend, this.canvas);
    const xy = context.kind === "scatter" && this.fields && this.fields.length >= 2;
    this.chart = new Chart(this.canvas, this.data, {
      kind: context.kind,
      unit: descriptor.unit ?? "",
      windowPoints: context.windowMs ? 0 : context.windowPoints,
      windowMs: context.windowMs,
      singleTopic: !context.isPattern,
      xField: xy ? this.fields[0] : null,
    });
    this.legendKeys = new Set();
    // Most points kept when following live: the window, with room to scroll back.
    this.maxRows = Math.max(20000, (context.windowPoints || 0) * 2);
  }

  key(topic, field) {
    return this.context.isPattern ? (field === "value" ? topic : `${topic} · ${field}`) : field;
  }

  row(message) {
    return numericFields(message.data, this.fields).map(([field, value]) => [this.key(message.topic, field), value]);
  }

  /// History, oldest first, before any live message.
  load(messages) {
    for (const message of messages) this.data.append(message.ts, message.seq, this.row(message));
    this.refreshLegend();
    this.chart.invalidate();
  }

  prepend(messages) {
    this.data.prepend(messages.map((m) => ({ ts: m.ts, seq: m.seq, values: this.row(m) })));
    this.refreshLegend();
    this.chart.invalidate();
  }

  push(message, gapBefore) {
    const values = this.row(message);
    if (values.length === 0) return;
    this.data.append(message.ts, message.seq, values, gapBefore);
    if (this.chart.follow && this.data.length > this.maxRows * 1.25) this.data.dropFirst(this.data.length - this.maxRows);
    if (values.some(([key]) => !this.legendKeys.has(key))) this.refreshLegend();
    this.chart.invalidate();
  }

  /// The hub said messages from..to cannot be replayed: a dashed marker where they would be.
  gap(gap, ts) {
    this.chart.gaps.push({ ts, label: `gap ${gap.from}–${gap.to}` });
    this.chart.invalidate();
  }

  refreshLegend() {
    const keys = this.chart.seriesKeys();
    keys.forEach((key, index) => {
      if (!this.chart.colors.has(key)) {
        const position = this.fields ? this.fields.indexOf(key) - (this.chart.xField ? 1 : 0) : index;
        this.chart.colors.set(key, this.descriptorColors[position] ?? palette[index % palette.length]);
        if (this.legendNames[position]) this.chart.labels.set(key, this.legendNames[position]);
      }
    });
    if (keys.length === this.legendKeys.size && keys.every((k) => this.legendKeys.has(k))) return;
    this.legendKeys = new Set(keys);
    this.legend.replaceChildren(
      ...keys.map((key) => {
        const button = el(
          "button",
          {
            class: "series",
            "aria-pressed": String(!this.chart.hidden.has(key)),
            dataset: { key, color: this.chart.colors.get(key) },
            title: "Show or hide this series",
          },
          el("span", { class: "swatch", style: `background:${this.chart.colors.get(key)}` }),
          this.chart.labels.get(key) ?? key,
        );
        button.addEventListener("click", () => {
          if (this.chart.hidden.has(key)) this.chart.hidden.delete(key);
          else this.chart.hidden.add(key);
          button.setAttribute("aria-pressed", String(!this.chart.hidden.has(key)));
          this.chart.invalidate();
        });
        return button;
      }),
    );
  }
}
