/**
 * Control characters in text and huge page numbers (issue 12, items 6 and 7): the real gateway and matcher
 * (PGlite) on a private nats-server. A NUL used to reach Postgres (500), and page=1e9 an OFFSET past 2^31 − 1
 * (500); both are now 400s naming the field, at the gateway and again at the matcher's NATS boundary.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PersonRename, PersonsList, SightingsList } from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { AppModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { authed, TEST_ADMIN_KEY } from '../support/auth';
import { startGateway } from '../support/gateway';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const fetch = authed(() => TEST_ADMIN_KEY);
const dir = mkdtempSync(join(tmpdir(), 'glimpse-text-paging-'));
let nats: PrivateNats;
let matcher: INestApplicationContext;
let gateway: NestExpressApplication;
let base: string;
let client: Bus;

beforeAll(async () => {
  nats = await startPrivateNats();
  const cfg = loadMatcherConfig({
    NATS_URL: nats.url,
    DATA_DIR: join(dir, 'pglite'),
    INSTANCE_ID: 'text-paging-matcher',
    LOG_LEVEL: 'error',
  });
  matcher = await NestFactory.createApplicationContext(AppModule.forRoot(cfg), { logger: ['error'] });
  await matcher.init();
  await matcher.get<Bus>(BUS).nc.flush();
  ({ app: gateway, base } = await startGateway(nats.url, dir, { INSTANCE_ID: 'text-paging-gw' }));
  client = await Bus.connect({ servers: nats.url, name: 'text-paging-client' });
});

afterAll(async () => {
  await gateway?.close();
  await matcher?.close();
  await client?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function problem(res: Response, field: RegExp): Promise<void> {
  const body = (await res.json()) as { status: number; code: string; detail: string };
  expect([res.status, res.headers.get('content-type')]).toEqual([
    400,
    expect.stringMatching(/application\/problem\+json/),
  ]);
  expect(body).toMatchObject({ code: 'INVALID_REQUEST', detail: expect.stringMatching(field) });
}

/** A raw NATS request, past the client-side validation `Bus.request` would do. */
async function raw(
  subject: string,
  body: unknown,
): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
  const reply = await client.nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeout: 5_000 });
  return JSON.parse(new TextDecoder().decode(reply.data));
}

describe('control characters in text fields', () => {
  it('refuses them in a rename, a name filter and the enrollment form with a 400 naming the field', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const rename = await fetch(`${base}/api/v1/persons/${id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'a\u0000b' }),
    });
    await problem(rename, /name: must not contain control characters/);
    await problem(await fetch(`${base}/api/v1/persons?name=%00`), /name: must not contain control characters/);
    await problem(await fetch(`${base}/api/v1/persons?name=a%0Ab`), /name: must not contain control characters/);
    const form = new FormData();
    form.append('name', 'Ann\u0000e');
    form.append('images', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], { type: 'image/jpeg' }), 'a.jpg');
    await problem(
      await fetch(`${base}/api/v1/persons`, { method: 'POST', body: form }),
      /form fields: name: must not contain control characters/,
    );
    // an ordinary name with accents and emoji is still a name
    expect((await fetch(`${base}/api/v1/persons?name=${encodeURIComponent('Zoë 🙂')}`)).status).toBe(200);
  });

  it('refuses them at the matcher NATS boundary too', async () => {
    const renamed = await raw(PersonRename.subject, { id: '00000000-0000-4000-8000-000000000001', name: 'a\u0000b' });
    expect(renamed).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/control characters/) },
    });
    const listed = await raw(PersonsList.subject, { name: '\u0000' });
    expect(listed).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});

describe('page numbers', () => {
  it('answers pages beyond the maximum with a 400 on every list, and the last allowed page with 200', async () => {
    for (const list of ['persons', 'faces', 'sightings']) {
      for (const q of ['page=1e9', 'page=2147483648', 'page=1000001', 'pageSize=201', 'page=0']) {
        await problem(await fetch(`${base}/api/v1/${list}?${q}`), /page/);
      }
      const last = await fetch(`${base}/api/v1/${list}?page=1000000&pageSize=200`);
      expect([list, last.status]).toEqual([list, 200]);
      expect(await last.json()).toMatchObject({ items: [], page: 1000000, pageSize: 200 });
    }
    const sightings = await raw(SightingsList.subject, { page: 1e9 });
    expect(sightings).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});
