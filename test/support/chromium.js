// Headless Debian Chromium whose only camera is a y4m file: the e2e tests and `npm run bench`'s live
// rows launch it the same way. Plain CommonJS (typed by chromium.d.ts) so that the .mjs bench can load it.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium's flags: no sandbox or GPU (containers), no background traffic, and `y4m` as the camera, allowed without asking. */
function fakeCameraArgs(y4m) {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
  ];
}

/** A fresh Chromium profile whose camera is `y4m`, its first tab on `url`; close() removes the profile. */
async function openFakeCamera(url, y4m, options = {}) {
  const { chromium } = require('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'glimpse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...(options.viewport ? { viewport: options.viewport } : {}),
    args: fakeCameraArgs(y4m),
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  return {
    context,
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium with no camera, for pages that need none. */
function launchChromium() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

module.exports = { CHROMIUM, fakeCameraArgs, launchChromium, openFakeCamera };
