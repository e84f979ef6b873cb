import { rm } from 'node:fs/promises';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  StreamList,
  StreamStart,
  StreamStatus,
  StreamStop,
  StreamUpdate,
  type Stream,
  type z,
} from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import type { SavedVideo } from './upload';
import { upstream } from './upstream';

const FINISHED = new Set<Stream['state']>(['ended', 'failed', 'stopped']);

/** Streams live in the capture instances; this merges their answers and cleans up uploaded videos. */
@Injectable()
export class StreamsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Streams');
  /** Uploaded videos this instance saved, by stream id, deleted once the stream is finished. */
  private readonly uploads = new Map<string, string>();
  private sub?: Subscription;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.subscribe(StreamStatus.contract, (s) => this.onStatus(s));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  start(req: z.infer<typeof StreamStart.request>): Promise<Stream> {
    return upstream(this.bus.request(StreamStart.contract, req, this.cfg.REQUEST_TIMEOUT_MS));
  }

  async startUpload(video: SavedVideo, opts: { fps?: number; loop: boolean }): Promise<Stream> {
    try {
      const stream = await this.start({ url: video.path, fps: opts.fps, loop: opts.loop });
      this.uploads.set(stream.id, video.path);
      if (FINISHED.has(stream.state)) await this.forget(stream.id);
      return { ...stream, url: 'upload' };
    } catch (err) {
      await rm(video.path, { force: true });
      // The saved path is the gateway's business, not the client's.
      if (err instanceof GlimpseError)
        throw new GlimpseError(err.code, err.message.split(video.path).join('the uploaded video'));
      throw err;
    }
  }

  async list(): Promise<Stream[]> {
    const replies = await upstream(this.bus.gather(StreamList.contract, {}, this.cfg.GATHER_TIMEOUT_MS));
    const byId = new Map<string, Stream>();
    for (const s of replies.flatMap((r) => r.items)) byId.set(s.id, this.present(s));
    return [...byId.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async get(id: string): Promise<Stream> {
    const stream = (await this.list()).find((s) => s.id === id);
    if (!stream) throw new GlimpseError('NOT_FOUND', `no stream '${id}'`);
    return stream;
  }

  async stop(id: string): Promise<Stream> {
    const [stream] = await upstream(this.bus.gather(StreamStop.contract, { id }, this.cfg.GATHER_TIMEOUT_MS));
    if (!stream) throw new GlimpseError('NOT_FOUND', `no stream '${id}' (no capture instance owns it)`);
    const shown = this.present(stream);
    if (FINISHED.has(stream.state)) await this.forget(id);
    return shown;
  }

  /** Only the owning capture instance answers. */
  async update(id: string, threshold: number): Promise<Stream & { threshold: number }> {
    const [reply] = await upstream(
      this.bus.gather(StreamUpdate.contract, { id, threshold }, this.cfg.GATHER_TIMEOUT_MS),
    );
    if (!reply) throw new GlimpseError('NOT_FOUND', `no running stream '${id}'`);
    return { ...this.present(reply.stream), threshold: reply.threshold };
  }

  /** Capture reports the absolute path of uploaded files; clients see `upload` instead. */
  present(s: Stream): Stream {
    return this.uploads.get(s.id) === s.url || s.url.startsWith(this.cfg.UPLOAD_DIR + '/')
      ? { ...s, url: 'upload' }
      : s;
  }

  private async onStatus(s: Stream): Promise<void> {
    if (FINISHED.has(s.state) && this.uploads.has(s.id)) await this.forget(s.id);
  }

  private async forget(id: string): Promise<void> {
    const path = this.uploads.get(id);
    if (!path) return;
    this.uploads.delete(id);
    await rm(path, { force: true }).catch((err) =>
      this.log.warn(`cannot delete uploaded video of stream ${id}: ${String(err)}`),
    );
  }
}
