import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { TEST_ADMIN_KEY } from './auth';

/**
 * An in-process gateway on a free loopback port, quiet and with the test admin key, on the private NATS
 * at `natsUrl`. Uploads go to `uploadDir`; `env` adds or overrides settings. Close `app` when done.
 */
export async function startGateway(
  natsUrl: string,
  uploadDir: string,
  env: Record<string, string> = {},
): Promise<{ app: NestExpressApplication; port: number; base: string }> {
  const cfg = loadGatewayConfig({
    NATS_URL: natsUrl,
    LOG_LEVEL: 'error',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    UPLOAD_DIR: uploadDir,
    ...env,
  });
  const app = await createApp(cfg, false);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, port, base: `http://127.0.0.1:${port}` };
}
