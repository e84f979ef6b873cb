// The cost of IP cameras (issue 19): N RTSP cameras served by the local GStreamer RTSP server
// (test/support/rtsp-server.py), run by one capture process (built dist/) at `fps` snapshots/s each, for
// each decode strategy: `all` (decode every frame, the fps filter keeps 2/s; low-delay flags) and
// `keyframes` (decode key frames only; the test video has one every 0.5 s, so 2/s still come out).
// CPU per camera = (capture's node process + its ffmpeg children) from /proc over the measured window.
// Frames go to a stand-in recognizer that answers at once: this measures capture, not recognition.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { r1 } from './drive.mjs';
import { table } from './report.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CAPTURE_MAIN = join(ROOT, 'services/capture/dist/main.js');
const RTSP_SERVER = join(ROOT, 'test/support/rtsp-server.py');
const { descendants, procStat } = require('./soak-util.js');
const { freePort } = require('../infra/scripts/stack.js');
const { testPattern } = require('../test/support/test-pattern.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the cameras send: 1280x720 at 20 fps, H.264 without B-frames at ~2 Mb/s, a key frame every 10 frames. */
export const CAMERA_VIDEO = { width: 1280, height: 720, fps: 20, gop: 10, kbps: 2000 };

function rtspPython() {
  const probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
  return [process.env.RTSP_PYTHON, '/usr/bin/python3', 'python3']
    .filter(Boolean)
    .find((p) => spawnSync(p, ['-c', probe], { stdio: 'ignore' }).status === 0);
}

/** user+system CPU seconds of `pid` (0 once it is gone). */
function cpuSeconds(pid, hz) {
  try {
    const f = procStat(pid);
    return (Number(f[11]) + Number(f[12])) / hz;
  } catch {
    return 0;
  }
}

/** A child that resolves once `ready` appears in its output; its log is kept for errors. */
async function startChild(name, cmd, args, env, ready, timeoutMs = 30_000) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`${name} did not start within ${timeoutMs} ms:\n${out.slice(-2000)}`)),
      timeoutMs,
    );
    const on = (b) => {
      out = (out + b.toString()).slice(-20_000);
      if (ready.test(out)) (clearTimeout(timer), res());
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once(
      'exit',
      (code) => (clearTimeout(timer), rej(new Error(`${name} exited with ${code}:\n${out.slice(-2000)}`))),
    );
  });
  child.removeAllListeners('exit');
  return { child, log: () => out };
}

const stop = async (c) => {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(t);
};

