/** The Cameras page's pure logic: what `GET /api/v1/cameras` returns, and how the page words it. */
import { personLabel } from './format';
import type { ApiCamera, CameraDecode, CameraState, HostCheck, RecognitionMessage } from './types';

export interface CameraForm {
  name: string;
  url: string;
  fps: string;
  transport: 'tcp' | 'udp';
  decode: CameraDecode;
}

/** What the page says about a checked URL; null when there is nothing worth saying (a public host, allowed). */
export function hostCheckText(c: HostCheck): { allowed: boolean; text: string } | null {
  const host = c.host ?? 'this address';
  if (c.allowed && !c.private) return null;
  if (c.allowed)
    return { allowed: true, text: `${host} is a LAN address, and the operator allows it (STREAM_ALLOWED_HOSTS).` };
  if (c.private) {
    return {
      allowed: false,
      text: `${host} is a LAN address that the operator has not allowed: the capture service refuses it until STREAM_ALLOWED_HOSTS lists it (for example STREAM_ALLOWED_HOSTS=${c.host ?? '192.168.1.0/24'} or a range such as 192.168.1.0/24).`,
    };
  }
  return { allowed: false, text: c.reason ?? 'the capture service refuses this URL' };
}

/** Live figures of a camera from the WebSocket: its stream's status and recognition messages. */
export interface CameraFeed {
  /** Snapshots recognized per second, from the last two status messages; null until two have come. */
  rate: number | null;
  status?: { at: number; processed: number };
  /** The latest frame with faces: who was in it, and when it was captured. */
  lastResult?: { capturedAt: string; names: string[] };
}

export const EMPTY_FEED: CameraFeed = { rate: null };

/** A stream status message (every STATUS_INTERVAL_MS): the rate is the processed frames over the time between two. */
export function feedStatus(feed: CameraFeed, processed: number, now: number): CameraFeed {
  const prev = feed.status;
  const status = { at: now, processed };
  // a restarted stream counts from 0 again: no rate from that pair
  if (!prev || processed < prev.processed || now - prev.at < 200)
    return { ...feed, status, rate: prev && processed >= prev.processed ? feed.rate : null };
  return { ...feed, status, rate: Math.round(((processed - prev.processed) * 10_000) / (now - prev.at)) / 10 };
}

export function feedRecognition(feed: CameraFeed, msg: RecognitionMessage): CameraFeed {
  if (!msg.faces.length) return feed;
  return { ...feed, lastResult: { capturedAt: msg.frame.capturedAt, names: msg.faces.map((f) => personLabel(f)) } };
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

/** The POST body for a new camera, or the reason the form is not ready. */
export function cameraBody(f: CameraForm): { body: Record<string, unknown> } | { error: string } {
  const name = f.name.trim();
  const url = f.url.trim();
  if (!name) return { error: 'Give the camera a name.' };
  if (!url) return { error: 'Enter the camera’s stream URL, e.g. rtsp://user:password@192.168.1.20:554/stream1' };
  const fps = f.fps.trim() === '' ? undefined : Number(f.fps);
  if (fps !== undefined && !(fps > 0 && fps <= 30)) return { error: 'Snapshots per second must be between 0 and 30.' };
  const body: Record<string, unknown> = { name, url, transport: f.transport, decode: f.decode };
  if (fps !== undefined) body.fps = fps;
  return { body };
}

/** The edit form of an existing camera: `url` blank keeps the stored one (its password is never shown back). */
export type CameraEdit = CameraForm;

export const editFormOf = (c: ApiCamera): CameraEdit => ({
  name: c.name,
  url: '',
  fps: String(c.fps),
  transport: c.transport,
  decode: c.decode,
});

/** The PATCH body with only what changed, or the reason the form is not ready; an empty patch changes nothing. */
export function cameraPatch(c: ApiCamera, f: CameraEdit): { patch: Record<string, unknown> } | { error: string } {
  const built = cameraBody({ ...f, url: f.url.trim() || 'unchanged' });
  if ('error' in built) return built;
  const patch: Record<string, unknown> = {};
  const b = built.body;
  if (b.name !== c.name) patch.name = b.name;
  if (f.url.trim()) patch.url = f.url.trim();
  if (b.fps !== undefined && b.fps !== c.fps) patch.fps = b.fps;
  if (b.transport !== c.transport) patch.transport = b.transport;
  if (b.decode !== c.decode) patch.decode = b.decode;
  return { patch };
}
