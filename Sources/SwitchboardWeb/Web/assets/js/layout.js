// The dashboard's layout — which panels, in which order, how big — kept in
// localStorage and shareable as a URL (`/#layout=<base64url JSON>`): opening
// such a link shows the same panels, and saves them as this browser's layout.

const storageKey = "switchboard.layout";

export function encodeLayout(panels) {
  const json = JSON.stringify({ v: 1, panels: panels.map(({ source, kind, w, h, window }) => ({ source, kind, w, h, window })) });
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeLayout(text) {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return normalise(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

function normalise(layout) {
  if (!layout || !Array.isArray(layout.panels)) return null;
  const clamp = (v, low, high, fallback) => (Number.isInteger(v) ? Math.min(high, Math.max(low, v)) : fallback);
  return layout.panels
    .filter((p) => p && typeof p.source === "string" && p.source.length > 0)
    .slice(0, 48)
    .map((p) => ({
      source: p.source,
      kind: typeof p.kind === "string" ? p.kind : null,
      w: clamp(p.w, 2, 12, 6),
      h: clamp(p.h, 2, 12, 4),
      window: typeof p.window === "string" ? p.window : null,
    }));
}

/// The layout to open with: a shared one in the URL wins over the stored one.
export function initialLayout() {
  const match = location.hash.match(/layout=([A-Za-z0-9_-]+)/);
  if (match) {
    const shared = decodeLayout(match[1]);
    if (shared) {
      history.replaceState(null, "", location.pathname + location.search);
      saveLayout(shared);
      return shared;
    }
  }
  try {
    return normalise(JSON.parse(localStorage.getItem(storageKey) ?? "null")) ?? [];
  } catch {
    return [];
  }
}

export function saveLayout(panels) {
  localStorage.setItem(storageKey, JSON.stringify({ v: 1, panels: panels.map(({ source, kind, w, h, window }) => ({ source, kind, w, h, window })) }));
}

export function shareURL(panels) {
  return `${location.origin}/#layout=${encodeLayout(panels)}`;
}
