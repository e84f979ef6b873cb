import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Bus, ConfigError, InjectBus } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A worker that stayed up this long counts as healthy again: the next crash restarts it at once. */
const STABLE_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const PYTHON_LOG_LEVELS = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' } as const;

/**
 * With WORKER_SPAWN=true, runs the Python worker as a child process serving the first WORKER_URLS
 * entry, restarts it with exponential backoff when it dies, and stops it on shutdown once the bus
 * has drained (frames in flight still need it).
 */
@Injectable()
export class WorkerProcess implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('WorkerProcess');
  private child?: ChildProcess;
  private restartTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopping = false;
  /** How many times the worker was started. */
  starts = 0;

  constructor(
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    @InjectBus() private readonly bus: Bus,
  ) {}

  onModuleInit(): void {
    if (!this.cfg.WORKER_SPAWN) return;
    if (!existsSync(this.cfg.WORKER_PYTHON)) {
      throw new ConfigError(
        `WORKER_SPAWN=true but ${this.cfg.WORKER_PYTHON} does not exist: run bash ${this.cfg.WORKER_DIR}/setup.sh (or set WORKER_PYTHON)`,
      );
    }
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.cfg.WORKER_SPAWN) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.bus.close();
    await this.stop();
  }

  private start(): void {
    const url = new URL(this.cfg.WORKER_URLS[0]);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const started = Date.now();
    this.starts++;
    this.log.log(`starting ${this.cfg.WORKER_PYTHON} -m app on ${url.hostname}:${port}`);
    const child = spawn(this.cfg.WORKER_PYTHON, ['-m', 'app'], {
      cwd: this.cfg.WORKER_DIR,
      env: {
        GLIMPSE_WORKER_LOG_LEVEL: PYTHON_LOG_LEVELS[this.cfg.LOG_LEVEL],
        ...process.env,
        GLIMPSE_WORKER_HOST: url.hostname,
        GLIMPSE_WORKER_PORT: port,
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.relay(d));
    child.stderr?.on('data', (d: Buffer) => this.relay(d));
    let gone = false;
    const onGone = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      this.failures = Date.now() - started >= STABLE_MS ? 0 : this.failures + 1;
      const delay = this.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.failures - 1));
      this.log.error(`worker ${why}; restarting in ${delay} ms`);
      this.restartTimer = setTimeout(() => this.start(), delay);
    };
    child.once('error', (err) => onGone(`failed to start: ${err.message}`));
    child.once('exit', (code, signal) => onGone(`exited (${signal ?? `code ${code}`})`));
  }

  private async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  }

  private relay(chunk: Buffer): void {
    for (const line of chunk.toString().split('\n')) if (line.trim()) this.log.log(line.trimEnd());
  }
}
