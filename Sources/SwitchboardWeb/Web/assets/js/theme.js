// Dark and light: the page follows the system unless the user picked one;
// canvases read their colours from the CSS variables of the current theme.

const key = "switchboard.theme";
const listeners = new Set();
let cached = null;

export const palette = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#f97316", "#64748b"];

export function applyStoredTheme() {
  const stored = localStorage.getItem(key);
  if (stored === "dark" || stored === "light") document.documentElement.dataset.theme = stored;
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", changed);
}

export function toggleTheme() {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem(key, next);
  changed();
  return next;
}

export function currentTheme() {
  const set = document.documentElement.dataset.theme;
  if (set === "dark" || set === "light") return set;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function changed() {
  cached = null;
  for (const fn of listeners) fn();
}

export function onThemeChange(fn) {
  listeners.add(fn);
}

/// Colours for canvas drawing, from the CSS variables (read once per theme).
export function themeColors() {
  if (cached) return cached;
  const style = getComputedStyle(document.documentElement);
  const get = (name) => style.getPropertyValue(name).trim();
  cached = {
    text: get("--text"),
    muted: get("--muted"),
    grid: get("--grid"),
    axis: get("--axis"),
    surface: get("--surface"),
    gap: get("--warn"),
    font: get("--font-ui") || "system-ui, sans-serif",
  };
  return cached;
}
