import type { LoggerService } from '@nestjs/common';
import { Events } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { AckPolicy, DeliverPolicy, nanos, type Consumer, type ConsumerConfig, type JsMsg } from 'nats';
import { post, type PostResult } from './http-post';
import type { WebhooksConfig } from './webhooks.config';
import type { WebhookStore } from './webhook-store';
import {
  backoffMs,
  durableName,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  matchesFilter,
  sign,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  typeOfSubject,
  type StoredWebhook,
} from './webhook.model';

/** How long one pull waits for an event; also the longest a graceful stop waits when idle. */
const PULL_EXPIRES_MS = 2_000;

export interface LoopDeps {
  bus: Bus;
  store: WebhookStore;
  cfg: WebhooksConfig;
  log: LoggerService;
  /** Stand-in for tests. */
  send?: typeof post;
}

/** Counts the failed attempts of the event in flight, so that the backoff doubles even if JetStream's count does not. */
class FailureCount {
  private seq = -1;
  private n = 0;

  /** The attempt number that just failed: JetStream's delivery count, or more if this loop saw more failures. */
  failed(seq: number, deliveryCount: number): number {
    this.n = seq === this.seq ? this.n + 1 : 1;
    this.seq = seq;
    return Math.max(deliveryCount, this.n);
  }
}

/** The durable consumer of one webhook: strictly one event in flight, explicit acks, starting at `deliver`. */
export function consumerConfig(
  w: StoredWebhook,
  cfg: WebhooksConfig,
  deliver: 'new' | 'since-created',
): Partial<ConsumerConfig> {
  return {
    durable_name: durableName(w.id),
    description: `webhook ${w.url}`,
    filter_subject: Events.ALL_SUBJECTS,
    ack_policy: AckPolicy.Explicit,
    // Longer than a POST may take, so that a gateway that died mid-delivery has its event redelivered.
    ack_wait: nanos(Math.max(30_000, cfg.timeoutMs * 2 + 5_000)),
    max_ack_pending: 1,
    max_deliver: -1,
    ...(deliver === 'new'
      ? { deliver_policy: DeliverPolicy.New }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: w.createdAt }),
  };
}

export const isNotFound = (err: unknown): boolean => {
  const code = (err as { api_error?: { err_code?: number } })?.api_error?.err_code;
  return code === 10014 || code === 10059 || /not found/i.test(String((err as Error)?.message));
};

/** Creates the webhook's consumer unless it exists. Throws when the stream does not exist (yet). */
export async function ensureConsumer(
  bus: Bus,
  w: StoredWebhook,
  cfg: WebhooksConfig,
  deliver: 'new' | 'since-created',
): Promise<void> {
  const jsm = await bus.nc.jetstreamManager();
  try {
    await jsm.consumers.info(Events.STREAM, durableName(w.id));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(Events.STREAM, consumerConfig(w, cfg, deliver));
  }
}

class Gone extends Error {}

/**
 * Delivers one webhook's events in order: pull one, POST it signed, ack on 2xx, else nak with exponential
 * backoff (the redelivery count is JetStream's, so the schedule survives restarts). An event stays
 * un-acked until delivered, so a restarted gateway resumes from it: at least once, in order.
 */
export class DeliveryLoop {
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly failures = new FailureCount();
  readonly done: Promise<void>;

  constructor(
    readonly hook: StoredWebhook,
    private readonly deps: LoopDeps,
  ) {
    this.done = this.run();
  }

  /** Finishes the delivery in flight (acked or nak'ed), then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    let errors = 0;
    while (!this.stopping) {
      try {
        const consumer = await this.consumer();
        errors = 0;
        while (!this.stopping) {
          const msg = await consumer.next({ expires: PULL_EXPIRES_MS });
          if (!msg) continue;
          if (this.stopping) {
            msg.nak(); // pulled while stopping: hand it back at once
            break;
          }
          await this.handle(msg);
        }
      } catch (err) {
        if (err instanceof Gone || this.stopping) return;
        errors++;
        const delay = backoffMs(errors, 1_000, 30_000);
        if (errors === 1 || errors % 10 === 0) {
          this.deps.log.warn?.(
            `webhook ${this.hook.id}: ${String((err as Error)?.message ?? err)}; retrying in ${delay} ms`,
          );
        }
        await this.sleep(delay);
      }
    }
  }

  private async consumer(): Promise<Consumer> {
    const { bus, store, cfg } = this.deps;
    const jsm = await bus.nc.jetstreamManager();
    const name = durableName(this.hook.id);
    try {
      await jsm.consumers.info(Events.STREAM, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Deleted meanwhile (by another gateway): do not bring its consumer back.
      if (!(await store.get(this.hook.id))) throw new Gone();
      await ensureConsumer(bus, this.hook, cfg, 'since-created');
    }
    return bus.nc.jetstream().consumers.get(Events.STREAM, name);
  }

  private async handle(msg: JsMsg): Promise<void> {
    const type = typeOfSubject(msg.subject);
    let id: string | undefined;
    try {
      const parsed = JSON.parse(new TextDecoder().decode(msg.data)) as { id?: unknown };
      if (typeof parsed.id === 'string') id = parsed.id;
    } catch {
      /* not JSON: skipped below */
    }
    if (!type || !id || !matchesFilter(this.hook.events, type)) {
      if (type && !id) this.deps.log.warn?.(`webhook ${this.hook.id}: skipping malformed event at seq ${msg.seq}`);
      await msg.ackAck();
      return;
    }
    const result = await this.deliver(msg, id, type);
    const now = new Date().toISOString();
    if (result.ok) {
      await msg.ackAck();
      await this.deps.store
        .updateStats(this.hook.id, (s) => ({ ...s, delivered: s.delivered + 1, lastDeliveredAt: now }))
        .catch(() => undefined);
      return;
    }
    const attempts = this.failures.failed(msg.seq, msg.info.redeliveryCount);
    const delay = backoffMs(attempts, this.deps.cfg.initialBackoffMs, this.deps.cfg.maxBackoffMs);
    const retryAt = Date.now() + delay;
    msg.nak(delay);
    this.deps.log.debug?.(
      `webhook ${this.hook.id}: ${id} attempt ${attempts} failed (${result.error}); retry in ${delay} ms`,
    );
    await this.deps.store
      .updateStats(this.hook.id, (s) => ({
        ...s,
        failedAttempts: s.failedAttempts + 1,
        lastError: result.error,
        lastErrorAt: now,
      }))
      .catch(() => undefined);
    // The nak delay asks JetStream to wait; this loop also waits, so that no redelivery (another cause, an
    // older server) makes it POST early: the schedule holds per webhook whatever the broker does.
    await this.sleep(retryAt - Date.now());
  }

  private deliver(msg: JsMsg, id: string, type: string): Promise<PostResult> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'Content-Type': 'application/json',
      [EVENT_ID_HEADER]: id,
      [EVENT_TYPE_HEADER]: type,
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: sign(this.hook.secret, timestamp, msg.data),
      'Glimpse-Delivery-Attempt': String(msg.info.redeliveryCount),
    };
    const send = this.deps.send ?? post;
    return send(this.hook.url, msg.data, headers, { timeoutMs: this.deps.cfg.timeoutMs, policy: this.deps.cfg.policy });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => ((this.wake = undefined), resolve()), ms);
      this.wake = () => (clearTimeout(t), (this.wake = undefined), resolve());
    });
  }
}
