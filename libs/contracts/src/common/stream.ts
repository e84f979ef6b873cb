import { z } from 'zod';

export const streamStateSchema = z.enum(['starting', 'running', 'ended', 'failed', 'stopped']);
export type StreamState = z.infer<typeof streamStateSchema>;

export const streamSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  url: z.string(),
  fps: z.number().positive(),
  state: streamStateSchema,
  error: z.string().nullable(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().nullable(),
  framesCaptured: z.number().int().nonnegative(),
  framesSkipped: z.number().int().nonnegative(),
  framesProcessed: z.number().int().nonnegative(),
  framesFailed: z.number().int().nonnegative(),
  /** Extra attempts at frames after a transient failure (a recognizer or matcher gone); absent from older capture instances. */
  framesRetried: z.number().int().nonnegative().optional(),
  /** Which capture instance owns the stream. */
  instance: z.string(),
});
export type Stream = z.infer<typeof streamSchema>;
