// A ranked table of rows (race results): sorted by rank, keyed by bib (or
// name), a row that moved slides to its new place (FLIP: measure, re-order,
// animate the difference) and a row whose values changed flashes. Used by the
// dashboard's leaderboard panel and by the livestream overlay.

import { rowsOf } from "./infer.js";

const preferredColumns = ["rank", "bib", "name", "club", "class", "time", "gap"];
// In em of the row, so that every row (and the header) lines up whatever its text.
const columnWidths = {
  rank: "2.2em",
  bib: "3.2em",
  name: "minmax(6em, 3fr)",
  club: "minmax(4em, 1.2fr)",
  class: "minmax(3em, 1fr)",
  time: "5.6em",
  gap: "5.6em",
};

export function rowKey(row) {
  return String(row.bib ?? row.id ?? row.name ?? row.key ?? JSON.stringify(row));
}

export function columnsFor(rows, fields) {
  if (fields && fields.length) return fields;
  const seen = new Set();
  for (const row of rows.slice(0, 50)) for (const key in row) seen.add(key);
  const known = preferredColumns.filter((key) => seen.has(key));
  return [...known, ...[...seen].filter((key) => !known.includes(key))];
}

export function cellText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export class Leaderboard {
  /// `options`: top (rows shown), fields (columns), headers (show a header row).
  constructor(container, options = {}) {
    this.container = container;
    this.top = options.top ?? 0;
    this.fields = options.fields ?? null;
    this.headers = options.headers ?? true;
    this.list = document.createElement("ol");
    this.list.className = "leaderboard";
    this.container.append(this.list);
    this.rows = new Map(); // key → {element, signature}
    this.columns = [];
  }

  update(data) {
    let rows = rowsOf(data);
    if (!rows) return;
    rows = [...rows].sort((a, b) => (Number(a.rank) || Infinity) - (Number(b.rank) || Infinity));
    if (this.top > 0) rows = rows.slice(0, this.top);
    const columns = columnsFor(rows, this.fields);
    if (columns.join() !== this.columns.join()) {
      this.columns = columns;
      this.list.style.setProperty("--columns", columns.map((c) => columnWidths[c] ?? "minmax(3em, 1fr)").join(" "));
      this.renderHeader();
    }
    // First: where every row is now.
    const before = new Map();
    for (const [key, entry] of this.rows) before.set(key, entry.element.getBoundingClientRect().top);
    const next = new Map();
    const elements = [];
    for (const row of rows) {
      const key = rowKey(row);
      const signature = JSON.stringify(columns.map((c) => row[c]));
      let entry = this.rows.get(key);
      if (!entry) {
        entry = { element: document.createElement("li"), signature: null };
        entry.element.dataset.key = key;
        entry.element.classList.add("entering");
      }
      if (entry.signature !== signature) {
        entry.element.replaceChildren(
          ...columns.map((column) => {
            const cell = document.createElement("span");
            cell.className = `cell cell-${column}`;
            cell.textContent = cellText(row[column]);
            return cell;
          }),
        );
        if (entry.signature !== null) this.flash(entry.element);
        entry.signature = signature;
      }
      next.set(key, entry);
      elements.push(entry.element);
    }
    // Last: the new order; invert and play the move.
    this.list.replaceChildren(...(this.header ? [this.header] : []), ...elements);
    for (const [key, entry] of next) {
      const old = before.get(key);
      if (old === undefined) {
        requestAnimationFrame(() => entry.element.classList.remove("entering"));
        continue;
      }
      const delta = old - entry.element.getBoundingClientRect().top;
      if (Math.abs(delta) < 1) continue;
      entry.element.animate([{ transform: `translateY(${delta}px)` }, { transform: "translateY(0)" }], {
        duration: 600,
        easing: "cubic-bezier(.2,.8,.2,1)",
      });
      entry.element.classList.toggle("moved-up", delta > 0);
    }
    this.rows = next;
  }

  flash(element) {
    element.classList.remove("changed");
    void element.offsetWidth; // restart the animation
    element.classList.add("changed");
  }

  renderHeader() {
    if (!this.headers) {
      this.header = null;
      return;
    }
    this.header = document.createElement("li");
    this.header.className = "header";
    this.header.setAttribute("aria-hidden", "false");
    for (const column of this.columns) {
      const cell = document.createElement("span");
      cell.className = `cell cell-${column}`;
      cell.textContent = column;
      this.header.append(cell);
    }
  }
}
