import { Inject, Injectable, Logger } from '@nestjs/common';
import { FrameEncode, FrameRecognize, MatchFaces, UPLOAD_SOURCE, z } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus, withRetries, type BinaryMessage } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { WorkerRepository, type EncodeOptions, type WorkerFace } from './worker.repository';

/**
 * Pauses between MatchFaces attempts while the matcher is away (restarting: no responders), within the
 * frame's deadline. A lost reply is retried only for a frame with an id, which the matcher stores once.
 */
export const MATCH_RETRY_DELAYS_MS = [250, 500, 1000, 1000, 1000, 1000, 1000, 1000];
/** Without the requester's deadline, a frame may spend this many MATCH_TIMEOUT_MS on the matcher. */
const MATCH_DEADLINE_ATTEMPTS = 3;
const REPLY_MARGIN_MS = 200;

/** MatchFaces.request caps a frame at this many faces. */
export const MATCH_MAX_FACES = 100;

type RecognizeMessage = BinaryMessage<z.infer<typeof FrameRecognize.headers>>;
type EncodeMessage = BinaryMessage<z.infer<typeof FrameEncode.headers>>;

/** Detect and encode faces with the Python worker, then let the matcher name them. */
@Injectable()
export class RecognizerService {
  private readonly log = new Logger(RecognizerService.name);
  private readonly options: Omit<EncodeOptions, 'crops'>;

  constructor(
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    private readonly worker: WorkerRepository,
    @InjectBus() private readonly bus: Bus,
  ) {
    this.options = {
      detector: cfg.DETECTOR,
      upsample: cfg.UPSAMPLE,
      jitters: cfg.JITTERS,
      detectMaxSide: cfg.DETECT_MAX_SIDE,
      detectMinScale: cfg.DETECT_MIN_SCALE,
    };
  }

  async recognize({ body, headers: h, deadline }: RecognizeMessage): Promise<FrameRecognize.Reply> {
    const started = performance.now();
    // uploads are independent pictures: nothing to follow from one to the next
    const track = this.cfg.TRACKING && h['Glimpse-Source'] !== UPLOAD_SOURCE ? h['Glimpse-Source'] : undefined;
    const encoded = await this.worker.encode(body, h['Content-Type'], { ...this.options, crops: true, track });
    const workerMs = performance.now() - started;
    const frame = {
      ...(h['Glimpse-Frame-Id'] && { id: h['Glimpse-Frame-Id'] }),
      source: h['Glimpse-Source'],
      seq: h['Glimpse-Seq'],
      capturedAt: h['Glimpse-Captured-At'],
      width: encoded.width,
      height: encoded.height,
    };
    let faces: FrameRecognize.Reply['faces'] = [];
    if (encoded.faces.length > MATCH_MAX_FACES) {
      this.log.warn(
        `${frame.source}#${frame.seq}: ${encoded.faces.length} faces, matching the ${MATCH_MAX_FACES} largest`,
      );
    }
    if (encoded.faces.length > 0) {
      const request: MatchFaces.Request = {
        frame,
        store: h['Glimpse-Store'],
        faces: largest(encoded.faces, MATCH_MAX_FACES).map((f) => ({
          box: f.box,
          encoding: f.encoding,
          crop: f.crop ?? '',
          // lets the matcher blur bystanders in the crop (BLUR_UNKNOWN)
          ...(f.cropBox && { cropBox: f.cropBox }),
          // lets the matcher keep a sighting's best crop by size and sharpness
          ...(f.quality && { quality: f.quality }),
          // lets the matcher decide a face followed over several snapshots as one (live video)
          ...(f.track && { track: f.track }),
        })),
      };
      if (h['Glimpse-Threshold'] !== undefined) request.threshold = h['Glimpse-Threshold'];
      faces = (await this.match(request, deadline)).faces;
    }
    const done = performance.now();
    return {
      frame,
      faces,
      timings: timings({ ...encoded.timings, workerMs, matchMs: done - started - workerMs, totalMs: done - started }),
      processedBy: this.cfg.INSTANCE_ID,
    };
  }

  /** MatchFaces, retried while the matcher is away, and after a lost reply when the frame's id makes that safe. */
  private match(request: MatchFaces.Request, deadline?: number): Promise<MatchFaces.Reply> {
    const idempotent = !request.store || request.frame.id !== undefined;
    const { source, seq } = request.frame;
    return withRetries((ms) => this.bus.request(MatchFaces.contract, request, ms), {
      delaysMs: MATCH_RETRY_DELAYS_MS,
      // a little before the requester gives up, so that the reply still reaches it
      deadline:
        deadline !== undefined
          ? deadline - REPLY_MARGIN_MS
          : Date.now() + MATCH_DEADLINE_ATTEMPTS * this.cfg.MATCH_TIMEOUT_MS,
      attemptMs: this.cfg.MATCH_TIMEOUT_MS,
      retryable: (err: GlimpseError) => err.code === 'SERVICE_UNAVAILABLE' || (err.code === 'TIMEOUT' && idempotent),
      onRetry: (err: GlimpseError, n: number, ms: number) =>
        this.log.warn(`${source}#${seq}: matcher ${err.code} (${err.message}); retry ${n} in ${ms} ms`),
    });
  }

  async encode({ body, headers: h }: EncodeMessage): Promise<FrameEncode.Reply> {
    const started = performance.now();
    const crops = h['Glimpse-Crops'] === 'true';
    const encoded = await this.worker.encode(body, h['Content-Type'], { ...this.options, crops });
    const workerMs = performance.now() - started;
    return {
      width: encoded.width,
      height: encoded.height,
      faces: encoded.faces.map((f) => ({
        box: f.box,
        encoding: f.encoding,
        ...(crops && f.crop && { crop: f.crop }),
        ...(crops && f.quality && { quality: f.quality }),
      })),
      timings: timings({ ...encoded.timings, workerMs, totalMs: workerMs }),
      processedBy: this.cfg.INSTANCE_ID,
    };
  }
}

/** The `max` largest faces: the ones a viewer cares about when a crowd exceeds the matcher's cap. */
export function largest(faces: WorkerFace[], max: number): WorkerFace[] {
  if (faces.length <= max) return faces;
  return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, max);
}

function timings(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(Math.max(0, v) * 10) / 10]));
}
