import { z } from 'zod';
import { defineEvent } from '../common/define';
import { frameIdSchema } from '../common/face';

/**
 * Published by every recognizer instance every `intervalMs`, and at once when it receives a frame: the
 * frame ids it holds (queued or in work). A requester that stops hearing its frame id knows within a few
 * intervals that the instance holding it died, and sends the frame again under the same id (the matcher
 * stores a frame id once), instead of waiting for its request timeout.
 */
export const pattern = 'glimpse.recognizer.heartbeat';
export const subjectFor = () => pattern;

/** Most frame ids one heartbeat lists; an instance never holds more (CONCURRENCY + MAX_QUEUE + headroom). */
export const MAX_FRAMES = 20_000;

export const payload = z.strictObject({
  instanceId: z.string().min(1).max(200),
  /** The period of this instance's heartbeats (ms): a listener waits a few of them before calling a frame lost. */
  intervalMs: z.number().int().min(10).max(60_000),
  frames: z.array(frameIdSchema).max(MAX_FRAMES),
});
export type Payload = z.infer<typeof payload>;

export const contract = defineEvent(pattern, subjectFor, payload);
