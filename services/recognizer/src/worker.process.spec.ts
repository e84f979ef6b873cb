import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigError, type Bus } from '@glimpse/platform';
import { sleep, strictMock } from '@glimpse/testing';
import { loadRecognizerConfig } from './config';
import { WorkerProcess } from './worker.process';

/** A stand-in interpreter: records how it was started, then runs `body`. */
function fakePython(body: string): { dir: string; python: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-fake-worker-'));
  const python = join(dir, 'python');
  const log = join(dir, 'starts.log');
  writeFileSync(python, `#!/bin/sh\necho "$* $GLIMPSE_WORKER_HOST:$GLIMPSE_WORKER_PORT $(pwd)" >> ${log}\n${body}\n`);
  chmodSync(python, 0o755);
  return { dir, python, log };
}

function supervisor(python: string, dir: string, spawn = 'true') {
  const cfg = loadRecognizerConfig({
    WORKER_SPAWN: spawn,
    WORKER_PYTHON: python,
    WORKER_DIR: dir,
    WORKER_URLS: 'http://127.0.0.1:8599',
  });
  const close = jest.fn().mockResolvedValue(undefined);
  return { proc: new WorkerProcess(cfg, strictMock<Bus>('bus', { close })), close };
}

beforeAll(() => Logger.overrideLogger(false));

describe('WorkerProcess', () => {
  it('does nothing unless WORKER_SPAWN is set', async () => {
    const { proc } = supervisor('/nonexistent/python', '/nonexistent', 'false');
    proc.onModuleInit();
    await proc.onApplicationShutdown();
    expect(proc.starts).toBe(0);
  });

  it('refuses to start without the venv', () => {
    const { proc } = supervisor('/nonexistent/python', '/nonexistent');
    expect(() => proc.onModuleInit()).toThrow(ConfigError);
    expect(() => proc.onModuleInit()).toThrow(/setup\.sh/);
  });

  it('starts `python -m app` on the first worker URL and restarts it with growing delays', async () => {
    const { dir, python, log } = fakePython('exit 3');
    const { proc, close } = supervisor(python, dir);
    proc.onModuleInit();
    await sleep(1_000); // exits at once: restarts after 0.5 s, then waits 1 s
    expect(proc.starts).toBe(2);
    await proc.onApplicationShutdown();
    expect(close).toHaveBeenCalled();
    await sleep(1_000);
    expect(proc.starts).toBe(2); // no restart after shutdown
    expect(readFileSync(log, 'utf8').trim().split('\n')[0]).toBe(`-m app 127.0.0.1:8599 ${dir}`);
  });

  it('drains the bus, then stops the running worker on shutdown', async () => {
    const { dir, python } = fakePython('exec sleep 30');
    const { proc, close } = supervisor(python, dir);
    proc.onModuleInit();
    await sleep(200); // clock time: the fake worker is up and sleeping
    const started = Date.now();
    await proc.onApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(close).toHaveBeenCalled();
    expect(proc.starts).toBe(1);
  });
});
