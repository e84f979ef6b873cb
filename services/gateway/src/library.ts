import {
  FaceSearch,
  MAX_PAGE,
  MAX_PAGE_SIZE,
  singleLineText,
  FrameEncode,
  FacesList,
  PersonEnroll,
  personNameSchema,
  sourceSchema,
  uuidSchema,
  z,
  type Person,
  type Sighting,
} from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { cropUrl } from './faces';
import type { EncodedFace } from './recognize.service';

/**
 * Query strings and bodies of the person/face/sighting endpoints, and the pure mappings between
 * them and the matcher's contracts.
 */

export const boolParam = z
  .enum(['true', 'false', '1', '0'], { message: "expected 'true' or 'false'" })
  .transform((v) => v === 'true' || v === '1');

/** Any ISO 8601 date-time with Z or an offset; the matcher's contracts take UTC with Z. */
export const dateTimeParam = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

const pageParams = {
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
};

export const personsQuery = z.strictObject({
  ...pageParams,
  name: singleLineText(1, 100).optional(),
  named: boolParam.optional(),
  seenSince: dateTimeParam.optional(),
  seenBefore: dateTimeParam.optional(),
});

export const facesQuery = z.strictObject({
  ...pageParams,
  personId: uuidSchema.optional(),
  source: sourceSchema.optional(),
});

export const sightingsQuery = z.strictObject({
  ...pageParams,
  streamId: sourceSchema.optional(),
  personId: uuidSchema.optional(),
  since: dateTimeParam.optional(),
  until: dateTimeParam.optional(),
  state: z.enum(['open', 'ended']).optional(),
});

export const renameBody = z.strictObject({ name: personNameSchema.nullable() });
export const mergeBody = z.strictObject({ sourceId: uuidSchema });
export const moveBody = z.strictObject({ toPersonId: uuidSchema.nullable() });
/** Text fields of the enrollment form (the photos come as `images` files). */
export const enrollFields = z.strictObject({ name: personNameSchema.optional() });
export const addFacesFields = z.strictObject({});

export const thresholdParam = z.coerce.number().gt(0).lt(2);
export const searchQuery = z.strictObject({
  k: z.coerce.number().int().min(1).max(50).default(5),
  threshold: thresholdParam.optional(),
});
export const verifyQuery = z.strictObject({ threshold: thresholdParam.optional() });

/** Most photos one enrollment request may carry. */
export const MAX_ENROLL_IMAGES = 10;

export const withCover = <P extends Person>(p: P) => ({ ...p, coverUrl: cropUrl(p.coverFaceId) });

export const withCrop = <F extends { id: string }>(f: F) => ({ ...f, cropUrl: cropUrl(f.id) });

export const toApiSighting = (s: Sighting) => ({ ...s, cropUrl: cropUrl(s.bestFaceId) });

export const toApiFacesPage = (page: FacesList.Reply) => ({ ...page, items: page.items.map(withCrop) });

/** The largest face, the one a single-person photo is about; undefined when there is none. */
export function largestFace<F extends EncodedFace>(faces: readonly F[]): F | undefined {
  return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
}

/** An enrollment photo must show exactly one face. */
export function soleFace<F extends EncodedFace>(faces: readonly F[], filename: string): F {
  if (faces.length === 0) throw new GlimpseError('INVALID_IMAGE', `no face found in ${filename}`);
  if (faces.length > 1) {
    throw new GlimpseError('INVALID_IMAGE', `${faces.length} faces found in ${filename}; enrollment needs exactly one`);
  }
  return faces[0];
}

/** What PersonEnroll needs of a face; an older recognizer sends no crop. */
export function enrollFace(f: FrameEncodeFace): PersonEnroll.Request['faces'][number] {
  if (f.crop === undefined || f.quality === undefined) {
    throw new GlimpseError(
      'SERVICE_UNAVAILABLE',
      'the recognizer returned no face crops: it is older than this gateway',
    );
  }
  return { box: f.box, encoding: f.encoding, crop: f.crop, quality: f.quality };
}
type FrameEncodeFace = FrameEncode.Reply['faces'][number];

export function toEnrollResponse(reply: PersonEnroll.Reply, boxes: EncodedFace['box'][]) {
  return {
    ...withCover(reply.person),
    created: reply.created,
    faces: reply.faceIds.map((id, i) => ({ id, box: boxes[i], cropUrl: cropUrl(id) })),
    /** Persons who already look like this one: probably the same person, a candidate for a merge. */
    similarPersons: reply.similarPersons.map((p) => ({ ...p, url: `/api/v1/persons/${p.personId}` })),
  };
}

export function toSearchResponse(face: EncodedFace, reply: FaceSearch.Reply) {
  return {
    face: { box: face.box },
    threshold: reply.threshold,
    results: reply.results.map((r) => ({ ...r, cropUrl: cropUrl(r.faceId) })),
  };
}

/** A client's file name, safe to quote in an error message. */
export function displayName(original: string | undefined, fallback: string): string {
  const name = (original ?? '')
    .replace(/[^\w .@()+-]/g, '_')
    .slice(0, 100)
    .trim();
  return name || fallback;
}
