/**
 * infra/nats/nats.conf on the real nats-server binary: one user per service, each allowed only its own
 * subjects. The real matcher and gateway run with their users (credentials from NATS_USER/NATS_PASSWORD,
 * as in docker-compose.yml), capture and recognizer are stand-ins with theirs, and an `events` user reads
 * results. Then: every flow works (HTTP → gateway → matcher and capture, KV-backed API keys and sign-in,
 * a webhook fed from GLIMPSE_EVENTS, recognizer → matcher → recognition events, JetStream replay), and
 * the server refuses what a service must not do (capture answering frames or asking the matcher, events
 * publishing anything, anyone without a password).
 */
import 'reflect-metadata';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { connect, type NatsConnection } from 'nats';
import { Events, FrameSettle, MatchFaces, RecognizerHeartbeat, StreamList } from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { freePort, until } from '@glimpse/testing';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { AppModule as MatcherModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { TEST_ADMIN_KEY } from '../support/auth';
import { CameraStore } from '../../services/capture/src/cameras/camera.store';
import { loadCaptureConfig } from '../../services/capture/src/config';

jest.setTimeout(180_000);

const CONF = resolve(__dirname, '..', '..', 'infra', 'nats', 'nats.conf');
const SUBSCRIBER = resolve(__dirname, '..', '..', 'examples', 'events-subscriber', 'index.js');
const USERS = ['gateway', 'capture', 'recognizer', 'matcher', 'events'] as const;
type User = (typeof USERS)[number];
// nats-server parses a $VAR's value as a config value: a password must start with a letter (see README)
const passwords = Object.fromEntries(USERS.map((u) => [u, `p${randomBytes(18).toString('hex')}`])) as Record<
  User,
  string
>;
const quiet = { log() {}, warn() {}, error: console.error };

let server: ChildProcess;
let url: string;
let storeDir: string;
let matcher: INestApplicationContext;
let gateway: NestExpressApplication;
let base: string;
let hooks: Server;
const hookBodies: string[] = [];
const open: NatsConnection[] = [];

/** A raw connection as `user`, with the server's permission errors collected. */
async function connectAs(user: User): Promise<{ nc: NatsConnection; errors: string[] }> {
  const nc = await connect({ servers: url, user, pass: passwords[user], name: `perm-${user}` });
  open.push(nc);
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      const ctx = (s as { permissionContext?: { operation: string; subject: string } }).permissionContext;
      if (s.type === 'error') errors.push(ctx ? `${ctx.operation} to "${ctx.subject}"` : String(s.data));
    }
  })();
  return { nc, errors };
}

/** A Bus as `user`, the way services connect. */
async function busAs(user: User): Promise<Bus> {
  return Bus.connect({
    servers: url,
    name: `perm-bus-${user}`,
    logger: quiet,
    connection: { user, pass: passwords[user] },
  });
}

/** A service's NATS credentials, as compose sets them in its environment. */
const credentialsOf = (user: User) => ({ NATS_USER: user, NATS_PASSWORD: passwords[user] });

