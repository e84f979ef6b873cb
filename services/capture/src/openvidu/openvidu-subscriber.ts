import { EventEmitter } from 'node:events';
import type { MediaStreamTrack, RTCPeerConnection } from '@roamhq/wrtc';
import { wrtc } from '../webrtc/wrtc';
import { JsonRpcClient } from './jsonrpc-client';
import { parseOpenViduToken, redactToken, type OpenViduTarget } from './openvidu-token';

export interface SubscriberOptions {
  /** WebSocket open + heartbeat + joinRoom (ms). */
  joinTimeoutMs: number;
  /** How long to wait for the browser to publish after joining (ms). */
  publishTimeoutMs: number;
  /** From the SDP answer to ICE `connected` (ms); also how long a `disconnected` peer may take to come back. */
  iceTimeoutMs: number;
  /** Per JSON-RPC request (ms). */
  requestTimeoutMs: number;
  insecureTls?: boolean;
  /** Heartbeat period (ms); OpenVidu's browser client pings every 3 s. */
  pingEveryMs?: number;
  /** Extra RTCPeerConnection settings (wrtc's `portRange`, for firewalls). */
  rtcConfig?: Record<string, unknown>;
}

export interface SubscriberEnd {
  /** false: the browser stopped (unpublished, left, session closed); true: something broke. */
  failed: boolean;
  reason: string;
}

export interface SubscriberEvents {
  /** The browser's video arrived; frames can be read from it with an RTCVideoSink. */
  track: [track: MediaStreamTrack];
  /** Emitted once, when it ends on its own (not after `close()`); everything is closed by then. */
  end: [end: SubscriberEnd];
  /** Emitted once whatever the way out (end, close, failed join): all resources are released. */
  closed: [];
}

/** What `joinRoom` answers (only what a subscriber uses). */
interface JoinResult {
  id?: string;
  value?: Participant[];
  coturnIp?: string;
  coturnPort?: number | string;
  turnUsername?: string;
  turnCredential?: string;
  customIceServers?: Array<{ url?: string; urls?: string | string[]; username?: string; credential?: string }>;
}

interface Participant {
  id?: string;
  streams?: Array<{ id?: string; hasVideo?: boolean }>;
}

interface Candidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface JoinInfo {
  connectionId: string;
  publisherFound: boolean;
}

/** What an OpenVidu 2.x participant with a SUBSCRIBER token must say, done by hand with @roamhq/wrtc. */
export class OpenViduSubscriber extends EventEmitter<SubscriberEvents> {
  readonly target: OpenViduTarget;
  private rpc?: JsonRpcClient;
  private pc?: RTCPeerConnection;
  private connectionId = '';
  /** The publisher's connection id: the `endpointName` of our candidates, and whose departure ends us. */
  private senderConnectionId?: string;
  private senderStreamId?: string;
  private iceServers: RTCIceServer[] = [];
  private readonly localCandidates: Candidate[] = [];
  private readonly remoteCandidates: Candidate[] = [];
  private answered = false;
  private ended = false;
  private publishTimer?: NodeJS.Timeout;
  private iceTimer?: NodeJS.Timeout;

  constructor(
    token: string,
    serverUrl: string | undefined,
    private readonly opts: SubscriberOptions,
  ) {
    super();
    this.target = parseOpenViduToken(token, serverUrl);
  }

  /** The peer connection's state, for health and tests; `none` before subscribing. */
  get peerState(): string {
    return this.pc?.connectionState ?? 'none';
  }

  get subscribedStreamId(): string | undefined {
    return this.senderStreamId;
  }

