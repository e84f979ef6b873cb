import { Injectable } from '@nestjs/common';
import { PrivacyGet } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { upstream } from '../upstream';

/** The matcher's answer is kept this long; its settings come from its environment and change only on restart. */
const CACHE_MS = 5_000;

/**
 * The privacy settings are one fact, the matcher's (BLUR_UNKNOWN, RECOGNITION_MODE: docs/privacy.md): the
 * gateway asks it (`privacy.get`) instead of reading its own environment, so what GET /api/v1/privacy
 * reports is what the gateway does. When the matcher cannot answer, the caller fails (503/504) rather than
 * answer an image that may show bystanders.
 */
@Injectable()
export class PrivacySettings {
  private cached: { at: number; reply: PrivacyGet.Reply } | undefined;

  constructor(@InjectBus() private readonly bus: Bus) {}

  async get(): Promise<PrivacyGet.Reply> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.reply;
    const reply = await upstream(this.bus.request(PrivacyGet.contract, {}));
    this.cached = { at: Date.now(), reply };
    return reply;
  }

  async blurUnknown(): Promise<boolean> {
    return (await this.get()).blurUnknown;
  }
}
