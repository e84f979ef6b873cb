import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema } from '../common/face';
import { streamSchema } from '../common/stream';

/**
 * A WHIP publisher's SDP offer, handed by the gateway to one capture instance (queue group `capture`),
 * which answers with its own peer connection and runs the stream until the publisher goes away.
 */
export const subject = 'glimpse.capture.whip.offer';
export const queue = 'capture';

/** Largest SDP offer accepted, in bytes (a browser's is 3–10 KiB). */
export const MAX_SDP_BYTES = 64 * 1024;

export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
export const resourceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

export const request = z.strictObject({
  sessionId: sessionIdSchema,
  /** The stream id the session was given; recognitions are published under it. */
  streamId: sourceSchema,
  sdp: z.string().min(1).max(MAX_SDP_BYTES),
  /** Match threshold for this stream's frames (the matcher's default when absent). */
  threshold: z.number().gt(0).lt(2).optional(),
});
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({
  /** The SDP answer, with every local ICE candidate in it (no trickle). */
  sdp: z.string().min(1),
  /** Names the WHIP resource, for WhipClose. */
  resourceId: resourceIdSchema,
  /** The capture instance that owns the stream. */
  instance: z.string(),
  stream: streamSchema,
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
