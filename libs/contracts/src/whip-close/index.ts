import { z } from 'zod';
import { defineRequest } from '../common/define';
import { streamSchema } from '../common/stream';
import { resourceIdSchema, sessionIdSchema } from '../whip-offer';

/** Ends a WHIP session. Every capture instance hears it; only the owner answers (scatter-gather). */
export const subject = 'glimpse.capture.whip.close';
export const queue = undefined;

export const request = z.strictObject({ sessionId: sessionIdSchema, resourceId: resourceIdSchema });
export type Request = z.infer<typeof request>;

/** The stream, stopped. */
export const reply = streamSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
