import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM: string;
export function fakeCameraArgs(y4m: string): string[];
export interface FakeCamera {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}
export function openFakeCamera(
  url: string,
  y4m: string,
  options?: { viewport?: { width: number; height: number } },
): Promise<FakeCamera>;
export function launchChromium(): Promise<Browser>;
