import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import {
  HealthCheck,
  StreamList,
  StreamSnapshot,
  StreamStart,
  StreamStop,
  StreamUpdate,
  WhipClose,
  WhipOffer,
} from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from './config';
import { FfmpegSourceFactory } from './ffmpeg.source';
import { checkSourcePolicy, sourcePolicyFrom, type SourcePolicy } from './source-policy';
import { StreamManager } from './stream.manager';
import { WhipService } from './webrtc/whip.service';

/** The capture service's bus surface; the logic lives in StreamManager. */
@Injectable()
export class CaptureHandlers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private startSub?: ReturnType<Bus['handle']>;
  private offerSub?: ReturnType<Bus['handle']>;
  private readonly policy: SourcePolicy;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    private readonly streams: StreamManager,
    private readonly ffmpeg: FfmpegSourceFactory,
    private readonly whip: WhipService,
  ) {
    this.policy = sourcePolicyFrom(cfg);
  }

  onApplicationBootstrap(): void {
    this.startSub = this.bus.handle(StreamStart.contract, (req) => this.start(req), { queue: StreamStart.queue });
    this.bus.handle(StreamList.contract, async () => ({ items: this.streams.list() }));
    this.bus.handle(StreamStop.contract, (req) => this.streams.stop(req.id));
    this.bus.handle(StreamUpdate.contract, async (req) => this.streams.update(req.id, { threshold: req.threshold }));
    // every instance hears it; only the one running the stream answers
    this.bus.handle(StreamSnapshot.contract, async (req) => this.streams.lastFrame(req.streamId));
    this.offerSub = this.bus.handle(WhipOffer.contract, (req) => this.whip.offer(req), { queue: WhipOffer.queue });
    this.bus.handle(WhipClose.contract, (req) => this.whip.close(req));
    this.bus.handle(HealthCheck.contractFor('capture'), () => this.health());
  }

  /**
   * Runs before the BusModule drains the connection: new starts go to other instances at once,
   * then streams stop while their last frames and status events can still travel.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.startSub?.drain(), this.offerSub?.drain()]).catch(() => undefined);
    await this.streams.shutdown();
  }

  /** The URL policy (schemes, hosts, file roots) is checked here, at the bus boundary, before any file or socket is touched. */
  private async start(req: StreamStart.Request) {
    await checkSourcePolicy(req.url, this.policy);
    return this.streams.start(req);
  }

  private async health(): Promise<HealthCheck.Reply> {
    const ffmpeg = await this.ffmpeg.health();
    return {
      service: 'capture',
      instance: this.cfg.INSTANCE_ID,
      ok: ffmpeg.ok && this.bus.isConnected(),
      checks: {
        nats: { ok: this.bus.isConnected(), detail: this.bus.serverDetail() },
        ffmpeg,
        streams: { ok: true, detail: `${this.streams.activeCount}/${this.cfg.MAX_STREAMS} running` },
        webrtc: { ok: true, detail: webrtcDetail(this.whip) },
      },
    };
  }
}

/** Live WebRTC resources, for operators and the leak test: `sessions 0, peers 0, sinks 0, timers 0`. */
export function webrtcDetail(whip: WhipService): string {
  const g = whip.gauge.snapshot();
  return `sessions ${whip.sessionCount}, peers ${g.peers}, sinks ${g.sinks}, timers ${g.timers}`;
}
