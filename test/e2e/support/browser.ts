/**
 * Headless Chromium as a real camera client: a y4m file made from fixture photos is its fake
 * camera, and the page is the gateway's React client.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM, openFakeCamera, type FakeCamera } from '../../support/chromium';
import { slideshow } from '../../support/media';

export { CHROMIUM };
export const ARTIFACTS = resolve(__dirname, '..', '..', '..', 'test-artifacts', 'e2e');

/**
 * A 640x480 y4m showing each photo for `seconds` (letterboxed, as a webcam would frame a face).
 * Chromium plays it in a loop as its camera.
 */
export const cameraFile = (photos: string[], seconds: number, out: string, fps = 15): string =>
  slideshow(photos, seconds, out, { fps, padColor: 'gray', output: ['-f', 'yuv4mpegpipe'] });

export type Camera = FakeCamera;

/** A fresh Chromium whose only camera is `y4m`, on `url`. */
export const openCamera = (url: string, y4m: string): Promise<Camera> =>
  openFakeCamera(url, y4m, { viewport: { width: 1280, height: 900 } });

export interface Card {
  personId: string;
  /** The card's first face was a new person. */
  isNew: boolean;
  badge: string;
  text: string;
  /** A stream card is one sighting: the frames it was seen in, and when first and last (ISO). */
  frames: number;
  firstSeen: string;
  lastSeen: string;
}

/** Result cards, oldest first (the page lists them newest first). */
export async function cards(page: Page): Promise<Card[]> {
  const list = await page.$$eval('[data-testid=result-card]', (els) =>
    els.map((e) => ({
      personId: (e as HTMLElement).dataset.personId ?? '',
      isNew: (e as HTMLElement).dataset.new === 'true',
      badge: e.querySelector('[data-testid=person-badge]')?.textContent?.trim() ?? '',
      text: e.querySelector('[data-testid=similarity]')?.textContent?.trim() ?? '',
      frames: Number((e as HTMLElement).dataset.frames ?? 1),
      firstSeen: (e as HTMLElement).dataset.firstSeen ?? '',
      lastSeen: (e as HTMLElement).dataset.lastSeen ?? '',
    })),
  );
  return list.reverse();
}

/** Consecutive runs of the same person: [{personId, first card of the run}]. */
export function runs(list: Card[]): Card[] {
  const out: Card[] = [];
  for (const c of list) if (out[out.length - 1]?.personId !== c.personId) out.push(c);
  return out;
}

/** Boxes on the overlay right now: the page's own count, and painted pixels read back from the canvas. */
export function overlayState(page: Page): Promise<{ boxes: number; painted: number }> {
  return page.$eval('[data-testid=overlay]', (el) => {
    const c = el as HTMLCanvasElement;
    const ctx = c.getContext('2d');
    let painted = 0;
    if (ctx && c.width && c.height) {
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
    }
    return { boxes: Number(c.dataset.boxes ?? 0), painted };
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
