import { SetMetadata } from '@nestjs/common';
import { MAX_AUDIT_PERSONS } from '@glimpse/contracts';

/** What one audited call touched: the persons (ids) and how many faces it returned, stored or erased. */
export interface Touched {
  personIds: string[];
  personsTruncated: boolean;
  faces: number;
}

export interface CallFacts {
  params: Record<string, string | undefined>;
  body: unknown;
  reply: unknown;
  /** What the handler noted itself (`noteAudit`), e.g. for a file answer whose body is not JSON. */
  noted?: Partial<Pick<Touched, 'personIds' | 'faces'>>;
}

export type FaceCount = (f: CallFacts) => number;

const arrayLength = (v: unknown, key: string): number => {
  const a = (v as Record<string, unknown> | null)?.[key];
  return Array.isArray(a) ? a.length : 0;
};

/** How an audited route counts the faces of one call. */
export const AuditCount = {
  facesOfReply: (f: CallFacts) => arrayLength(f.reply, 'faces'),
  itemsOfReply: (f: CallFacts) => arrayLength(f.reply, 'items'),
  one: () => 1,
  two: () => 2,
  none: () => 0,
  /** The faces the handler noted (`noteAudit`), for answers that are no JSON (an image). */
  noted: (f: CallFacts) => f.noted?.faces ?? 0,
  deletedFaces: (f: CallFacts) => Number((f.reply as { deletedFaces?: number } | null)?.deletedFaces ?? 0),
} satisfies Record<string, FaceCount>;

export const AUDIT_METADATA = 'glimpse:audit';

/**
 * Declares that a route reads or writes face data: AuditInterceptor records each call (docs/privacy.md),
 * counting its faces with `count`. A test checks that no public route is audited.
 */
export const Audited = (count: FaceCount) => SetMetadata(AUDIT_METADATA, count);

/** The count an audited handler declares, or undefined. */
export const auditCountOf = (handler: object): FaceCount | undefined =>
  Reflect.getMetadata(AUDIT_METADATA, handler) as FaceCount | undefined;

const PERSON_KEYS = new Set(['personId', 'fromPersonId', 'toPersonId', 'sourceId', 'targetId']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_DEPTH = 5;

/**
 * The persons a call touched, read from its path (`/persons/:id`), its JSON body and its reply: any
 * `personId`-like field, `personIds` arrays, a `person` object's id, and (on /persons routes) the ids of
 * the persons listed or returned. Generic on purpose: a new field named so is audited without a change here.
 */
export function touched(route: string, count: FaceCount, f: CallFacts): Touched {
  const ids = new Set<string>(f.noted?.personIds ?? []);
  if (route.startsWith('/api/v1/persons/:id') && f.params.id && UUID.test(f.params.id))
    ids.add(f.params.id.toLowerCase());
  collect(f.body, ids, false, 0);
  collect(f.reply, ids, route === '/api/v1/persons' || route.startsWith('/api/v1/persons/:id'), 0);
  const all = [...ids];
  return {
    personIds: all.slice(0, MAX_AUDIT_PERSONS),
    personsTruncated: all.length > MAX_AUDIT_PERSONS,
    faces: f.noted?.faces ?? count(f),
  };
}

/** `scope`: `v` is a person (or a page of them), so its own `id` is a person id; it does not reach nested objects. */
function collect(v: unknown, out: Set<string>, scope: boolean, depth: number): void {
  if (depth > MAX_DEPTH || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) collect(x, out, scope, depth + 1);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') {
      if (UUID.test(x) && (PERSON_KEYS.has(k) || (k === 'id' && scope))) out.add(x.toLowerCase());
    } else if (k === 'personIds' && Array.isArray(x)) {
      for (const id of x) if (typeof id === 'string' && UUID.test(id)) out.add(id.toLowerCase());
    } else {
      collect(x, out, k === 'person' || k === 'persons' || (scope && k === 'items'), depth + 1);
    }
  }
}
