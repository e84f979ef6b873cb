import { Inject, Injectable, Logger } from '@nestjs/common';
import { Events } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import {
  DiscardPolicy,
  headers as natsHeaders,
  nanos,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';

/** JetStream's de-duplication window: a publish retried within it with the same id is stored once. */
export const DUPLICATE_WINDOW_MS = 120_000;
const DAY_MS = 86_400_000;

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/** The GLIMPSE_EVENTS stream: creating it, publishing with de-duplication ids, erasing a person's events. */
@Injectable()
export class EventStream {
  private readonly log = new Logger('Events');
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(MATCHER_CONFIG)
    private readonly config: Pick<MatcherConfig, 'EVENTS_MAX_AGE_DAYS' | 'EVENTS_PUBLISH_TIMEOUT_MS'> & {
      NATS_REPLICAS?: number;
    },
  ) {}

  desiredConfig(): Partial<StreamConfig> {
    return {
      name: Events.STREAM,
      subjects: [Events.ALL_SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(this.config.EVENTS_MAX_AGE_DAYS * DAY_MS),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      // R3 on a three-node cluster: one node (even the leader) can die without losing an acknowledged event.
      num_replicas: this.bus.jetStreamReplicas(this.config.NATS_REPLICAS),
    };
  }

  /** Creates the stream, or brings its subjects and limits to the configuration. */
  async ensure(): Promise<void> {
    const jsm = await this.manager();
    const want = this.desiredConfig();
    const info = await jsm.streams.info(Events.STREAM).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (!info) {
      await jsm.streams.add(want);
      this.log.log(
        `created stream ${Events.STREAM} (${Events.ALL_SUBJECTS}, max age ${this.config.EVENTS_MAX_AGE_DAYS} days, R${want.num_replicas})`,
      );
      return;
    }
    const c = info.config;
    const limitsDiffer = c.max_age !== want.max_age || c.duplicate_window !== want.duplicate_window;
    // Only ever scaled up here: a smaller number seen while the cluster forms must not drop replicas.
    const moreReplicas = (want.num_replicas ?? 1) > (c.num_replicas ?? 1);
    if (limitsDiffer || moreReplicas || !c.subjects?.includes(Events.ALL_SUBJECTS)) {
      const num_replicas = Math.max(want.num_replicas ?? 1, c.num_replicas ?? 1);
      await jsm.streams.update(Events.STREAM, {
        ...c,
        ...want,
        num_replicas,
        subjects: [...new Set([...(c.subjects ?? []), Events.ALL_SUBJECTS])],
      });
      this.log.log(`updated stream ${Events.STREAM} limits`);
    }
  }

  /**
   * For health replies: the stream's replica count and leader (`GLIMPSE_EVENTS R3, leader nats-2`), and not
   * ok without a quorum of current replicas (two of three cluster nodes lost: a leader left alone keeps
   * answering for a while). Rejects within `timeoutMs` when JetStream cannot answer at all.
   */
  async describe(timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
    const jsm = await this.bus.nc.jetstreamManager({ timeout: timeoutMs, checkAPI: false });
    const info = await jsm.streams.info(Events.STREAM).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    // JetStream answered; the relay creates the stream with the first event it publishes.
    if (!info) return { ok: true, detail: `${Events.STREAM} not created yet` };
    const replicas = info.config.num_replicas ?? 1;
    const name = `${Events.STREAM} R${replicas}`;
    const cluster = info.cluster;
    if (!cluster || replicas === 1)
      return { ok: true, detail: cluster?.leader ? `${name} on ${cluster.leader}` : name };
    if (!cluster.leader) return { ok: false, detail: `${name}: no leader (no quorum); events wait in the outbox` };
    const peers = cluster.replicas ?? [];
    const current = 1 + peers.filter((r) => r.current && !r.offline).length;
    const quorum = Math.floor(replicas / 2) + 1;
    const behind = peers.filter((r) => !r.current || r.offline).map((r) => r.name);
    const detail = `${name}, leader ${cluster.leader}${behind.length ? `, not current: ${behind.join(', ')}` : ''}`;
    if (current < quorum)
      return {
        ok: false,
        detail: `${detail}: ${current} of ${replicas} replicas current, no quorum; events wait in the outbox`,
      };
    return { ok: true, detail };
  }

  async publish(subject: string, payload: string, msgID: string): Promise<PublishResult> {
    const js = await this.client();
    const h = natsHeaders();
    h.set('Content-Type', 'application/json');
    const ack = await js.publish(subject, new TextEncoder().encode(payload), {
      msgID,
      headers: h,
      timeout: this.config.EVENTS_PUBLISH_TIMEOUT_MS,
      expect: { streamName: Events.STREAM },
    });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /**
   * Deletes every stored event of these persons, overwriting each on disk (JetStream's erase), then purges
   * their subjects in case one slipped in. Returns how many were erased.
   */
  async erase(personIds: readonly string[]): Promise<number> {
    const jsm = await this.manager();
    let erased = 0;
    for (const personId of personIds) {
      const filter = Events.personFilter(personId);
      const info = await jsm.streams.info(Events.STREAM, { subjects_filter: filter });
      for (const subject of Object.keys(info.state.subjects ?? {})) {
        for (;;) {
          const msg = await jsm.streams.getMessage(Events.STREAM, { last_by_subj: subject }).catch((err: unknown) => {
            if (isNotFound(err)) return null;
            throw err;
          });
          if (!msg) break;
          await jsm.streams.deleteMessage(Events.STREAM, msg.seq, true);
          erased++;
        }
      }
      await jsm.streams.purge(Events.STREAM, { filter });
    }
    return erased;
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await this.bus.nc.jetstreamManager({ timeout: this.config.EVENTS_PUBLISH_TIMEOUT_MS });
    return this.jsm;
  }

  private async client(): Promise<JetStreamClient> {
    this.js ??= this.bus.nc.jetstream({ timeout: this.config.EVENTS_PUBLISH_TIMEOUT_MS });
    return this.js;
  }
}

/** JetStream's "stream not found" (10059) and "no message found" (10037) both mean: nothing there. */
function isNotFound(err: unknown): boolean {
  const code = (err as { api_error?: { err_code?: number } })?.api_error?.err_code;
  return code === 10059 || code === 10037 || /not found/i.test(String((err as Error)?.message));
}
