import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ErrorCode, FrameEncode, FrameRecognize, RecognizedFace } from '@glimpse/contracts';
import { GlimpseError, isNoRespondersFailure, withRetries } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { FrameLiveness, FrameLostError } from './frame-liveness';
import { FramesRepository } from './frames.repository';

/** Pauses before sending a frame again after its recognizer was lost or none answered (ms). */
export const FAILOVER_DELAYS_MS = [100, 250, 500, 500, 1000, 1000, 1000, 1000, 1000, 1000];
/** An attempt with less time than this left before the deadline is not worth starting (ms). */
const MIN_ATTEMPT_MS = 500;

/** Asking the matcher what became of a frame given up on: pauses between tries (ms), and the time it may take in all. */
export const SETTLE_DELAYS_MS = [250, 500];
export const SETTLE_BUDGET_MS = 2_000;

/** Failures a recognizer answers before it asks the matcher to store anything: such a frame was not stored. */
const BEFORE_MATCHING = new Set<ErrorCode>([
  'OVERLOADED',
  'WORKER_UNAVAILABLE',
  'INVALID_IMAGE',
  'INVALID_REQUEST',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'CONFLICT',
]);

/** Whether the frame may have been stored although this attempt failed (it reached a recognizer that may have asked the matcher). */
export function mayBeStored(err: unknown): boolean {
  if (isNoRespondersFailure(err)) return false;
  return err instanceof FrameLostError || !(err instanceof GlimpseError) || !BEFORE_MATCHING.has(err.code);
}

export type FrameHeaders = FrameRecognize.Headers & { 'Glimpse-Frame-Id': string };
export type EncodeHeaders = FrameEncode.Headers & { 'Glimpse-Frame-Id': string };

export interface SendDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Injection token of SendDeps, for tests; the real clock otherwise. */
export const SEND_DEPS = Symbol('FrameSenderDeps');

const realDeps: SendDeps = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Whether no recognizer took the attempt (no responders) or the instance holding it died: worth sending again. */
export const isFailover = (err: unknown): boolean => err instanceof FrameLostError || isNoRespondersFailure(err);

/**
 * Sends a frame to the recognizers and gets it answered despite an instance dying: the frame's heartbeat
 * tells within RECOGNIZER_SILENCE_MS that its holder is gone, and the frame goes again, under the same id
 * (the matcher stores a frame id once and answers a repeat with the first reply), to another or the
 * restarted instance, for at most RECOGNIZER_FAILOVER_MS. Other failures are final at once.
 */
@Injectable()
export class FrameSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(FrameSender.name);
  readonly liveness: FrameLiveness;

  constructor(
    private readonly frames: FramesRepository,
    @Inject(GATEWAY_CONFIG)
    private readonly cfg: Pick<
      GatewayConfig,
      'RECOGNIZE_TIMEOUT_MS' | 'RECOGNIZER_SILENCE_MS' | 'RECOGNIZER_FAILOVER_MS'
    >,
    @Optional() @Inject(SEND_DEPS) private readonly deps: SendDeps = realDeps,
  ) {
    this.liveness = new FrameLiveness(cfg.RECOGNIZER_SILENCE_MS, () => deps.now());
  }

  onApplicationBootstrap(): void {
    this.frames.onHeartbeat((beat) => this.liveness.heard(beat));
  }

  onModuleDestroy(): void {
    this.liveness.close();
  }

  /**
   * The frame's faces, or a failure; a failure of a stored frame (Glimpse-Store) that may have been stored
   * is first settled with the matcher (FrameSettle): answered with the stored faces after all, or made
   * sure never to be stored, so that no failure answered to a client leaves faces behind.
   */
  async recognize(body: Uint8Array, headers: FrameHeaders): Promise<{ faces: RecognizedFace[] }> {
    let uncertain = false;
    try {
      const send = (ms: number) => this.frames.recognize(body, headers, ms);
      const reply = await this.send(headers['Glimpse-Frame-Id'], send, (err) => (uncertain ||= mayBeStored(err)));
      return { faces: reply.faces };
    } catch (err) {
      if (!uncertain || headers['Glimpse-Store'] === 'false') throw err;
      return this.settle(headers['Glimpse-Frame-Id'], err);
    }
  }

  /** Faces and encodings of a frame (nothing is stored, so a failure needs no settling). */
  encode(body: Uint8Array, headers: EncodeHeaders): Promise<FrameEncode.Reply> {
    return this.send(
      headers['Glimpse-Frame-Id'],
      (ms) => this.frames.encode(body, headers, ms),
      () => undefined,
    );
  }

  private async send<T>(
    frameId: string,
    request: (timeoutMs: number) => Promise<T>,
    failed: (err: unknown) => void,
  ): Promise<T> {
    const deadline = this.deps.now() + this.cfg.RECOGNIZE_TIMEOUT_MS;
    let firstFailure: number | undefined;
    for (let retry = 0; ; retry++) {
      try {
        return await this.attempt(frameId, () => request(deadline - this.deps.now()));
      } catch (err) {
        failed(err);
        if (!isFailover(err)) throw err;
        const t = this.deps.now();
        firstFailure ??= t;
        const delay = FAILOVER_DELAYS_MS[retry];
        if (
          delay === undefined ||
          t + delay - firstFailure > this.cfg.RECOGNIZER_FAILOVER_MS ||
          deadline - t - delay < MIN_ATTEMPT_MS
        ) {
          throw err;
        }
        this.log.warn(`frame ${frameId}: ${(err as GlimpseError).message}; sending it again in ${delay} ms`);
        await this.deps.sleep(delay);
      }
    }
  }

  private async settle(frameId: string, failure: unknown): Promise<{ faces: RecognizedFace[] }> {
    const settled = await withRetries(
      (ms) => this.frames.settle(frameId, ms),
      {
        delaysMs: SETTLE_DELAYS_MS,
        deadline: this.deps.now() + SETTLE_BUDGET_MS,
        attemptMs: SETTLE_BUDGET_MS / 2,
      },
      this.deps,
    ).catch((err: unknown) => {
      // The one case a failure may leave the frame stored: the matcher could not be asked.
      this.log.error(
        `frame ${frameId} failed (${String(failure)}) and whether it was stored is unknown: ${String(err)}`,
      );
      throw failure;
    });
    if (settled.state === 'abandoned') throw failure;
    this.log.warn(`frame ${frameId} failed (${String(failure)}) but had been stored: answering its stored faces`);
    return { faces: settled.faces };
  }

  /** One send, given up early when the frame's holder goes silent. */
  private async attempt<T>(frameId: string, request: () => Promise<T>): Promise<T> {
    const watch = this.liveness.watch(frameId);
    try {
      return await Promise.race([request(), watch.lost.then((lost) => Promise.reject(lost))]);
    } finally {
      watch.stop();
    }
  }
}
