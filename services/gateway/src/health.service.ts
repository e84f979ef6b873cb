import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HealthCheck } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { explainUpstream } from './upstream';

export interface Check {
  ok: boolean;
  detail?: string;
}

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<'nats' | 'recognizer' | 'worker' | 'matcher' | 'database' | 'audit' | 'capture', Check>;
}

type Probe = { reply: HealthCheck.Reply } | { error: string };

const UPSTREAMS = ['recognizer', 'matcher', 'capture'] as const;

/** Names a dependency check may go by in a service's health reply. */
const ALIASES: Record<string, string[]> = {
  worker: ['worker', 'workers', 'python'],
  database: ['database', 'db', 'postgres', 'pglite', 'pgvector'],
};

/** Asks every service for its health at once; each gets a short timeout, so /healthz stays fast. */
@Injectable()
export class HealthService implements OnApplicationBootstrap, OnModuleDestroy {
  private sub?: Subscription;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.handle(
      HealthCheck.contractFor('gateway'),
      async () => ({
        service: 'gateway' as const,
        instance: this.cfg.INSTANCE_ID,
        ok: this.bus.isConnected(),
        checks: { nats: { ok: this.bus.isConnected(), detail: this.bus.serverDetail() } },
      }),
      { queue: 'gateway' },
    );
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  async check(): Promise<HealthReport> {
    // Which server of a cluster the gateway uses now (the client moves to another when one is lost).
    const nats: Check = this.bus.isConnected()
      ? { ok: true, detail: `gateway via ${this.bus.serverDetail()}` }
      : { ok: false, detail: 'the gateway is not connected to NATS (no server of NATS_URL reachable)' };
    const [recognizer, matcher, capture] = await Promise.all(UPSTREAMS.map((s) => this.probe(s)));
    const checks = {
      nats,
      recognizer: summarize(recognizer),
      worker: dependency(recognizer, 'worker', 'recognizer'),
      matcher: summarize(matcher),
      database: dependency(matcher, 'database', 'matcher'),
      // whether the audit trail is sealed (docs/privacy.md): a warning in its detail, never a failure
      audit: dependency(matcher, 'audit', 'matcher'),
      capture: summarize(capture),
    };
    return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'error', checks };
  }

  private async probe(service: (typeof UPSTREAMS)[number]): Promise<Probe> {
    try {
      return { reply: await this.bus.request(HealthCheck.contractFor(service), {}, this.cfg.HEALTH_TIMEOUT_MS) };
    } catch (err) {
      return { error: String((explainUpstream(err) as Error)?.message ?? err) };
    }
  }
}

export function summarize(p: Probe): Check {
  if ('error' in p) return { ok: false, detail: p.error };
  // A service names the NATS server it uses in its `nats` check; with a cluster these differ per service.
  const via = p.reply.checks.nats?.ok && p.reply.checks.nats.detail ? ` via ${p.reply.checks.nats.detail}` : '';
  if (p.reply.ok) return { ok: true, detail: `instance ${p.reply.instance}${via}` };
  const failing = Object.entries(p.reply.checks)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => (c.detail ? `${name}: ${c.detail}` : name));
  return { ok: false, detail: `instance ${p.reply.instance} reports ${failing.join('; ') || 'a problem'}` };
}

/** A dependency the gateway only sees through its owner (the worker via the recognizer, the database via the matcher). */
export function dependency(p: Probe, name: string, owner: string): Check {
  if ('error' in p) return { ok: false, detail: `unknown: the ${owner} service is not answering` };
  const names = ALIASES[name] ?? [name];
  const found = Object.entries(p.reply.checks).filter(([key]) =>
    names.some((n) => key === n || key.startsWith(`${n}:`) || key.startsWith(`${n}.`)),
  );
  if (!found.length) return { ok: p.reply.ok, detail: `not reported by the ${owner}` };
  const ok = found.some(([, c]) => c.ok);
  const detail = found
    .map(([key, c]) => (c.detail ? (found.length > 1 ? `${key}: ${c.detail}` : c.detail) : key))
    .join('; ');
  return detail ? { ok, detail } : { ok };
}
