/**
 * Glimpse on four hosts on one machine (infra/cluster/hosts.sh): network namespaces on a private bridge,
 * host a gateway + capture, hosts b and c a recognizer + Python worker each, host d matcher + Postgres, a
 * NATS JetStream node on a, b and d. Recognition across hosts; host c added at run time takes work; host b
 * killed mid-burst loses no acknowledged face and c takes the load; no traffic leaves the namespaces.
 * Needs root and `ip netns`; skips loudly without them. Prints `MULTIHOST ...` figure lines.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { RecognizerHeartbeat } from '@glimpse/contracts';
import { authed } from '../support/auth';
import { postgresUnavailable } from '../support/postgres';
import { WORKER_DIR, fixturePhotos } from '../support/worker';

jest.setTimeout(200_000);

const ROOT = resolve(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'infra', 'cluster', 'hosts.sh');
// Its own prefix and /24, so a layout an operator brought up with the defaults is left alone.
const PREFIX = 'glimpse-it';
const NET = '10.77.1';
const DIR = join(tmpdir(), 'glimpse-multihost');
const HOST_IP = { a: `${NET}.1`, b: `${NET}.2`, c: `${NET}.3`, d: `${NET}.4` } as const;
type Host = keyof typeof HOST_IP;
const GATEWAY = `http://${HOST_IP.a}:3000`;

const byIdentity = new Map<string, string[]>();
for (const p of fixturePhotos()) byIdentity.set(p.identity, [...(byIdentity.get(p.identity) ?? []), p.path]);
const photos = [...byIdentity.values()].map((paths) => paths[0]);

function whyNot(): string | null {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it)';
  if (spawnSync('ip', ['netns', 'list']).status !== 0) return "'ip netns' is unavailable (install iproute2)";
  if (photos.length < 20) return 'too few fixture faces (set GLIMPSE_FIXTURES)';
  if (!existsSync(join(WORKER_DIR, '.venv', 'bin', 'python')))
    return 'no Python worker venv (bash services/recognizer/worker/setup.sh)';
  return postgresUnavailable();
}
const why = whyNot();
if (why) console.warn(`\n*** SKIPPING the multi-host test (test/integration/multihost.test.ts): ${why} ***\n`);

function hosts(...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    HOSTS_PREFIX: PREFIX,
    HOSTS_SUBNET: NET,
    HOSTS_DIR: DIR,
    HOSTS_EPHEMERAL: '1',
    WORKER_PROCESSES: '1',
    PORT: '3000',
    HOSTS_TIMEOUT_S: '150',
  };
  return new Promise((done, fail) =>
    execFile('bash', [SCRIPT, ...args], { env, timeout: 180_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err
        ? fail(new Error(`hosts.sh ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`))
        : done(stdout + stderr),
    ),
  );
}

const sh = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
const pidsOf = (h: Host) => sh('ip', 'netns', 'pids', `${PREFIX}-${h}`).split('\n').filter(Boolean).sort();
/** A host's long-lived processes (pid and program), without Postgres's per-connection backends. */
function servicesOf(h: Host): string[] {
  const pids = pidsOf(h);
  if (!pids.length) return [];
  return sh('ps', '-o', 'pid=,args=', '-p', pids.join(','))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+ postgres: /.test(l))
    .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
}

interface Face {
  faceId: string | null;
  personId: string | null;
  isNew: boolean;
}

