/** Pure helpers of the persons and sightings pages (query strings, selection, durations). */

export function listQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v == null) continue;
    const s = String(v).trim();
    if (s) q.set(k, s);
  }
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * The merge selection: at most two persons, in the order they were picked. The first one picked is
 * the one kept (the target); picking a third drops the oldest pick.
 */
export function toggleSelection(selected: readonly string[], id: string, max = 2): string[] {
  if (selected.includes(id)) return selected.filter((s) => s !== id);
  return [...selected, id].slice(-max);
}

/** "4 s", "2 min 5 s", "1 h 3 min" between two ISO times (or until `now` while open). */
export function durationText(fromIso: string, toIso: string | null, now = Date.now()): string {
  const ms = Math.max(0, (toIso ? Date.parse(toIso) : now) - Date.parse(fromIso));
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** A person's name for the rename request: blank clears it (null). */
export function nameOrNull(text: string): string | null {
  const t = text.trim().replace(/\s+/g, ' ');
  return t ? t : null;
}
