/**
 * The example external subscriber (examples/events-subscriber, plain Node + `nats`) run as a child process
 * against a real matcher that has produced events on a private nats-server with JetStream: it replays the
 * stream from sequence 1 (or a later sequence, or a time) and prints `<seq> <type> <json>` per event.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Events, MatchFaces, PersonDelete, PersonEnroll, PersonRename, SightingsList } from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { until } from '@glimpse/testing';
import { AppModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { EventRelay } from '../../services/matcher/src/events/event-relay';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const SUBSCRIBER = resolve(__dirname, '..', '..', 'examples', 'events-subscriber', 'index.js');
const RUN = randomBytes(4).toString('hex');

const unit = (seed: number) => {
  const v = Array.from({ length: 128 }, (_, i) => Math.sin(seed * 1000 + i * 7.1));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');
const face = (encoding: number[]) => ({
  box: { x: 0, y: 0, width: 100, height: 100 },
  encoding,
  crop: jpeg,
  quality: { faceWidth: 100, sharpness: 120 },
});

interface Line {
  seq: number;
  type: string;
  event: Events.Event;
}

describe('examples/events-subscriber against a real matcher and JetStream', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'glimpse-subscriber-')), 'pglite');
  let nats: PrivateNats;
  let app: INestApplicationContext;
  let client: Bus;
  let carol: string;
  let dave: string;
  let afterRename: string;

  /** Runs the subscriber to completion and parses its lines, checking each against the event contract. */
  function subscriber(env: Record<string, string>): Promise<{ lines: Line[]; stderr: string; code: number }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [SUBSCRIBER],
        { env: { PATH: process.env.PATH, NATS_URL: nats.url, IDLE_MS: '1000', ...env }, timeout: 30_000 },
        (err, stdout, stderr) => {
          const lines = stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => {
              const m = /^(\d+) (\S+) (\{.*\})$/.exec(l);
              if (!m) throw new Error(`unexpected line: ${l}`);
              return { seq: Number(m[1]), type: m[2], event: Events.event.parse(JSON.parse(m[3])) };
            });
          done({ lines, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
        },
      );
    });
  }

  beforeAll(async () => {
    nats = await startPrivateNats();
    client = await Bus.connect({ servers: nats.url, name: `subscriber-it-${RUN}` });
    const config = loadMatcherConfig({
      NATS_URL: nats.url,
      DATA_DIR: dataDir,
      INSTANCE_ID: `subscriber-it-${RUN}`,
      LOG_LEVEL: 'warn',
      SIGHTING_QUIET_MS: '300',
      SIGHTING_SWEEP_INTERVAL_MS: '100',
      EVENTS_RELAY_INTERVAL_MS: '100',
      ERASURE_COMPACT: 'false',
    });
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
    await app.init();
    await app.get<Bus>(BUS).nc.flush();

    // Events: Carol enrolled and renamed; a stranger seen in a stream (created, sighting started and ended);
    // Dave enrolled and deleted.
    carol = (await client.request(PersonEnroll.contract, { name: 'Carol', faces: [face(unit(1))] })).person.id;
    await client.request(PersonRename.contract, { id: carol, name: 'Caroline' });
    await app.get(EventRelay).drain();
    afterRename = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20)); // clock time: what follows is stamped after afterRename
    const frame = { source: `lobby-${RUN}`, seq: 1, capturedAt: new Date().toISOString(), width: 640, height: 480 };
    await client.request(MatchFaces.contract, { frame, store: true, faces: [face(unit(2))] });
    // The quiet time passes: sighting.ended, before Dave's events.
    await until(
      'the sighting to end',
      async () => (await client.request(SightingsList.contract, { state: 'open' })).total === 0,
      10_000,
    );
    dave = (await client.request(PersonEnroll.contract, { name: 'Dave', faces: [face(unit(3))] })).person.id;
    await client.request(PersonDelete.contract, { id: dave });
    await app.get(EventRelay).drain();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nats?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('replays every event from sequence 1, one `<seq> <type> <json>` line each, then exits when idle', async () => {
    const { lines, code, stderr } = await subscriber({ START_SEQ: '1' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines.map((l) => l.type)).toEqual([
      'person.created',
      'person.renamed',
      'person.created',
      'sighting.started',
      'sighting.ended',
      'person.deleted', // Dave's person.created was erased with him
    ]);
    expect(lines.every((l) => l.type === l.event.type)).toBe(true);
    const seqs = lines.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(lines[0].event.data).toMatchObject({ personId: carol, personName: 'Carol', origin: 'enrollment' });
    expect(lines[1].event.data).toMatchObject({ personId: carol, personName: 'Caroline', previousName: 'Carol' });
    expect(lines[5].event).toEqual({
      id: `person.deleted:${dave}`,
      type: 'person.deleted',
      occurredAt: expect.any(String),
      data: { personId: dave, reason: 'request', deletedFaces: 1 },
    });
    expect(lines.some((l) => JSON.stringify(l.event).includes('Dave'))).toBe(false);
  });

  it('starts from a later sequence or a time, filters subjects, and stops after MAX_EVENTS', async () => {
    const all = (await subscriber({})).lines;
    const fromSeq = await subscriber({ START_SEQ: String(all[2].seq) });
    expect(fromSeq.lines.map((l) => l.seq)).toEqual(all.slice(2).map((l) => l.seq));

    const fromTime = await subscriber({ START_TIME: afterRename });
    expect(fromTime.lines.map((l) => l.type)).toEqual([
      'person.created',
      'sighting.started',
      'sighting.ended',
      'person.deleted',
    ]);

    const sightings = await subscriber({ SUBJECTS: 'glimpse.events.sighting.>' });
    expect(sightings.lines.map((l) => l.type)).toEqual(['sighting.started', 'sighting.ended']);

    const two = await subscriber({ MAX_EVENTS: '2', IDLE_MS: '0' });
    expect(two.lines.map((l) => l.seq)).toEqual(all.slice(0, 2).map((l) => l.seq));
  });

  it('exits non-zero with a clear message on a bad variable or a missing stream', async () => {
    const bad = await subscriber({ START_SEQ: 'zero' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/START_SEQ must be an integer/);
    const missing = await subscriber({ STREAM: 'NO_SUCH_STREAM' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/stream not found/i);
  });
});
