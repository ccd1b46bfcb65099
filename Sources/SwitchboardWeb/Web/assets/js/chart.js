// Our own canvas renderer for line, bar and scatter charts over time (or
// scatter of one field against others). It draws only what is visible, and
// at most four vertices per pixel column and series (first, min, max, last:
// min/max decimation), so 10 series × 10,000 points cost ~100,000 array reads
// and ~10 × 4 × width vertices per frame.
//
// Interaction: hover shows a read-out; drag or ←/→ pans; wheel or +/− zooms;
// double-click or End returns to live. Panning before the first loaded point
// asks the owner for older data (`onNeedOlder`).

import { formatTime, formatValue, niceTicks, timeTicks } from "./axis.js";
import { invalidate } from "./frames.js";
import { onThemeChange, themeColors } from "./theme.js";

const margin = { left: 56, right: 12, top: 10, bottom: 24 };

export class Chart {
  /// `options`: kind (line|bar|scatter), unit, windowPoints or windowMs, singleTopic, xField (scatter x).
  constructor(canvas, data, options = {}) {
    this.canvas = canvas;
    this.data = data;
    this.kind = options.kind ?? "line";
    this.unit = options.unit ?? "";
    this.windowPoints = options.windowPoints ?? 0;
    this.windowMs = options.windowMs ?? 0;
    this.singleTopic = options.singleTopic ?? true;
    this.xField = options.xField ?? null;
    this.colors = new Map();
    this.labels = new Map();
    this.hidden = new Set();
    this.gaps = []; // {ts, label}
    this.follow = true;
    this.range = null;
    this.hover = null;
    this.drag = null;
    this.onNeedOlder = null;
    this.onFollowChange = null;
    this.onFirstPaint = null;
    this.painted = false;
    this.listen();
    onThemeChange(() => this.invalidate());
  }

  invalidate() {
    invalidate(this);
  }

  setFollow(follow) {
    if (follow === this.follow) return;
    if (!follow) this.range = this.currentRange();
    this.follow = follow;
    this.onFollowChange?.(follow);
    this.invalidate();
  }

  seriesKeys() {
    return this.data.keys.filter((key) => key !== this.xField);
  }

  visibleKeys() {
    return this.seriesKeys().filter((key) => !this.hidden.has(key));
  }

  // MARK: ranges

  currentRange() {
    const data = this.data;
    if (!this.follow && this.range) return this.range;
    if (data.length === 0) return null;
    const x1 = data.lastTs;
    let x0;
    if (this.windowMs > 0) {
      x0 = x1 - this.windowMs;
    } else {
      const n = this.windowPoints > 0 ? this.windowPoints : 500;
      const first = this.singleTopic ? data.lowerBoundSeq(data.seq[data.length - 1] - n + 1) : Math.max(0, data.length - n);
      x0 = data.ts[Math.min(first, data.length - 1)];
    }
    if (!(x1 > x0)) x0 = x1 - 1000;
    return { x0, x1 };
  }

  moveTo(range) {
    if (this.follow) {
      this.follow = false;
      this.onFollowChange?.(false);
    }
    this.range = range;
    if (this.data.length && range.x0 < this.data.firstTs) this.onNeedOlder?.();
    this.invalidate();
  }

  pan(fraction) {
    const range = this.currentRange();
    if (!range) return;
    const shift = (range.x1 - range.x0) * fraction;
    this.moveTo({ x0: range.x0 + shift, x1: range.x1 + shift });
  }

  zoom(factor, anchorFraction = 1) {
    const range = this.currentRange();
    if (!range) return;
    const anchor = range.x0 + (range.x1 - range.x0) * anchorFraction;
    const span = Math.max(10, (range.x1 - range.x0) * factor);
    this.moveTo({ x0: anchor - span * anchorFraction, x1: anchor + span * (1 - anchorFraction) });
  }

  // MARK: input

