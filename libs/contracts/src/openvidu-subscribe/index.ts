import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema } from '../common/face';

/**
 * OpenVidu mode: the gateway has created an OpenVidu session and a SUBSCRIBER connection; one
 * capture instance (queue group `capture`) joins that session over OpenVidu's JSON-RPC WebSocket
 * and subscribes to the browser's camera once it is published. It answers as soon as it has
 * joined the room, so a bad token or an unreachable OpenVidu fails the session request; frames
 * flow later, under `streamId`, exactly as for any other stream.
 */
export const subject = 'glimpse.capture.openvidu.subscribe';
export const queue = 'capture';

export const request = z.strictObject({
  /** The Glimpse stream the frames are recognized under (FrameRecognize `Glimpse-Source`). */
  streamId: sourceSchema,
  /** The SUBSCRIBER connection token: `wss://host[:port]?sessionId=ses_…&token=tok_…`. */
  subscriberToken: z.url().max(4096),
  /**
   * The OpenVidu URL the gateway reached; when set, the WebSocket goes to this host instead of
   * the one in the token (inside Docker the token names the public address).
   */
  serverUrl: z.url().max(2048).optional(),
  /** Match threshold for this stream's frames (FrameRecognize `Glimpse-Threshold`). */
  threshold: z.number().gt(0).lt(2).optional(),
  /** Snapshots per second; the capture instance's SNAPSHOT_FPS when absent. */
  fps: z.number().gt(0).max(30).optional(),
});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  streamId: sourceSchema,
  /** Which capture instance joined. */
  instance: z.string(),
  /** The capture worker's OpenVidu connection id. */
  connectionId: z.string(),
  /** True when the browser had already published, so subscribing started at once. */
  publisherFound: z.boolean(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
