/** The Cameras page's pure logic: what `GET /api/v1/cameras` returns, and how the page words it. */

export type CameraState = 'paused' | 'pending' | 'starting' | 'running' | 'reconnecting';

export interface ApiCamera {
  id: string;
  name: string;
  /** Redacted by the server: `rtsp://user:***@host/…`. */
  url: string;
  fps: number;
  enabled: boolean;
  threshold: number | null;
  transport: 'tcp' | 'udp';
  createdAt: string;
  updatedAt: string;
  state: CameraState;
  instance: string | null;
  error: string | null;
  since: string | null;
}

export interface CameraForm {
  name: string;
  url: string;
  fps: string;
  transport: 'tcp' | 'udp';
}

const STATE_TEXT: Record<CameraState, { label: string; color: string }> = {
  running: { label: 'Running', color: '#1f9d55' },
  starting: { label: 'Connecting', color: '#3b82f6' },
  reconnecting: { label: 'Reconnecting', color: '#d97706' },
  pending: { label: 'Waiting for a capture instance', color: '#7b8194' },
  paused: { label: 'Paused', color: '#7b8194' },
};

export const stateText = (s: CameraState) => STATE_TEXT[s] ?? { label: s, color: '#7b8194' };

/** The host of a camera URL, or null when it has none (a file path) or does not parse. */
export function hostOf(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    return host ? host.replace(/^\[|\]$/g, '') : null;
  } catch {
    return null;
  }
}

/**
 * Whether a host looks like it is on the LAN (private, loopback or link-local address, `.lan`/`.local`/
 * `.home` name, or a bare name): the capture service refuses such hosts unless the operator lists them in
 * STREAM_ALLOWED_HOSTS. A hint only; the server decides (and resolves names).
 */
export function looksLocal(host: string): boolean {
  const h = host.toLowerCase();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(':')) return h === '::1' || /^f[cd]/.test(h) || h.startsWith('fe80');
  return !h.includes('.') || /\.(lan|local|home|internal|localdomain)$/.test(h);
}

/** The POST body for a new camera, or the reason the form is not ready. */
export function cameraBody(f: CameraForm): { body: Record<string, unknown> } | { error: string } {
  const name = f.name.trim();
  const url = f.url.trim();
  if (!name) return { error: 'Give the camera a name.' };
  if (!url) return { error: 'Enter the camera’s stream URL, e.g. rtsp://user:password@192.168.1.20:554/stream1' };
  const fps = f.fps.trim() === '' ? undefined : Number(f.fps);
  if (fps !== undefined && !(fps > 0 && fps <= 30)) return { error: 'Snapshots per second must be between 0 and 30.' };
  const body: Record<string, unknown> = { name, url, transport: f.transport };
  if (fps !== undefined) body.fps = fps;
  return { body };
}
