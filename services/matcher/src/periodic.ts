import type { LoggerService } from '@nestjs/common';

/**
 * Runs `task` now and then every `intervalMs`, never two at once; a failure is logged and the next
 * run tries again. `stop()` waits for a run in progress.
 */
export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly log: Pick<LoggerService, 'warn'>,
  ) {}

  start(): void {
    this.stopped = false;
    void this.run();
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs now unless a run is in progress; resolves when that run ends. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.current ??= this.task()
      .then(() => undefined)
      .catch((err: unknown) =>
        this.log.warn(`${this.name} failed: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => (this.current = undefined));
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.current;
  }
}