/** Waits for `fn` to return a truthy value, polling every 200 ms. */
async function until(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * @param {{ cameras?: number, fps?: number, seconds?: number, log?: (m: string) => void }} o
 * @returns {Promise<null | { video: object, cameras: number, fps: number, seconds: number, strategies: object[] }>}
 *   null (with a loud log line) when the RTSP server's Python bindings or the built capture service are missing.
 */
export async function benchCameras({
  cameras = 8,
  fps = 2,
  seconds = 15,
  log = (m) => process.stderr.write(`cameras: ${m}\n`),
} = {}) {
  const python = rtspPython();
  const missing = [
    !python && 'python3-gi with GStreamer rtsp-server (prepare.sh --dev)',
    !existsSync(CAPTURE_MAIN) && `${CAPTURE_MAIN} (build first)`,
  ].filter(Boolean);
  if (missing.length) {
    log(`SKIPPING the camera cost bench, missing: ${missing.join(', ')}`);
    return null;
  }
  const { Bus } = require('../libs/platform/dist');
  const { CameraCreate, CameraDelete, CameraList, FrameRecognize } = require('../libs/contracts/dist');
  const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-cameras-'));
  const procs = [];
  let bus;
  try {
    const v = CAMERA_VIDEO;
    const video = join(dir, 'cam.mp4');
    // every RTSP client plays the file from its start: long enough for one strategy's run
    const duration = seconds + 25;
    testPattern(video, {
      size: `${v.width}x${v.height}`,
      fps: v.fps,
      seconds: duration,
      output: [
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-bf',
        '0',
        '-g',
        String(v.gop),
        '-keyint_min',
        String(v.gop),
        '-sc_threshold',
        '0',
        '-b:v',
        `${v.kbps}k`,
        '-maxrate',
        `${v.kbps}k`,
        '-bufsize',
        `${v.kbps}k`,
      ],
    });
    const natsPort = await freePort();
    const nats = await startChild(
      'nats-server',
      process.env.NATS_SERVER_BIN || 'nats-server',
      ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', join(dir, 'js')],
      {},
      /Server is ready/,
    );
    procs.push(nats);
    const rtspPort = await freePort();
    const rtsp = await startChild(
      'rtsp server',
      python,
      [RTSP_SERVER, '--port', String(rtspPort), `/cam=${video}`],
      {},
      /READY/,
    );
    procs.push(rtsp);
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    bus = await Bus.connect({ servers: natsUrl, name: 'bench-cameras', logger: { log() {}, warn() {}, error() {} } });
    const frames = new Map();
    bus.handleBinary(
      FrameRecognize.contract,
      async ({ headers }) => {
        const source = headers['Glimpse-Source'];
        frames.set(source, (frames.get(source) ?? 0) + 1);
        return {
          frame: {
            source,
            seq: headers['Glimpse-Seq'],
            capturedAt: headers['Glimpse-Captured-At'],
            width: 640,
            height: 360,
          },
          faces: [],
          timings: {},
          processedBy: 'stand-in',
        };
      },
      { queue: FrameRecognize.queue },
    );
    const capture = await startChild(
      'capture',
      process.execPath,
      [CAPTURE_MAIN],
      {
        NATS_URL: natsUrl,
        INSTANCE_ID: 'capture-bench',
        STREAM_ALLOWED_HOSTS: '127.0.0.1',
        LOG_LEVEL: 'info',
        METRICS_PORT: '0',
        MAX_STREAMS: String(Math.max(16, cameras)),
      },
      /ready/i,
    );
    procs.push(capture);

    const strategies = [];
    for (const decode of ['all', 'keyframes']) {
      log(`${cameras} cameras at ${fps}/s, decode ${decode}`);
      const ids = [];
      for (let i = 0; i < cameras; i++) {
        const cam = await bus.request(
          CameraCreate.contract,
          { name: `bench ${decode} ${i + 1}`, url: `rtsp://127.0.0.1:${rtspPort}/cam`, fps, decode },
          10_000,
        );
        ids.push(cam.id);
      }
      await until(
        'every camera running',
        async () => {
          const { items } = await bus.request(CameraList.contract, {}, 10_000);
          return ids.every((id) => items.find((c) => c.id === id)?.state === 'running');
        },
        60_000,
      );
      await sleep(3_000); // past the first key frame and ffmpeg's start-up
      const pid = capture.child.pid;
      const children = descendants(pid);
      const ffmpegPids = children.filter((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'ffmpeg');
      const sample = () => ({
        at: performance.now(),
        node: cpuSeconds(pid, hz),
        ffmpeg: ffmpegPids.reduce((a, p) => a + cpuSeconds(p, hz), 0),
        rtsp: [rtsp.child.pid, ...descendants(rtsp.child.pid)].reduce((a, p) => a + cpuSeconds(p, hz), 0),
        nats: cpuSeconds(nats.child.pid, hz),
        frames: ids.reduce((a, id) => a + (frames.get(id) ?? 0), 0),
      });
      const a = sample();
      await sleep(seconds * 1000);
      const b = sample();
      const s = (b.at - a.at) / 1000;
      const pct = (k) => (100 * (b[k] - a[k])) / s; // % of one core
      const snapshots = (b.frames - a.frames) / s;
      const row = {
        decode,
        ffmpegProcesses: ffmpegPids.length,
        snapshotsPerS: r1(snapshots),
        snapshotsPerCameraPerS: r1(snapshots / cameras),
        cpuPerCameraPct: r1((pct('node') + pct('ffmpeg')) / cameras),
        ffmpegPerCameraPct: r1(pct('ffmpeg') / cameras),
        capturePct: r1(pct('node')),
        cpuMsPerSnapshot: r1((1000 * (b.node - a.node + b.ffmpeg - a.ffmpeg)) / (b.frames - a.frames || 1)),
        rtspServerPct: r1(pct('rtsp')),
        natsPct: r1(pct('nats')),
      };
      log(JSON.stringify(row));
      strategies.push(row);
      for (const id of ids) await bus.request(CameraDelete.contract, { id }, 10_000);
      await until('the ffmpeg processes gone', () => ffmpegPids.every((p) => !existsSync(`/proc/${p}`)), 30_000);
    }
    return {
      video: { ...CAMERA_VIDEO, codec: 'H.264', source: 'GStreamer rtsp-server, RTSP over TCP' },
      cameras,
      fps,
      seconds,
      clockTicks: hz,
      strategies,
    };
  } finally {
    await bus?.close().catch(() => undefined);
    for (const p of procs.reverse()) await stop(p.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const label = (decode) =>
  decode === 'all' ? 'all frames, fps filter, low-delay flags' : 'key frames only (-skip_frame nokey)';

/** The title and markdown table of a benchCameras result. */
export function camerasTable(r) {
  const v = r.video;
  const title = `IP cameras: ${r.cameras} RTSP cameras at ${r.fps} snapshots/s each on one capture process (${v.width}x${v.height} ${v.fps} fps H.264, a key frame every ${v.gop} frames, ${v.kbps} kb/s, from the local GStreamer RTSP server; stand-in recognizer; ${r.seconds} s measured; CPU in % of one core from /proc)`;
  const rows = r.strategies.map((s) => [
    label(s.decode),
    s.snapshotsPerCameraPerS,
    s.cpuPerCameraPct,
    s.ffmpegPerCameraPct,
    s.capturePct,
    s.cpuMsPerSnapshot,
    s.rtspServerPct,
  ]);
  return {
    title,
    markdown: table(
      [
        'decode',
        'snapshots/s per camera',
        'CPU per camera %',
        'of which ffmpeg %',
        'capture node process %',
        'CPU ms per snapshot',
        'RTSP server %',
      ],
      rows,
    ),
  };
}

/** A section of `npm run bench` (bench/run.mjs runs every ROW_MODULES entry that exports this; BENCH_ONLY=cameras alone). */
export async function benchSection(ctx) {
  const r = await benchCameras({ seconds: ctx.quick ? 8 : 15, log: (m) => ctx.log(`cameras: ${m}`) });
  if (!r)
    return {
      title: 'IP cameras',
      markdown: '(skipped: no GStreamer RTSP server bindings or no built capture service; see the log)',
      data: null,
      targets: [],
    };
  const { title, markdown } = camerasTable(r);
  return {
    title,
    markdown,
    data: r,
    targets: r.strategies.map((s) => ({
      target: `CPU per camera, ${r.cameras} cameras at ${r.fps} snapshots/s on ${cpus().length} cores, ${label(s.decode)}`,
      measured: `${s.cpuPerCameraPct} % of a core (${s.snapshotsPerCameraPerS} snapshots/s per camera)`,
      met: null,
    })),
  };
}

// `node bench/cameras.mjs`: this section alone
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchSection({ quick: process.env.BENCH_QUICK === '1', log: (m) => process.stderr.write(`${m}\n`) })
    .then((s) => console.log(`\n${s.title}\n\n${s.markdown}\n`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
