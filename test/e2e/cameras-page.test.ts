/**
 * The Cameras page in headless Chromium against a local RTSP camera (GStreamer rtsp-server, user and
 * password): test the connection (one snapshot), add the camera, see it running, edit, pause and remove it.
 * One capture process (built dist/), the gateway in-process serving the built web client (apps/web/dist).
 */
import 'reflect-metadata';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '@glimpse/testing';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { TEST_ADMIN_KEY } from '../support/auth';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';
import { rtspPython, startRtspServer, type RtspServer } from '../support/rtsp';
import { answerPrivacy, CAPTURE_MAIN, spawnCapture, type CaptureProcess } from '../support/capture';
import { CHROMIUM, launchChromium } from '../support/chromium';
import { ARTIFACTS } from './support/browser';
import { RecognitionEvent, type Camera } from '@glimpse/contracts';
import { Bus } from '@glimpse/platform';
import { readFileSync as readFile } from 'node:fs';
import { authed } from '../support/auth';
import { slideshow } from '../support/media';
import { testPattern } from '../support/test-pattern';
import { fixturePhotos } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { descendants, procStat } = require('../../bench/soak-util.js');

const ROOT = resolve(__dirname, '..', '..');
const WEB = join(ROOT, 'apps', 'web', 'dist', 'index.html');
const PASSWORD = 'page-Secret-77';
const python = rtspPython();
const missing = [
  !python && 'python3-gi with GStreamer rtsp-server',
  ...[CHROMIUM, CAPTURE_MAIN, WEB].filter((f) => !existsSync(f)),
].filter(Boolean);
const ready = missing.length === 0;

/** Opens the Cameras tab: a click that lands while the app is still starting is lost, so click until the form shows. */
async function openCameras(page: Page): Promise<void> {
  const form = page.getByTestId('camera-form');
  for (let tries = 0; ; tries++) {
    await page.getByTestId('cameras-tab').click();
    try {
      return await form.waitFor({ state: 'visible', timeout: 5_000 });
    } catch (e) {
      if (tries >= 5) throw e;
    }
  }
}
if (!ready) console.warn(`SKIPPING the Cameras page test, missing: ${missing.join(', ')} (prepare.sh --dev --browser)`);

(ready ? describe : describe.skip)('Cameras page (Chromium, local RTSP camera)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-cameras-page-'));
  let nats: PrivateNats;
  let capture: CaptureProcess;
  let app: NestExpressApplication;
  let rtsp: RtspServer;
  let browser: Browser;
  let privacy: Bus;

  beforeAll(async () => {
    nats = await startPrivateNats();
    const video = join(dir, 'cam.mp4');
    testPattern(video, { seconds: 60, output: ['-c:v', 'libx264', '-g', '10'] });
    rtsp = await startRtspServer(python!, await freePort(), { '/door': video }, { user: 'viewer', password: PASSWORD });
    capture = spawnCapture(
      { NATS_URL: nats.url, INSTANCE_ID: 'capture-page', STREAM_ALLOWED_HOSTS: '127.0.0.1', LOG_LEVEL: 'warn' },
      50_000,
    );
    // no matcher runs here: a stand-in answers privacy.get
    privacy = await Bus.connect({
      servers: nats.url,
      name: 'privacy-stand-in',
      logger: { log() {}, warn() {}, error: console.error },
    });
    answerPrivacy(privacy, false);
    app = await createApp(
      loadGatewayConfig({ NATS_URL: nats.url, INSTANCE_ID: 'gateway-page', ADMIN_API_KEY: TEST_ADMIN_KEY }),
      false,
    );
    await app.listen(0, '127.0.0.1');
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await privacy?.close();
    capture?.child.kill('SIGTERM');
    if (capture && capture.child.exitCode === null) await new Promise((r) => capture.child.once('exit', r));
    await rtsp?.kill();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tests, adds, shows, edits, pauses and removes an RTSP camera', async () => {
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/#key=${TEST_ADMIN_KEY}`);
    await openCameras(page);
    const form = page.getByTestId('camera-form');
    await form.getByPlaceholder('Front door').fill('Door');
    await form.getByPlaceholder(/^rtsp:/).fill(rtsp.url('/door', `viewer:${PASSWORD}`));
    await page.getByTestId('lan-hint').waitFor(); // 127.0.0.1: the page explains STREAM_ALLOWED_HOSTS
    await page.getByTestId('camera-test').click();
    await page.getByTestId('camera-snapshot').locator('img').waitFor({ timeout: 30_000 });
    await form.getByRole('button', { name: /add camera/i }).click();
    const row = page.getByTestId('camera-row').filter({ hasText: 'Door' });
    await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('viewer:***@127.0.0.1');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'cameras-page.png'), fullPage: true });
    expect(await page.content()).not.toContain(PASSWORD);
    // edit in place: a new name and key-frame decoding; the blank URL keeps the stored one (with its password)
    await row.getByTestId('camera-edit').click();
    const edit = row.getByTestId('camera-edit-form');
    await edit.getByLabel('Name').fill('Door 2');
    await edit.getByLabel('Decode').selectOption('keyframes');
    await edit.getByTestId('camera-save').click();
    const edited = page.getByTestId('camera-row').filter({ hasText: 'Door 2' }).filter({ hasText: 'key frames only' });
    await edited.and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.and(page.locator('[data-state="paused"]')).waitFor({ timeout: 15_000 });
    await row.getByRole('button', { name: /remove/i }).click();
    await page.getByTestId('camera-row').first().waitFor({ state: 'detached', timeout: 15_000 });
    expect(capture.log).not.toContain(PASSWORD);
  }, 120_000);
});

