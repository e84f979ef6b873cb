import { z } from 'zod';
import { defineEvent } from '../common/define';
import { cameraIdSchema } from '../common/camera';

/**
 * A camera went away (`camera.offline`: its stream failed, reconnects with backoff) or delivers frames again
 * (`camera.online`), published by the capture instance running it. Core NATS: subscribe to the pattern.
 */
export const pattern = 'glimpse.camera.status.*';
export const subjectFor = (cameraId: string) => `glimpse.camera.status.${cameraId}`;

export const payload = z.strictObject({
  /** Unique per transition: `<type>:<cameraId>:<at>`. */
  id: z.string().min(1).max(200),
  type: z.enum(['camera.offline', 'camera.online']),
  cameraId: cameraIdSchema,
  name: z.string(),
  /** Redacted: `rtsp://user:***@host/…`. */
  url: z.string(),
  instance: z.string(),
  /** Why it went offline (redacted); null when online. */
  error: z.string().nullable(),
  /** Reconnect attempts so far (0 when online). */
  attempts: z.number().int().nonnegative(),
  at: z.iso.datetime(),
});
export type Payload = z.infer<typeof payload>;

export const contract = defineEvent(pattern, subjectFor, payload);
