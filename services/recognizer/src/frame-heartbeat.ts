import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RecognizerHeartbeat } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';

/**
 * Tells requesters which frames this instance holds: a heartbeat every HEARTBEAT_INTERVAL_MS listing the
 * frame ids queued or in work here, and one at once when new frames arrive (one per burst), so a requester
 * knows within a few beats that the instance holding its frame died (see RecognizerHeartbeat).
 */
@Injectable()
export class FrameHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(FrameHeartbeat.name);
  /** Frame id → copies held (a frame sent again may arrive while its first copy is still queued). */
  private readonly held = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private announcing = false;
  private failing = false;
  private stopping = false;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: Pick<RecognizerConfig, 'INSTANCE_ID' | 'HEARTBEAT_INTERVAL_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.beat(), this.cfg.HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Beats on while the bus drains the frames still held, so their requesters keep waiting for them. */
  onApplicationShutdown(): void {
    this.stopping = true;
    if (this.held.size === 0) clearInterval(this.timer);
  }

  /** Lists `frameId` in every heartbeat until the returned release is called (idempotent). */
  hold(frameId: string | undefined): () => void {
    if (!frameId) return () => undefined;
    this.held.set(frameId, (this.held.get(frameId) ?? 0) + 1);
    this.announceSoon();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(frameId) ?? 1) - 1;
      if (left > 0) this.held.set(frameId, left);
      else this.held.delete(frameId);
      if (this.stopping && this.held.size === 0) clearInterval(this.timer);
    };
  }

  /** Frame ids held now. */
  get frames(): string[] {
    return [...this.held.keys()];
  }

  /** After the frames delivered in this turn of the event loop are all held: one message for a burst. */
  private announceSoon(): void {
    if (this.announcing) return;
    this.announcing = true;
    setImmediate(() => {
      this.announcing = false;
      this.beat();
    });
  }

  private beat(): void {
    const payload = {
      instanceId: this.cfg.INSTANCE_ID,
      intervalMs: this.cfg.HEARTBEAT_INTERVAL_MS,
      frames: this.frames.slice(0, RecognizerHeartbeat.MAX_FRAMES),
    };
    try {
      this.bus.publish(RecognizerHeartbeat.contract, [], payload);
      this.failing = false;
    } catch (err) {
      // NATS away or draining: requesters then call the frames lost and resend them, which the frame ids make safe
      if (!this.failing) this.log.warn(`heartbeat not published: ${String(err)}`);
      this.failing = true;
    }
  }
}
