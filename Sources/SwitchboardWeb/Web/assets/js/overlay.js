// The livestream overlay `/overlay/<topic>`: a transparent page for OBS's
// browser source showing a topic's newest message — a leaderboard when it
// carries ranked rows (`race/results`), else a big value.
//
// Query options: top=10, fields=rank,name,club,time,gap, headers=1,
// title=…, field=value (the number shown), unit=…, scale=1.5, width=900px,
// color=%23fff, accent=%23ffcc00, panel=rgba(0,0,0,.7), font=…, align=right.

import { formatValue } from "./axis.js";
import { HubClient, hubSocketURL } from "./hub-client.js";
import { numericFields, rowsOf } from "./infer.js";
import { Leaderboard } from "./leaderboard.js";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const topic = location.pathname.replace(/^\/overlay\//, "").split("/").map(decodeURIComponent).join("/");

// Only plain CSS values: a link cannot inject anything else into the page.
const safe = (value) => (value && /^[#\w\s(),.%-]+$/.test(value) ? value : null);
const style = document.documentElement.style;
for (const [option, variable] of [["color", "--text"], ["accent", "--accent"], ["panel", "--panel"], ["font", "--font"], ["width", "--width"]]) {
  const value = safe(query.get(option));
  if (value) style.setProperty(variable, value);
}
const scale = Number(query.get("scale"));
if (scale > 0 && scale <= 10) style.setProperty("--scale", String(scale));
if (query.get("align") === "right") document.body.classList.add("align-right");
if (query.get("title")) {
  $("title").textContent = query.get("title");
  $("title").hidden = false;
}

const fields = query.get("fields") ? query.get("fields").split(",").map((f) => f.trim()).filter(Boolean) : ["rank", "bib", "name", "club", "time", "gap"];
const board = new Leaderboard($("board"), { top: Number(query.get("top")) || 10, fields, headers: query.get("headers") === "1" });
let updates = 0;

function show(message) {
  const rows = rowsOf(message.data);
  if (rows) {
    $("value").hidden = true;
    board.update(message.data);
    document.body.dataset.mode = "leaderboard";
  } else {
    const wanted = query.get("field");
    const pairs = numericFields(message.data, wanted ? [wanted] : null);
    $("number").textContent = pairs.length ? formatValue(pairs[0][1]) : String(message.data);
    $("unit").textContent = query.get("unit") ?? (typeof message.data?.unit === "string" ? message.data.unit : "");
    $("value").hidden = false;
    document.body.dataset.mode = "value";
  }
  document.body.dataset.updates = String(++updates);
  document.body.dataset.seq = String(message.seq);
}

if (!topic) {
  $("problem").textContent = "No topic: open /overlay/<topic>, e.g. /overlay/race/results";
  $("problem").hidden = false;
} else {
  const client = new HubClient(hubSocketURL());
  client.on(topic, (event) => event.msg && show(event.msg));
  client.subscribe(topic, { policy: "latest", last: 1 });
  // Problems show in the page (an operator sees them in OBS's preview), and go once fixed.
  client.addEventListener("state", (event) => {
    $("problem").hidden = event.detail.state !== "closed";
    $("problem").textContent = "Not connected to the hub — reconnecting…";
  });
}
