/**
 * Events end to end, as CI runs them: the whole stack started as `npm start` starts it (private NATS with
 * JetStream, the real Python worker, PGlite), real photos through the HTTP API and a video stream, and the
 * example subscriber (examples/events-subscriber) replaying GLIMPSE_EVENTS from sequence 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Events } from '@glimpse/contracts';
import { freePort, until } from '@glimpse/testing';
import { readEvents } from '../support/faults';
import { slideshow } from '../support/media';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');
import { authed } from '../support/auth';

jest.setTimeout(240_000);

const SUBSCRIBER = resolve(__dirname, '..', '..', 'examples', 'events-subscriber', 'index.js');
const QUIET_MS = 2000;

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
// Two people with two photos each, away from the look-alikes stack.test.ts lists.
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const [visitor, uploaded] = [...byPerson].filter(([id, ps]) => ps.length > 1 && !LOOK_ALIKES.has(id)).slice(0, 2);
const describeIf = visitor && uploaded ? describe : describe.skip;
if (!(visitor && uploaded))
  console.warn('\n*** SKIPPING the events stack test: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

interface Line {
  seq: number;
  event: Events.Event;
}

describeIf('events through the whole stack, read by the example subscriber', () => {
  let stack: any;
  const fetch = authed(() => stack?.apiKey);
  const log: string[] = [];

  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);

  function subscriber(env: Record<string, string>): Promise<{ lines: Line[]; stderr: string; code: number }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [SUBSCRIBER],
        { env: { PATH: process.env.PATH, NATS_URL: stack.natsUrl, IDLE_MS: '2000', ...env }, timeout: 60_000 },
        (err, stdout, stderr) => {
          const lines = stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const [, seq, type, json] = /^(\d+) (\S+) (.*)$/.exec(l) ?? [];
              const event = Events.event.parse(JSON.parse(json));
              expect(event.type).toBe(type);
              return { seq: Number(seq), event };
            });
          done({ lines, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
        },
      );
    });
  }

  const videoDir = mkdtempSync(join(tmpdir(), 'glimpse-events-videos-'));

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-events-stack-'));
    stack = await startStack({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir,
      recognizers: 1,
      env: {
        SIGHTING_QUIET_MS: String(QUIET_MS),
        SIGHTING_UPDATE_THROTTLE_MS: '1000',
        ERASURE_COMPACT_DELAY_MS: '0',
        // capture streams files only from its STREAM_FILE_ROOTS: the uploads and this test's videos
        STREAM_FILE_ROOTS: `${join(dataDir, 'uploads')},${videoDir}`,
      },
      logSink: { write: (s: string) => log.push(s) },
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('publishes person and sighting events for an upload and a video, and erases a deleted person', async () => {
    // An upload: a new person, no sighting.
    const up = await api('/api/v1/recognize', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(uploaded[1][0]),
    });
    expect(up.status).toBe(200);
    const upFaces = (await up.json()).faces as Array<{ personId: string; box: { width: number } }>;
    const erased = upFaces.sort((a, b) => b.box.width - a.box.width)[0].personId;

    // A video of the visitor: one sighting (the two photos are the same person).
    const video = slideshow([visitor[1][0], visitor[1][1]], 3, join(videoDir, 'visitor.mp4'));
    const started = await api('/api/v1/streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: video, fps: 2 }),
    });
    expect(started.status).toBe(201);
    const stream = await started.json();
    const state = await until(
      'the stream to finish',
      async () => {
        const s = (await (await api(`/api/v1/streams/${stream.id}`)).json()).state;
        return (s === 'ended' || s === 'failed') && s;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    );
    expect(state).toBe('ended');
    await new Promise((r) => setTimeout(r, QUIET_MS + 1500)); // clock time: the sighting ends after the quiet time

    expect((await api(`/api/v1/persons/${erased}`, { method: 'DELETE' })).status).toBe(200);
    // The relay erases the person's published events before it publishes person.deleted (the outbox keeps
    // that order), so once person.deleted is in the stream the erasure is done. A replay started earlier
    // could still read an event the relay was about to erase.
    await until(
      'person.deleted in the stream',
      async () => (await readEvents(stack.natsUrl)).some((e) => e.event.id === `person.deleted:${erased}`),
      { timeoutMs: 30_000, everyMs: 250 },
    );

    const { lines, code, stderr } = await subscriber({ START_SEQ: '1' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const seqs = lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const events = lines.map((l) => l.event);

    const mine = events.filter(
      (e) => e.type.startsWith('sighting.') && (e.data as { streamId: string }).streamId === stream.id,
    );
    expect(mine.map((e) => e.type)[0]).toBe('sighting.started');
    expect(mine.map((e) => e.type).at(-1)).toBe('sighting.ended');
    const ended = mine.at(-1) as Events.EventOf<'sighting.ended'>;
    expect(ended.data.frames).toBeGreaterThanOrEqual(4);
    expect(mine.every((e) => (e.data as { personId: string }).personId === ended.data.personId)).toBe(true);
    const crop = await api(ended.data.cropUrl!);
    expect(crop.status).toBe(200);
    expect(crop.headers.get('content-type')).toMatch(/image\/jpeg/);

    const created = events.find((e) => e.type === 'person.created' && e.data.personId === ended.data.personId);
    expect(created?.data).toMatchObject({ origin: 'recognition', source: stream.id });

    // The deleted person: only person.deleted is left of them.
    expect(events.filter((e) => JSON.stringify(e).includes(erased))).toEqual([
      {
        id: `person.deleted:${erased}`,
        type: 'person.deleted',
        occurredAt: expect.any(String),
        data: { personId: erased, reason: 'request', deletedFaces: 1 },
      },
    ]);
  });
});
