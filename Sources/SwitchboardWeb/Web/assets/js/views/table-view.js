// `table` panels: a message that carries rows (an array of objects, or
// `{"rows":[…]}`) replaces the table; other messages become rows themselves,
// newest first (one per topic for a pattern panel).

import { cellText, columnsFor } from "../leaderboard.js";
import { rowsOf } from "../infer.js";
import { clock, el } from "../format.js";

const maxRows = 200;

export class TableView {
  constructor(body, context) {
    this.context = context;
    const descriptor = context.descriptor ?? {};
    this.fields = Array.isArray(descriptor.fields) && descriptor.fields.length ? descriptor.fields : null;
    this.table = el("table", { class: "data-table" });
    body.classList.add("scroll-body");
    body.append(this.table);
    this.messages = []; // newest first, for message-per-row tables
  }

  load(messages) {
    for (const message of messages) this.push(message, false, true);
    this.render();
  }

  push(message, _gapBefore, quiet = false) {
    const rows = rowsOf(message.data);
    if (rows) {
      this.snapshot = rows;
    } else {
      this.snapshot = null;
      if (this.context.isPattern) this.messages = this.messages.filter((m) => m.topic !== message.topic);
      this.messages.unshift(message);
      if (this.messages.length > maxRows) this.messages.length = maxRows;
    }
    if (!quiet) this.render();
  }

  gap() {}

  render() {
    if (this.snapshot) {
      const columns = columnsFor(this.snapshot, this.fields);
      this.fill(columns, this.snapshot.map((row) => columns.map((c) => row[c])));
      return;
    }
    const objects = this.messages.map((m) => (m.data && typeof m.data === "object" && !Array.isArray(m.data) ? m.data : { value: m.data }));
    const fields = this.fields ?? columnsFor(objects, null);
    const leading = this.context.isPattern ? ["topic", "seq", "time"] : ["seq", "time"];
    this.fill(
      [...leading, ...fields],
      this.messages.map((m, i) => [...(this.context.isPattern ? [m.topic] : []), m.seq, clock(m.ts), ...fields.map((f) => objects[i][f])]),
    );
  }

  fill(columns, rows) {
    const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c))));
    const body = el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((value) => el("td", {}, cellText(value))))));
    this.table.replaceChildren(head, body);
  }
}
