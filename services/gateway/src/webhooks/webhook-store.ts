import { Injectable } from '@nestjs/common';
import { Bus, InjectBus } from '@glimpse/platform';
import type { KV, KvEntry, QueuedIterator } from 'nats';
import {
  emptyStats,
  statsSchema,
  storedWebhookSchema,
  STATS_BUCKET,
  WEBHOOKS_BUCKET,
  type StoredWebhook,
  type WebhookStats,
} from './webhook.model';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (e: KvEntry): unknown => JSON.parse(new TextDecoder().decode(e.value));

/** Webhooks and their delivery counters, in JetStream KV buckets (durable, shared by every gateway). */
@Injectable()
export class WebhookStore {
  private hooks: Promise<KV> | undefined;
  private stats: Promise<KV> | undefined;

  constructor(@InjectBus() private readonly bus: Bus) {}

  private bucket(which: 'hooks' | 'stats'): Promise<KV> {
    const open = (name: string) => {
      const p = this.bus.nc.jetstream().views.kv(name, { history: 1, replicas: this.bus.jetStreamReplicas() });
      // A failure (no JetStream yet) is retried on the next call.
      p.catch(() => (which === 'hooks' ? (this.hooks = undefined) : (this.stats = undefined)));
      return p;
    };
    if (which === 'hooks') return (this.hooks ??= open(WEBHOOKS_BUCKET));
    return (this.stats ??= open(STATS_BUCKET));
  }

  async put(w: StoredWebhook): Promise<void> {
    await (await this.bucket('hooks')).put(w.id, json(w));
  }

  async get(id: string): Promise<StoredWebhook | null> {
    const e = await (await this.bucket('hooks')).get(id);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
    return storedWebhookSchema.parse(parse(e));
  }

  async list(): Promise<StoredWebhook[]> {
    const kv = await this.bucket('hooks');
    // Drain the key iterator before reading any value: awaiting a get() inside `for await (… of kv.keys())`
    // ends nats.js's key listing after the first key (GET /webhooks said total 1 with 11 registered).
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    const out: StoredWebhook[] = [];
    for (const key of keys) {
      const w = await this.get(key);
      if (w) out.push(w);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<void> {
    await (await this.bucket('hooks')).delete(id);
    await (await this.bucket('stats')).purge(id).catch(() => undefined);
  }

  /** Every webhook now and every later change: (id, webhook) on put, (id, null) on delete. */
  async watch(): Promise<QueuedIterator<KvEntry>> {
    const kv = await this.bucket('hooks');
    return kv.watch();
  }

  decode(e: KvEntry): StoredWebhook | null {
    if (e.operation !== 'PUT' || e.value.length === 0) return null;
    const r = storedWebhookSchema.safeParse(parse(e));
    return r.success ? r.data : null;
  }

  async getStats(id: string): Promise<WebhookStats> {
    const e = await (await this.bucket('stats')).get(id);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return emptyStats();
    const r = statsSchema.safeParse(parse(e));
    return r.success ? r.data : emptyStats();
  }

  /** Read-modify-write with the revision as a compare-and-set, so that two gateways never lose a count. */
  async updateStats(id: string, change: (s: WebhookStats) => WebhookStats): Promise<void> {
    const kv = await this.bucket('stats');
    for (let i = 0; i < 10; i++) {
      const e = await kv.get(id);
      const exists = !!e && e.operation === 'PUT' && e.value.length > 0;
      const cur = exists ? (statsSchema.safeParse(parse(e!)).data ?? emptyStats()) : emptyStats();
      try {
        if (exists) await kv.update(id, json(change(cur)), e!.revision);
        else await kv.create(id, json(change(cur)));
        return;
      } catch {
        // Someone else wrote in between: read again.
      }
    }
  }
}