  listen() {
    const canvas = this.canvas;
    canvas.tabIndex = 0;
    new ResizeObserver(() => this.invalidate()).observe(canvas);
    canvas.addEventListener("mousemove", (event) => {
      if (this.drag) {
        const plotWidth = this.canvas.clientWidth - margin.left - margin.right;
        const { x0, x1 } = this.drag.range;
        const shift = ((event.offsetX - this.drag.x) / plotWidth) * (x1 - x0);
        this.moveTo({ x0: x0 - shift, x1: x1 - shift });
      }
      this.hover = { x: event.offsetX, y: event.offsetY };
      this.invalidate();
    });
    canvas.addEventListener("mouseleave", () => {
      this.hover = null;
      this.drag = null;
      this.invalidate();
    });
    canvas.addEventListener("mousedown", (event) => {
      const range = this.currentRange();
      if (range && !this.xField) this.drag = { x: event.offsetX, range };
    });
    window.addEventListener("mouseup", () => (this.drag = null));
    canvas.addEventListener("dblclick", () => this.setFollow(true));
    canvas.addEventListener(
      "wheel",
      (event) => {
        if (this.xField) return;
        event.preventDefault();
        const plotWidth = this.canvas.clientWidth - margin.left - margin.right;
        if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
          this.pan(((event.deltaX || event.deltaY) / plotWidth) * 0.5);
        } else {
          const anchor = Math.min(1, Math.max(0, (event.offsetX - margin.left) / plotWidth));
          this.zoom(event.deltaY > 0 ? 1.25 : 0.8, anchor);
        }
      },
      { passive: false },
    );
    canvas.addEventListener("keydown", (event) => {
      const actions = {
        ArrowLeft: () => this.pan(-0.2),
        ArrowRight: () => this.pan(0.2),
        "+": () => this.zoom(0.8),
        "=": () => this.zoom(0.8),
        "-": () => this.zoom(1.25),
        End: () => this.setFollow(true),
        Home: () => this.setFollow(true),
      };
      const action = actions[event.key];
      if (action && !this.xField) {
        event.preventDefault();
        action();
      }
    });
  }

  // MARK: drawing

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const colors = themeColors();
    ctx.font = `11px ${colors.font}`;
    const plot = { x: margin.left, y: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
    if (plot.w < 20 || plot.h < 20) return;
    if (this.data.length === 0) {
      ctx.fillStyle = colors.muted;
      ctx.textAlign = "center";
      ctx.fillText("waiting for data…", width / 2, height / 2);
      return;
    }
    if (this.xField) this.drawXY(ctx, plot, colors);
    else this.drawOverTime(ctx, plot, colors);
    if (!this.painted) {
      this.painted = true;
      this.onFirstPaint?.();
    }
  }

  drawOverTime(ctx, plot, colors) {
    const data = this.data;
    const { x0, x1 } = this.currentRange();
    const i0 = Math.max(0, data.lowerBound(x0) - 1);
    const i1 = Math.min(data.length, data.lowerBound(x1 + 1e-6) + 1);
    const keys = this.visibleKeys();
    let [min, max] = this.extent(keys, i0, i1);
    if (this.kind === "bar") {
      min = Math.min(min, 0);
      max = Math.max(max, 0);
    }
    const yScale = this.yScale(min, max, plot);
    const sx = plot.w / (x1 - x0);
    const X = (ts) => plot.x + (ts - x0) * sx;

    // Grid and axes.
    const time = timeTicks(x0, x1, Math.max(2, Math.floor(plot.w / 90)));
    this.drawYAxis(ctx, plot, colors, yScale);
    ctx.fillStyle = colors.muted;
    ctx.strokeStyle = colors.grid;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.beginPath();
    for (const t of time.ticks) {
      const x = Math.round(X(t)) + 0.5;
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
      ctx.fillText(formatTime(t, time.step), x, plot.y + plot.h + 6);
    }
    ctx.stroke();

    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    keys.forEach((key, k) => {
      const column = data.columns.get(key);
      ctx.strokeStyle = ctx.fillStyle = this.colors.get(key) ?? "#888";
      if (this.kind === "bar") this.drawBars(ctx, column, i0, i1, X, yScale, plot, k, keys.length);
      else if (this.kind === "scatter") this.drawDots(ctx, data.ts, column, i0, i1, X, yScale.Y, plot);
      else this.drawLine(ctx, column, i0, i1, X, yScale.Y);
    });
    this.drawGaps(ctx, plot, colors, x0, x1, X);
    ctx.restore();
    if (this.hover) this.drawReadout(ctx, plot, colors, x0, sx, keys);
  }

  extent(keys, i0, i1) {
    let min = Infinity;
    let max = -Infinity;
    for (const key of keys) {
      const column = this.data.columns.get(key);
      for (let i = i0; i < i1; i++) {
        const v = column[i];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min === Infinity) return [0, 1];
    return [min, max];
  }

  yScale(min, max, plot) {
    if (min === max) {
      min -= Math.abs(min) * 0.1 || 1;
      max += Math.abs(max) * 0.1 || 1;
    }
    const pad = (max - min) * 0.06;
    min -= pad;
    max += pad;
    const sy = plot.h / (max - min);
    return { min, max, Y: (v) => plot.y + plot.h - (v - min) * sy };
  }

  drawYAxis(ctx, plot, colors, yScale) {
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.beginPath();
    for (const v of niceTicks(yScale.min, yScale.max, Math.max(3, Math.floor(plot.h / 40)))) {
      const y = Math.round(yScale.Y(v)) + 0.5;
      ctx.moveTo(plot.x, y);
      ctx.lineTo(plot.x + plot.w, y);
      ctx.fillText(formatValue(v), plot.x - 6, y);
    }
    ctx.stroke();
    if (this.unit) {
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(this.unit, 4, 0);
    }
    ctx.strokeStyle = colors.axis;
    ctx.beginPath();
    ctx.moveTo(plot.x + 0.5, plot.y);
    ctx.lineTo(plot.x + 0.5, plot.y + plot.h + 0.5);
    ctx.lineTo(plot.x + plot.w, plot.y + plot.h + 0.5);
    ctx.stroke();
  }

  /// Min/max decimation: per pixel column, the first, lowest, highest and last value.
  drawLine(ctx, column, i0, i1, X, Y) {
    const data = this.data;
    const ts = data.ts;
    const breaks = data.breaks;
    ctx.lineWidth = 1.5;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    let px = NaN;
    let first = 0;
    let low = 0;
    let high = 0;
    let last = 0;
    const flush = () => {
      if (px !== px) return;
      if (pen) ctx.lineTo(px, Y(first));
      else ctx.moveTo(px, Y(first));
      if (low !== high) {
        ctx.lineTo(px, Y(low));
        ctx.lineTo(px, Y(high));
      }
      ctx.lineTo(px, Y(last));
      pen = true;
      px = NaN;
    };
    for (let i = i0; i < i1; i++) {
      const v = column[i];
      if (breaks[i]) {
        flush();
        pen = false;
      }
      if (v !== v) continue;
      const x = Math.round(X(ts[i]));
      if (x !== px) {
        flush();
        px = x;
        first = low = high = last = v;
      } else {
        if (v < low) low = v;
        if (v > high) high = v;
        last = v;
      }
    }
    flush();
    ctx.stroke();
  }

  drawBars(ctx, column, i0, i1, X, yScale, plot, k, count) {
    const visible = Math.max(1, i1 - i0);
    const slot = Math.max(1, Math.min(24, plot.w / visible));
    const width = Math.max(1, (slot * 0.8) / count);
    const base = yScale.Y(Math.min(Math.max(0, yScale.min), yScale.max));
    const ts = this.data.ts;
    let px = NaN;
    let peak = 0;
    const flush = () => {
      if (px !== px) return;
      const y = yScale.Y(peak);
      ctx.fillRect(px - (slot * 0.8) / 2 + k * width, Math.min(y, base), width, Math.max(1, Math.abs(base - y)));
    };
    for (let i = i0; i < i1; i++) {
      const v = column[i];
      if (v !== v) continue;
      const x = Math.round(X(ts[i]));
      if (x !== px) {
        flush();
        px = x;
        peak = v;
      } else if (Math.abs(v) > Math.abs(peak)) {
        peak = v;
      }
    }
    flush();
  }

  /// Dots, one per occupied pixel: 100,000 points in a 400 px wide panel are at most a few thousand dots.
  drawDots(ctx, xs, column, i0, i1, X, Y, plot) {
    const seen = new Set();
    for (let i = i0; i < i1; i++) {
      const v = column[i];
      const u = xs[i];
      if (v !== v || u !== u) continue;
      const x = Math.round(X(u));
      const y = Math.round(Y(v));
      const cell = x * 4096 + y;
      if (seen.has(cell)) continue;
      seen.add(cell);
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
  }

  drawGaps(ctx, plot, colors, x0, x1, X) {
    ctx.save();
    ctx.strokeStyle = colors.gap;
    ctx.fillStyle = colors.gap;
    ctx.setLineDash([4, 3]);
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    for (const gap of this.gaps) {
      if (gap.ts < x0 || gap.ts > x1) continue;
      const x = Math.round(X(gap.ts)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
      ctx.stroke();
      ctx.fillText(gap.label, x + 3, plot.y + 2);
    }
    ctx.restore();
  }

  drawReadout(ctx, plot, colors, x0, sx, keys) {
    const { x, y } = this.hover;
    if (x < plot.x || x > plot.x + plot.w || y < plot.y || y > plot.y + plot.h) return;
    const data = this.data;
    const at = x0 + (x - plot.x) / sx;
    let i = data.lowerBound(at);
    if (i >= data.length || (i > 0 && at - data.ts[i - 1] < data.ts[i] - at)) i -= 1;
    if (i < 0) return;
    const hx = Math.round(plot.x + (data.ts[i] - x0) * sx) + 0.5;
    ctx.strokeStyle = colors.axis;
    ctx.beginPath();
    ctx.moveTo(hx, plot.y);
    ctx.lineTo(hx, plot.y + plot.h);
    ctx.stroke();
    const lines = [[null, `${formatTime(data.ts[i], 1)}  seq ${data.seq[i]}`]];
    for (const key of keys) {
      const v = data.columns.get(key)[i];
      if (v === v) lines.push([key, `${this.labels.get(key) ?? key}: ${formatValue(v)}${this.unit ? " " + this.unit : ""}`]);
    }
    const boxWidth = Math.max(...lines.map(([, text]) => ctx.measureText(text).width)) + 24;
    const boxHeight = lines.length * 15 + 8;
    const bx = hx + 8 + boxWidth > plot.x + plot.w ? hx - 8 - boxWidth : hx + 8;
    const by = plot.y + 4;
    ctx.fillStyle = colors.surface;
    ctx.globalAlpha = 0.92;
    ctx.fillRect(bx, by, boxWidth, boxHeight);
    ctx.globalAlpha = 1;
    ctx.strokeRect(bx + 0.5, by + 0.5, boxWidth, boxHeight);
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    lines.forEach(([key, text], n) => {
      if (key) {
        ctx.fillStyle = this.colors.get(key) ?? "#888";
        ctx.fillRect(bx + 6, by + 7 + n * 15, 8, 8);
      }
      ctx.fillStyle = colors.text;
      ctx.fillText(text, bx + (key ? 18 : 6), by + 5 + n * 15);
    });
  }

  /// One field against the others: the newest window of rows as dots.
  drawXY(ctx, plot, colors) {
    const data = this.data;
    const n = this.windowPoints > 0 ? this.windowPoints : 1000;
    const i0 = Math.max(0, data.length - n);
    const i1 = data.length;
    const xs = data.columns.get(this.xField);
    const keys = this.visibleKeys();
    let [xmin, xmax] = this.extentOf(xs, i0, i1);
    const [ymin, ymax] = this.extent(keys, i0, i1);
    if (xmin === xmax) {
      xmin -= 1;
      xmax += 1;
    }
    const yScale = this.yScale(ymin, ymax, plot);
    const sx = plot.w / (xmax - xmin);
    const X = (v) => plot.x + (v - xmin) * sx;
    this.drawYAxis(ctx, plot, colors, yScale);
    ctx.fillStyle = colors.muted;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of niceTicks(xmin, xmax, Math.max(2, Math.floor(plot.w / 80)))) ctx.fillText(formatValue(v), X(v), plot.y + plot.h + 6);
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    for (const key of keys) {
      ctx.fillStyle = this.colors.get(key) ?? "#888";
      this.drawDots(ctx, xs, data.columns.get(key), i0, i1, X, yScale.Y, plot);
    }
    ctx.restore();
  }

  extentOf(column, i0, i1) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = i0; i < i1; i++) {
      const v = column[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return min === Infinity ? [0, 1] : [min, max];
  }
}
