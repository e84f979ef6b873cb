import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from '@glimpse/contracts';
import { baseEnv, envBool, envInt, envNumber, loadConfig } from '@glimpse/platform';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));

export const recognizerEnv = baseEnv.extend({
  /** Comma-separated base URLs of Python workers; healthy ones are used first, the rest as fallbacks. */
  WORKER_URLS: z
    .string()
    .default('http://127.0.0.1:8500')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(httpUrl).min(1, 'at least one worker URL is needed')),
  /** Time one worker call may take (ms) before the next URL is tried. */
  WORKER_TIMEOUT_MS: envInt(30_000, 100, 600_000),
  /** How often (ms) unhealthy worker URLs are pinged so that they rejoin; 0 turns it off. */
  WORKER_PING_INTERVAL_MS: envInt(10_000, 0),
  /**
   * Face detector: blaze (BlazeFace, ~6 ms per frame on a CPU; HOG stands in if the worker lacks it), hog
   * (face_recognition's default), or cnn (needs a CUDA build of dlib in the worker).
   */
  DETECTOR: z.enum(['blaze', 'hog', 'cnn']).default('blaze'),
  /** Detector upsampling steps: each finds smaller faces and costs about 4x. */
  UPSAMPLE: envInt(1, 0, 3),
  /**
   * Detect faces on a copy of the frame shrunk to this longest side (pixels), then encode from the full
   * frame; 0 detects on the full frame. The smallest face found grows by the shrink factor.
   */
  DETECT_MAX_SIDE: envInt(400, 0, 8192),
  /**
   * ...but never shrink by more than this factor, so faces down to ~40 px / factor (80 px at 0.5, with
   * UPSAMPLE 1) are still found on large frames. Chosen on the fixture set: see docs/performance.md.
   */
  DETECT_MIN_SCALE: envNumber(0.5, 0.05, 1),
  /**
   * Follow each stream's faces across snapshots in the worker and reuse the encoding of a face that stays
   * in place and looks the same (re-encoded at least every 2 s); uploads are never tracked.
   */
  TRACKING: envBool(true),
  /** Re-samples per face encoding. */
  JITTERS: envInt(1, 1, 20),
  /** Frames (FrameRecognize + FrameEncode) one instance works on at once: about twice its worker processes, so none waits on the matcher. */
  CONCURRENCY: envInt(4, 1, 64),
  /**
   * Frames that may wait for a CONCURRENCY slot; one more is refused at once (SERVICE_UNAVAILABLE,
   * counted as shed) instead of queueing without bound. Default 4 x CONCURRENCY: a frame then waits
   * at most about four frame times. 0: never wait.
   */
  MAX_QUEUE: z.coerce.number().int().min(0).max(10_000).optional(),
  /**
   * Period (ms) of this instance's heartbeat (glimpse.recognizer.heartbeat, listing the frame ids it holds):
   * a requester calls a frame lost after a few missed beats and sends it again, instead of waiting out its timeout.
   */
  HEARTBEAT_INTERVAL_MS: envInt(500, 50, 10_000),
  /** How long the matcher may take to answer (ms). */
  MATCH_TIMEOUT_MS: envInt(5_000, 100, 600_000),
  /** Serve Prometheus metrics on this port at /metrics; 0 (default) serves none, since several instances share a host. */
  METRICS_PORT: envInt(0, 0, 65535),
  /** Start the Python worker as a child process serving the first WORKER_URLS entry, restarting it if it dies. */
  WORKER_SPAWN: envBool(false),
  /** Folder holding the worker's `app` package and `.venv` (used with WORKER_SPAWN). */
  WORKER_DIR: z
    .string()
    .min(1)
    .default(resolve(__dirname, '..', 'worker')),
  /** Interpreter for WORKER_SPAWN; default `<WORKER_DIR>/.venv/bin/python`. */
  WORKER_PYTHON: z.string().min(1).optional(),
});

export type RecognizerConfig = z.infer<typeof recognizerEnv> & {
  INSTANCE_ID: string;
  WORKER_PYTHON: string;
  MAX_QUEUE: number;
};

export const RECOGNIZER_CONFIG = Symbol('RecognizerConfig');

export function loadRecognizerConfig(env: NodeJS.ProcessEnv = process.env): RecognizerConfig {
  const cfg = loadConfig(recognizerEnv, env);
  return {
    ...cfg,
    INSTANCE_ID: cfg.INSTANCE_ID ?? `recognizer-${hostname()}-${process.pid}`,
    MAX_QUEUE: cfg.MAX_QUEUE ?? 4 * cfg.CONCURRENCY,
    WORKER_PYTHON: cfg.WORKER_PYTHON ?? join(cfg.WORKER_DIR, '.venv', 'bin', 'python'),
  };
}
