/**
 * Drives WHIP publishers that run in a child process (whip-publisher.js, @roamhq/wrtc): the test
 * runner itself never loads wrtc, whose native teardown can crash a process when it exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface PublishOptions {
  /** Absolute WHIP endpoint. */
  url: string;
  token?: string;
  /** Milliseconds between frames (66: 15 fps). */
  frameMs?: number;
  /** Rewrites the offer before it is sent (bad-input tests). */
  mangle?: { pattern: string; replacement: string };
  /** Offer H.264 only (as OBS with its default encoder does). */
  h264Only?: boolean;
  contentType?: string;
}

export interface Publisher {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Absolute URL of the WHIP resource (from Location), when one was created. */
  resource?: string;
  connected(ms?: number): Promise<void>;
  sent(): Promise<number>;
  /** Stops and closes without telling the server, as a closed tab does. */
  vanish(): Promise<void>;
  /** DELETE the resource, then close; null when there was none. */
  stop(): Promise<{ status: number; body: string } | null>;
}

export class WhipPublishers {
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private frameSet = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(m.error));
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`WHIP publisher process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  /** Starts the publisher process; `photos` are sent in turn (a test pattern without them). */
  static async start(photos: string[] = []): Promise<WhipPublishers> {
    const child = fork(join(__dirname, 'whip-publisher.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const host = new WhipPublishers(child);
    host.frameSet = await host.call<number>('frames', { photos });
    return host;
  }

  call<T>(op: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op, args });
    });
  }

  async publish(o: PublishOptions): Promise<Publisher> {
    const r = await this.call<{
      id: number;
      status: number;
      headers: Record<string, string>;
      body: string;
      resource?: string;
    }>('publish', {
      ...o,
      frameSet: this.frameSet,
    });
    const id = r.id;
    return {
      ...r,
      connected: async (ms?: number) => void (await this.call('connected', { id, ms })),
      sent: () => this.call<number>('sent', { id }),
      vanish: async () => void (await this.call('vanish', { id })),
      stop: () => this.call('stop', { id }),
    };
  }

  /** Peer connections still open in the publisher process. */
  open(): Promise<number> {
    return this.call<number>('open');
  }

  /** SIGKILL: the process holds nothing that needs a clean exit. */
  async close(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}
