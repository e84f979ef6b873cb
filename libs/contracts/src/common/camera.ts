import { z } from 'zod';

/** A camera's id; it is also the id of the stream that runs it (`glimpse.recognition.<id>`). */
export const cameraIdSchema = z.string().regex(/^cam_[A-Za-z0-9_-]{1,60}$/, 'expected a camera id (cam_…)');

/** How a camera's video is decoded: see `decode` below. */
export const cameraDecodeSchema = z.enum(['all', 'keyframes']);
export type CameraDecode = z.infer<typeof cameraDecodeSchema>;

/** Settings an operator chooses; `url` may carry a user and password, which are never shown back. */
export const cameraSettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  url: z.string().min(1).max(2048),
  /** Snapshots per second. */
  fps: z.number().gt(0).max(30).default(2),
  /** A paused camera keeps its settings but runs nowhere. */
  enabled: z.boolean().default(true),
  /** Match threshold for this camera's frames; the matcher's own when null. */
  threshold: z.number().gt(0).lt(2).nullable().default(null),
  /** RTSP only: media interleaved on the TCP connection (works through NAT and firewalls) or RTP over UDP. */
  transport: z.enum(['tcp', 'udp']).default('tcp'),
  /**
   * `all`: decode every frame and keep `fps` of them (works with any camera). `keyframes`: decode only key
   * frames (much cheaper), so at most one snapshot per GOP: use it when the camera sends a key frame at
   * least every 1/fps seconds (its "I-frame interval" setting).
   */
  decode: cameraDecodeSchema.default('all'),
});
export type CameraSettings = z.infer<typeof cameraSettingsSchema>;

/** What the cameras KV bucket holds per camera (the full URL, credentials included). */
export const storedCameraSchema = cameraSettingsSchema.extend({
  id: cameraIdSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type StoredCamera = z.infer<typeof storedCameraSchema>;

/**
 * paused: disabled; pending: enabled but no capture instance holds it yet; starting/running: its stream
 * runs on `instance`; reconnecting: the source failed and is retried with backoff (`error` says why).
 */
export const cameraStateSchema = z.enum(['paused', 'pending', 'starting', 'running', 'reconnecting']);
export type CameraState = z.infer<typeof cameraStateSchema>;

/** A capture instance's claim on a camera, renewed while it runs it; the entry expires when it stops renewing. */
export const cameraLeaseSchema = z.strictObject({
  instance: z.string().min(1),
  state: z.enum(['starting', 'running', 'reconnecting']),
  error: z.string().nullable(),
  /** When the camera entered `state`. */
  since: z.iso.datetime(),
  /** Reconnect attempts since the stream last delivered frames. */
  attempts: z.number().int().nonnegative(),
});
export type CameraLease = z.infer<typeof cameraLeaseSchema>;

/** A camera as the API shows it: the URL redacted (`rtsp://user:***@host/…`), its live state merged in. */
export const cameraSchema = storedCameraSchema.extend({
  state: cameraStateSchema,
  /** The capture instance running it, if any. */
  instance: z.string().nullable(),
  error: z.string().nullable(),
  since: z.iso.datetime().nullable(),
});
export type Camera = z.infer<typeof cameraSchema>;
