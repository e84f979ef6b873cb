import { ApiError, bearer, errorText, jsonInit, requestJson, request, type FetchLike } from './http';
import { LatencyMeter, SnapshotRate } from './metrics';
import { ResultsSocket, wsUrl, type SocketOptions, type SocketState } from './socket';
import { FINISHED_STATES, type LiveSession, type RecognitionMessage, type StreamInfo } from './types';
import { loadOpenVidu, publisherProps, type OpenViduCtor, type OvPublisher, type OvSession } from './openvidu';
import { whipDelete, whipPublish, type PublishPc } from './whip';

/** What the camera asks for: the size and rate the recognizer is tuned for. */
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  video: { width: 640, height: 480, frameRate: 30 },
  audio: false,
};

export const DEFAULT_THRESHOLD = 0.6;
export const MIN_THRESHOLD = 0.3;
export const MAX_THRESHOLD = 0.8;

export type CameraPhase = 'idle' | 'starting' | 'live' | 'stopping' | 'error';
export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'error';
export type PcState = RTCPeerConnectionState;

/** The one word the status line shows, from the camera phase, the peer connection and the socket. */
export function connectionState(phase: CameraPhase, pc: PcState | null, ws: SocketState): ConnectionState {
  if (phase === 'idle' || phase === 'stopping') return 'idle';
  if (phase === 'error') return 'error';
  if (phase === 'starting') return 'connecting';
  if (pc === 'failed' || pc === 'closed') return 'error';
  if (pc === 'disconnected' || ws === 'reconnecting') return 'reconnecting';
  if (pc === 'connected' && ws === 'open') return 'live';
  return 'connecting';
}

/** Older browsers without `connectionState` still report ICE state. */
export function pcStateOf(pc: { connectionState?: PcState; iceConnectionState?: RTCIceConnectionState }): PcState {
  if (pc.connectionState) return pc.connectionState;
  switch (pc.iceConnectionState) {
    case 'connected':
    case 'completed':
      return 'connected';
    case 'checking':
      return 'connecting';
    case 'disconnected':
      return 'disconnected';
    case 'failed':
      return 'failed';
    case 'closed':
      return 'closed';
    default:
      return 'new';
  }
}

export interface CameraError {
  title: string;
  detail: string;
  /** Offer a "Restart camera" button. */
  restartable: boolean;
}

/** getUserMedia's DOMException names, in words a user can act on. */
export function cameraErrorMessage(err: unknown): CameraError {
  const name = (err as { name?: string } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return {
        title: 'Camera blocked',
        detail:
          'The browser did not allow the camera. Allow it for this site (the camera icon in the address bar) and try again.',
        restartable: true,
      };
    case 'NotFoundError':
    case 'OverconstrainedError':
      return { title: 'No camera', detail: 'No camera was found on this device.', restartable: true };
    case 'NotReadableError':
    case 'AbortError':
      return {
        title: 'Camera busy',
        detail: 'The camera is in use by another application, or could not be opened.',
        restartable: true,
      };
    default: {
      const { title, detail } = errorText(err);
      return { title: title === 'Error' ? 'Camera error' : title, detail, restartable: true };
    }
  }
}

type PeerConnection = PublishPc &
  Pick<RTCPeerConnection, 'close' | 'connectionState' | 'iceConnectionState'> & {
    onconnectionstatechange: ((ev: Event) => void) | null;
    oniceconnectionstatechange: ((ev: Event) => void) | null;
  };

export interface SocketLike {
  readonly state: SocketState;
  subscribe(streamId: string): void;
  close(): void;
}

export interface CameraDeps {
  fetch: FetchLike;
  getUserMedia: ((c: MediaStreamConstraints) => Promise<MediaStream>) | null;
  createPeerConnection: () => PeerConnection;
  createSocket: (opts: SocketOptions) => SocketLike;
  location: { protocol: string; host: string; href: string };
  now: () => number;
  /** openvidu-browser's `OpenVidu` class, loaded only for a session in OpenVidu mode. */
  loadOpenVidu: () => Promise<OpenViduCtor>;
}

