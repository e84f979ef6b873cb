import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, createLogger } from '@glimpse/platform';
import { AppModule } from './app.module';
import { loadCaptureConfig } from './config';

async function main(): Promise<void> {
  const cfg = loadCaptureConfig();
  const logger = createLogger('capture', cfg.LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(cfg), { logger });
  app.enableShutdownHooks();
  logger.log(`capture ready (instance ${cfg.INSTANCE_ID}, up to ${cfg.MAX_STREAMS} streams)`);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
