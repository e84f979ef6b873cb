import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from '@glimpse/contracts';
import { baseEnv, envBool, envInt, loadConfig, loadParts } from '@glimpse/platform';
import { loadOpenViduCaptureConfig, type OpenViduCaptureConfig } from './openvidu/openvidu.config';
import { Cidr, isHostName } from './ip-ranges';

export const SOURCE_SCHEMES = ['rtsp', 'rtsps', 'http', 'https', 'file'] as const;
export type SourceScheme = (typeof SOURCE_SCHEMES)[number];

/** ffmpeg demuxers a stream may use by default: containers and camera formats, no playlists (hls, concat). */
export const DEFAULT_STREAM_FORMATS =
  'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,avi,flv,mjpeg,mpjpeg,h264,hevc,mpeg,asf,ogg,rtsp';

/** A comma-separated list: blanks dropped, each item trimmed. */
const csv = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

export const captureEnv = baseEnv.extend({
  /** Snapshots per second when a StreamStart request does not say. */
  SNAPSHOT_FPS: z.coerce.number().gt(0).max(30).default(2),
  /** Wider frames are scaled down to this width (pixels), keeping the aspect ratio. */
  MAX_FRAME_WIDTH: envInt(1280, 16, 8192),
  /** A running stream that yields no frame for this long (ms) fails as stalled. */
  STALL_TIMEOUT_MS: envInt(15_000, 1_000),
  /** Socket I/O timeout (ms) handed to ffmpeg for RTSP/HTTP sources. */
  NETWORK_TIMEOUT_MS: envInt(10_000, 1_000),
  /** How long one frame may wait for its FrameRecognize reply (ms). */
  RECOGNIZE_TIMEOUT_MS: envInt(30_000, 100),
  /** Period (ms) of StreamStatus events while a stream runs. */
  STATUS_INTERVAL_MS: envInt(2_000, 100),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  /** Streams one instance runs at once; more are refused with SERVICE_UNAVAILABLE. */
  MAX_STREAMS: envInt(16, 1),
  /** Finished streams remembered for StreamList. */
  KEEP_FINISHED_STREAMS: envInt(100, 0),
  /** Longest wait (ms) for our ICE candidates before a WHIP answer is sent without the missing ones. */
  WEBRTC_ICE_GATHER_TIMEOUT_MS: envInt(3_000, 100, 60_000),
  /** A WebRTC publisher that sends no video within this long (ms) of its offer fails. */
  WEBRTC_CONNECT_TIMEOUT_MS: envInt(10_000, 1_000),
  /** A WebRTC stream whose video stops for this long (ms) ends: tab closed, network lost. */
  WEBRTC_FRAME_TIMEOUT_MS: envInt(5_000, 500),
  /** UDP ports for WebRTC media, `min-max` (e.g. 40000-40100 behind a firewall); any free port when unset. */
  WEBRTC_PORT_RANGE: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, 'expected min-max, e.g. 40000-40100')
    .transform((v) => v.split('-').map(Number) as [number, number])
    .refine(([min, max]) => min >= 1 && max <= 65535 && min <= max, 'expected 1 <= min <= max <= 65535')
    .optional(),
  /**
   * An address publishers reach this instance at when its own is not (Docker, 1:1 NAT): each UDP
   * host candidate is also announced with it, same port, so publish WEBRTC_PORT_RANGE 1:1.
   */
  WEBRTC_ANNOUNCED_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** Serve Prometheus metrics on this port at /metrics; 0 (default) serves none. */
  METRICS_PORT: envInt(0, 0, 65535),
  /** URL schemes StreamStart accepts; `file` (also bare absolute paths) only when listed, and then under STREAM_FILE_ROOTS. */
  STREAM_ALLOWED_SCHEMES: csv('rtsp,rtsps,http,https').pipe(
    z
      .array(z.enum(SOURCE_SCHEMES, { message: `expected a comma-separated list of ${SOURCE_SCHEMES.join(', ')}` }))
      .min(1),
  ),
  /** Whether stream hosts may be (or resolve to) loopback, private, link-local, CGNAT or multicast addresses. */
  STREAM_ALLOW_PRIVATE: envBool(false),
  /** Host names and addresses/CIDRs allowed even though private (a camera on the LAN): `cam1.lan,192.168.1.0/24`. */
  STREAM_ALLOWED_HOSTS: csv('').pipe(
    z.array(
      z.string().refine((h) => Cidr.parse(h) !== undefined || isHostName(h), 'expected host names, addresses or CIDRs'),
    ),
  ),
  /** Directories file sources may come from (symlinks resolved); the gateway's UPLOAD_DIR belongs here. */
  STREAM_FILE_ROOTS: csv('').transform((dirs) => dirs.map((d) => resolve(d))),
  /** ffmpeg demuxers streams may use (`-format_whitelist`); `hls` lets a playlist pull segments from any host. */
  STREAM_FORMATS: csv(DEFAULT_STREAM_FORMATS).pipe(
    z.array(z.string().regex(/^[a-z0-9_]+$/, 'expected ffmpeg demuxer names')).min(1),
  ),
  /** A stream ends after this many seconds (wall clock); 0 = no limit. */
  STREAM_MAX_DURATION_S: envInt(0, 0),
  /**
   * A capture instance's claim on a camera expires this long (ms) after its last renewal; another instance
   * then takes the camera over. Renewals run every fifth of it. Every instance must use the same value.
   */
  CAMERA_LEASE_TTL_MS: envInt(5_000, 1_000, 60_000),
  /** Longest pause (ms) between reconnect attempts of a failing camera (the pause doubles from 1 s up to this). */
  CAMERA_BACKOFF_MAX_MS: envInt(30_000, 1_000),
  /** JPEG quality (0–1) of WebRTC snapshots. */
  JPEG_QUALITY: z.coerce.number().gt(0).max(1).default(0.8),
});

export type CaptureConfig = z.infer<typeof captureEnv> & {
  INSTANCE_ID: string;
  /** OPENVIDU_* (see openvidu/openvidu.config.ts). */
  openvidu: OpenViduCaptureConfig;
};

export const CAPTURE_CONFIG = Symbol('CaptureConfig');

export function loadCaptureConfig(env: NodeJS.ProcessEnv = process.env): CaptureConfig {
  const { cfg, openvidu } = loadParts({
    cfg: () => loadConfig(captureEnv, env),
    openvidu: () => loadOpenViduCaptureConfig(env),
  });
  return { ...cfg, INSTANCE_ID: cfg.INSTANCE_ID ?? `capture-${hostname()}-${process.pid}`, openvidu };
}