export function browserCameraDeps(): CameraDeps {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  return {
    fetch: (input, init) => fetch(input, init),
    getUserMedia: md?.getUserMedia ? (c) => md.getUserMedia(c) : null,
    createPeerConnection: () => new RTCPeerConnection({ bundlePolicy: 'max-bundle' }) as unknown as PeerConnection,
    createSocket: (opts) => {
      const s = new ResultsSocket(opts);
      s.connect();
      return s;
    },
    location: window.location,
    now: () => Date.now(),
    loadOpenVidu: () => loadOpenVidu(),
  };
}

export interface CameraSnapshot {
  phase: CameraPhase;
  connection: ConnectionState;
  pcState: PcState | null;
  wsState: SocketState;
  /** The local camera, for the preview `<video>`. */
  media: MediaStream | null;
  session: LiveSession | null;
  stream: StreamInfo | null;
  error: CameraError | null;
}

const INITIAL: CameraSnapshot = {
  phase: 'idle',
  connection: 'idle',
  pcState: null,
  wsState: 'idle',
  media: null,
  session: null,
  stream: null,
  error: null,
};

/**
 * The live camera, without React: camera → session → WHIP publish → results socket, and the reverse
 * on stop. React reads it through `subscribe`/`getSnapshot` (useSyncExternalStore).
 */
export class LiveCamera {
  private snap: CameraSnapshot = INITIAL;
  private readonly listeners = new Set<() => void>();
  private readonly resultListeners = new Set<(msg: RecognitionMessage) => void>();
  private generation = 0;
  private pc: PeerConnection | null = null;
  private socket: SocketLike | null = null;
  private resourceUrl: string | null = null;
  private ov: { session: OvSession; publisher: OvPublisher | null } | null = null;
  private readonly rate = new SnapshotRate();
  private readonly latency = new LatencyMeter();

  constructor(private readonly deps: CameraDeps) {}

