import { Injectable } from '@nestjs/common';
import { Database } from './database/database';

/** Settings keys; values are stored as text. */
export const SETTING_THRESHOLD = 'threshold';

export interface StoredSetting {
  value: string;
  updatedAt: Date;
}

/** Operator settings that outlive a restart (table matcher_settings). */
@Injectable()
export class SettingsRepository {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<StoredSetting | null> {
    return this.db.prisma.matcherSetting.findUnique({ where: { key }, select: { value: true, updatedAt: true } });
  }

  async put(key: string, value: string): Promise<StoredSetting> {
    return this.db.prisma.matcherSetting.upsert({
      where: { key },
      create: { key, value },
      update: { value, updatedAt: new Date() },
      select: { value: true, updatedAt: true },
    });
  }

  async remove(key: string): Promise<void> {
    await this.db.prisma.matcherSetting.deleteMany({ where: { key } });
  }
}
