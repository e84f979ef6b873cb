import { z } from 'zod';
import { defineRequest } from '../common/define';
import { frameIdSchema, recognizedFaceSchema } from '../common/face';

/**
 * A requester gives up on a frame it sent with `Glimpse-Store: true` and asks what became of it: if the
 * frame was stored, the reply it got (so the requester can answer with it after all); if not, the matcher
 * records the frame id as abandoned, and a MatchFaces for it arriving later (from an instance that held it
 * while the requester gave up) stores nothing. Either way, a failure answered to a client stored nothing.
 * Queue group `matcher`.
 */
export const subject = 'glimpse.matcher.frames.settle';
export const queue = 'matcher';

export const request = z.strictObject({ frameId: frameIdSchema });
export type Request = z.infer<typeof request>;

export const reply = z.discriminatedUnion('state', [
  z.strictObject({ state: z.literal('stored'), faces: z.array(recognizedFaceSchema) }),
  z.strictObject({ state: z.literal('abandoned') }),
]);
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
