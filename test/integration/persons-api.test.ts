/**
 * The persons API end to end (enroll, rename, merge, move, search, verify, OpenAPI) on the real stack:
 * gateway → recognizer → matcher over a private NATS, the real Python worker and pgvector, once on PGlite
 * and once on a real PostgreSQL server (test/support/postgres.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { freePort } from '@glimpse/testing';
import { fixturePhotos, photosByPerson } from '../support/worker';
import { blank, collage } from '../support/media';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');
import { authed } from '../support/auth';
import { describeEachBackend, startPostgres, type TestPostgres, skipEachBackend } from '../support/postgres';

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
// Not the look-alikes measured in stack.test.ts, so that search and recognition are unambiguous.
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const known = [...byPerson].filter(([id, ps]) => ps.length > 2 && !LOOK_ALIKES.has(id)).slice(0, 4);
const strangers = [...byPerson].filter(([id, ps]) => ps.length === 1 && !LOOK_ALIKES.has(id)).map(([, ps]) => ps[0]);
const describeIf = photos.length ? describeEachBackend : skipEachBackend;
if (!photos.length) console.warn('\n*** SKIPPING the persons API tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

jest.setTimeout(120_000);

describeIf('persons API (real stack)', (backend) => {
  let stack: any;
  let pg: TestPostgres | undefined;
  const fetch = authed(() => stack?.apiKey);
  const log: string[] = [];
  const ids = new Map<string, string>();
  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const jsonReq = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const formOf = (files: Array<[field: string, name: string, bytes: Buffer]>, fields: Record<string, string> = {}) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const [field, name, bytes] of files)
      form.append(field, new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), name);
    return form;
  };
  const enroll = (paths: string[], fields: Record<string, string> = {}, path = '/api/v1/persons') =>
    api(path, {
      method: 'POST',
      body: formOf(
        paths.map((p) => ['images', basename(p), readFileSync(p)]),
        fields,
      ),
    });
  const ok = async (res: Response, status = 200) => {
    const body = await res.json();
    if (res.status !== status) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
    return body;
  };

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    stack = await startStack({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'glimpse-persons-api-')),
      // the seed's rule: these checks expect every second photo within 0.6 (decisions.test.ts: the default rule)
      env: { MATCH_RULE: 'nearest', ...(pg ? { DATABASE_URL: pg.url } : {}) },
      logSink: { write: (s: string) => log.push(s) },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
  });

  it('documents every route at /api/docs/openapi.json and serves the UI', async () => {
    const doc = await ok(await api('/api/docs/openapi.json'));
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m} ${p}`),
    );
    for (const r of [
      'post /api/v1/recognize',
      'post /api/v1/encode',
      'post /api/v1/search',
      'post /api/v1/verify',
      'get /api/v1/persons',
      'post /api/v1/persons',
      'get /api/v1/persons/{id}',
      'patch /api/v1/persons/{id}',
      'delete /api/v1/persons/{id}',
      'post /api/v1/persons/{id}/faces',
      'post /api/v1/persons/{id}/merge',
      'get /api/v1/faces',
      'post /api/v1/faces/{id}/move',
      'get /api/v1/faces/{id}/crop',
      'get /api/v1/sightings',
      'get /api/v1/sightings/{id}',
      'post /api/v1/streams',
      'post /api/v1/streams/upload',
      'get /api/v1/streams',
      'get /api/v1/streams/{id}',
      'delete /api/v1/streams/{id}',
      'patch /api/v1/streams/{id}',
      'post /api/v1/sessions',
      'post /api/v1/whip/{sessionId}',
      'delete /api/v1/whip/{sessionId}/{resourceId}',
      'get /healthz',
    ])
      expect(routes).toContain(r);
    expect(doc.paths['/api/v1/persons'].post.responses['400'].content['application/problem+json']).toBeDefined();
    const ui = await api('/api/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('enrolls people by name from one photo, then recognizes their other photos by name', async () => {
    for (const [id, [first]] of known.slice(0, 3)) {
      const person = await ok(await enroll([first], { name: id }), 201);
      expect(person).toMatchObject({ name: id, created: true, faceCount: 1 });
      expect(person.faces[0].cropUrl).toMatch(/^\/api\/v1\/faces\/.+\/crop$/);
      ids.set(id, person.id);
    }
    for (const [id, [, second]] of known.slice(0, 3)) {
      const res = await api('/api/v1/recognize?store=false', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: readFileSync(second),
      });
      const { faces } = await ok(res);
      expect(faces.map((f: { personName: string }) => f.personName)).toContain(id);
    }
    const named = await ok(await api('/api/v1/persons?named=true&name=' + encodeURIComponent(known[0][0])));
    expect(named.items.map((p: { id: string }) => p.id)).toEqual([ids.get(known[0][0])]);
  });

  it('refuses a photo without a face or with two, naming the file', async () => {
    let res = await api('/api/v1/persons', {
      method: 'POST',
      body: formOf([['images', 'blank.jpg', await blank()]], { name: 'Nobody' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toBe('no face found in blank.jpg');
    const two = await collage(known.slice(0, 2).map(([, ps]) => ps[1]));
    res = await api('/api/v1/persons', { method: 'POST', body: formOf([['images', 'two.jpg', two]]) });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toBe('2 faces found in two.jpg; enrollment needs exactly one');
    res = await api('/api/v1/persons', jsonReq('POST', { name: 'x' }));
    expect(res.status).toBe(415);
  });

  it('refuses a blurred face with the reason', async () => {
    const sharp = (await import('sharp')).default;
    const blurred = await sharp(readFileSync(known[0][1][1])).blur(4).jpeg().toBuffer();
    const res = await api('/api/v1/persons', {
      method: 'POST',
      body: formOf([['images', 'blurred.jpg', blurred]], { name: 'Blurry' }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toMatch(/too blurred: sharpness [\d.]+, need at least 10/);
  });

  it('renames, merges and moves faces', async () => {
    const [annId] = known[0];
    const renamed = await ok(await api(`/api/v1/persons/${ids.get(annId)}`, jsonReq('PATCH', { name: 'Renamed' })));
    expect(renamed.name).toBe('Renamed');
    expect((await api(`/api/v1/persons/${ids.get(annId)}`, jsonReq('PATCH', { name: 'x', extra: 1 }))).status).toBe(
      400,
    );

    // The fourth person enrolled unnamed is merged into the third.
    const [fourth, fourthPhotos] = known[3];
    const extra = await ok(await enroll([fourthPhotos[0], fourthPhotos[1]]), 201);
    const target = ids.get(known[2][0])!;
    const merged = await ok(await api(`/api/v1/persons/${target}/merge`, jsonReq('POST', { sourceId: extra.id })));
    expect(merged).toMatchObject({ sourceId: extra.id, movedFaces: 2, person: { id: target, faceCount: 3 } });
    expect((await api(`/api/v1/persons/${extra.id}`)).status).toBe(404);

    // One of the merged faces was wrong: it goes to a new person of its own.
    const moved = await ok(await api(`/api/v1/faces/${extra.faces[0].id}/move`, jsonReq('POST', { toPersonId: null })));
    expect(moved).toMatchObject({ createdPerson: true, fromPersonId: target });
    const faces = await ok(await api(`/api/v1/faces?personId=${moved.person.id}`));
    expect(faces.items.map((f: { id: string }) => f.id)).toEqual([extra.faces[0].id]);
    expect(fourth).toBeTruthy();
  });

  it('adds photos to a person', async () => {
    const [id, ps] = known[1];
    const person = await ok(await enroll([ps[2]], {}, `/api/v1/persons/${ids.get(id)}/faces`), 201);
    expect(person).toMatchObject({ id: ids.get(id), created: false, faceCount: 2 });
  });

  it('searches: the right person first with a match, a stranger without', async () => {
    const [id, ps] = known[1];
    const search = (path: string) =>
      api('/api/v1/search?k=3', {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: readFileSync(path),
      });
    const found = await ok(await search(ps[ps.length - 1]));
    expect(found.results[0]).toMatchObject({ personId: ids.get(id), personName: id, match: true });
    const stranger = await ok(await search(strangers[0]));
    expect(stranger.results[0].match).toBe(false);
    const none = await api('/api/v1/search', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(await blank()),
    });
    expect(none.status).toBe(400);
  });

  it('verifies pairs', async () => {
    const verify = async (a: string, b: string) =>
      ok(
        await api('/api/v1/verify', {
          method: 'POST',
          body: formOf([
            ['a', basename(a), readFileSync(a)],
            ['b', basename(b), readFileSync(b)],
          ]),
        }),
      );
    const [, ps] = known[0];
    expect(await verify(ps[0], ps[1])).toMatchObject({ same: true, threshold: 0.6 });
    expect(await verify(ps[0], known[1][1][0])).toMatchObject({ same: false });
    const res = await api('/api/v1/verify', {
      method: 'POST',
      body: formOf([
        ['a', 'a.jpg', readFileSync(ps[0])],
        ['b', 'blank.jpg', await blank()],
      ]),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).detail).toBe("no face found in 'b' (blank.jpg)");
  });
});
