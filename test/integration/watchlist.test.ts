/**
 * RECOGNITION_MODE=watchlist (docs/privacy.md) on the real stack (gateway → recognizer → matcher, real
 * worker, PGlite, JetStream): only enrolled (named) persons are matched; a face that matches nobody is
 * answered as `unknown` and nothing about it is kept: no person, no face row, no encoding, no crop, no
 * event in GLIMPSE_EVENTS, nothing in the logs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { Events } from '@glimpse/contracts';
import { openDatabase } from '../../services/matcher/src/database/open-database';
import { toVectorLiteral } from '../../services/matcher/src/face.repository';
import { authed } from '../support/auth';
import { fixturePhotos } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack, freePort } = require('../../infra/scripts/stack.js');

const photos = fixturePhotos();
const byPerson = new Map<string, string[]>();
for (const p of photos) byPerson.set(p.identity, [...(byPerson.get(p.identity) ?? []), p.path]);
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const people = [...byPerson].filter(([id, ps]) => ps.length >= 3 && !LOOK_ALIKES.has(id));
const [known, stranger] = [people[0]?.[1], people[1]?.[1]];
if (!stranger) console.warn('\n*** SKIPPING watchlist tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');
const describeIf = stranger ? describe : describe.skip;

jest.setTimeout(240_000);

describeIf('RECOGNITION_MODE=watchlist (real stack, PGlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-watchlist-'));
  const log: string[] = [];
  let stack: any;
  let nc: NatsConnection;
  const fetch = authed(() => stack?.apiKey);
  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const recognize = async (path: string) => {
    const res = await api('/api/v1/recognize', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(path) });
    expect(res.status).toBe(200);
    return (await res.json()).faces as Array<{ personId: string | null; faceId: string | null; decision: string; isNew: boolean; box: object }>;
  };
  let strangerEncoding: number[];
  let knownId: string;

  beforeAll(async () => {
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    stack = await startStack({ natsUrl, port: 0, dataDir, env: { RECOGNITION_MODE: 'watchlist' }, logSink: { write: (s: string) => log.push(s) } });
    nc = await connect({ servers: natsUrl });
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
  });

  it('matches an enrolled, named person and keeps their face as in remember mode', async () => {
    const privacy = await (await api('/api/v1/privacy')).json();
    expect(privacy).toMatchObject({ recognitionMode: 'watchlist', cropsEncrypted: true });
    const form = new FormData();
    form.append('name', 'Known');
    for (const p of known!.slice(0, 2)) form.append('images', new Blob([new Uint8Array(readFileSync(p))], { type: 'image/jpeg' }), basename(p));
    const res = await api('/api/v1/persons', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    knownId = (await res.json()).id;
    const [face] = await recognize(known![2]);
    expect(face).toMatchObject({ personId: knownId, decision: 'match' });
  });

  it('answers a stranger as unknown and keeps nothing about them', async () => {
    const encoded = await api('/api/v1/encode', { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(stranger![0]) });
    strangerEncoding = (await encoded.json()).faces[0].encoding;
    const before = await (await api('/api/v1/faces?pageSize=1')).json();
    for (const p of stranger!.slice(0, 2)) {
      const [face] = await recognize(p);
      expect(face).toMatchObject({ personId: null, faceId: null, decision: 'unknown', isNew: false });
    }
    expect((await (await api('/api/v1/persons')).json()).items.map((p: { id: string }) => p.id)).toEqual([knownId]);
    expect((await (await api('/api/v1/faces?pageSize=1')).json()).total).toBe(before.total);
    // JetStream: the only persons with events are the known one
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(Events.STREAM, { subjects_filter: Events.ALL_SUBJECTS });
    for (const subject of Object.keys(info.state.subjects ?? {})) expect(Events.personOfSubject(subject)).toBe(knownId);
  });

  it('leaves no trace of the stranger in the database or the logs', async () => {
    await stack.stop();
    const db = await openDatabase({ DATA_DIR: join(dataDir, 'pglite'), DATABASE_URL: undefined }, new Logger('test'));
    try {
      const v = toVectorLiteral(strangerEncoding);
      const [row] = await db.prisma.$queryRaw<Array<{ persons: number; closest: number }>>`
        SELECT (SELECT count(*) FROM persons)::int AS persons,
               (SELECT min(embedding <-> ${v}::vector) FROM faces)::float8 AS closest`;
      expect(row.persons).toBe(1);
      // no stored encoding is the stranger's (the same photo encodes the same; another person is far)
      expect(row.closest).toBeGreaterThan(0.3);
    } finally {
      await db.close();
    }
    const text = log.join('');
    expect(text).not.toContain(String(strangerEncoding[0]));
  });
});