const people = new Map<string, string[]>();
for (const p of fixturePhotos()) people.set(p.identity, [...(people.get(p.identity) ?? []), p.path]);
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const face = [...people].find(([id, ps]) => ps.length > 2 && !LOOK_ALIKES.has(id));
const fullReady = ready && !!face;
if (ready && !face) console.warn('SKIPPING the Cameras page live view test: no fixture faces (set GLIMPSE_FIXTURES)');

/**
 * The whole stack (worker, recognizer, matcher, gateway, two capture instances) and a local RTSP camera
 * showing a fixture person: the live view boxes and names them, the person's timeline lists the camera;
 * then the figures of issue 19: takeover after the capture instance holding the camera is killed, recovery
 * after a camera outage (camera back → first recognition), and the CPU of the camera's capture process and
 * ffmpeg at 2 snapshots/s (from /proc).
 */
(fullReady ? describe : describe.skip)('Cameras page live view, failover and outage (full stack, Chromium)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-cameras-live-'));
  const TTL_MS = 3_000;
  const [name, [enrollPhoto, ...shown]] = face ?? ['', ['']];
  const logs: string[] = [];
  /** Recognitions of camera frames: when the test heard them, and when capture took the frame. */
  const events: Array<{ source: string; at: number; capturedAt: number; names: string[] }> = [];
  let stack: any;
  let bus: Bus;
  let rtsp: RtspServer;
  let browser: Browser;
  let mounts: Record<string, string>;
  const fetch = authed(() => stack?.apiKey);
  const camerasNow = async () =>
    ((await (await fetch(`${stack.url}/api/v1/cameras`)).json()) as { items: Camera[] }).items;
  /**
   * When the first frame captured after `t` was recognized with the person in it. Captured, not heard: a
   * frame the killed instance had already sent may still be answered after the kill.
   */
  const recognizedAfter = (cam: string, t: number) =>
    new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no recognition from ${cam} within 60 s`)), 60_000);
      const poll = setInterval(() => {
        const e = events.find((x) => x.source === cam && x.capturedAt > t && x.names.includes(name));
        if (e) (clearInterval(poll), clearTimeout(deadline), resolve(e.at));
      }, 50);
    });
  const cpuSeconds = (pid: number) => {
    try {
      const f = procStat(pid);
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return 0;
    }
  };

  beforeAll(async () => {
    // the person, in a 640x480 10 fps "camera" (two photos other than the enrolled one, 3 s each, for 90 s)
    const video = join(dir, 'lobby.mp4');
    const photos = Array.from({ length: 30 }, (_, i) => shown[i % Math.min(2, shown.length)]);
    slideshow(photos, 3, video, {
      side: 400,
      padColor: 'gray',
      output: ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '10', '-bf', '0'],
    });
    mounts = { '/lobby': video };
    rtsp = await startRtspServer(python!, await freePort(), mounts);
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    const cameraEnv = {
      STREAM_ALLOWED_HOSTS: '127.0.0.1',
      CAMERA_LEASE_TTL_MS: String(TTL_MS),
      CAMERA_BACKOFF_MAX_MS: '2000',
      NETWORK_TIMEOUT_MS: '3000',
    };
    stack = await startStack({
      natsUrl,
      port: 0,
      dataDir: join(dir, 'data'),
      env: { ...cameraEnv, MATCH_RULE: 'nearest' },
      logSink: { write: (t: string) => void logs.push(t) },
    });
    stack.spawn('capture-b', {
      cmd: process.execPath,
      args: [CAPTURE_MAIN],
      env: { ...cameraEnv, NATS_URL: natsUrl, INSTANCE_ID: 'capture-b' },
    });
    bus = await Bus.connect({
      servers: natsUrl,
      name: 'cameras-live-e2e',
      logger: { log() {}, warn() {}, error: console.error },
    });
    bus.subscribe(RecognitionEvent.contract, (p) => {
      events.push({
        source: p.frame.source,
        at: Date.now(),
        capturedAt: Date.parse(p.frame.capturedAt),
        names: p.faces.map((f) => f.personName ?? ''),
      });
    });
    const form = new FormData();
    form.append('name', name);
    form.append('images', new Blob([new Uint8Array(readFile(enrollPhoto))], { type: 'image/jpeg' }), 'enroll.jpg');
    const enrolled = await fetch(`${stack.url}/api/v1/persons`, { method: 'POST', body: form });
    expect(enrolled.status).toBe(201);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await bus?.close();
    await stack?.stop();
    await rtsp?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the camera live with boxes and names, lists it on the timeline, and measures takeover, recovery and CPU', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${stack.url}/#key=${stack.apiKey}`);
    await openCameras(page);
    const form = page.getByTestId('camera-form');
    await form.getByPlaceholder('Front door').fill('Lobby');
    await form.getByPlaceholder(/^rtsp:/).fill(rtsp.url('/lobby'));
    // the server's verdict: 127.0.0.1 is a LAN address, and this operator allowed it
    await page.locator('[data-testid="lan-hint"][data-allowed="true"]').waitFor({ timeout: 15_000 });
    await form.getByRole('button', { name: /add camera/i }).click();
    const row = page.getByTestId('camera-row').filter({ hasText: 'Lobby' });
    await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 60_000 });
    const camId = (await row.getAttribute('data-camera-id'))!;

    // the live view: the camera's frames with the recognized person boxed and named
    await row.getByTestId('camera-watch').click();
    await row.getByTestId('camera-live-frame').waitFor({ timeout: 30_000 });
    await row.locator('[data-testid="overlay"]:not([data-boxes="0"])').waitFor({ timeout: 60_000 });
    await row.getByTestId('camera-feed').filter({ hasText: name }).waitFor({ timeout: 30_000 });
    await row
      .getByTestId('camera-feed')
      .filter({ hasText: /[\d.]+ snapshots\/s recognized/ })
      .waitFor({ timeout: 30_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'cameras-live.png'), fullPage: true });

    // CPU of the camera: its capture process and that process's ffmpeg, over 10 s at 2 snapshots/s
    const holder = (await camerasNow()).find((c) => c.id === camId)!.instance!;
    const holderName = holder === 'capture-b' ? 'capture-b' : 'capture';
    const pid = stack.procs.get(holderName).pid as number;
    const pids = () => [pid, ...(descendants(pid) as number[])];
    const cpu0 = pids().reduce((a, p) => a + cpuSeconds(p), 0);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const cpuPct = (100 * (pids().reduce((a, p) => a + cpuSeconds(p), 0) - cpu0)) / ((performance.now() - t0) / 1000);

    // takeover: SIGKILL the instance holding the camera; the other one runs it within the lease TTL
    const killedAt = Date.now();
    stack.kill(holderName, 'SIGKILL');
    const takeoverMs = (await recognizedAfter(camId, killedAt)) - killedAt;
    const survivor = (await camerasNow()).find((c) => c.id === camId)!.instance;
    expect(survivor).not.toBe(holder);
    expect(takeoverMs).toBeLessThan(TTL_MS + 15_000);

    // outage: the camera goes away (the page says reconnecting), comes back, and is recognized again
    await rtsp.kill();
    await row.and(page.locator('[data-state="reconnecting"]')).waitFor({ timeout: 30_000 });
    rtsp = await startRtspServer(python!, rtsp.port, mounts);
    const backAt = Date.now();
    const recoveryMs = (await recognizedAfter(camId, backAt)) - backAt;
    await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });

    // the person's page: the camera sighting on the timeline, by the camera's name, with its crop
    await page.getByTestId('persons-tab').click();
    await page.getByTestId('person-tile').filter({ hasText: name }).click();
    const entry = page.getByTestId('timeline-entry').filter({ hasText: 'Lobby' }).first();
    await entry.waitFor({ timeout: 30_000 });
    expect(await entry.locator('img').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'person-timeline.png'), fullPage: true });
    await page.getByTestId('timeline-camera').selectOption('upload');
    await page.getByTestId('person-timeline').getByText('Not seen here in this period.').waitFor({ timeout: 15_000 });

    console.log(
      `CAMERA-PAGE takeoverMs=${takeoverMs} recoveryMs=${recoveryMs} cpuPerCameraPct=${cpuPct.toFixed(1)} (1 camera, 2 snapshots/s, 640x480 10 fps H.264, capture process + its ffmpeg)`,
    );
  }, 300_000);
});
