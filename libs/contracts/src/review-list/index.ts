import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personSchema } from '../common/person';

/**
 * "Who is this?": groups of persons that look like one person (likely duplicates), each with at least one
 * unnamed person, closest first. Faces of the same frame and cannot-linked persons are never grouped.
 * The work is bounded: the `persons` most recently seen unnamed persons, a few faces each, are compared
 * with their nearest stored faces (vector index), not with every face.
 */
export const subject = 'glimpse.matcher.review.list';
export const queue = 'matcher';

export const request = z.strictObject({
  /** Most groups returned. */
  limit: z.number().int().min(1).max(100).default(20),
  /** Unnamed persons considered (most recently seen first). */
  persons: z.number().int().min(1).max(2000).default(300),
  /** Persons closer than this (Euclidean, face to face) may be grouped; default: the matching threshold. */
  maxDistance: z.number().gt(0).lt(2).optional(),
});
export type Request = z.input<typeof request>;

const member = z.strictObject({
  person: personSchema,
  /** A few of the person's faces, the ones closest to the rest of the group first. */
  faceIds: z.array(uuidSchema),
});

const pair = z.strictObject({
  a: uuidSchema,
  b: uuidSchema,
  /** Closest face-to-face distance between the two persons, and those faces. */
  distance: z.number().nonnegative(),
  faceA: uuidSchema,
  faceB: uuidSchema,
});

export const groupSchema = z.strictObject({
  /** Smallest distance within the group. */
  distance: z.number().nonnegative(),
  persons: z.array(member).min(2),
  pairs: z.array(pair),
});
export type Group = z.infer<typeof groupSchema>;

export const reply = z.strictObject({
  maxDistance: z.number(),
  /** Unnamed persons looked at, and whether more exist than `persons`. */
  consideredPersons: z.number().int().nonnegative(),
  truncated: z.boolean(),
  groups: z.array(groupSchema),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
