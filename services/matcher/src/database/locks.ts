/**
 * Advisory lock keys (any constants; identical in every instance sharing a database).
 * MATCHING serializes transactions that create persons or add or remove faces, so two concurrent frames
 * of one unknown person cannot both create a person, and a match cannot attach a face to a person being deleted.
 */
export const LOCKS = {
  MIGRATION: 7_277_021_001,
  MATCHING: 7_277_021_002,
} as const;