(why ? describe.skip : describe)('Glimpse on four hosts (network namespaces) on one machine', () => {
  let key = '';
  let nc: NatsConnection;
  const fetch = authed(() => key);
  const api = (path: string, init?: RequestInit) =>
    fetch(`${GATEWAY}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  /** Per recognizer instance, when it last reported holding a frame. */
  const busy = new Map<string, number>();
  const seen = new Set<string>();

  async function recognize(path: string): Promise<{ status: number; type: string | null; faces: Face[] }> {
    const res = await api('/api/v1/recognize', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(readFileSync(path)),
    }).catch(() => null);
    if (!res) return { status: 0, type: null, faces: [] };
    const faces = res.status === 200 ? ((await res.json()) as { faces: Face[] }).faces : (await res.text(), []);
    return { status: res.status, type: res.headers.get('content-type'), faces };
  }

  /** `total` uploads, `inflight` at a time; `after(i)` runs once the i-th answer is in. */
  async function burst(total: number, inflight: number, after?: (done: number) => Promise<void> | void) {
    const results: Array<Awaited<ReturnType<typeof recognize>> & { at: number }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next < total) {
          const r = await recognize(photos[next++ % photos.length]);
          results.push({ ...r, at: Date.now() });
          await after?.(results.length);
        }
      }),
    );
    return results;
  }

  beforeAll(async () => {
    await hosts('down'); // whatever a failed earlier run left
    rmSync(DIR, { recursive: true, force: true });
    await hosts('up', 'a', 'b', 'd');
    key = readFileSync(join(DIR, 'admin-api-key'), 'utf8').trim();
    // The test's own client, from this machine's namespace over the bridge, like the HTTP calls.
    nc = await connect({
      servers: [HOST_IP.a, HOST_IP.b, HOST_IP.d].map((ip) => `nats://${ip}:4222`),
      name: 'multihost-it',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const sub = nc.subscribe(RecognizerHeartbeat.pattern);
    void (async () => {
      for await (const m of sub) {
        const beat = RecognizerHeartbeat.payload.safeParse(m.json());
        if (!beat.success) continue;
        seen.add(beat.data.instanceId);
        if (beat.data.frames.length) busy.set(beat.data.instanceId, Date.now());
      }
    })();
  }, 190_000);

  afterAll(async () => {
    await nc?.close();
    // The hosts' logs, for a failed run (CI keeps test-artifacts/).
    const out = join(ROOT, 'test-artifacts', 'multihost');
    if (existsSync(join(DIR, 'logs'))) {
      mkdirSync(out, { recursive: true });
      for (const f of readdirSync(join(DIR, 'logs'))) copyFileSync(join(DIR, 'logs', f), join(out, f));
    }
    await hosts('down');
    rmSync(DIR, { recursive: true, force: true });
  }, 60_000);

  it('recognizes a face uploaded on host a with the recognizer on b and the matcher and Postgres on d', async () => {
    const [identity, paths] = [...byIdentity.entries()].find(([, p]) => p.length >= 2)!;
    const first = await recognize(paths[0]);
    expect(first.status).toBe(200);
    expect(first.faces).toHaveLength(1);
    const second = await recognize(paths[1]);
    expect(second.status).toBe(200);
    expect({ identity, personId: second.faces[0]?.personId, isNew: second.faces[0]?.isNew }).toEqual({
      identity,
      personId: first.faces[0].personId,
      isNew: false,
    });

    const health = await (await api('/healthz')).json();
    expect(health.status).toBe('ok');
    expect(health.checks.nats.detail).toMatch(
      new RegExp(`^gateway via nats-[123] at ${NET.replace(/\./g, '\\.')}\\.[124]:4222$`),
    );
    expect(health.checks.database.detail).toContain(`${HOST_IP.d}:5432/glimpse`);
  });

  it('puts host c to work when it is started at run time, restarting nothing else', async () => {
    const before = { a: servicesOf('a'), b: servicesOf('b'), d: servicesOf('d') };
    expect(pidsOf('c')).toEqual([]);
    await hosts('start', 'c');
    const started = Date.now();
    while (!seen.has('recognizer-c')) {
      if (Date.now() - started > 30_000)
        throw new Error(`no heartbeat from recognizer-c (seen: ${[...seen].join(', ')})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    busy.clear();
    const results = await burst(40, 4);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    console.log(`MULTIHOST add=c busy=${[...busy.keys()].sort().join(',')} uploads=${results.length}`);
    expect([...busy.keys()].sort()).toEqual(['recognizer-b', 'recognizer-c']);
    expect({ a: servicesOf('a'), b: servicesOf('b'), d: servicesOf('d') }).toEqual(before);
    expect(before.a.length + before.b.length + before.d.length).toBeGreaterThanOrEqual(9);
  });

  it('keeps all traffic on the namespaces: bound to host addresses, peers on the bridge or loopback, no route out', () => {
    const inside = (addr: string) =>
      addr.startsWith(`${NET}.`) || addr.startsWith('127.') || addr === '::1' || addr === '::ffff:127.0.0.1';
    const hostOf = (sock: string) => sock.replace(/^\[?(.*?)\]?(%\w+)?:(\d+|\*)$/, '$1');
    for (const h of ['a', 'b', 'c', 'd'] as const) {
      const ns = `${PREFIX}-${h}`;
      expect(sh('ip', '-n', ns, 'route', 'show', 'default').trim()).toBe('');
      expect(
        sh('ip', '-n', ns, '-o', 'link', 'show')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(':')[1].trim().replace(/@.*/, '')),
      ).toEqual(['lo', 'eth0']);
      const sockets = sh('ip', 'netns', 'exec', ns, 'ss', '-Htuanp').split('\n').filter(Boolean);
      expect(sockets.length).toBeGreaterThan(0);
      for (const line of sockets) {
        const [proto, state, , , local, peer] = line.trim().split(/\s+/);
        const where = { host: h, line };
        if (proto === 'tcp' && state === 'LISTEN')
          expect({ ...where, bound: [HOST_IP[h], '127.0.0.1'].includes(hostOf(local)) }).toEqual({
            ...where,
            bound: true,
          });
        else if (!['*', '0.0.0.0', '::'].includes(hostOf(peer)))
          expect({ ...where, inside: inside(hostOf(peer)) }).toEqual({ ...where, inside: true });
      }
    }
    // From this machine's own namespace, only this test process talks to the hosts (over the bridge).
    const fromRoot = sh('ss', '-Htnp', 'state', 'established', 'dst', `${NET}.0/24`).split('\n').filter(Boolean);
    expect(fromRoot.length).toBeGreaterThan(0);
    for (const line of fromRoot)
      expect({ line, ours: line.includes(`pid=${process.pid},`) }).toEqual({ line, ours: true });
  });

  it('loses no acknowledged face when host b dies mid-burst, and host c takes the load', async () => {
    let killedAt = 0;
    let bBusyAtKill = false;
    let kill: Promise<string> | undefined;
    const results = await burst(60, 4, (done) => {
      if (done === 12) {
        killedAt = Date.now();
        bBusyAtKill = Date.now() - (busy.get('recognizer-b') ?? 0) < 1000;
        kill = hosts('stop', 'b');
      }
    });
    await kill;
    expect(pidsOf('b')).toEqual([]);
    const acked = results.filter((r) => r.status === 200).flatMap((r) => r.faces.filter((f) => f.faceId));
    const failed = results.filter((r) => r.status !== 200);
    const after = results.filter((r) => r.at > killedAt);
    const firstOk = after.find((r) => r.status === 200);
    let lostFaces = 0;
    for (const f of acked) if ((await api(`/api/v1/faces/${f.faceId}/crop`)).status !== 200) lostFaces++;
    // Host c takes the load: a second burst once b is gone, so the check does not depend on how long the
    // first one ran on after the kill. flush() waits until this test's own NATS client is back on a
    // living node, since it may have been on b's.
    await nc.flush();
    busy.clear();
    const later = await burst(20, 4);
    const busyAfter = [...busy.keys()].sort();
    console.log(
      `MULTIHOST kill=b uploads=${results.length} acked=${acked.length} failed=${failed.length} (${failed.map((r) => r.status).join(',')}) ` +
        `lostFaces=${lostFaces} answeredAfterKill=${after.length} firstOkAfterKillMs=${firstOk ? firstOk.at - killedAt : -1} bBusyAtKill=${bBusyAtKill} ` +
        `busyAfter=${busyAfter.join(',')} laterOk=${later.filter((r) => r.status === 200).length}/${later.length}`,
    );
    expect(bBusyAtKill).toBe(true); // b held frames when it died: the kill really was mid-burst
    expect(lostFaces).toBe(0);
    expect(after.filter((r) => r.status === 200).length).toBeGreaterThan(10);
    // Anything not answered is a clear problem+json, never a hang or a dropped connection.
    for (const r of failed)
      expect({ status: r.status, type: r.type }).toEqual({ status: 503, type: expect.stringMatching(/problem\+json/) });
    expect(later.map((r) => r.status)).toEqual(later.map(() => 200));
    expect(busyAfter).toEqual(['recognizer-c']);
  });
});
