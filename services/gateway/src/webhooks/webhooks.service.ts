import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Events } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import type { KvEntry, QueuedIterator } from 'nats';
import { registrationProblem } from './address-guard';
import { DeliveryLoop, ensureConsumer, isNotFound } from './delivery-loop';
import { WebhookStore } from './webhook-store';
import { durableName, publicView, type CreateWebhook, type StoredWebhook } from './webhook.model';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from './webhooks.config';

/**
 * Registers webhooks and runs one delivery loop per webhook. Every gateway watches the KV bucket, so a
 * webhook registered or deleted on one starts or stops on all; JetStream hands each event to one of them.
 */
@Injectable()
export class WebhooksService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Webhooks');
  private readonly loops = new Map<string, DeliveryLoop>();
  private stopping = false;
  private watcher: QueuedIterator<KvEntry> | undefined;
  private watching: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly store: WebhookStore,
    @Inject(WEBHOOKS_CONFIG) private readonly cfg: WebhooksConfig,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: a NATS without JetStream must not keep the gateway from serving everything else.
    this.watching = this.watchLoop();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.watcher?.stop();
    await Promise.allSettled([...this.loops.values()].map((l) => l.stop()));
    this.loops.clear();
    await this.watching;
  }

  async create(req: CreateWebhook) {
    const problem = await registrationProblem(req.url, this.cfg.policy);
    if (problem) throw new GlimpseError('INVALID_REQUEST', `invalid body: ${problem}`);
    const hook: StoredWebhook = {
      id: randomUUID(),
      url: new URL(req.url).toString(),
      secret: req.secret,
      events: [...new Set(req.events)],
      createdAt: new Date().toISOString(),
      active: true,
    };
    await this.unavailable(async () => {
      // The consumer first, from the stream's current end: every event stored after this answer is delivered.
      await ensureConsumer(this.bus, hook, this.cfg, 'new').catch((err: unknown) => {
        if (!isNotFound(err)) throw err; // no stream yet: the loop creates the consumer from createdAt
      });
      await this.store.put(hook);
    });
    this.start(hook);
    return publicView(hook);
  }

  async list() {
    const hooks = await this.unavailable(() => this.store.list());
    return { items: hooks.map(publicView), total: hooks.length };
  }

  async get(id: string) {
    const hook = await this.unavailable(() => this.store.get(id));
    if (!hook) throw new GlimpseError('NOT_FOUND', `webhook ${id} not found`);
    const stats = await this.unavailable(() => this.store.getStats(id));
    let pending: number | null = null;
    try {
      const info = await (await this.bus.nc.jetstreamManager()).consumers.info(Events.STREAM, durableName(id));
      pending = info.num_pending + info.num_ack_pending;
    } catch {
      pending = null; // no stream or consumer yet
    }
    return { ...publicView(hook), stats: { ...stats, pending } };
  }

  async delete(id: string): Promise<void> {
    const hook = await this.unavailable(() => this.store.get(id));
    if (!hook) throw new GlimpseError('NOT_FOUND', `webhook ${id} not found`);
    await this.unavailable(() => this.store.delete(id));
    await this.loops.get(id)?.stop();
    this.loops.delete(id);
    const jsm = await this.bus.nc.jetstreamManager();
    await jsm.consumers.delete(Events.STREAM, durableName(id)).catch((err: unknown) => {
      if (!isNotFound(err)) this.log.warn(`webhook ${id}: could not delete its consumer: ${String(err)}`);
    });
    this.log.log(`webhook ${id} deleted`);
  }

  /** Ids of the webhooks this gateway delivers (for tests and health). */
  running(): string[] {
    return [...this.loops.keys()];
  }

  private start(hook: StoredWebhook): void {
    if (this.stopping || this.loops.has(hook.id)) return;
    const loop = new DeliveryLoop(hook, { bus: this.bus, store: this.store, cfg: this.cfg, log: this.log });
    this.loops.set(hook.id, loop);
    void loop.done.then(() => {
      if (this.loops.get(hook.id) === loop) this.loops.delete(hook.id);
    });
  }

  private async stopOne(id: string): Promise<void> {
    const loop = this.loops.get(id);
    if (!loop) return;
    this.loops.delete(id);
    await loop.stop();
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        this.watcher = await this.store.watch();
        if (this.stopping) this.watcher.stop();
        failures = 0;
        for await (const e of this.watcher) {
          if (this.stopping) break;
          const hook = this.store.decode(e);
          if (hook?.active) this.start(hook);
          else void this.stopOne(e.key);
        }
      } catch (err) {
        if (this.stopping) break;
        failures++;
        if (failures === 1 || failures % 20 === 0)
          this.log.warn(`cannot watch ${'webhooks'} (JetStream needed): ${String((err as Error)?.message ?? err)}`);
      }
      if (!this.stopping) await this.sleep(Math.min(1000 * 2 ** Math.min(failures, 5), 30_000));
    }
  }

  private async unavailable<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GlimpseError) throw err;
      throw new GlimpseError(
        'SERVICE_UNAVAILABLE',
        `webhook registry unavailable (JetStream): ${String((err as Error)?.message ?? err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => ((this.wake = undefined), resolve()), ms);
      this.wake = () => (clearTimeout(t), (this.wake = undefined), resolve());
    });
  }
}