const unit = (seed: number) => {
  const v = Array.from({ length: 128 }, (_, i) => Math.sin(seed * 1000 + i * 7.1));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const face = (seed: number) => ({
  box: { x: 0, y: 0, width: 100, height: 100 },
  encoding: unit(seed),
  crop: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64'),
  quality: { faceWidth: 100, sharpness: 120 },
});

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'glimpse-nats-perm-'));
  const port = await freePort();
  const monitor = await freePort();
  const env = {
    ...process.env,
    ...Object.fromEntries(USERS.map((u) => [`GLIMPSE_NATS_${u.toUpperCase()}_PASSWORD`, passwords[u]])),
  };
  server = spawn(
    process.env.NATS_SERVER_BIN ?? 'nats-server',
    ['-c', CONF, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-sd', join(storeDir, 'js')],
    {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  server.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  url = `nats://127.0.0.1:${port}`;
  await until(
    `nats-server with ${CONF}\n${log}`,
    async () => {
      if (server.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
      return connect({ servers: url, user: 'events', pass: passwords.events }).then(
        (nc) => nc.close().then(() => true),
        () => false,
      );
    },
    20_000,
  );

  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => (hookBodies.push(body), res.writeHead(204).end()));
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));

  {
    const cfg = loadMatcherConfig({
      ...credentialsOf('matcher'),
      NATS_URL: url,
      DATA_DIR: join(storeDir, 'pglite'),
      INSTANCE_ID: 'perm-matcher',
      LOG_LEVEL: 'warn',
      EVENTS_RELAY_INTERVAL_MS: '100',
    });
    matcher = await NestFactory.createApplicationContext(MatcherModule.forRoot(cfg), { logger: ['error', 'warn'] });
    await matcher.init();
  }
  {
    const cfg = loadGatewayConfig({
      ...credentialsOf('gateway'),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      NATS_URL: url,
      LOG_LEVEL: 'error',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      INSTANCE_ID: 'perm-gateway',
      UPLOAD_DIR: storeDir,
      GATHER_TIMEOUT_MS: '300',
      HEALTH_TIMEOUT_MS: '1000',
    });
    gateway = await createApp(cfg, false);
    await gateway.listen(0, '127.0.0.1');
  }
  base = `http://127.0.0.1:${(gateway.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gateway?.close();
  await matcher?.close();
  for (const nc of open) await nc.close().catch(() => undefined);
  if (hooks) await new Promise((r) => hooks.close(r));
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(storeDir, { recursive: true, force: true });
});

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' };

describe('each service can do its own work', () => {
  it('gateway: API keys and sign-in (JetStream KV), persons from the matcher, streams from capture, health', async () => {
    const capture = await busAs('capture');
    capture.handle(StreamList.contract, async () => ({ items: [] }));
    await capture.nc.flush();

    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'perm', scopes: ['read'] }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect((await fetch(`${base}/api/v1/api-keys`, { headers: admin })).status).toBe(200);
    const login = await fetch(`${base}/api/v1/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    expect(login.status).toBe(201);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await fetch(`${base}/api/v1/auth/session`, { method: 'DELETE', headers: { cookie } })).status).toBe(204); // revoked-sessions KV
    expect((await fetch(`${base}/api/v1/persons`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${base}/api/v1/streams`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    // identity review: the queue, calibration and the threshold in force, answered by the matcher
    for (const path of ['/api/v1/review', '/api/v1/calibration', '/api/v1/settings/threshold']) {
      expect([path, (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } })).status]).toEqual([
        path,
        200,
      ]);
    }
    // applying a threshold: the matcher announces it to every instance on glimpse.matcher.settings.changed
    const put = await fetch(`${base}/api/v1/settings/threshold`, {
      method: 'PUT',
      headers: admin,
      body: JSON.stringify({ threshold: null }),
    });
    expect(put.status).toBe(200);
    const health = (await (await fetch(`${base}/healthz`)).json()) as {
      checks: Record<string, { ok?: boolean; status?: string }>;
    };
    expect(JSON.stringify(health.checks.matcher)).not.toMatch(/permission/i);
    await capture.close();
  });

  it('recognizer → matcher → recognition event (events user), durable event → webhook (gateway) and JetStream replay (events user)', async () => {
    const created = await fetch(`${base}/api/v1/webhooks`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
        secret: 's'.repeat(32),
      }),
    });
    expect(created.status).toBe(201);

    const events = await connectAs('events');
    const seen: string[] = [];
    const sub = events.nc.subscribe('glimpse.recognition.*', { callback: (_e, m) => seen.push(m.subject) });
    await events.nc.flush();

    const recognizer = await busAs('recognizer');
    const source = `perm_${randomBytes(4).toString('hex')}`;
    const frame = { source, seq: 1, capturedAt: new Date().toISOString(), width: 640, height: 480 };
    const reply = await recognizer.request(MatchFaces.contract, { frame, store: true, faces: [face(7)] });
    expect(reply.faces[0].isNew).toBe(true);
    await until('the recognition event', () => seen.includes(`glimpse.recognition.${source}`));
    sub.unsubscribe();
    await recognizer.close();

    // the matcher's relay puts person.created on GLIMPSE_EVENTS; the gateway's webhook consumer delivers it
    await until('the webhook delivery', () => hookBodies.some((b) => b.includes('person.created')), 30_000);
    // an external subscriber replays the stream with the events user
    const consumer = await events.nc.jetstream().consumers.get(Events.STREAM, { opt_start_seq: 1 });
    const msg = await consumer.next({ expires: 5_000 });
    expect(msg?.subject).toMatch(/^glimpse\.events\.person\.created\./);
    msg?.ack();
    expect(events.errors).toEqual([]);
    // and so does the example subscriber, as the events user
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [SUBSCRIBER],
        {
          env: {
            ...process.env,
            NATS_URL: url,
            NATS_USER: 'events',
            NATS_PASSWORD: passwords.events,
            START_SEQ: '1',
            MAX_EVENTS: '1',
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(out.stdout).toMatch(/^1 person\.created /);
  });

  it('capture: publishes stream status and sends snapshots to a recognizer; the gateway asks it to encode', async () => {
    const events = await connectAs('events');
    const statuses: string[] = [];
    events.nc.subscribe('glimpse.stream.status.*', { callback: (_e, m) => statuses.push(m.subject) });
    await events.nc.flush();
    const capture = await connectAs('capture');
    capture.nc.publish('glimpse.stream.status.s_perm', '{}'); // what StreamStatus.contract publishes to
    await until('the stream status', () => statuses.includes('glimpse.stream.status.s_perm'));
    // snapshots go to a recognizer, which answers on capture's inbox (allow_responses)
    const recognizer = await connectAs('recognizer');
    recognizer.nc.subscribe('glimpse.frame.recognize', { queue: 'recognizer', callback: (_e, m) => m.respond('ok') });
    recognizer.nc.subscribe('glimpse.frame.encode', { queue: 'recognizer', callback: (_e, m) => m.respond('encoded') });
    await recognizer.nc.flush();
    expect((await capture.nc.request('glimpse.frame.recognize', 'jpeg', { timeout: 5_000 })).string()).toBe('ok');
    const gw = await connectAs('gateway');
    expect((await gw.nc.request('glimpse.frame.encode', 'jpeg', { timeout: 5_000 })).string()).toBe('encoded');
    expect([...capture.errors, ...recognizer.errors, ...gw.errors]).toEqual([]);
  });

  it('recognizer heartbeats reach the gateway, and the gateway settles a frame it gave up on with the matcher', async () => {
    const gw = await connectAs('gateway');
    const beats: string[] = [];
    gw.nc.subscribe(RecognizerHeartbeat.pattern, { callback: (_e, m) => beats.push(m.string()) });
    await gw.nc.flush();
    const recognizer = await connectAs('recognizer');
    recognizer.nc.publish(
      RecognizerHeartbeat.subjectFor(),
      JSON.stringify({ instanceId: 'r-perm', intervalMs: 500, frames: [] }),
    );
    await until('the heartbeat at the gateway', () => beats.length > 0);
    const settled = await gw.nc.request(FrameSettle.subject, JSON.stringify({ frameId: 'perm_frame_0001' }), {
      timeout: 5_000,
    });
    expect(settled.json()).toEqual({ ok: true, data: { state: 'abandoned' } });
    expect([...recognizer.errors, ...gw.errors]).toEqual([]);
  });
});

describe('the server refuses', () => {
  const violation = async (errors: string[], what: RegExp) =>
    until(
      `a permissions violation ${what} (got: ${errors.join('; ')})`,
      () => errors.some((e) => what.test(e)),
      10_000,
    );

  it('capture asking the matcher directly, or answering frames as a recognizer', async () => {
    const { nc, errors } = await connectAs('capture');
    await expect(nc.request(MatchFaces.subject, '{}', { timeout: 1_500 })).rejects.toThrow(
      /Permissions Violation for Publish/,
    );
    await violation(errors, /publish to "glimpse\.matcher\.match"/);
    nc.subscribe('glimpse.frame.recognize', { queue: 'recognizer' });
    await violation(errors, /subscription to "glimpse\.frame\.recognize"/);
  });

  it('the events user publishing anything', async () => {
    const { nc, errors } = await connectAs('events');
    for (const subject of [
      'glimpse.recognition.x',
      'glimpse.events.person.created.x',
      'glimpse.matcher.persons.delete',
      'glimpse.capture.streams.stop',
    ]) {
      nc.publish(subject, '{}');
      await violation(errors, new RegExp(`publish to "${subject.replace(/\./g, '\\.')}"`));
    }
    // nor deleting the events stream through the JetStream API
    await expect(nc.request('$JS.API.STREAM.DELETE.GLIMPSE_EVENTS', '', { timeout: 1_500 })).rejects.toThrow(
      /Permissions Violation for Publish/,
    );
    await violation(errors, /publish to "\$JS\.API\.STREAM\.DELETE\.GLIMPSE_EVENTS"/);
  });

  it('the gateway forging events or matches, and the recognizer impersonating the matcher', async () => {
    const gw = await connectAs('gateway');
    gw.nc.publish('glimpse.events.person.created.x', '{}');
    await violation(gw.errors, /publish to "glimpse\.events\.person\.created\.x"/);
    gw.nc.publish('glimpse.matcher.match', '{}');
    await violation(gw.errors, /publish to "glimpse\.matcher\.match"/);
    await expect(gw.nc.request('$JS.API.STREAM.DELETE.GLIMPSE_EVENTS', '', { timeout: 1_500 })).rejects.toThrow(
      /Permissions Violation for Publish/,
    );
    const rec = await connectAs('recognizer');
    rec.nc.subscribe('glimpse.matcher.persons.delete', { queue: 'matcher' });
    await violation(rec.errors, /subscription to "glimpse\.matcher\.persons\.delete"/);
  });

  it('connections without a password or with a wrong one', async () => {
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: url, user: 'gateway', pass: 'wrong', reconnect: false })).rejects.toThrow(
      /Authorization/i,
    );
    await expect(connect({ servers: url, user: 'nobody', pass: passwords.gateway, reconnect: false })).rejects.toThrow(
      /Authorization/i,
    );
  });

  it('capture: keeps cameras and their leases in its KV buckets (issue 19)', async () => {
    const capture = await busAs('capture');
    const store = new CameraStore(capture, { ...loadCaptureConfig({}), INSTANCE_ID: 'perm-capture' });
    const at = new Date().toISOString();
    await store.create({
      id: 'cam_perm',
      name: 'perm',
      url: 'rtsp://cam.example/x',
      fps: 2,
      enabled: true,
      threshold: null,
      transport: 'tcp',
      decode: 'all',
      createdAt: at,
      updatedAt: at,
    });
    expect((await store.list()).map((c) => c.id)).toEqual(['cam_perm']);
    const lease = { instance: 'perm-capture', state: 'starting' as const, error: null, since: at, attempts: 0 };
    const rev = await store.claim('cam_perm', lease);
    expect(rev).not.toBeNull();
    expect(await store.renew('cam_perm', lease, rev!)).not.toBeNull();
    expect([...(await store.allLeases()).keys()]).toEqual(['cam_perm']);
    await store.remove('cam_perm');
    await capture.close();
  });

  it('and the matcher still has its stream (nobody deleted it)', async () => {
    const m = matcher.get<Bus>(BUS);
    const info = await (await m.nc.jetstreamManager()).streams.info(Events.STREAM);
    expect(info.config.name).toBe(Events.STREAM);
  });
});