  /** Resolves once joined (subscribing follows on its own); rejects, with everything closed, when joining fails. */
  async join(): Promise<JoinInfo> {
    const deadline = Date.now() + this.opts.joinTimeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    try {
      const rpc = await JsonRpcClient.connect(this.target.wsUrl, {
        connectTimeoutMs: left(),
        requestTimeoutMs: this.opts.requestTimeoutMs,
        insecureTls: this.opts.insecureTls,
      });
      this.rpc = rpc;
      if (this.ended) throw new Error('closed while joining');
      rpc.on('notification', (method, params) => this.onNotification(method, params));
      rpc.on('close', ({ code, reason, byUs }) => {
        if (!byUs) this.end(true, `the OpenVidu WebSocket closed (${code}${reason ? ` ${reason}` : ''})`);
      });
      await rpc.startHeartbeat(5000, this.opts.pingEveryMs ?? 3000);
      const joined = await rpc.request<JoinResult>(
        'joinRoom',
        {
          token: this.target.token,
          session: this.target.sessionId,
          platform: 'Glimpse capture (Node.js, @roamhq/wrtc)',
          metadata: JSON.stringify({ glimpse: 'capture' }),
          secret: '',
          recorder: false,
        },
        left(),
      );
      if (this.ended) throw new Error('closed while joining');
      this.connectionId = String(joined.id ?? '');
      this.iceServers = iceServersOf(joined);
      const publisher = (joined.value ?? []).find((p) => p.id !== this.connectionId && videoStream(p));
      if (publisher) this.subscribe(publisher);
      else
        this.publishTimer = setTimeout(
          () => this.end(true, `nobody published within ${this.opts.publishTimeoutMs / 1000} s`),
          this.opts.publishTimeoutMs,
        );
      return { connectionId: this.connectionId, publisherFound: !!publisher };
    } catch (err) {
      if (this.ended)
        this.release(); // closed meanwhile: the socket opened since must go too
      else this.finish(); // no `end`: the rejection says it
      // OpenVidu's own errors quote the token; its secret part must not travel on to clients
      const why = (err as Error).message.replace(/tok_[A-Za-z0-9]+/g, 'tok_…');
      throw new Error(`cannot join OpenVidu session ${this.target.sessionId} at ${this.target.wsUrl}: ${why}`, {
        cause: err,
      });
    }
  }

  /** Idempotent; says goodbye to the server, closes the peer and the socket. */
  close(): void {
    this.finish();
  }

  private onNotification(method: string, params: Record<string, unknown>): void {
    if (this.ended) return;
    switch (method) {
      case 'participantPublished':
        if (!this.senderConnectionId && videoStream(params as Participant)) this.subscribe(params as Participant);
        return;
      case 'iceCandidate':
        return this.onRemoteCandidate(params);
      case 'participantUnpublished':
        if (this.isSender(params.connectionId))
          this.end(false, `the browser stopped publishing (${String(params.reason ?? 'unpublish')})`);
        return;
      case 'participantLeft':
        if (this.isSender(params.connectionId))
          this.end(false, `the browser left the session (${String(params.reason ?? 'disconnect')})`);
        return;
      case 'participantEvicted':
        if (params.connectionId === this.connectionId)
          this.end(false, 'the capture worker was evicted from the session');
        return;
      case 'roomClosed':
        return this.end(false, 'the OpenVidu session was closed');
      case 'mediaError':
        return this.end(true, `OpenVidu media error: ${String(params.error ?? 'unknown')}`);
      default:
        return; // participantJoined, sendMessage, streamPropertyChanged, …: nothing to do
    }
  }

  private isSender(connectionId: unknown): boolean {
    return !!this.senderConnectionId && connectionId === this.senderConnectionId;
  }

  /** Kurento flavour: the subscriber offers (recvonly video), the server answers via `receiveVideoFrom`. */
  private subscribe(publisher: Participant): void {
    const stream = videoStream(publisher)!;
    this.senderConnectionId = publisher.id;
    this.senderStreamId = stream.id;
    clearTimeout(this.publishTimer);
    void this.negotiate(stream.id!).catch((err) =>
      this.end(true, `subscribing to ${stream.id} failed: ${(err as Error).message}`),
    );
  }

  private async negotiate(streamId: string): Promise<void> {
    const pc = new (wrtc().RTCPeerConnection)({
      ...this.opts.rtcConfig,
      iceServers: this.iceServers,
    } as RTCConfiguration);
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.ontrack = (ev) => {
      if (ev.track.kind === 'video' && !this.ended) this.emit('track', ev.track as unknown as MediaStreamTrack);
    };
    pc.onicecandidate = (ev) => {
      if (!ev.candidate?.candidate) return; // end of gathering
      const c = {
        candidate: ev.candidate.candidate,
        sdpMid: ev.candidate.sdpMid,
        sdpMLineIndex: ev.candidate.sdpMLineIndex,
      };
      if (this.answered) this.sendCandidate(c);
      else this.localCandidates.push(c);
    };
    pc.oniceconnectionstatechange = () => this.onIceState(pc.iceConnectionState);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const res = await this.rpc!.request<{ sdpAnswer?: string }>('receiveVideoFrom', {
      sender: streamId,
      sdpOffer: offer.sdp,
    });
    if (this.ended) return;
    if (!res.sdpAnswer) throw new Error('receiveVideoFrom answered without sdpAnswer');
    await pc.setRemoteDescription({ type: 'answer', sdp: res.sdpAnswer });
    // The server creates our endpoint while handling receiveVideoFrom; candidates wait until then.
    this.answered = true;
    for (const c of this.localCandidates.splice(0)) this.sendCandidate(c);
    for (const c of this.remoteCandidates.splice(0)) this.addRemote(c);
    this.armIceTimer('ICE did not connect');
  }

