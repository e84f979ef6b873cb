import type * as Wrtc from '@roamhq/wrtc';
import type * as CanvasLib from 'canvas';

export type WrtcModule = typeof Wrtc;
export type CanvasModule = typeof CanvasLib;

let wrtcModule: WrtcModule | undefined;
let canvasModule: CanvasModule | undefined;

/*
 * Both native libraries load on first use, so a capture instance that never sees a WebRTC
 * publisher (or a test of the ffmpeg path) does not pay for them.
 */

export function wrtc(): WrtcModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (wrtcModule ??= require('@roamhq/wrtc') as WrtcModule);
}

export function canvas(): CanvasModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (canvasModule ??= require('canvas') as CanvasModule);
}

/** A decoded video frame as `RTCVideoSink` delivers it: I420 planes, one after the other. */
export interface I420Frame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Bytes of an I420 frame of this size (chroma planes are half size, rounded up). */
export const i420Bytes = (width: number, height: number) =>
  width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
