import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { StreamList, StreamStatus, type Stream } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { isLiveStream } from './session.service';

const FINISHED = new Set<Stream['state']>(['ended', 'failed', 'stopped']);

export const CAPTURE_LOST = 'capture worker lost';

/**
 * Notices live streams whose capture instance died. A running stream publishes its status every
 * few seconds; when one falls silent for LIVE_STATUS_TIMEOUT_MS and no capture instance lists it,
 * listeners hear it `failed` with `capture worker lost`, so a client can tell its user and restart.
 */
@Injectable()
export class LiveStreamWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('LiveWatch');
  private readonly live = new Map<string, { stream: Stream; seenAt: number }>();
  private readonly listeners = new Set<(lost: Stream) => void>();
  private sub?: Subscription;
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.subscribe(StreamStatus.contract, (s) => this.seen(s));
    this.timer = setInterval(() => void this.check(), Math.min(1000, this.cfg.LIVE_STATUS_TIMEOUT_MS / 2)).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.sub?.unsubscribe();
  }

  /** A status of any stream; only live ones are kept, and only while they run. */
  seen(s: Stream): void {
    if (!isLiveStream(s.id)) return;
    if (FINISHED.has(s.state)) this.live.delete(s.id);
    else this.live.set(s.id, { stream: s, seenAt: Date.now() });
  }

  isRunning(id: string): boolean {
    return this.live.has(id);
  }

  get size(): number {
    return this.live.size;
  }

  onLost(listener: (lost: Stream) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Silent streams are confirmed lost with one StreamList gather, never while NATS itself is down. */
  async check(now = Date.now()): Promise<void> {
    const silent = [...this.live.values()].filter((e) => now - e.seenAt > this.cfg.LIVE_STATUS_TIMEOUT_MS);
    if (!silent.length || this.checking || !this.bus.isConnected()) return;
    this.checking = true;
    try {
      const replies = await this.bus.gather(StreamList.contract, {}, this.cfg.GATHER_TIMEOUT_MS);
      const running = new Set(
        replies
          .flatMap((r) => r.items)
          .filter((s) => !FINISHED.has(s.state))
          .map((s) => s.id),
      );
      for (const e of silent) {
        if (this.live.get(e.stream.id) !== e) continue; // a status arrived meanwhile
        if (running.has(e.stream.id)) {
          e.seenAt = Date.now();
          continue;
        }
        this.live.delete(e.stream.id);
        this.log.warn(
          `live stream ${e.stream.id}: no status for ${now - e.seenAt} ms and no capture instance has it: ${CAPTURE_LOST}`,
        );
        const lost: Stream = { ...e.stream, state: 'failed', error: CAPTURE_LOST, endedAt: new Date().toISOString() };
        for (const l of this.listeners) l(lost);
      }
    } catch (err) {
      this.log.warn(`cannot check live streams: ${String(err)}`);
    } finally {
      this.checking = false;
    }
  }
}
