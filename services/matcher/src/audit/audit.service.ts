import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { AuditAppend, AuditList, z } from '@glimpse/contracts';
import { Clock } from '../clock';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import { Periodic } from '../periodic';
import { AuditRepository } from './audit.repository';

const DAY_MS = 86_400_000;

/** The audit trail's store: appends from the gateway, the admin's filtered reads, and its own retention. */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Audit');
  private readonly retention: Periodic;

  constructor(
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'AUDIT_RETENTION_DAYS' | 'RETENTION_INTERVAL_MS'>,
  ) {
    this.retention = new Periodic('audit retention', config.RETENTION_INTERVAL_MS, () => this.prune(), this.log);
  }

  onApplicationBootstrap(): void {
    if (this.config.AUDIT_RETENTION_DAYS > 0) this.retention.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.retention.stop();
  }

  async append(req: AuditAppend.Request): Promise<AuditAppend.Reply> {
    return { stored: await this.audit.append(req.records) };
  }

  async list(req: z.output<typeof AuditList.request>): Promise<AuditList.Reply> {
    const { items, total } = await this.audit.list({
      ...req,
      since: req.since ? new Date(req.since) : undefined,
      until: req.until ? new Date(req.until) : undefined,
    });
    return { items, total, page: req.page, pageSize: req.pageSize };
  }

  /** Deletes records older than AUDIT_RETENTION_DAYS; returns how many. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const n = await this.audit.prune(cutoff);
    if (n) this.log.log(`audit retention: deleted ${n} records older than ${cutoff.toISOString()}`);
    return n;
  }
}
