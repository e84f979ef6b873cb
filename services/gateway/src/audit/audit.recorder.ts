import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditAppend, auditRecordSchema, ERROR_CODES, type AuditRecord } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';

/** How long shutdown waits for the last records to reach the matcher. */
const SHUTDOWN_FLUSH_MS = 2_000;
/** One batch's wait for the matcher: a slow matcher only delays the audit trail, never piles up requests. */
const APPEND_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * Audit records leave the request path at once: `record()` only pushes onto a bounded buffer, and a
 * timer sends batches to the matcher (AuditAppend, idempotent by record id, so a batch whose reply was
 * lost can be sent again). While the matcher is unreachable records wait, up to AUDIT_BUFFER_MAX; past
 * that the oldest are dropped and counted (`dropped`, logged), so the gateway never grows without bound
 * nor slows down for its audit trail.
 */
@Injectable()
export class AuditRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Audit');
  private buffer: AuditRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  /** Records dropped because the buffer was full (since start). */
  dropped = 0;
  /** Records the matcher acknowledged (since start). */
  sent = 0;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: Pick<GatewayConfig, 'AUDIT_BUFFER_MAX' | 'AUDIT_FLUSH_MS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.cfg.AUDIT_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.retryAt = 0;
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.buffer.length && Date.now() < deadline && (await this.flush(Math.max(1, deadline - Date.now()))))
      this.retryAt = 0;
    if (this.buffer.length)
      this.log.warn(`${this.buffer.length} audit records not stored: the matcher did not take them before shutdown`);
  }

  /** Buffers a record; one that breaks the contract is dropped here, so it cannot block a batch later. */
  record(r: AuditRecord): void {
    const checked = auditRecordSchema.safeParse(r);
    if (!checked.success) {
      this.log.error(`audit record for ${r.method} ${r.route} dropped: ${checked.error.message}`);
      this.dropped++;
      return;
    }
    this.buffer.push(checked.data);
    const over = this.buffer.length - this.cfg.AUDIT_BUFFER_MAX;
    if (over > 0) {
      this.buffer.splice(0, over);
      if (this.dropped === 0 || this.dropped % 1000 === 0)
        this.log.warn(`audit buffer full (${this.cfg.AUDIT_BUFFER_MAX}): dropping the oldest records`);
      this.dropped += over;
    }
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Sends one batch unless one is on its way or a retry is not due; true when a batch was stored. */
  async flush(timeoutMs = APPEND_TIMEOUT_MS): Promise<boolean> {
    if (this.sending || !this.buffer.length || Date.now() < this.retryAt) return false;
    const batch = this.buffer.slice(0, AuditAppend.MAX_BATCH);
    let ok = false;
    this.sending = this.bus.request(AuditAppend.contract, { records: batch }, timeoutMs).then(
      () => {
        this.remove(batch);
        this.sent += batch.length;
        this.failures = 0;
        ok = true;
      },
      (err: unknown) => {
        if (err instanceof GlimpseError && !ERROR_CODES[err.code].transient) {
          // refused, not failed: sending it again would be refused again and hold up every later record
          this.log.error(`audit batch of ${batch.length} refused by the matcher: ${err.message}`);
          this.remove(batch);
          this.dropped += batch.length;
          return;
        }
        this.failures++;
        this.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, this.cfg.AUDIT_FLUSH_MS * 2 ** this.failures);
        if (this.failures === 1)
          this.log.warn(`audit records wait in memory: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    await this.sending;
    this.sending = undefined;
    return ok;
  }

  /** Records dropped meanwhile may have shifted the buffer: removes exactly these. */
  private remove(batch: readonly AuditRecord[]): void {
    const ids = new Set(batch.map((r) => r.id));
    this.buffer = this.buffer.filter((r) => !ids.has(r.id));
  }
}
