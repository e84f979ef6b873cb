import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraSettingsSchema } from '../common/camera';

/**
 * Whether capture's stream policy lets a camera URL through, without opening it: the scheme, and for a
 * network URL its host (resolved) against STREAM_ALLOWED_HOSTS / STREAM_ALLOW_PRIVATE. For the Cameras
 * page, which explains why a LAN camera needs the operator's allow-list.
 */
export const subject = 'glimpse.capture.cameras.check';
export const queue = 'capture';

export const request = z.strictObject({ url: cameraSettingsSchema.shape.url });
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({
  /** The URL's host (no credentials); null for files and URLs without one. */
  host: z.string().nullable(),
  /** The host is (or resolves to) a loopback, private, link-local or similar address: a LAN camera. */
  private: z.boolean(),
  /** Capture would open this URL. */
  allowed: z.boolean(),
  /** Why not (never holding the password); null when allowed. */
  reason: z.string().nullable(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