  // ---- store ---------------------------------------------------------------------------------

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): CameraSnapshot => this.snap;

  onRecognition(fn: (msg: RecognitionMessage) => void): () => void {
    this.resultListeners.add(fn);
    return () => this.resultListeners.delete(fn);
  }

  metrics(now = this.deps.now()): { fps: number | null; latencyMs: number | null } {
    return { fps: this.rate.rate(now), latencyMs: this.latency.latest(now) };
  }

  private set(patch: Partial<CameraSnapshot>): void {
    const next = { ...this.snap, ...patch };
    next.connection = connectionState(next.phase, next.pcState, next.wsState);
    this.snap = next;
    for (const fn of this.listeners) fn();
  }

  dismissError(): void {
    if (this.snap.error) this.set({ error: null, phase: this.snap.phase === 'error' ? 'idle' : this.snap.phase });
  }

  // ---- start / stop ---------------------------------------------------------------------------

  async start(threshold?: number): Promise<void> {
    if (this.snap.phase === 'starting' || this.snap.phase === 'live' || this.snap.phase === 'stopping') return;
    const gen = ++this.generation;
    this.rate.reset();
    this.latency.reset();
    this.set({ ...INITIAL, phase: 'starting' });

    const { getUserMedia } = this.deps;
    if (!getUserMedia) {
      this.fail(gen, {
        title: 'Camera unavailable',
        detail: 'This browser offers no camera here. The camera needs a secure page (HTTPS or localhost).',
        restartable: false,
      });
      return;
    }
    let media: MediaStream;
    try {
      media = await getUserMedia(CAMERA_CONSTRAINTS);
    } catch (err) {
      this.fail(gen, cameraErrorMessage(err));
      return;
    }
    if (gen !== this.generation) return stopTracks(media);
    this.set({ media });
    const track = media.getVideoTracks()[0];
    if (!track) {
      stopTracks(media);
      this.fail(gen, { title: 'No camera', detail: 'The browser returned no video track.', restartable: true });
      return;
    }
    track.addEventListener('ended', () => {
      if (gen === this.generation && this.snap.phase === 'live') {
        void this.teardown(gen, {
          title: 'Camera stopped',
          detail: 'The camera was disconnected or its permission was revoked.',
          restartable: true,
        });
      }
    });

    try {
      const body = threshold == null ? {} : { threshold };
      const session = await requestJson<LiveSession>('/api/v1/sessions', jsonInit('POST', body), this.deps.fetch);
      if (gen !== this.generation) return;
      this.set({ session });

      if (session.mode === 'openvidu' || session.openvidu) {
        if (!(await this.publishOpenVidu(gen, session, track))) return;
      } else {
        if (!session.whipUrl) throw new Error('the gateway sent no WHIP address');
        const whipUrl = session.whipUrl;
        const pc = this.deps.createPeerConnection();
        this.pc = pc;
        const onPcChange = () => this.onPcState(gen, pcStateOf(pc));
        pc.onconnectionstatechange = onPcChange;
        pc.oniceconnectionstatechange = onPcChange;
        this.set({ pcState: pcStateOf(pc) });

        await whipPublish(pc, track, whipUrl, session.token, {
          base: this.deps.location.href,
          fetchFn: this.deps.fetch,
          stream: media,
          onResource: (created) => {
            if (gen === this.generation) this.resourceUrl = created.resourceUrl;
            // stopped while the offer was in flight: end the session the server just created
            else void whipDelete(created.resourceUrl, session.token, this.deps.fetch).catch(() => undefined);
          },
        });
        if (gen !== this.generation) return;
      }

      this.socket = this.deps.createSocket({
        url: wsUrl(this.deps.location, session.token),
        onMessage: (msg) => gen === this.generation && this.onMessage(msg),
        onState: (s) => gen === this.generation && this.set({ wsState: s }),
      });
      this.socket.subscribe(session.streamId);
      this.set({
        phase: 'live',
        pcState: this.pc ? pcStateOf(this.pc) : this.snap.pcState,
        wsState: this.socket.state,
      });
    } catch (err) {
      if (gen !== this.generation) return;
      const { title, detail } = errorText(err);
      await this.teardown(gen, {
        title: title === 'Error' ? 'Could not start the camera' : title,
        detail,
        restartable: true,
      });
    }
  }

  /**
   * OpenVidu mode: join the session with the PUBLISHER token and publish the camera track already
   * opened (so the preview and the error handling stay the same). False when stopped meanwhile.
   */
  private async publishOpenVidu(gen: number, session: LiveSession, track: MediaStreamTrack): Promise<boolean> {
    const token = session.openvidu?.token;
    if (!token) throw new Error('the gateway sent no OpenVidu token');
    this.set({ pcState: 'connecting' });
    let OV: OpenViduCtor;
    try {
      OV = await this.deps.loadOpenVidu();
    } catch (err) {
      throw new ApiError('OpenVidu unavailable', `cannot load openvidu-browser (${errorText(err).detail})`, 0);
    }
    if (gen !== this.generation) return false;
    const ov = new OV();
    ov.enableProdMode?.();
    const ovSession = ov.initSession();
    this.ov = { session: ovSession, publisher: null };
    ovSession.on('reconnecting', () => gen === this.generation && this.onPcState(gen, 'disconnected'));
    ovSession.on('reconnected', () => gen === this.generation && this.onPcState(gen, 'connected'));
    ovSession.on('sessionDisconnected', (ev) => {
      if (gen !== this.generation || ev.reason === 'disconnect') return;
      if (this.snap.phase === 'live') {
        void this.teardown(gen, {
          title: 'Connection lost',
          detail:
            ev.reason === 'networkDisconnect'
              ? 'The connection to OpenVidu was lost.'
              : `OpenVidu ended the session (${ev.reason ?? 'unknown reason'}).`,
          restartable: true,
        });
      }
    });
    await ovSession.connect(token);
    if (gen !== this.generation) return false;
    const publisher = await ov.initPublisherAsync(undefined, publisherProps(track));
    if (gen !== this.generation) return false;
    this.ov.publisher = publisher;
    await ovSession.publish(publisher);
    if (gen !== this.generation) return false;
    this.set({ pcState: 'connected' });
    return true;
  }

  /** Stops publishing: DELETE the WHIP resource, close the connection, release the camera. */
  async stop(): Promise<void> {
    if (this.snap.phase === 'idle' && !this.snap.media) return;
    const gen = ++this.generation;
    await this.teardown(gen, null);
  }

  async restart(threshold?: number): Promise<void> {
    await this.stop();
    await this.start(threshold);
  }

  /** For `pagehide`: best effort, the request outlives the page thanks to `keepalive`. */
  dispose(): void {
    const token = this.snap.session?.token;
    if (this.resourceUrl && token)
      void whipDelete(this.resourceUrl, token, this.deps.fetch, true).catch(() => undefined);
    this.resourceUrl = null;
    this.generation++;
    this.release();
    this.set({ ...INITIAL }); // a page restored from the back/forward cache shows the camera off
  }

  /** PATCHes the live stream's threshold; a no-op while not streaming. */
  async setThreshold(threshold: number): Promise<void> {
    const { session, phase } = this.snap;
    if (!session || phase !== 'live') return;
    try {
      await request(
        `/api/v1/streams/${encodeURIComponent(session.streamId)}`,
        jsonInit('PATCH', { threshold }, bearer(session.token)),
        this.deps.fetch,
      );
    } catch (err) {
      const { title, detail } = errorText(err);
      this.set({ error: { title: `Threshold not changed: ${title}`, detail, restartable: false } });
    }
  }

  // ---- events ---------------------------------------------------------------------------------

  private onPcState(gen: number, state: PcState): void {
    if (gen !== this.generation) return;
    if (state === 'failed' && this.snap.phase === 'live') {
      void this.teardown(gen, {
        title: 'Connection lost',
        detail: 'The video connection to Glimpse failed (network change or server restart).',
        restartable: true,
      });
      return;
    }
    const patch: Partial<CameraSnapshot> = { pcState: state };
    if (state === 'disconnected' && this.snap.phase === 'live') {
      patch.error = {
        title: 'Connection unstable',
        detail: 'The video connection dropped; it may recover on its own.',
        restartable: true,
      };
    } else if (state === 'connected' && this.snap.error?.title === 'Connection unstable') {
      patch.error = null;
    }
    this.set(patch);
  }

  private onMessage(msg: Parameters<SocketOptions['onMessage']>[0]): void {
    const streamId = this.snap.session?.streamId;
    if (!streamId) return;
    const now = this.deps.now();
    if (msg.type === 'recognition' && msg.streamId === streamId) {
      this.rate.onResult(msg.frame.seq, now);
      this.latency.onResult(msg.frame.capturedAt, now);
      for (const fn of this.resultListeners) fn(msg);
    } else if (msg.type === 'stream' && msg.stream.id === streamId) {
      this.rate.onCounter(msg.stream.framesProcessed, now);
      this.set({ stream: msg.stream });
      if (FINISHED_STATES.has(msg.stream.state) && this.snap.phase === 'live') {
        const failed = msg.stream.state === 'failed';
        void this.teardown(this.generation, {
          title: failed ? 'Live stream failed' : 'Live session ended',
          detail:
            msg.stream.error ??
            (failed ? 'the server could not process the video' : 'the server ended the live session'),
          restartable: true,
        });
      }
    } else if (msg.type === 'error') {
      this.set({ error: { title: 'Live results', detail: msg.message, restartable: false } });
    }
  }

  // ---- teardown -------------------------------------------------------------------------------

  private fail(gen: number, error: CameraError): void {
    if (gen !== this.generation) return;
    this.release();
    this.set({ ...INITIAL, phase: 'error', error });
  }

  private async teardown(gen: number, error: CameraError | null): Promise<void> {
    const token = this.snap.session?.token;
    const resource = this.resourceUrl;
    this.resourceUrl = null;
    this.set({ phase: 'stopping' });
    this.socket?.close();
    this.socket = null;
    let stopError: CameraError | null = null;
    if (resource && token) {
      try {
        await whipDelete(resource, token, this.deps.fetch);
      } catch (err) {
        const { title, detail } = err instanceof ApiError ? { title: err.title, detail: err.message } : errorText(err);
        stopError = { title: `Could not stop publishing: ${title}`, detail, restartable: false };
      }
    }
    this.release();
    if (gen !== this.generation) return;
    const finalError = error ?? stopError;
    this.set({
      ...INITIAL,
      phase: finalError && error ? 'error' : 'idle',
      error: finalError,
      stream: this.snap.stream,
    });
  }

  private release(): void {
    this.socket?.close();
    this.socket = null;
    if (this.ov) {
      const { session, publisher } = this.ov;
      this.ov = null;
      try {
        if (publisher) session.unpublish(publisher);
      } catch {
        /* not published */
      }
      try {
        session.disconnect();
      } catch {
        /* not connected */
      }
    }
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.oniceconnectionstatechange = null;
      try {
        this.pc.close();
      } catch {
        /* already closed */
      }
      this.pc = null;
    }
    if (this.snap.media) stopTracks(this.snap.media);
  }
}

function stopTracks(media: MediaStream): void {
  for (const t of media.getTracks()) t.stop();
}
