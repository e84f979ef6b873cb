/**
 * A person's timeline (issue 19) on the real stack (gateway, capture, recognizer, matcher on PGlite, the
 * Python worker, private NATS): a person enrolled from one photo, then seen by a configured camera (its
 * frames sent as capture sends them), in an upload, and by an ad-hoc stream. GET /persons/:id/timeline
 * lists the three newest first, names the camera, filters by camera and time, and refuses bad input.
 * Also the Cameras page's host check on the same stack: which camera hosts capture's stream policy lets through.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FrameRecognize } from '@glimpse/contracts';
import { Bus } from '@glimpse/platform';
import { freePort, until } from '@glimpse/testing';
import { authed } from '../support/auth';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const person = [...byPerson].find(([id, ps]) => ps.length > 2 && !LOOK_ALIKES.has(id));
if (!person) console.warn('\n*** SKIPPING the person timeline tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

jest.setTimeout(120_000);

interface Entry {
  kind: 'stream' | 'upload';
  id: string;
  source: string;
  startedAt: string;
  lastSeenAt: string;
  cameraName: string | null;
  cropUrl: string | null;
  frames: number;
}

describe('person timeline and camera host check (real stack)', () => {
  const itIf = person ? it : it.skip;
  let stack: any;
  let bus: Bus;
  const fetch = authed(() => stack?.apiKey);
  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const post = (path: string, body: unknown) =>
    api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const [name, [enrollPhoto, streamPhoto, uploadPhoto]] = person ?? ['', []];
  let personId: string;
  let cameraId: string;
  let seq = 0;
  const marks: Record<string, string> = {};

  /** A frame as capture sends it, from `source`; the person's largest face in the reply. */
  const streamFrame = async (source: string) => {
    const reply = await bus.requestBinary(
      FrameRecognize.contract,
      readFileSync(streamPhoto),
      {
        'Glimpse-Source': source,
        'Glimpse-Seq': String(seq++),
        'Glimpse-Captured-At': new Date().toISOString(),
        'Content-Type': 'image/jpeg',
      },
      30_000,
    );
    return reply.faces.map((f) => f.personId);
  };
  const timeline = async (query = '') => {
    const res = await api(`/api/v1/persons/${personId}/timeline${query}`);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
    return body as { items: Entry[]; total: number };
  };
  const tick = () => new Promise((r) => setTimeout(r, 20)); // distinct millisecond timestamps

  beforeAll(async () => {
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    stack = await startStack({
      natsUrl,
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'glimpse-timeline-')),
      // 192.168.77.0/24: a LAN the operator allowed (the camera on it stays paused, so nothing connects)
      env: { MATCH_RULE: 'nearest', STREAM_ALLOWED_HOSTS: '192.168.77.0/24' },
      logSink: { write: () => true },
    });
    bus = await Bus.connect({
      servers: natsUrl,
      name: 'timeline-it',
      logger: { log() {}, warn() {}, error: console.error },
    });
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  itIf('lists camera sightings, uploads and other streams newest first, with crops and camera names', async () => {
    const form = new FormData();
    form.append('name', name);
    form.append(
      'images',
      new Blob([new Uint8Array(readFileSync(enrollPhoto))], { type: 'image/jpeg' }),
      basename(enrollPhoto),
    );
    const enrolled = await api('/api/v1/persons', { method: 'POST', body: form });
    expect(enrolled.status).toBe(201);
    personId = ((await enrolled.json()) as { id: string }).id;

    // a configured camera, paused: its id is the stream id its frames carry
    const cam = await post('/api/v1/cameras', { name: 'Hall', url: 'rtsp://192.168.77.10/stream1', enabled: false });
    expect(cam.status).toBe(201);
    cameraId = ((await cam.json()) as { id: string }).id;

    marks.start = new Date().toISOString();
    await until('the camera sighting', async () => (await streamFrame(cameraId)).includes(personId), {
      timeoutMs: 30_000,
      everyMs: 200,
    });
    await tick();
    marks.afterCamera = new Date().toISOString();
    await tick();
    const up = await api('/api/v1/recognize', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(readFileSync(uploadPhoto)),
    });
    expect(up.status).toBe(200);
    expect(((await up.json()) as { faces: Array<{ personId: string }> }).faces.map((f) => f.personId)).toContain(
      personId,
    );
    await tick();
    marks.afterUpload = new Date().toISOString();
    await tick();
    await until('the ad-hoc stream sighting', async () => (await streamFrame('s_timeline1')).includes(personId), {
      timeoutMs: 30_000,
      everyMs: 200,
    });

    const all = await timeline();
    expect(all.items.map((e) => [e.kind, e.source, e.cameraName])).toEqual([
      ['stream', 's_timeline1', null],
      ['upload', 'upload', null],
      ['stream', cameraId, 'Hall'],
    ]);
    expect(all.total).toBe(3);
    const times = all.items.map((e) => e.startedAt);
    expect([...times].sort().reverse()).toEqual(times);
    for (const e of all.items) {
      expect(e.cropUrl).toMatch(/^\/api\/v1\/faces\/[0-9a-f-]+\/crop$/);
      const crop = await api(e.cropUrl!);
      expect(crop.status).toBe(200);
      expect(crop.headers.get('content-type')).toBe('image/jpeg');
    }
  });

  itIf('filters by camera and by time, and pages', async () => {
    expect((await timeline(`?camera=${cameraId}`)).items.map((e) => e.cameraName)).toEqual(['Hall']);
    expect((await timeline('?camera=upload')).items.map((e) => e.kind)).toEqual(['upload']);
    expect((await timeline('?camera=cam_nothere')).total).toBe(0);
    const between = await timeline(
      `?from=${encodeURIComponent(marks.afterCamera)}&to=${encodeURIComponent(marks.afterUpload)}`,
    );
    expect(between.items.map((e) => e.kind)).toEqual(['upload']);
    const before = await timeline(`?to=${encodeURIComponent(marks.afterCamera)}`);
    expect(before.items.map((e) => e.source)).toEqual([cameraId]);
    const page2 = await timeline('?pageSize=1&page=2');
    expect(page2).toMatchObject({ total: 3, page: 2, pageSize: 1 });
    expect(page2.items.map((e) => e.kind)).toEqual(['upload']);
  });

  itIf('refuses bad input with a 400 and an unknown person with a 404', async () => {
    const status = async (path: string) => (await api(path)).status;
    expect(await status(`/api/v1/persons/${personId}/timeline?from=yesterday`)).toBe(400);
    expect(await status(`/api/v1/persons/${personId}/timeline?from=${marks.afterUpload}&to=${marks.start}`)).toBe(400);
    expect(await status(`/api/v1/persons/${personId}/timeline?camera=${encodeURIComponent('../x')}`)).toBe(400);
    expect(await status(`/api/v1/persons/${personId}/timeline?pageSize=0`)).toBe(400);
    expect(await status(`/api/v1/persons/${personId}/timeline?extra=1`)).toBe(400);
    expect(await status('/api/v1/persons/not-a-uuid/timeline')).toBe(400);
    expect(await status('/api/v1/persons/00000000-0000-4000-8000-000000000000/timeline')).toBe(404);
  });

  it('says whether a camera host is allowed, from the server policy, never echoing a password', async () => {
    const check = async (url: unknown) => {
      const res = await post('/api/v1/cameras/check', { url });
      return {
        status: res.status,
        body: (await res.json()) as { host: string | null; private: boolean; allowed: boolean; reason: string | null },
      };
    };
    const allowed = await check('rtsp://admin:Secret-77@192.168.77.10:554/stream1');
    expect(allowed).toMatchObject({
      status: 200,
      body: { host: '192.168.77.10', private: true, allowed: true, reason: null },
    });
    const lan = await check('rtsp://admin:Secret-77@10.1.2.3/stream1');
    expect(lan).toMatchObject({ status: 200, body: { host: '10.1.2.3', private: true, allowed: false } });
    expect(lan.body.reason).toMatch(/STREAM_ALLOWED_HOSTS/);
    expect(JSON.stringify(lan.body)).not.toContain('Secret-77');
    const pub = await check('rtsp://93.184.216.34/live');
    expect(pub).toMatchObject({ status: 200, body: { host: '93.184.216.34', private: false, allowed: true } });
    const scheme = await check('ftp://192.168.77.10/x');
    expect(scheme).toMatchObject({ status: 200, body: { allowed: false } });
    expect((await check('')).status).toBe(400);
    expect((await check(42)).status).toBe(400);
  });
});
