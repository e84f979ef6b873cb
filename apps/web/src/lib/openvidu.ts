/**
 * The slice of openvidu-browser 2.32 the live camera uses, and its lazy loader. The library is not
 * bundled: the build copies its browser build to `/vendor/` (see vite.config.ts) and it is loaded with
 * a script element only when the gateway answers a session in OpenVidu mode.
 */

export interface OvPublisherProps {
  audioSource: false;
  videoSource?: MediaStreamTrack | string | false;
  publishAudio: boolean;
  publishVideo: boolean;
  resolution: string;
  frameRate: number;
  mirror: boolean;
  insertMode?: string;
}

export interface OvPublisher {
  stream?: { getMediaStream?: () => MediaStream };
  on?(event: string, handler: (ev: unknown) => void): unknown;
}

export interface OvSession {
  connect(token: string): Promise<void>;
  publish(publisher: OvPublisher): Promise<void>;
  unpublish(publisher: OvPublisher): void;
  disconnect(): void;
  on(event: string, handler: (ev: { reason?: string } & Record<string, unknown>) => void): unknown;
}

export interface OpenViduLike {
  initSession(): OvSession;
  initPublisherAsync(target: undefined, props: OvPublisherProps): Promise<OvPublisher>;
  enableProdMode?(): void;
}

export type OpenViduCtor = new () => OpenViduLike;

export const OPENVIDU_SCRIPT = '/vendor/openvidu-browser.min.js';

/** The publisher settings the recognizer is tuned for (README "OpenVidu mode"). */
export function publisherProps(track: MediaStreamTrack | null): OvPublisherProps {
  return {
    audioSource: false,
    ...(track ? { videoSource: track } : {}),
    publishAudio: false,
    publishVideo: true,
    resolution: '640x480',
    frameRate: 30,
    mirror: false,
  };
}

let loading: Promise<OpenViduCtor> | null = null;

/** Loads openvidu-browser once (a same-origin script, so a strict `script-src 'self'` CSP allows it). */
export function loadOpenVidu(src = OPENVIDU_SCRIPT): Promise<OpenViduCtor> {
  const w = window as unknown as { OpenVidu?: OpenViduCtor };
  if (w.OpenVidu) return Promise.resolve(w.OpenVidu);
  loading ??= new Promise<OpenViduCtor>((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.async = true;
    el.onload = () => (w.OpenVidu ? resolve(w.OpenVidu) : reject(new Error('openvidu-browser did not load')));
    el.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(el);
  }).catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}
