import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraSettingsSchema } from '../common/camera';

/**
 * "Test connection": one capture instance opens the URL (same stream policy as cameras), waits for one
 * frame and answers it as a small JPEG. Nothing is stored or recognized.
 */
export const subject = 'glimpse.capture.cameras.probe';
export const queue = 'capture';

export const request = z.strictObject({
  url: cameraSettingsSchema.shape.url,
  transport: z.enum(['tcp', 'udp']).default('tcp'),
});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Time from opening the URL to the first frame (ms). */
  ms: z.number().int().nonnegative(),
  /** The frame, a JPEG at most PROBE_WIDTH pixels wide, base64. */
  jpegBase64: z.string(),
});
export type Reply = z.infer<typeof reply>;

/** Probe snapshots are scaled down to this width: small enough for any NATS max_payload. */
export const PROBE_WIDTH = 640;

export const contract = defineRequest(subject, request, reply);
