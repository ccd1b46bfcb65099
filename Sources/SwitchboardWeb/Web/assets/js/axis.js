// Axis ticks: round numbers for values, round clock times for time.

export function niceTicks(min, max, count) {
  const span = max - min;
  if (!(span > 0) || !isFinite(span)) return [min];
  const raw = span / Math.max(1, count);
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9 && ticks.length < 50; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

const timeSteps = [
  10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000, 1800000,
  3600000, 7200000, 10800000, 21600000, 43200000, 86400000, 172800000, 604800000,
];

export function timeTicks(x0, x1, count) {
  const raw = (x1 - x0) / Math.max(1, count);
  const step = timeSteps.find((s) => s >= raw) ?? 604800000;
  // Round in local time, so that ticks fall on whole minutes and hours of the clock on the wall.
  const offset = new Date(x0).getTimezoneOffset() * 60000;
  const ticks = [];
  for (let t = Math.ceil((x0 - offset) / step) * step + offset; t <= x1 && ticks.length < 50; t += step) ticks.push(t);
  return { ticks, step };
}

export function formatTime(ts, step) {
  const d = new Date(ts);
  const two = (n) => String(n).padStart(2, "0");
  if (step >= 86400000) return `${d.getMonth() + 1}/${d.getDate()}`;
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (step >= 60000) return hm;
  const hms = `${hm}:${two(d.getSeconds())}`;
  return step >= 1000 ? hms : `${hms}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

export function formatValue(value) {
  if (!isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(2);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}
