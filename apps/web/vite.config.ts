import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * openvidu-browser is only needed for a gateway in OpenVidu mode. Bundling it drags in Node
 * polyfills, so its own browser build is served as `/vendor/openvidu-browser.min.js` (dev
 * server) and copied there into dist (build); `src/lib/openvidu.ts` loads it on demand.
 */
function openviduBrowser(): Plugin {
  const url = '/vendor/openvidu-browser.min.js';
  const file = () => {
    const pkg = createRequire(import.meta.url).resolve('openvidu-browser/package.json');
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    return join(dirname(pkg), 'static', 'js', `openvidu-browser-${version}.min.js`);
  };
  return {
    name: 'glimpse-openvidu-browser',
    configureServer(server) {
      server.middlewares.use(url, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(readFileSync(file()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: url.slice(1), source: readFileSync(file()) });
    },
  };
}

/** The gateway the dev server and `vite preview` forward API calls to. */
const gateway = process.env.GLIMPSE_GATEWAY ?? 'http://localhost:3000';

const proxy = {
  '/api': { target: gateway, changeOrigin: true },
  '/healthz': { target: gateway, changeOrigin: true },
  '/ws': { target: gateway, ws: true, changeOrigin: true },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), openviduBrowser()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // no inline <script>/<style>: the gateway will send a strict CSP
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
});
