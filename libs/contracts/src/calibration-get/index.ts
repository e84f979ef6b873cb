import { z } from 'zod';
import { defineRequest } from '../common/define';

/**
 * Threshold calibration from the operator's own data. Genuine pairs: two faces of the same named person;
 * impostor pairs: faces of two different named persons, and cannot-linked faces. From their distance
 * distributions: the false accept rate per comparison (impostor pairs closer than t), the false reject rate
 * (genuine pairs at t or farther) and the identification false accept rate against a gallery of N persons,
 * 1 − (1 − p)^N. `suggested` is the largest threshold whose identification FAR stays at or below `far`.
 * `sufficient: false` (with `reason`) when there is too little data to say anything.
 */
export const subject = 'glimpse.matcher.calibration.get';
export const queue = 'matcher';

export const MIN_NAMED_PERSONS = 2;

export const request = z.strictObject({
  /** Wanted identification false accept rate at the current gallery size. */
  far: z.number().gt(0).lt(1).default(0.01),
});
export type Request = z.input<typeof request>;

const point = z.strictObject({
  threshold: z.number(),
  /** Per comparison: share of impostor pairs closer than the threshold. */
  pairFar: z.number().min(0).max(1),
  /** Against the whole gallery: 1 − (1 − pairFar)^galleryPersons. */
  identFar: z.number().min(0).max(1),
  /** Share of genuine pairs at or beyond the threshold. */
  frr: z.number().min(0).max(1),
});
export type Point = z.infer<typeof point>;

export const reply = z.strictObject({
  sufficient: z.boolean(),
  reason: z.string().nullable(),
  /** Named persons with at least two faces (the source of genuine pairs). */
  namedPersons: z.number().int().nonnegative(),
  /** N: persons in the gallery. */
  galleryPersons: z.number().int().nonnegative(),
  genuinePairs: z.number().int().nonnegative(),
  impostorPairs: z.number().int().nonnegative(),
  cannotLinkPairs: z.number().int().nonnegative(),
  currentThreshold: z.number(),
  far: z.number(),
  /** The per-comparison rate that gives `far` at N persons: 1 − (1 − far)^(1/N). */
  pairFar: z.number().min(0).max(1),
  suggested: point.nullable(),
  /**
   * The wanted per-comparison rate is below what the impostor pairs can measure (1 / impostorPairs):
   * the suggestion is the closest impostor distance seen, an upper bound rather than an estimate.
   */
  limitedByData: z.boolean(),
  /** The current threshold's rates. */
  current: point.nullable(),
  curve: z.array(point),
  histogram: z.strictObject({
    binWidth: z.number().positive(),
    genuine: z.array(z.number().int().nonnegative()),
    impostor: z.array(z.number().int().nonnegative()),
  }),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
