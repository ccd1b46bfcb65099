// What to draw for a topic: its stream descriptor's `kind` when it has one,
// otherwise a guess from a message's data.

export const kinds = ["line", "bar", "scatter", "value", "gauge", "table", "leaderboard", "image", "heatmap"];

// Numbers that are timestamps or counters, not readings: not plotted by default.
const notReadings = new Set(["ts", "t", "time", "timestamp", "id", "seq"]);

export function isImageURL(value) {
  return typeof value === "string" && value.startsWith("data:image/");
}

export function isMatrix(value) {
  return Array.isArray(value) && value.length > 0 && value.every((row) => Array.isArray(row) && row.every((v) => typeof v === "number"));
}

/// Rows of a table-like value: an array of objects, or an object with such a `rows` array.
export function rowsOf(data) {
  if (Array.isArray(data) && data.length && data.every((row) => row && typeof row === "object" && !Array.isArray(row))) return data;
  if (data && typeof data === "object" && Array.isArray(data.rows)) return data.rows.filter((row) => row && typeof row === "object");
  return null;
}

/// The image (a data URL) a message carries, directly or in a field.
export function imageOf(data) {
  if (isImageURL(data)) return data;
  if (data && typeof data === "object") {
    for (const key of ["data", "image", "src", "url", "frame"]) if (isImageURL(data[key])) return data[key];
  }
  return null;
}

/// The 2-D array a message carries, directly or in a field.
export function matrixOf(data) {
  if (isMatrix(data)) return data;
  if (data && typeof data === "object") {
    for (const key of ["data", "z", "values", "matrix", "grid"]) if (isMatrix(data[key])) return data[key];
  }
  return null;
}

/// Numeric fields of a message: [key, value] pairs ("value" for a bare number).
export function numericFields(data, fields) {
  if (typeof data === "number") return [["value", data]];
  if (!data || typeof data !== "object" || Array.isArray(data)) return [];
  const out = [];
  if (fields && fields.length) {
    for (const key of fields) if (typeof data[key] === "number") out.push([key, data[key]]);
    return out;
  }
  for (const key in data) if (typeof data[key] === "number" && !notReadings.has(key)) out.push([key, data[key]]);
  return out;
}

/// The kind to draw, from a descriptor and (when it has no kind) a sample of data.
export function inferKind(descriptor, data) {
  if (descriptor && kinds.includes(descriptor.kind)) return descriptor.kind;
  if (data === undefined) return null;
  if (imageOf(data)) return "image";
  if (matrixOf(data)) return "heatmap";
  const rows = rowsOf(data);
  if (rows) return rows.some((row) => "rank" in row) ? "leaderboard" : "table";
  if (typeof data === "number") return "line";
  if (numericFields(data, descriptor?.fields).length) return "line";
  return "table";
}

/// Whether a kind needs every message (a chart over time) or only the newest.
export function needsHistory(kind) {
  return kind === "line" || kind === "bar" || kind === "scatter";
}
