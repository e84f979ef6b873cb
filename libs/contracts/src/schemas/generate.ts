import { z } from 'zod';
import * as contracts from '../index';

/**
 * JSON Schema (draft 2020-12) of every contract and event, generated from the zod schemas so that other
 * teams can consume Glimpse without reading TypeScript. Pure: returns file name → content;
 * scripts/generate-schemas.js writes them to libs/contracts/schemas, and a unit test keeps them current.
 */
export const SCHEMAS_README = 'README.md';

interface Entry {
  file: string;
  title: string;
  subject: string;
  kind: string;
  queue?: string;
  schema: z.ZodType;
  io: 'input' | 'output';
}

type Namespace = Record<string, unknown>;
const isZod = (v: unknown): v is z.ZodType => v instanceof z.ZodType;

/** `glimpse.recognition.*` → `glimpse.recognition._` (no `*` in file names). */
const fileSafe = (subject: string) => subject.replace(/\*/g, '_').replace(/>/g, 'all');

function subjectOf(ns: Namespace, name: string): string {
  if (typeof ns.subject === 'string') return ns.subject;
  if (typeof ns.pattern === 'string') return ns.pattern;
  if (typeof ns.subjectFor === 'function') return (ns.subjectFor as (s: string) => string)('*');
  return name;
}

function entriesOf(name: string, ns: Namespace): Entry[] {
  if (name === 'Events') return eventEntries();
  const subject = subjectOf(ns, name);
  const queue = typeof ns.queue === 'string' ? ns.queue : undefined;
  const parts: Array<[string, string, 'input' | 'output']> = [
    ['request', 'request', 'input'],
    ['headers', 'headers', 'input'],
    ['reply', 'reply', 'output'],
    ['payload', 'event', 'output'],
  ];
  return parts
    .filter(([key]) => isZod(ns[key]))
    .map(([key, kind, io]) => ({
      file: `${fileSafe(subject)}.${key}.schema.json`,
      title: `${name} ${key}`,
      subject,
      kind,
      queue,
      schema: ns[key] as z.ZodType,
      io,
    }));
}

function eventEntries(): Entry[] {
  const E = contracts.Events;
  // `input`: objects stay open (no additionalProperties: false), since events may gain fields.
  const all: Entry = {
    file: `${E.SUBJECT_PREFIX}.schema.json`,
    title: 'Any Glimpse event (envelope, discriminated on type)',
    subject: E.ALL_SUBJECTS,
    kind: 'jetstream event',
    schema: E.event,
    io: 'input',
  };
  return [
    all,
    ...E.EVENT_TYPES.map((type) => ({
      file: `${E.SUBJECT_PREFIX}.${type}.schema.json`,
      title: `Glimpse event ${type}`,
      subject: `${E.SUBJECT_PREFIX}.${type}.<personId>`,
      kind: 'jetstream event',
      schema: E.envelopes[type] as z.ZodType,
      io: 'input' as const,
    })),
  ];
}

export function schemaEntries(): Entry[] {
  const out: Entry[] = [];
  for (const [name, value] of Object.entries(contracts)) {
    // Namespaces (one folder per message) are plain objects with a subject and schemas; skip helpers.
    if (!value || typeof value !== 'object' || isZod(value)) continue;
    const ns = value as Namespace;
    if (name !== 'Events' && !['request', 'reply', 'payload', 'headers'].some((k) => isZod(ns[k]))) continue;
    out.push(...entriesOf(name, ns));
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

export function generateSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const entries = schemaEntries();
  for (const e of entries) {
    const json = z.toJSONSchema(e.schema, { io: e.io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
      string,
      unknown
    >;
    const { $schema, ...rest } = json;
    const doc = { $schema, $id: e.file, title: e.title, 'x-glimpse-subject': e.subject, ...rest };
    files[e.file] = `${JSON.stringify(doc, null, 2)}\n`;
  }
  files[SCHEMAS_README] = readme(entries);
  return files;
}

function readme(entries: Entry[]): string {
  const rows = entries.map(
    (e) => `| [\`${e.file}\`](./${e.file}) | ${e.kind} | \`${e.subject}\` | ${e.queue ? `\`${e.queue}\`` : ''} |`,
  );
  return [
    '# Glimpse message schemas',
    '',
    'JSON Schema (draft 2020-12) of every NATS message and every event, generated from `libs/contracts`',
    '(zod). Do not edit: run `npm run schemas -w @glimpse/contracts` after changing a contract; a unit test',
    'fails while these files are out of date.',
    '',
    '- Requests: `<subject>.request.schema.json` (what a caller sends; fields with defaults may be left out)',
    '  and `<subject>.reply.schema.json`. Replies travel in the envelope',
    '  `{"ok": true, "data": <reply>}` or `{"ok": false, "error": {"code", "message"}}`.',
    '- Binary requests (images): `<subject>.headers.schema.json` (NATS headers) and the reply.',
    '- Core NATS events: `<subject>.payload.schema.json` (`_` stands for the `*` token).',
    '- JetStream events (stream `GLIMPSE_EVENTS`, subjects `glimpse.events.<type>.<personId>`):',
    '  `glimpse.events.<type>.schema.json`, and `glimpse.events.schema.json` for any of them. Event objects',
    '  are open: consumers must ignore fields they do not know.',
    '',
    '| schema | kind | subject | queue group |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
