/**
 * The capture service as the camera tests run it: its built entry point as a child process, with its output
 * kept (a test checks what it logged, and that it never logged a camera's password), and a stand-in for the
 * matcher's privacy settings, which the gateway asks before it hands out a camera frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { PrivacyGet } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';

export const CAPTURE_MAIN = resolve(__dirname, '..', '..', 'services', 'capture', 'dist', 'main.js');

export interface CaptureProcess {
  child: ChildProcess;
  /** The last `keepChars` characters of its stdout and stderr. */
  readonly log: string;
}

/** Starts services/capture/dist/main.js with the test's environment plus `env`. */
export function spawnCapture(env: Record<string, string>, keepChars = 100_000): CaptureProcess {
  const child = spawn(process.execPath, [CAPTURE_MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-keepChars));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    child,
    get log() {
      return log;
    },
  };
}

/**
 * Answers privacy.get as a matcher would (BLUR_UNKNOWN is the matcher's setting): without an answer the
 * gateway refuses to hand out a camera frame rather than risk an unblurred bystander.
 */
export function answerPrivacy(bus: Bus, blurUnknown: boolean): void {
  bus.handle(
    PrivacyGet.contract,
    async () => ({
      recognitionMode: 'remember' as const,
      blurUnknown,
      cropsEncrypted: false,
      cropKeyId: null,
      auditRetentionDays: 180,
      unnamedRetentionDays: 0,
    }),
    { queue: PrivacyGet.queue },
  );
}
