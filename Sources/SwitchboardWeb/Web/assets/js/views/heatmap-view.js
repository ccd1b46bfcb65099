// `heatmap` panels: the newest 2-D array, one cell per value, coloured on a
// perceptual scale between its minimum and maximum (shown beside it).

import { formatValue } from "../axis.js";
import { invalidate } from "../frames.js";
import { matrixOf } from "../infer.js";
import { el } from "../format.js";

// Viridis at five stops, interpolated: readable in dark and light, and by the colour-blind.
const stops = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function colourAt(fraction) {
  const f = Math.min(1, Math.max(0, fraction)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(f));
  const t = f - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * t));
}

export class HeatmapView {
  constructor(body) {
    this.canvas = el("canvas", { class: "heatmap", "aria-label": "heatmap" });
    this.scale = el("div", { class: "colour-scale" });
    this.high = el("span");
    this.low = el("span");
    this.scale.append(this.high, el("div", { class: "colour-bar" }), this.low);
    body.classList.add("heatmap-body");
    body.append(this.canvas, this.scale);
    this.matrix = null;
    new ResizeObserver(() => invalidate(this)).observe(this.canvas);
  }

  load(messages) {
    if (messages.length) this.push(messages[messages.length - 1]);
  }

  push(message) {
    const matrix = matrixOf(message.data);
    if (!matrix) return;
    this.matrix = matrix;
    invalidate(this);
  }

  gap() {}

  draw() {
    const matrix = this.matrix;
    if (!matrix) return;
    const rows = matrix.length;
    const columns = Math.max(...matrix.map((row) => row.length));
    let min = Infinity;
    let max = -Infinity;
    for (const row of matrix) for (const v of row) if (isFinite(v)) (min = Math.min(min, v)), (max = Math.max(max, v));
    const span = max > min ? max - min : 1;
    // One pixel per cell, scaled up without smoothing: crisp cells at any size.
    const cells = new ImageData(columns, rows);
    matrix.forEach((row, y) =>
      row.forEach((v, x) => {
        const [r, g, b] = colourAt((v - min) / span);
        const at = (y * columns + x) * 4;
        cells.data.set([r, g, b, 255], at);
      }),
    );
    const source = new OffscreenCanvas(columns, rows);
    source.getContext("2d").putImageData(cells, 0, 0);
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    this.high.textContent = formatValue(max);
    this.low.textContent = formatValue(min);
  }
}
