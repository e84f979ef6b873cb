import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@glimpse/platform';
import { AppModule } from './app.module';
import { loadMatcherConfig } from './config';
import { Database } from './database/database';

async function bootstrap(): Promise<void> {
  const config = loadMatcherConfig();
  const logger = createLogger('matcher', config.LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger });
  app.enableShutdownHooks();
  await app.init();
  const db = app.get(Database);
  const rule =
    config.MATCH_RULE === 'nearest'
      ? `nearest face < ${config.THRESHOLD}`
      : `person: distance ${config.MATCH_DISTANCE} - ${config.MATCH_DISTANCE_SLOPE}/decade over ${config.MATCH_REFERENCE_PERSONS} persons, ratio ${config.MATCH_RATIO}`;
  logger.log(`matcher ready (database ${db.detail}, rule ${rule}, k ${config.MATCH_K})`);
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
