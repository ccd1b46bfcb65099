// `value` and `gauge` panels: the newest reading as a big number with its
// unit and trend (change since the previous one), a gauge arc for `gauge`.

import { formatValue } from "../axis.js";
import { invalidate } from "../frames.js";
import { numericFields } from "../infer.js";
import { el } from "../format.js";
import { themeColors } from "../theme.js";

export class ValueView {
  constructor(body, context) {
    this.context = context;
    const descriptor = context.descriptor ?? {};
    this.fields = Array.isArray(descriptor.fields) ? descriptor.fields : null;
    this.unit = descriptor.unit ?? "";
    this.min = typeof descriptor.min === "number" ? descriptor.min : null;
    this.max = typeof descriptor.max === "number" ? descriptor.max : null;
    this.seenMin = Infinity;
    this.seenMax = -Infinity;
    this.value = null;
    this.previous = null;
    this.number = el("span", { class: "big-number" }, "–");
    this.unitLabel = el("span", { class: "unit" });
    this.trend = el("div", { class: "trend" });
    this.label = el("div", { class: "value-label" });
    this.gauge = context.kind === "gauge" ? el("canvas", { class: "gauge", "aria-hidden": "true" }) : null;
    body.classList.add("value-body");
    body.append(...[this.gauge, el("div", { class: "value-line" }, this.number, this.unitLabel), this.trend, this.label].filter(Boolean));
    if (this.gauge) new ResizeObserver(() => invalidate(this)).observe(this.gauge);
  }

  load(messages) {
    for (const message of messages.slice(-2)) this.push(message);
  }

  push(message) {
    const fields = numericFields(message.data, this.fields);
    if (fields.length === 0) {
      this.number.textContent = typeof message.data === "string" ? message.data : JSON.stringify(message.data);
      this.number.classList.add("text");
      this.label.textContent = this.context.isPattern ? message.topic : "";
      return;
    }
    this.number.classList.remove("text");
    const [field, value] = fields[0];
    const unit = this.unit || (typeof message.data?.unit === "string" ? message.data.unit : "");
    this.previous = this.value;
    this.value = value;
    this.seenMin = Math.min(this.seenMin, value);
    this.seenMax = Math.max(this.seenMax, value);
    this.number.textContent = formatValue(value);
    this.unitLabel.textContent = unit;
    this.label.textContent = this.context.isPattern ? `${message.topic} · ${field}` : field;
    if (this.previous !== null) {
      const delta = value - this.previous;
      this.trend.textContent = delta === 0 ? "→ steady" : `${delta > 0 ? "▲" : "▼"} ${formatValue(Math.abs(delta))}`;
      this.trend.className = `trend ${delta > 0 ? "up" : delta < 0 ? "down" : ""}`;
    }
    if (this.gauge) invalidate(this);
  }

  gap() {}

  draw() {
    const canvas = this.gauge;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height || this.value === null) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const colors = themeColors();
    const low = this.min ?? Math.min(0, this.seenMin);
    const high = this.max ?? (this.seenMax > low ? this.seenMax * 1.1 : low + 1);
    const fraction = Math.min(1, Math.max(0, (this.value - low) / (high - low)));
    // Room below the arc for the scale's ends.
    const lineWidth = Math.max(6, Math.min(width, height) * 0.08);
    const radius = Math.max(10, Math.min(width / 2 - lineWidth, height - 16 - lineWidth));
    const cx = width / 2;
    const cy = height - 16 - lineWidth / 2;
    ctx.lineWidth = lineWidth;
    ctx.lineCap = "round";
    ctx.strokeStyle = colors.grid;
    ctx.beginPath();
    ctx.arc(cx, cy, radius, Math.PI, 2 * Math.PI);
    ctx.stroke();
    ctx.strokeStyle = getComputedStyle(canvas).getPropertyValue("--accent") || "#3b82f6";
    ctx.beginPath();
    ctx.arc(cx, cy, radius, Math.PI, Math.PI + fraction * Math.PI);
    ctx.stroke();
    ctx.fillStyle = colors.muted;
    ctx.font = `11px ${colors.font}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(formatValue(low), cx - radius, height);
    ctx.fillText(formatValue(high), cx + radius, height);
  }
}
