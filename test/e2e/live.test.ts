/**
 * The live camera end to end: headless Chromium publishes a fake camera (a y4m made from fixture
 * photos) over WHIP to the whole stack, started as `npm start` starts it, and the React client
 * shows who it recognizes. Screenshots go to test-artifacts/e2e/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from '@glimpse/testing';
import { fixturePhotos, photosByPerson } from '../support/worker';
import {
  cameraFile,
  cards,
  openCamera,
  overlayState,
  runs,
  screenshot,
  type Camera,
  type Card,
} from './support/browser';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');
import { authed } from '../support/auth';

jest.setTimeout(300_000);

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
// people dlib confuses with someone else in the set at 0.6 (see stack.test.ts)
const LOOK_ALIKES = new Set([
  'ana_palacio',
  'gregg_popovich',
  'heidi_klum',
  'bernard_landry',
  'donna_ralston',
  'andy_north',
  'jessica_simpson',
  'charles_cope',
]);
const people = [...byPerson].filter(([id, ps]) => ps.length > 1 && !LOOK_ALIKES.has(id)).map(([, ps]) => ps);
const describeIf = photos.length ? describe : describe.skip;
if (!photos.length)
  console.warn('\n*** SKIPPING the live-camera e2e tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

const similarityOf = (c: Card) => Number(/[Ss]imilarity (\d+)%/.exec(c.text)?.[1] ?? NaN);

describeIf('live camera in headless Chromium (WHIP → capture → recognizer → page)', () => {
  let stack: any;
  const fetch = authed(() => stack?.apiKey);
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-e2e-live-'));
  const log: string[] = [];
  const cameras: Camera[] = [];
  let aba: string;

  const open = async (y4m: string) => {
    const cam = await openCamera(`${stack.url}/#key=${stack.apiKey}`, y4m);
    cameras.push(cam);
    return cam;
  };
  const start = async (cam: Camera) => {
    await cam.page.click('[data-testid=start-camera]');
    await cam.page.waitForSelector('[data-testid=status-connection][data-state=live]', { timeout: 30_000 });
  };
  const runningLive = async () => {
    const { items } = (await (await fetch(`${stack.url}/api/v1/streams`)).json()) as {
      items: Array<{ id: string; state: string }>;
    };
    return items.filter((s) => s.id.startsWith('live_') && s.state === 'running').length;
  };
  const captureHealthy = async () => {
    const h = await (await fetch(`${stack.url}/healthz`)).json().catch(() => null);
    return h?.checks?.capture?.ok === true;
  };

  beforeAll(async () => {
    const [a, b] = people;
    // A for 4 s, then B, then A again in another photo (Chromium loops the file)
    aba = cameraFile([a[0], b[0], a[1]], 4, join(dir, 'aba.y4m'));
    stack = await startStack({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir: join(dir, 'data'),
      logSink: { write: (s: string) => log.push(s) },
      env: { SESSION_SECRET: 'e2e-live-secret-'.padEnd(48, 'x') },
    });
  }, 240_000);

  afterAll(async () => {
    for (const c of cameras) await c.close();
    await stack?.stop();
    writeFileSync(join(dir, 'stack.log'), log.join(''));
    if (process.env.GLIMPSE_TEST_LOG) writeFileSync(process.env.GLIMPSE_TEST_LOG, log.join(''));
  });

  it('recognizes A as new, then B as new, then A again with the same badge, and boxes the faces', async () => {
    const cam = await open(aba);
    const t0 = Date.now();
    await start(cam);
    const connectedMs = Date.now() - t0;

    const first = await until('the first result card', async () => (await cards(cam.page))[0], {
      timeoutMs: 30_000,
      everyMs: 250,
    });
    const firstMs = Date.now() - t0;
    expect(first).toMatchObject({ isNew: true });
    expect(first.text).toMatch(/^First time seen|^\d+ frames · best similarity \d+%$/);

    // while a face is on screen, boxes are drawn: the page's count and painted pixels on the canvas
    const overlay = await until(
      'a box on the overlay',
      async () => {
        const o = await overlayState(cam.page);
        return o.boxes > 0 && o.painted > 100 ? o : undefined;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
    await screenshot(cam.page, 'live-first-face');

    // one card per sighting, updated in place: A back within the quiet time updates A's card (seen
    // after B's first frame); back after it, A gets a second card, which must then be a match
    const seq = await until(
      'A, then B, then A again',
      async () => {
        const all = await cards(cam.page);
        const [a, b] = runs(all);
        const again = b && all.find((c) => c.personId === a.personId && c.lastSeen > b.firstSeen);
        return again ? { a, b, again, all } : undefined;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    );
    await screenshot(cam.page, 'live-a-b-a');

    const { a, b, again, all } = seq;
    expect(a.isNew).toBe(true);
    expect(b.personId).not.toBe(a.personId);
    expect(b.isNew).toBe(true);
    expect(again.badge).toBe(a.badge);
    expect(a.frames).toBeGreaterThan(1);
    expect(similarityOf(again)).toBeGreaterThan(50);
    // never a second "first time" for A, and a card per sighting rather than per snapshot
    expect(all.filter((c) => c.personId === a.personId && c.isNew)).toHaveLength(1);
    expect(all.length).toBeLessThanOrEqual(3);

    const fps = await cam.page.textContent('[data-testid=status-fps]');
    const latency = await cam.page.textContent('[data-testid=status-latency]');
    console.log(
      `live e2e: connected ${connectedMs} ms after Start, first result ${firstMs} ms after Start; ` +
        `overlay ${overlay.boxes} box(es), ${overlay.painted} px; page shows ${fps} and ${latency}; ${all.length} cards`,
    );

    await cam.page.click('[data-testid=stop-camera]');
    await cam.page.waitForSelector('[data-testid=start-camera]');
    await cam.close();
    cameras.splice(cameras.indexOf(cam), 1);
  });

  it('streams two browsers at once, each seeing only its own results', async () => {
    const [, , c, d] = people;
    const camC = await open(cameraFile([c[0]], 6, join(dir, 'c.y4m')));
    const camD = await open(cameraFile([d[0]], 6, join(dir, 'd.y4m')));
    await Promise.all([start(camC), start(camD)]);
    const [cardsC, cardsD] = await until(
      'results on both pages',
      async () => {
        const both = await Promise.all([cards(camC.page), cards(camD.page)]);
        // one card per sighting: count the frames they show
        const frames = (list: Card[]) => list.reduce((n, x) => n + x.frames, 0);
        return frames(both[0]) >= 3 && frames(both[1]) >= 3 ? both : undefined;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    );
    await screenshot(camC.page, 'live-two-browsers-1');
    await screenshot(camD.page, 'live-two-browsers-2');
    const personsC = new Set(cardsC.map((x) => x.personId));
    const personsD = new Set(cardsD.map((x) => x.personId));
    console.log(
      `live e2e, two browsers: ${cardsC.length} and ${cardsD.length} cards; persons ${[...personsC]} / ${[...personsD]}`,
    );
    expect([...personsC].filter((p) => personsD.has(p))).toEqual([]);
    // each camera shows one person, on one card (one sighting)
    expect(personsC.size).toBe(1);
    expect(personsD.size).toBe(1);
    expect(cardsC).toHaveLength(1);
    expect(cardsD).toHaveLength(1);

    // one browser just goes away (tab closed, no Stop): its stream ends and is freed within 10 s
    expect(await runningLive()).toBe(2);
    const closedAt = Date.now();
    await camC.close();
    cameras.splice(cameras.indexOf(camC), 1);
    await until("the closed tab's stream to end", async () => (await runningLive()) === 1, {
      timeoutMs: 10_000,
      everyMs: 250,
    });
    console.log(`live e2e: closed tab's stream ended ${Date.now() - closedAt} ms after the browser went away`);
    const health = await (await fetch(`${stack.url}/healthz`)).json();
    expect(health.checks.capture.ok).toBe(true);

    await camD.page.click('[data-testid=stop-camera]');
    await until('no live stream left', async () => (await runningLive()) === 0, { timeoutMs: 5_000, everyMs: 250 });
    await camD.close();
    cameras.splice(cameras.indexOf(camD), 1);
  });

  it('tells the user when the capture worker dies mid-stream, and streams again after a restart', async () => {
    const cam = await open(aba);
    await start(cam);
    await until('a result', async () => (await cards(cam.page)).length > 0, { timeoutMs: 30_000, everyMs: 250 });

    const killedAt = Date.now();
    stack.kill('capture');
    const banner = await cam.page.waitForSelector('[data-testid=error-banner]', { timeout: 20_000 });
    await until(
      'the banner to say why',
      async () => /capture worker lost|Connection lost/i.test((await banner.textContent()) ?? ''),
      { timeoutMs: 20_000, everyMs: 250 },
    );
    const text = (await banner.textContent()) ?? '';
    const toldMs = Date.now() - killedAt;
    await cam.page.waitForSelector('[data-testid=start-camera]', { timeout: 20_000 });
    await screenshot(cam.page, 'live-capture-lost');
    console.log(`live e2e: capture killed; the page said "${text.trim()}" after ${toldMs} ms`);

    await stack.restart('capture');
    await until('capture to be healthy again', captureHealthy, { timeoutMs: 60_000, everyMs: 500 });
    const before = (await cards(cam.page)).length;
    await start(cam);
    await until('results again', async () => (await cards(cam.page)).length > before, {
      timeoutMs: 30_000,
      everyMs: 250,
    });
    expect(await cam.page.$('[data-testid=error-banner]')).toBeNull();
    await screenshot(cam.page, 'live-after-restart');
  });
});
