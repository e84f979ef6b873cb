import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from '@glimpse/testing';

export interface PrivateNats {
  url: string;
  /** JetStream's store directory (where stream files live). */
  storeDir: string;
  stop(): Promise<void>;
}

/**
 * A nats-server with JetStream of this test's own, on a free port: the shared 127.0.0.1:4222 has other
 * services in the same queue groups, which would take some of a test's requests.
 */
export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'glimpse-nats-'));
  const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';
  const child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const stop = async () => {
    await stopChild(child);
    rmSync(storeDir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return { url: `nats://127.0.0.1:${port}`, storeDir, stop };
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  await until(
    `nats-server to listen on ${port}`,
    () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      return new Promise<boolean>((resolve) => {
        const s = tcpConnect(port, '127.0.0.1', () => (s.end(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    },
    timeoutMs,
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGTERM');
  });
}
