// Topic patterns with MQTT semantics, as the hub matches them: `+` is one
// segment, a trailing `#` any number (including zero); a pattern that starts
// with a wildcard does not match the hub's own `$…` topics.

export function isPattern(text) {
  return text.includes("+") || text.includes("#");
}

export function topicMatches(pattern, topic) {
  if (pattern === topic) return true;
  if (topic.startsWith("$") && (pattern.startsWith("+") || pattern.startsWith("#"))) return false;
  const p = pattern.split("/");
  const t = topic.split("/");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "#") return i === p.length - 1;
    if (i >= t.length) return false;
    if (p[i] !== "+" && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

const segment = /^[A-Za-z0-9_.~\-$]+$/;

/// Whether `text` is a topic or pattern the hub would accept.
export function isValidPattern(text) {
  if (!text || text.length > 255) return false;
  const parts = text.split("/");
  if (parts.length > 16) return false;
  return parts.every((part, i) => part === "+" || (part === "#" && i === parts.length - 1) || segment.test(part));
}

/// A topic written into a URL path: slashes stay, each segment is escaped.
export function topicPath(topic) {
  return topic.split("/").map(encodeURIComponent).join("/");
}
