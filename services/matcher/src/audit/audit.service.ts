import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { AuditAppend, AuditList, z } from '@glimpse/contracts';
import { Clock } from '../clock';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import { optionalDate, pageOf } from '../paging';
import { Periodic } from '../periodic';
import { AuditRepository, type AuditSeal } from './audit.repository';

const DAY_MS = 86_400_000;

/** The audit trail's store: appends from the gateway, the admin's filtered reads, and its own retention. */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Audit');
  private readonly retention: Periodic;
  private seal: AuditSeal | undefined;

  constructor(
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    @Inject(MATCHER_CONFIG)
    private readonly config: Pick<MatcherConfig, 'AUDIT_RETENTION_DAYS' | 'RETENTION_INTERVAL_MS'>,
  ) {
    this.retention = new Periodic('audit retention', config.RETENTION_INTERVAL_MS, () => this.prune(), this.log);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.seal = await this.audit.sealState();
    if (this.seal === 'unsealed') {
      this.log.warn(
        'AUDIT TRAIL NOT SEALED: the application role owns audit.audit_log, so it could change or delete the records. ' +
          'Run infra/postgres/init/20-audit-owner.sql as the superuser, then SELECT glimpse_admin.seal_audit_log(); (docs/privacy.md "Audit trail")',
      );
    } else {
      this.log.log(
        `audit trail: ${this.seal === 'sealed' ? 'sealed (owned by glimpse_audit; the application may only insert, read and prune)' : 'PGlite, guarded by its trigger only'}`,
      );
    }
    const floor = await this.audit.setRetention(this.config.AUDIT_RETENTION_DAYS, this.seal === 'sealed');
    if (floor !== this.config.AUDIT_RETENTION_DAYS) {
      this.log.warn(
        `audit retention floor stays ${floor === 0 ? 'forever' : `${floor} days`} (AUDIT_RETENTION_DAYS=${this.config.AUDIT_RETENTION_DAYS}): ` +
          'the application may only lengthen it; the superuser lowers it with UPDATE audit.retention SET days = N',
      );
    }
    if (this.config.AUDIT_RETENTION_DAYS > 0) this.retention.start();
  }

  /** For the matcher's health reply: whether the trail is sealed (never failing it: a warning, not an outage). */
  health(): { ok: boolean; detail: string } {
    switch (this.seal) {
      case 'sealed':
        return { ok: true, detail: 'sealed: owned by glimpse_audit, append-only for the application' };
      case 'unsealed':
        return {
          ok: true,
          detail:
            'NOT SEALED: the application role owns the audit trail; run infra/postgres/init/20-audit-owner.sql (docs/privacy.md)',
        };
      case 'trigger-only':
        return { ok: true, detail: 'trigger-only: PGlite has one role, the append-only trigger is the only guard' };
      default:
        return { ok: true, detail: 'not checked yet' };
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.retention.stop();
  }

  async append(req: AuditAppend.Request): Promise<AuditAppend.Reply> {
    return { stored: await this.audit.append(req.records) };
  }

  async list(req: z.output<typeof AuditList.request>): Promise<AuditList.Reply> {
    return pageOf(
      req,
      await this.audit.list({ ...req, since: optionalDate(req.since), until: optionalDate(req.until) }),
    );
  }

  /** Deletes records older than AUDIT_RETENTION_DAYS; returns how many. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const n = await this.audit.prune(cutoff);
    if (n) this.log.log(`audit retention: deleted ${n} records older than ${cutoff.toISOString()}`);
    return n;
  }
}
