import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'rtsp-server.py');

/** A Python with GStreamer's RTSP server bindings (Debian: python3-gi, gir1.2-gst-rtsp-server-1.0), or undefined. */
export function rtspPython(): string | undefined {
  const candidates = [process.env.RTSP_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
  return candidates.find(
    (p) => (p.includes('/') ? existsSync(p) : true) && spawnSync(p, ['-c', probe], { stdio: 'ignore' }).status === 0,
  );
}

export interface RtspServer {
  port: number;
  /** `rtsp://[user:password@]127.0.0.1:port/path` */
  url(path: string, credentials?: string): string;
  /** SIGKILL: the camera vanishes without a goodbye. */
  kill(): Promise<void>;
}

/**
 * test/support/rtsp-server.py on `port`, serving `mounts` (`/path` → `file.mp4` or `h265:file.mp4`);
 * resolves once it listens.
 */
export async function startRtspServer(
  python: string,
  port: number,
  mounts: Record<string, string>,
  auth?: { user: string; password: string },
): Promise<RtspServer> {
  const args = [SCRIPT, '--port', String(port), ...(auth ? ['--user', auth.user, '--password', auth.password] : [])];
  const child: ChildProcess = spawn(python, [...args, ...Object.entries(mounts).map(([p, f]) => `${p}=${f}`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`RTSP server did not start:\n${out}`)), 15_000);
    const on = (b: Buffer) => {
      out += b.toString();
      if (out.includes('READY')) (clearTimeout(timer), resolve());
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`RTSP server exited with ${code}:\n${out}`))));
  });
  return {
    port,
    url: (path, credentials) => `rtsp://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}${path}`,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
