import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, createLogger } from '@glimpse/platform';
import { AppModule } from './app.module';
import { loadRecognizerConfig } from './config';

async function main(): Promise<void> {
  const cfg = loadRecognizerConfig();
  const logger = createLogger('recognizer', cfg.LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(cfg), { logger });
  app.enableShutdownHooks();
  logger.log(
    `recognizer ready (instance ${cfg.INSTANCE_ID}, workers ${cfg.WORKER_URLS.join(', ')}` +
      `${cfg.WORKER_SPAWN ? ' spawned here' : ''}, ${cfg.DETECTOR} detector, concurrency ${cfg.CONCURRENCY})`,
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
