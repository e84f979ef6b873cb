import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { ThresholdGet, ThresholdSet } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { SETTING_THRESHOLD, SettingsRepository, type StoredSetting } from './settings.repository';

/**
 * The applied matching threshold (from calibration, through the API). It is written into the shared config
 * object's THRESHOLD, which every matching decision reads per request, so an applied value takes effect at
 * once without each reader knowing about settings; the THRESHOLD variable stays the fallback.
 * Stored in the database (a restart keeps it) and announced on ThresholdSet.changed, so every instance
 * reloads it.
 */
@Injectable()
export class SettingsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly log = new Logger(SettingsService.name);
  private readonly configured: number;
  private applied: StoredSetting | null = null;

  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'THRESHOLD'>,
    private readonly settings: SettingsRepository,
    @InjectBus() private readonly bus: Bus,
  ) {
    this.configured = config.THRESHOLD;
  }

  /** Before the handlers start (onApplicationBootstrap), so the first frame already sees the applied value. */
  async onModuleInit(): Promise<void> {
    await this.reload();
    if (this.applied)
      this.log.log(`applied threshold ${this.config.THRESHOLD} (THRESHOLD variable: ${this.configured})`);
  }

  onApplicationBootstrap(): void {
    this.bus.subscribe(ThresholdSet.changed, () =>
      this.reload().catch((err) => this.log.warn(`threshold not reloaded: ${String(err)}`)),
    );
  }

  get threshold(): number {
    return this.config.THRESHOLD;
  }

  get(): ThresholdGet.Reply {
    return {
      threshold: this.config.THRESHOLD,
      origin: this.applied ? 'applied' : 'config',
      updatedAt: this.applied?.updatedAt.toISOString() ?? null,
    };
  }

  async set(req: ThresholdSet.Request): Promise<ThresholdSet.Reply> {
    if (req.threshold === null) await this.settings.remove(SETTING_THRESHOLD);
    else await this.settings.put(SETTING_THRESHOLD, String(req.threshold));
    await this.reload();
    this.log.log(`threshold set to ${this.config.THRESHOLD} (${this.applied ? 'applied' : 'THRESHOLD variable'})`);
    try {
      this.bus.publish(ThresholdSet.changed, [], { threshold: this.config.THRESHOLD });
    } catch (err) {
      // stored already: other instances pick it up at their next start
      this.log.warn(`threshold change not announced: ${String(err)}`);
    }
    return this.get();
  }

  private async reload(): Promise<void> {
    const stored = await this.settings.get(SETTING_THRESHOLD);
    const value = stored ? Number(stored.value) : NaN;
    const valid = Number.isFinite(value) && value > 0 && value < 2;
    if (stored && !valid) this.log.warn(`ignoring the stored threshold '${stored.value}': not a number in (0, 2)`);
    this.applied = valid ? stored : null;
    this.config.THRESHOLD = valid ? value : this.configured;
  }
}
