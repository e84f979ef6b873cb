/**
 * Three nats-server nodes forming one JetStream cluster on loopback, each run from the shipped
 * infra/cluster/nats-node.conf with its identity in the environment, so the test exercises that file.
 * Nodes can be SIGKILLed and started again on the same ports and store directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'nats';
import { freePort } from '@glimpse/testing';

const CONF = resolve(__dirname, '..', '..', 'infra', 'cluster', 'nats-node.conf');

interface Node {
  name: string;
  clientPort: number;
  env: Record<string, string>;
  child?: ChildProcess;
  log: string;
}

export interface NatsCluster {
  /** All three client URLs, comma-separated (what NATS_URL gets). */
  url: string;
  names: string[];
  kill(name: string): Promise<void>;
  restart(name: string): Promise<void>;
  /** The nodes running now. */
  alive(): string[];
  /** Resolves once JetStream answers through a quorum (a meta leader is elected). */
  ready(timeoutMs?: number): Promise<void>;
  log(name: string): string;
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const base = mkdtempSync(join(tmpdir(), 'glimpse-cluster-'));
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({
      client: await freePort(),
      route: await freePort(),
      monitor: await freePort(),
    })),
  );
  const nodes: Node[] = ports.map((p, i) => {
    const routes = ports.filter((_, j) => j !== i).map((o) => `nats-route://127.0.0.1:${o.route}`);
    const env = {
      NODE_NAME: `nats-${i + 1}`,
      HOST: '127.0.0.1',
      CLIENT_PORT: String(p.client),
      CLUSTER_PORT: String(p.route),
      MONITOR_PORT: String(p.monitor),
      STORE_DIR: join(base, `nats-${i + 1}`),
      ROUTE_A: routes[0],
      ROUTE_B: routes[1],
    };
    return { name: env.NODE_NAME, clientPort: p.client, env, log: '' };
  });
  const byName = (name: string) => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  const url = nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(',');
  const cluster: NatsCluster = {
    url,
    names: nodes.map((n) => n.name),
    kill: async (name) => stopChild(byName(name).child, 'SIGKILL'),
    restart: async (name) => launch(byName(name)),
    alive: () =>
      nodes.filter((n) => n.child && n.child.exitCode === null && n.child.signalCode === null).map((n) => n.name),
    ready: (timeoutMs = 30_000) => waitForQuorum(url, timeoutMs),
    log: (name) => byName(name).log,
    stop: async () => {
      await Promise.all(nodes.map((n) => stopChild(n.child, 'SIGTERM')));
      rmSync(base, { recursive: true, force: true });
    },
  };
  try {
    for (const n of nodes) launch(n);
    await cluster.ready();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

function launch(n: Node): void {
  const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';
  const child = spawn(bin, ['-c', CONF], { env: { ...process.env, ...n.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (n.log = (n.log + c.toString()).slice(-6000)));
  n.child = child;
}

/** JetStream answers an account-info request only once the cluster has a meta leader (a quorum). */
async function waitForQuorum(servers: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    const nc = await connect({ servers: servers.split(','), timeout: 2000 }).catch(
      (e: Error) => ((last = e.message), null),
    );
    if (nc) {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2000 });
        await jsm.getAccountInfo();
        return;
      } catch (e) {
        last = (e as Error).message;
      } finally {
        await nc.close();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the NATS cluster has no JetStream quorum within ${timeoutMs} ms (${last})`);
}

function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => (clearTimeout(kill), done()));
    child.kill(signal);
  });
}