  private sendCandidate(c: Candidate): void {
    if (this.ended) return;
    this.rpc!.request('onIceCandidate', { endpointName: this.senderConnectionId, ...c }).catch((err) => {
      if (!this.ended) this.end(true, `onIceCandidate failed: ${(err as Error).message}`);
    });
  }

  private onRemoteCandidate(params: Record<string, unknown>): void {
    const from = params.senderConnectionId;
    if (from !== undefined && from !== this.senderConnectionId && from !== this.connectionId) return;
    if (typeof params.candidate !== 'string') return;
    const c: Candidate = {
      candidate: params.candidate,
      sdpMid: typeof params.sdpMid === 'string' ? params.sdpMid : null,
      sdpMLineIndex: typeof params.sdpMLineIndex === 'number' ? params.sdpMLineIndex : null,
    };
    if (this.answered) this.addRemote(c);
    else this.remoteCandidates.push(c);
  }

  private addRemote(c: Candidate): void {
    this.pc?.addIceCandidate(c).catch(() => undefined); // one bad candidate is not fatal; the ICE timer is
  }

  private onIceState(state: string): void {
    if (this.ended) return;
    if (state === 'connected' || state === 'completed') {
      clearTimeout(this.iceTimer);
      this.iceTimer = undefined;
    } else if (state === 'failed') {
      this.end(true, 'ICE failed: no network path to the OpenVidu media server');
    } else if (state === 'disconnected' && !this.iceTimer) {
      this.armIceTimer('ICE disconnected and did not come back');
    }
  }

  private armIceTimer(why: string): void {
    clearTimeout(this.iceTimer);
    this.iceTimer = setTimeout(
      () => this.end(true, `${why} within ${this.opts.iceTimeoutMs / 1000} s`),
      this.opts.iceTimeoutMs,
    );
  }

  private end(failed: boolean, reason: string): void {
    if (this.ended) return;
    this.finish();
    this.emit('end', { failed, reason });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.emit('closed');
  }

  private release(): void {
    clearTimeout(this.publishTimer);
    clearTimeout(this.iceTimer);
    const rpc = this.rpc;
    if (rpc?.isOpen) {
      // best effort: lets OpenVidu drop our endpoint at once instead of after the heartbeat lapses
      rpc
        .request('leaveRoom', {}, 1000)
        .catch(() => undefined)
        .finally(() => rpc.close());
    } else rpc?.close();
    try {
      this.pc?.close();
    } catch {
      // already closed
    }
  }

  override toString(): string {
    return `OpenVidu subscriber ${redactToken(this.target.token)}`;
  }
}

function videoStream(p: Participant | undefined) {
  return p?.streams?.find((s) => typeof s.id === 'string' && s.hasVideo !== false);
}

/** As openvidu-browser does: the deployment's custom ICE servers, else its coturn with the per-connection credentials. */
function iceServersOf(j: JoinResult): RTCIceServer[] {
  if (j.customIceServers?.length) {
    return j.customIceServers
      .map((s) => ({ urls: s.urls ?? s.url ?? [], username: s.username, credential: s.credential }))
      .filter((s) => (Array.isArray(s.urls) ? s.urls.length > 0 : !!s.urls));
  }
  if (j.coturnIp && j.coturnPort && j.turnUsername && j.turnCredential) {
    const host = `${j.coturnIp}:${j.coturnPort}`;
    return [
      { urls: `stun:${host}` },
      { urls: [`turn:${host}`, `turn:${host}?transport=tcp`], username: j.turnUsername, credential: j.turnCredential },
    ];
  }
  return [];
}
