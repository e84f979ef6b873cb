/**
 * One stable colour per person. Consecutive person numbers are spread around the hue circle by the
 * golden angle, so Person #1 and Person #2 never look alike; without a number, the id is hashed.
 */
export const UNKNOWN_COLOR = 'hsl(224, 8%, 52%)';

const GOLDEN_ANGLE = 137.508;

/** FNV-1a, 32 bits: a tiny, stable string hash. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The hue (0–359) for a person, or null for a face that belongs to no person. */
export function personHue(personId: string | null | undefined, personNumber?: number | null): number | null {
  if (personNumber != null && Number.isFinite(personNumber) && personNumber > 0) {
    return Math.round((personNumber * GOLDEN_ANGLE) % 360);
  }
  if (!personId) return null;
  return Math.round((fnv1a(personId) * GOLDEN_ANGLE) % 360);
}

/**
 * A saturated, mid-dark colour that keeps white text readable (badges, box labels) on both themes.
 * Uses the comma syntax so canvas `fillStyle` accepts it everywhere.
 */
export function personColor(personId: string | null | undefined, personNumber?: number | null): string {
  const hue = personHue(personId, personNumber);
  return hue == null ? UNKNOWN_COLOR : `hsl(${hue}, 65%, 42%)`;
}
