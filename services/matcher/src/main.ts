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
  logger.log(`matcher ready (database ${db.detail}, threshold ${config.THRESHOLD}, k ${config.MATCH_K})`);
}

bootstrap().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
