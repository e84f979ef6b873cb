import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

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
  plugins: [react()],
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
