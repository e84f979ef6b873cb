/**
 * The audit trail (docs/privacy.md) on the real stack (gateway → recognizer → matcher, real worker,
 * PGlite): calls that read or write face data are recorded with who, what, when and from where, off the
 * request path; `GET /api/v1/audit` (admin) filters them by key, person and time; a subject access export
 * carries the person's access history; the table is append-only for the application (on Postgres the
 * application role may only insert, read and prune old records: the table belongs to glimpse_audit).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AuditRecord } from '@glimpse/contracts';
import { freePort, until } from '@glimpse/testing';
import { openDatabase } from '../../services/matcher/src/database/open-database';
import { authed } from '../support/auth';
import {
  describeEachBackend,
  startPostgres,
  withClient,
  type TestPostgres,
  skipEachBackend,
} from '../support/postgres';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const twoOfOne = [...byPerson.values()].find((ps) => ps.length >= 2)?.slice(0, 2) ?? [];
if (!twoOfOne.length) console.warn('\n*** SKIPPING audit trail tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');
const describeIf = twoOfOne.length ? describeEachBackend : skipEachBackend;

jest.setTimeout(240_000);

interface Page {
  items: AuditRecord[];
  total: number;
}

describeIf('audit trail (real stack)', (backend) => {
  let pg: TestPostgres | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-audit-'));
  let stack: any;
  let readKey: { id: string; key: string };
  let personId: string;
  const admin = authed(() => stack?.apiKey);
  const asReader = authed(() => readKey?.key);
  const audit = async (query: string): Promise<Page> => {
    const res = await admin(`${stack.url}/api/v1/audit?${query}`);
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
    return res.json();
  };
  const photo = (p: string) => new Blob([new Uint8Array(readFileSync(p))], { type: 'image/jpeg' });

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    stack = await startStack({
      env: pg ? { DATABASE_URL: pg.url } : {},
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir,
      logSink: { write: () => undefined },
    });
    const res = await admin(`${stack.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer', scopes: ['read'] }),
    });
    readKey = await res.json();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
  });

  it('records who touched which person, how many faces, from where, for each kind of call', async () => {
    const form = new FormData();
    form.append('name', 'Audited');
    form.append('images', photo(twoOfOne[0]), basename(twoOfOne[0]));
    const enrolled = await admin(`${stack.url}/api/v1/persons`, { method: 'POST', body: form });
    expect(enrolled.status).toBe(201);
    const person = await enrolled.json();
    personId = person.id;
    const recognized = await admin(`${stack.url}/api/v1/recognize`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(twoOfOne[1]),
    });
    expect(recognized.status).toBe(200);
    expect((await asReader(`${stack.url}/api/v1/persons/${personId}`)).status).toBe(200);
    expect((await asReader(`${stack.url}/api/v1/faces/${person.faces[0].id}/crop`)).status).toBe(200);
    expect((await asReader(`${stack.url}/api/v1/persons/00000000-0000-4000-8000-000000000000`)).status).toBe(404);

    const page = await until('four audit records about the person', async () => {
      const p = await audit(`personId=${personId}`);
      return p.total >= 4 && p;
    });
    const byRoute = new Map(page.items.map((r) => [`${r.method} ${r.route}`, r]));
    expect(byRoute.get('POST /api/v1/persons')).toMatchObject({
      actor: { kind: 'bootstrap', id: 'bootstrap' },
      status: 201,
      personIds: [personId],
      faces: 1,
    });
    expect(byRoute.get('POST /api/v1/recognize')).toMatchObject({
      actor: { kind: 'bootstrap' },
      status: 200,
      faces: 1,
    });
    expect(byRoute.get('POST /api/v1/recognize')!.personIds).toContain(personId);
    // the recognized photo was stored as the person's second face
    expect(byRoute.get('GET /api/v1/persons/:id')).toMatchObject({
      actor: { kind: 'key', id: readKey.id },
      status: 200,
      personIds: [personId],
      faces: 2,
    });
    for (const r of page.items) {
      expect(r.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(Date.now() - Date.parse(r.at)).toBeLessThan(120_000);
    }
    // newest first
    expect([...page.items].sort((a, b) => b.at.localeCompare(a.at)).map((r) => r.id)).toEqual(
      page.items.map((r) => r.id),
    );
  });

  it('filters by key and time; a refused lookup is recorded with its status; only admins read it', async () => {
    const reader = await until("the reader key's records", async () => {
      const p = await audit(`keyId=${readKey.id}`);
      return p.total >= 3 && p;
    });
    expect(new Set(reader.items.map((r) => r.actor.id))).toEqual(new Set([readKey.id]));
    expect(reader.items.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/faces/:id/crop 200', 'GET /api/v1/persons/:id 404']),
    );
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`since=${encodeURIComponent(future)}`)).total).toBe(0);
    expect((await audit(`until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).total).toBe(0);
    expect((await asReader(`${stack.url}/api/v1/audit`)).status).toBe(403);
    const bad = await admin(`${stack.url}/api/v1/audit?personId=nope`);
    expect(bad.status).toBe(400);
  });

  it("puts the person's access history into their export", async () => {
    const res = await admin(`${stack.url}/api/v1/persons/${personId}/export`);
    expect(res.status).toBe(200);
    const zip = Buffer.from(await res.arrayBuffer());
    // person.json is the first entry, stored: its data follows the 30-byte local header and the name (the
    // header's CRC and sizes are binary and may hold a '{', so the JSON is not searched for)
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
    expect(zip.subarray(30, 30 + zip.readUInt16LE(26)).toString()).toBe('person.json');
    const doc = JSON.parse(zip.subarray(start, start + zip.readUInt32LE(18)).toString('utf8'));
    expect(doc.audit.map((r: AuditRecord) => `${r.method} ${r.route}`)).toEqual(
      expect.arrayContaining(['POST /api/v1/persons', 'GET /api/v1/persons/:id']),
    );
    expect(doc.auditTruncated).toBe(false);
  });

  it("says in the matcher's health whether the trail is sealed", async () => {
    const res = await fetch(`${stack.url}/healthz`);
    const body = JSON.stringify(await res.json());
    expect(body).toMatch(backend === 'postgres' ? /sealed: owned by glimpse_audit/ : /trigger-only/);
  });

  it('is append-only for the application: no update, delete or truncate; only pruning of old records', async () => {
    await stack.stop();
    const db = await openDatabase({ DATA_DIR: join(dataDir, 'pglite'), DATABASE_URL: pg?.url }, new Logger('test'));
    // Postgres: the application role lacks the privileges (the table is glimpse_audit's); PGlite: the trigger
    const refused = backend === 'postgres' ? /permission denied|must be owner/ : /append-only/;
    try {
      const [{ n }] = await db.prisma.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM audit.audit_log`;
      expect(n).toBeGreaterThan(0);
      await expect(db.prisma.$executeRaw`UPDATE audit.audit_log SET actor_id = 'someone else'`).rejects.toThrow(
        refused,
      );
      await expect(db.prisma.$executeRaw`DELETE FROM audit.audit_log`).rejects.toThrow(refused);
      await expect(db.prisma.$executeRawUnsafe('TRUNCATE audit.audit_log')).rejects.toThrow(refused);
      // the old records only, by the retention job's function
      await db.prisma.$executeRaw`
        INSERT INTO audit.audit_log (id, at, actor_kind, actor_id, method, route, status)
        VALUES ('00000000-0000-4000-8000-0000000000aa', now() - interval '400 days', 'key', 'k', 'GET', '/api/v1/persons', 200)`;
      if (backend === 'postgres') {
        // the trigger's exception for pruning is no way around the missing privilege
        const sneaky = db.transaction(async (tx) => {
          await tx.$executeRaw`SELECT set_config('glimpse.audit_prune', 'on', true)`;
          return tx.$executeRaw`DELETE FROM audit.audit_log WHERE at < now() - interval '180 days'`;
        });
        await expect(sneaky).rejects.toThrow(/permission denied/);
        await expect(
          db.prisma.$executeRawUnsafe('DROP TRIGGER audit_log_no_update ON audit.audit_log'),
        ).rejects.toThrow(/must be owner/);
        await expect(db.prisma.$executeRawUnsafe('DROP TABLE audit.audit_log')).rejects.toThrow(/must be owner/);
        await expect(
          db.prisma.$executeRawUnsafe(
            'CREATE OR REPLACE FUNCTION audit.append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
          ),
        ).rejects.toThrow(/must be owner|permission denied/);
        const [{ owner }] = await withClient(
          pg!.adminUrl,
          async (c) =>
            (
              await c.query(
                `SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'audit' AND tablename = 'audit_log'`,
              )
            ).rows,
        );
        expect(owner).toBe('glimpse_audit');
      }
      // the retention floor (AUDIT_RETENTION_DAYS, 180 by default) is the function's own: a record of 30 days
      // survives any cutoff the application passes, and the application can lengthen the floor, not shorten it
      await db.prisma.$executeRaw`
        INSERT INTO audit.audit_log (id, at, actor_kind, actor_id, method, route, status)
        VALUES ('00000000-0000-4000-8000-0000000000bb', now() - interval '30 days', 'key', 'k', 'GET', '/api/v1/persons', 200)`;
      const [{ floor }] = await db.prisma.$queryRaw<
        Array<{ floor: number }>
      >`SELECT days AS floor FROM audit.retention`;
      expect(floor).toBe(180);
      const [{ kept }] = await db.prisma.$queryRaw<Array<{ kept: number }>>`SELECT audit.set_retention(1) AS kept`;
      expect(kept).toBe(180);
      if (backend === 'postgres') {
        await expect(db.prisma.$executeRaw`UPDATE audit.retention SET days = 1`).rejects.toThrow(/permission denied/);
      }
      const [{ pruned }] = await db.prisma.$queryRaw<
        Array<{ pruned: number }>
      >`SELECT audit.prune('infinity'::timestamptz) AS pruned`;
      expect(pruned).toBe(1);
      const [{ young }] = await db.prisma.$queryRaw<
        Array<{ young: number }>
      >`SELECT count(*)::int AS young FROM audit.audit_log WHERE id = '00000000-0000-4000-8000-0000000000bb'`;
      expect(young).toBe(1);
      // the stack's own records are younger still: all kept
      const [{ left }] = await db.prisma.$queryRaw<
        Array<{ left: number }>
      >`SELECT count(*)::int AS left FROM audit.audit_log`;
      expect(left).toBe(n + 1);
    } finally {
      await db.close();
    }
  });
});
