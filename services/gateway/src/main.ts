import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { ConfigError, createLogger } from '@glimpse/platform';
import { createApp } from './app';
import { loadGatewayConfig, type GatewayConfig } from './config';
import { answerClientErrors } from './problem-client-error';

async function main(): Promise<void> {
  let cfg: GatewayConfig;
  try {
    cfg = loadGatewayConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`gateway: ${err.message}`);
    process.exit(1);
  }
  const logger = createLogger('gateway', cfg.LOG_LEVEL);
  const app = await createApp(cfg, logger);
  app.enableShutdownHooks();
  answerClientErrors(app.getHttpServer()); // malformed requests get problem+json too, not Node's bare 400
  await app.listen(cfg.PORT, cfg.HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(`gateway listening on http://localhost:${port} (instance ${cfg.INSTANCE_ID}, NATS ${cfg.NATS_URL})`);
}

main().catch((err) => {
  console.error(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
