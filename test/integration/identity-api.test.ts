/**
 * The identity routes over HTTP: an in-process gateway and matcher on a private NATS (no recognizer
 * needed: persons are enrolled through the matcher's contract with synthetic encodings). Checks the
 * status codes and problem bodies users see, and who may apply a threshold.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PersonEnroll, type Encoding } from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { AppModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { authed, TEST_ADMIN_KEY } from '../support/auth';
import { rng } from '../support/encodings';
import { startGateway } from '../support/gateway';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const RUN = randomBytes(4).toString('hex');
const r = rng(1313);
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]).toString('base64');
const face = (encoding: Encoding) => ({
  box: { x: 0, y: 0, width: 120, height: 120 },
  encoding,
  crop: jpeg,
  quality: { faceWidth: 120, sharpness: 150 },
});

describe('identity API (in-process gateway and matcher, real NATS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-identity-api-'));
  let nats: PrivateNats;
  let matcher: INestApplicationContext;
  let gateway: { app: NestExpressApplication; base: string };
  let client: Bus;
  const admin = authed(() => TEST_ADMIN_KEY);
  let writer: typeof fetch;
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    nats = await startPrivateNats();
    const config = loadMatcherConfig({
      NATS_URL: nats.url,
      DATA_DIR: join(dir, 'pglite'),
      INSTANCE_ID: `identity-api-${RUN}`,
      LOG_LEVEL: 'warn',
    });
    matcher = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
    await matcher.init();
    await matcher.get<Bus>(BUS).nc.flush();
    client = await Bus.connect({ servers: nats.url, name: `identity-api-client-${RUN}` });
    gateway = await startGateway(nats.url, join(dir, 'uploads'));
    const res = await admin(`${gateway.base}/api/v1/api-keys`, json('POST', { name: 'writer', scopes: ['write'] }));
    expect(res.status).toBe(201);
    const { key } = (await res.json()) as { key: string };
    writer = authed(() => key);
  });

  afterAll(async () => {
    await gateway?.app.close();
    await matcher?.close();
    await client?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('"not this person" over HTTP: 200 with the new person, then 409 problems for moving back and merging', async () => {
    const A = r.unit();
    const ann = await client.request(PersonEnroll.contract, {
      name: 'Ann',
      faces: [face(A), face(r.near(A, 0.2)), face(r.near(A, 0.25))],
    });
    const url = (p: string) => `${gateway.base}/api/v1${p}`;
    const faceId = ann.faceIds[2];

    const res = await writer(url(`/faces/${faceId}/reject`), json('POST', { personId: ann.person.id }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { person: { id: string; coverUrl: string }; cannotLinks: number };
    expect(body).toMatchObject({
      faceId,
      fromPersonId: ann.person.id,
      cannotLinks: 2,
      person: { coverUrl: `/api/v1/faces/${faceId}/crop` },
    });

    const back = await writer(url(`/faces/${faceId}/move`), json('POST', { toPersonId: ann.person.id }));
    expect(back.status).toBe(409);
    expect(back.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await back.json()) as { detail: string }).detail).toMatch(/was marked as not person #/);
    const merge = await writer(url(`/persons/${ann.person.id}/merge`), json('POST', { sourceId: body.person.id }));
    expect(merge.status).toBe(409);

    expect((await writer(url(`/faces/${faceId}/reject`), json('POST', { personId: 'nope' }))).status).toBe(400);
    expect(
      (
        await writer(url(`/faces/${faceId}/reject`), {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'x',
        })
      ).status,
    ).toBe(415);
  });

  it('serves the review queue, "different people", and the calibration (with too little data said so)', async () => {
    const url = (p: string) => `${gateway.base}/api/v1${p}`;
    const D = r.unit();
    const d1 = (await client.request(PersonEnroll.contract, { faces: [face(D)] })).person.id;
    const d2 = (await client.request(PersonEnroll.contract, { faces: [face(r.near(D, 0.4))] })).person.id;
    const review = (await (await writer(url('/review?maxDistance=0.6'))).json()) as {
      groups: Array<{
        persons: Array<{ person: { id: string; coverUrl: string }; faces: Array<{ cropUrl: string }> }>;
      }>;
    };
    const group = review.groups.find((g) => g.persons.some((m) => m.person.id === d1))!;
    expect(group.persons.map((m) => m.person.id).sort()).toEqual([d1, d2].sort());
    expect(group.persons[0].faces[0].cropUrl).toMatch(/^\/api\/v1\/faces\/[0-9a-f-]+\/crop$/);
    expect((await writer(url('/review?limit=0'))).status).toBe(400);

    const different = await writer(url('/review/different'), json('POST', { personIds: [d1, d2] }));
    expect(different.status).toBe(200);
    expect(await different.json()).toEqual({ personIds: [d1, d2], cannotLinks: 1 });
    expect((await writer(url('/review/different'), json('POST', { personIds: [d1] }))).status).toBe(400);

    const calibration = (await (await writer(url('/calibration?far=0.01'))).json()) as {
      sufficient: boolean;
      reason: string;
    };
    expect(calibration).toMatchObject({ sufficient: false });
    expect(calibration.reason).toMatch(/1 named person\(s\) with at least 2 faces/);
    expect((await writer(url('/calibration?far=2'))).status).toBe(400);
  });

  it('applies a threshold with an admin key only', async () => {
    const url = `${gateway.base}/api/v1/settings/threshold`;
    expect((await writer(url, json('PUT', { threshold: 0.5 }))).status).toBe(403);
    expect(await (await writer(url)).json()).toMatchObject({ threshold: 0.6, origin: 'config' });
    const put = await admin(url, json('PUT', { threshold: 0.5 }));
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ threshold: 0.5, origin: 'applied' });
    expect((await admin(url, json('PUT', { threshold: -1 }))).status).toBe(400);
    expect(await (await admin(url, json('PUT', { threshold: null }))).json()).toMatchObject({
      threshold: 0.6,
      origin: 'config',
    });
  });

  it('documents the new routes', async () => {
    const doc = (await (await admin(`${gateway.base}/api/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags: string[] }>>;
    };
    for (const [path, method] of [
      ['/api/v1/faces/{id}/reject', 'post'],
      ['/api/v1/review', 'get'],
      ['/api/v1/review/different', 'post'],
      ['/api/v1/calibration', 'get'],
      ['/api/v1/settings/threshold', 'get'],
      ['/api/v1/settings/threshold', 'put'],
    ])
      expect(doc.paths[path]?.[method]?.tags).toEqual(['identity']);
  });
});
