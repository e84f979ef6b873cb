import { Injectable } from '@nestjs/common';
import { FrameEncode, FrameRecognize, FrameSettle, RecognizerHeartbeat } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';

/** The gateway's bus seam for frames: recognize and encode requests, the recognizers' heartbeats, and settling a frame given up on. */
@Injectable()
export class FramesRepository {
  constructor(@InjectBus() private readonly bus: Bus) {}

  recognize(body: Uint8Array, headers: FrameRecognize.Headers, timeoutMs: number): Promise<FrameRecognize.Reply> {
    return this.bus.requestBinary(FrameRecognize.contract, body, headers, timeoutMs);
  }

  encode(body: Uint8Array, headers: FrameEncode.Headers, timeoutMs: number): Promise<FrameEncode.Reply> {
    return this.bus.requestBinary(FrameEncode.contract, body, headers, timeoutMs);
  }

  /** What became of a frame given up on: stored (with its faces), or abandoned and never to be stored. */
  settle(frameId: string, timeoutMs: number): Promise<FrameSettle.Reply> {
    return this.bus.request(FrameSettle.contract, { frameId }, timeoutMs);
  }

  /** Every recognizer heartbeat, already checked against its contract. */
  onHeartbeat(fn: (beat: RecognizerHeartbeat.Payload) => void): void {
    this.bus.subscribe(RecognizerHeartbeat.contract, fn);
  }
}
