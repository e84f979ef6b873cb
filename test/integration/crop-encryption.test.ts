/**
 * Face crops at rest (docs/privacy.md) on the real stack (gateway → recognizer → matcher, real worker,
 * PGlite): npm start's key file, crops sealed in the database and served opened, crops from before
 * encryption and under an older key still served, `npm run crops -- new-key` then `rotate-key` re-sealing
 * all of them, and production refusing to start without a key.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@nestjs/common';
import { freePort } from '@glimpse/testing';
import { CropCipher } from '../../services/matcher/src/crops/crop-cipher';
import { parseCropKeys } from '../../services/matcher/src/crops/crop-keys';
import { openDatabase } from '../../services/matcher/src/database/open-database';
import { authed } from '../support/auth';
import { describeEachBackend, startPostgres, type TestPostgres, skipEachBackend } from '../support/postgres';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');

const ROOT = resolve(__dirname, '..', '..');
const CROPS_CLI = join(ROOT, 'infra', 'scripts', 'crops.js');
const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const twoOfOne = [...byPerson.values()].find((ps) => ps.length >= 2)?.slice(0, 2) ?? [];
if (!twoOfOne.length)
  console.warn('\n*** SKIPPING crop encryption tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');
const describeIf = twoOfOne.length ? describeEachBackend : skipEachBackend;

jest.setTimeout(240_000);

interface StoredRow {
  id: string;
  crop: Uint8Array;
  keyId: string | null;
}

describeIf('crops encrypted at rest (real stack)', (backend) => {
  let pg: TestPostgres | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-crops-'));
  const keyFile = join(dataDir, 'crop-key');
  const log: string[] = [];
  let stack: any;
  let natsUrl: string;
  const fetch = authed(() => stack?.apiKey);
  const start = async () => {
    stack = await startStack({
      env: pg ? { DATABASE_URL: pg.url } : {},
      natsUrl,
      port: 0,
      dataDir,
      logSink: { write: (s: string) => log.push(s) },
    });
  };
  const crop = async (id: string): Promise<Buffer> => {
    const res = await fetch(`${stack.url}/api/v1/faces/${id}/crop`);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  /** The matcher holds PGlite's data directory: only read it while the stack is stopped (Postgres alike, for symmetry). */
  const withDb = async <T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ DATA_DIR: join(dataDir, 'pglite'), DATABASE_URL: pg?.url }, new Logger('test'));
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const rows = (db: Awaited<ReturnType<typeof openDatabase>>) =>
    db.prisma.$queryRaw<StoredRow[]>`SELECT id::text, crop, crop_key_id AS "keyId" FROM faces ORDER BY id`;

  let faceIds: string[] = [];
  const served = new Map<string, Buffer>();

  beforeAll(async () => {
    natsUrl = `nats://127.0.0.1:${await freePort()}`;
    if (backend === 'postgres') pg = await startPostgres();
    await start();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
  });

  it('npm start writes a crop key file (0600), and enrolled faces are served as JPEGs', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(parseCropKeys(readFileSync(keyFile, 'utf8'))).toHaveLength(1);
    const form = new FormData();
    for (const p of twoOfOne)
      form.append('images', new Blob([new Uint8Array(readFileSync(p))], { type: 'image/jpeg' }), basename(p));
    const res = await fetch(`${stack.url}/api/v1/persons`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const person = await (await fetch(`${stack.url}/api/v1/persons/${(await res.json()).id}`)).json();
    faceIds = person.faces.map((f: { id: string }) => f.id).sort();
    expect(faceIds).toHaveLength(2);
    for (const id of faceIds) {
      const jpeg = await crop(id);
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      served.set(id, jpeg);
    }
  });

  it('stores every crop sealed under the key, bound to its face id; none is readable without the key', async () => {
    await stack.stop();
    const [key] = parseCropKeys(readFileSync(keyFile, 'utf8'));
    const cipher = new CropCipher({ CROP_KEY: readFileSync(keyFile, 'utf8') });
    await withDb(async (db) => {
      const stored = await rows(db);
      expect(stored.map((r) => r.id)).toEqual(faceIds);
      for (const r of stored) {
        const jpeg = served.get(r.id)!;
        expect(r.keyId).toBe(key.id);
        expect(Buffer.from(r.crop).includes(jpeg.subarray(0, 32))).toBe(false);
        expect(cipher.open(r.id, { crop: Buffer.from(r.crop), keyId: r.keyId }).equals(jpeg)).toBe(true);
      }
      // a crop from before encryption: plaintext, no key id
      await db.prisma
        .$executeRaw`UPDATE faces SET crop = ${served.get(faceIds[0])!}, crop_key_id = NULL WHERE id = ${faceIds[0]}::uuid`;
    });
  });

  it('after new-key and a restart, serves plaintext and old-key crops; rotate-key re-seals them all', async () => {
    expect(faceIds).toHaveLength(2);
    const [oldKey] = parseCropKeys(readFileSync(keyFile, 'utf8'));
    const env = { ...process.env, GLIMPSE_DATA_DIR: dataDir };
    await promisify(execFile)(process.execPath, [CROPS_CLI, 'new-key'], { env });
    const keys = parseCropKeys(readFileSync(keyFile, 'utf8'));
    expect(keys.map((k) => k.id)).toEqual([expect.any(String), oldKey.id]);
    await start();
    for (const id of faceIds) expect((await crop(id)).equals(served.get(id)!)).toBe(true);

    const { stdout } = await promisify(execFile)(process.execPath, [CROPS_CLI, 'rotate-key', '--batch', '1'], {
      env: { ...env, GLIMPSE_URL: stack.url, ADMIN_API_KEY: stack.apiKey },
    });
    expect(stdout).toContain(`re-sealed 2 crops; every crop is now sealed with key ${keys[0].id}`);
    const again = await fetch(`${stack.url}/api/v1/crops/rotate-key`, { method: 'POST' });
    expect(await again.json()).toEqual({ keyId: keys[0].id, resealed: 0, remaining: 0, byKey: { [keys[0].id]: 2 } });
    for (const id of faceIds) expect((await crop(id)).equals(served.get(id)!)).toBe(true);
  });

  it('refuses a malformed rotate-key body and a caller without the admin scope', async () => {
    const bad = await fetch(`${stack.url}/api/v1/crops/rotate-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"limit":0}',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const anonymous = await globalThis.fetch(`${stack.url}/api/v1/crops/rotate-key`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });
});

describe('the matcher in production', () => {
  it('refuses to start without CROP_KEY, naming it', () => {
    const main = join(ROOT, 'services', 'matcher', 'dist', 'main.js');
    const env = { PATH: process.env.PATH, NODE_ENV: 'production', NATS_URL: 'nats://127.0.0.1:1' };
    const res = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 30_000 });
    expect(res.status).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/CROP_KEY is not set: NODE_ENV=production needs a random secret/);
  });
});
