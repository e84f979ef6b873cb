/**
 * A stand-in for an OpenVidu 2.x deployment (openvidu-server + Kurento + the publishing browser),
 * speaking the documented protocol so that Glimpse's OpenVidu mode can be tested without one:
 *
 * - REST (`/openvidu/api`, Basic auth `OPENVIDUAPP:<secret>`, 401 otherwise): create a session,
 *   create a connection (token `ws://127.0.0.1:<port>?sessionId=…&token=tok_…`), close a session.
 * - JSON-RPC 2.0 over the WebSocket `/openvidu?sessionId=…`: `ping`, `joinRoom`, `receiveVideoFrom`
 *   (answered by a real @roamhq/wrtc peer that SENDS synthetic video, as Kurento would relay the
 *   browser's camera), `onIceCandidate`, `leaveRoom`; notifications `participantJoined`,
 *   `participantPublished`, `iceCandidate` (trickled: the SDP answer carries no candidates),
 *   `participantUnpublished`, `participantLeft`, `roomClosed`.
 *
 * The publishing browser is simulated: `publish()` (or `autoPublishAfterMs`) makes a publisher
 * participant appear in the session. Every exchange is recorded for assertions.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nonstandard, RTCPeerConnection, type MediaStreamTrack } from '@roamhq/wrtc';
import { WebSocket, WebSocketServer } from 'ws';

export interface RestCall {
  method: string;
  path: string;
  /** The Authorization header matched `OPENVIDUAPP:<secret>`. */
  authorized: boolean;
  body: Record<string, unknown> | undefined;
  status: number;
}

export interface RpcCall {
  sessionId: string;
  method: string;
  params: Record<string, unknown>;
  at: number;
}

export interface FakeConnection {
  connectionId: string;
  token: string;
  role: string;
  data: string;
  status: 'pending' | 'active' | 'left';
  socket?: WebSocket;
}

export interface FakeSession {
  sessionId: string;
  connections: Map<string, FakeConnection>;
  /** The simulated browser, once it has published. */
  publisher?: { connectionId: string; streamId: string };
  /** One media pipeline per receiveVideoFrom. */
  peers: RTCPeerConnection[];
  closed: boolean;
}

export interface RgbaFrame {
  width: number;
  height: number;
  /** width × height × 4 bytes. */
  data: Uint8Array;
}

export interface FakeOpenViduOptions {
  secret: string;
  /** What the simulated camera shows. */
  frame: RgbaFrame;
  fps?: number;
  /** Publish this long after a participant has joined (unset: only `publish()` does). */
  autoPublishAfterMs?: number;
}

/** `global.gc` without `--expose-gc` on the command line. */
function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

const rand = (n = 10) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);

export class FakeOpenVidu {
  readonly rest: RestCall[] = [];
  readonly rpc: RpcCall[] = [];
  readonly sessions = new Map<string, FakeSession>();
  /** Every candidate the subscriber sent and we added to our peer. */
  readonly remoteCandidatesAdded: string[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private source?: InstanceType<typeof nonstandard.RTCVideoSource> = new nonstandard.RTCVideoSource();
  /** Every track handed to a peer: a live source track keeps the process from exiting. */
  private readonly tracks: MediaStreamTrack[] = [];
  private readonly i420: RgbaFrame;
  private pump?: NodeJS.Timeout;
  private port = 0;
  framesSent = 0;

  constructor(private readonly opts: FakeOpenViduOptions) {
    const { width, height } = opts.frame;
    this.i420 = { width, height, data: new Uint8Array((width * height * 3) / 2) };
    nonstandard.rgbaToI420(opts.frame, this.i420);
    this.http = createServer((req, res) => void this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/openvidu') return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, url.searchParams.get('sessionId') ?? ''));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.pump = setInterval(
      () => {
        this.source?.onFrame(this.i420);
        this.framesSent++;
      },
      1000 / (this.opts.fps ?? 15),
    );
    return this;
  }

  /** WebSockets still open on the JSON-RPC endpoint. */
  get openSockets(): number {
    return this.wss.clients.size;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.pump);
    for (const s of this.sessions.values()) for (const pc of s.peers) pc.close();
    for (const t of this.tracks.splice(0)) t.stop();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    // A live RTCVideoSource crashes Node when the process exits (node-webrtc tears down its
    // threads after V8); dropping it and collecting garbage now destroys it while that is safe.
    this.sessions.clear();
    this.source = undefined;
    await new Promise((r) => setImmediate(r));
    collectGarbage();
  }

  session(sessionId?: string): FakeSession | undefined {
    return sessionId ? this.sessions.get(sessionId) : [...this.sessions.values()].at(-1);
  }

  rpcOf(sessionId: string, method?: string): RpcCall[] {
    return this.rpc.filter((c) => c.sessionId === sessionId && (!method || c.method === method));
  }

  /**
   * The simulated browser joins and publishes its camera: with `token`, as the connection that
   * token was made for (it must have the PUBLISHER role), else as a new connection.
   */
  publish(sessionId: string, token?: string): { connectionId: string; streamId: string } {
    const s = this.must(sessionId);
    if (s.publisher) return s.publisher;
    const own = token === undefined ? undefined : [...s.connections.values()].find((c) => c.token === token);
    if (token !== undefined && own?.role !== 'PUBLISHER') throw new Error('fake OpenVidu: that token cannot publish');
    if (own) own.status = 'active';
    const connectionId = own?.connectionId ?? `con_${rand()}`;
    const streamId = `str_CAM_${rand(4)}_${connectionId}`;
    s.publisher = { connectionId, streamId };
    this.broadcast(s, 'participantJoined', { id: connectionId, createdAt: Date.now(), metadata: '{}' });
    this.broadcast(s, 'participantPublished', {
      id: connectionId,
      createdAt: Date.now(),
      streams: [this.streamJson(streamId)],
    });
    return s.publisher;
  }

  unpublish(sessionId: string): void {
    const s = this.must(sessionId);
    if (!s.publisher) return;
    this.broadcast(s, 'participantUnpublished', { connectionId: s.publisher.connectionId, reason: 'unpublish' });
    s.publisher = undefined;
  }

  /** The simulated browser closes its tab. */
  leave(sessionId: string): void {
    const s = this.must(sessionId);
    if (!s.publisher) return;
    const { connectionId } = s.publisher;
    s.publisher = undefined;
    this.broadcast(s, 'participantLeft', { connectionId, reason: 'disconnect' });
  }

  private must(sessionId: string): FakeSession {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`fake OpenVidu: no session ${sessionId}`);
    return s;
  }

  // ---- REST -----------------------------------------------------------------------------------

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const expected = 'Basic ' + Buffer.from(`OPENVIDUAPP:${this.opts.secret}`).toString('base64');
    const authorized = req.headers.authorization === expected;
    const reply = (status: number, json?: unknown) => {
      this.rest.push({ method: req.method ?? '', path, authorized, body, status });
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    if (!path.startsWith('/openvidu/api/')) return reply(404);
    if (!authorized) return reply(401);
    const conn = /^\/openvidu\/api\/sessions\/([^/]+)\/connection$/.exec(path);
    const one = /^\/openvidu\/api\/sessions\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && path === '/openvidu/api/sessions') return reply(200, this.createSession(body ?? {}));
    if (req.method === 'POST' && conn) {
      const s = this.sessions.get(conn[1]);
      if (!s || s.closed) return reply(404);
      return reply(200, this.createConnection(s, body ?? {}));
    }
    if (req.method === 'DELETE' && one) {
      const s = this.sessions.get(one[1]);
      if (!s || s.closed) return reply(404);
      this.closeSession(s);
      return reply(204);
    }
    return reply(405);
  }

  private createSession(props: Record<string, unknown>) {
    const sessionId =
      typeof props.customSessionId === 'string' && props.customSessionId ? props.customSessionId : `ses_${rand()}`;
    this.sessions.set(sessionId, { sessionId, connections: new Map(), peers: [], closed: false });
    return {
      id: sessionId,
      object: 'session',
      sessionId,
      createdAt: Date.now(),
      mediaMode: props.mediaMode ?? 'ROUTED',
      recordingMode: props.recordingMode ?? 'MANUAL',
      defaultRecordingProperties: {
        name: '',
        hasAudio: true,
        hasVideo: true,
        outputMode: 'COMPOSED',
        resolution: '1280x720',
        frameRate: 25,
      },
      customSessionId: props.customSessionId ?? '',
      connections: { numberOfElements: 0, content: [] },
      recording: false,
      broadcasting: false,
      forcedVideoCodec: 'VP8',
      allowTranscoding: false,
    };
  }

  private createConnection(s: FakeSession, props: Record<string, unknown>) {
    const connectionId = `con_${rand()}`;
    const role = typeof props.role === 'string' ? props.role : 'PUBLISHER';
    const token = `ws://127.0.0.1:${this.port}?sessionId=${s.sessionId}&token=tok_${rand(16)}`;
    const data = typeof props.data === 'string' ? props.data : '';
    s.connections.set(connectionId, { connectionId, token, role, data, status: 'pending' });
    return {
      id: connectionId,
      object: 'connection',
      connectionId,
      type: 'WEBRTC',
      status: 'pending',
      sessionId: s.sessionId,
      createdAt: Date.now(),
      activeAt: null,
      location: null,
      ip: null,
      platform: null,
      token,
      serverData: data,
      record: true,
      role,
      kurentoOptions: null,
      rtspUri: null,
      adaptativeBitrate: null,
      onlyPlayWithSubscribers: null,
      networkCache: null,
      customIceServers: [],
      publishers: null,
      subscribers: null,
      clientData: null,
    };
  }

  private closeSession(s: FakeSession): void {
    s.closed = true;
    for (const c of s.connections.values()) this.notify(c, 'roomClosed', { sessionId: s.sessionId });
    for (const pc of s.peers) pc.close();
  }

  // ---- JSON-RPC -------------------------------------------------------------------------------

  private onSocket(ws: WebSocket, sessionId: string): void {
    let me: FakeConnection | undefined;
    ws.on('message', async (data) => {
      let msg: { id?: number; method?: string; params?: Record<string, unknown> };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      const method = msg.method ?? '';
      const params = msg.params ?? {};
      this.rpc.push({ sessionId, method, params, at: Date.now() });
      const answer = (result: unknown) => ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
      const fail = (code: number, message: string) =>
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code, message } }));
      try {
        switch (method) {
          case 'ping':
            return answer({ value: 'pong' });
          case 'joinRoom': {
            const s = this.sessions.get(sessionId);
            const conn = s && [...s.connections.values()].find((c) => c.token === params.token);
            if (!s || s.closed || !conn || params.session !== sessionId)
              return fail(401, `Unable to join session ${sessionId}. Token ${String(params.token)} is not valid`);
            me = conn;
            conn.status = 'active';
            conn.socket = ws;
            answer(this.joinResult(s, conn));
            if (this.opts.autoPublishAfterMs !== undefined)
              setTimeout(() => !s.closed && this.publish(sessionId), this.opts.autoPublishAfterMs);
            return;
          }
          case 'receiveVideoFrom': {
            const s = this.sessions.get(sessionId);
            if (!s || !me) return fail(401, 'joinRoom first');
            if (!s.publisher || params.sender !== s.publisher.streamId)
              return fail(40107, `no stream ${String(params.sender)}`);
            if (typeof params.sdpOffer !== 'string') return fail(40102, 'sdpOffer missing');
            return answer({ sdpAnswer: await this.answerOffer(s, me, params.sdpOffer) });
          }
          case 'onIceCandidate': {
            const s = this.sessions.get(sessionId);
            const pc = s?.peers.at(-1);
            if (!pc || typeof params.candidate !== 'string') return fail(40110, 'no endpoint for this candidate');
            if (params.endpointName !== s?.publisher?.connectionId)
              return fail(40110, `unknown endpointName ${String(params.endpointName)}`);
            await pc.addIceCandidate({
              candidate: params.candidate,
              sdpMid: params.sdpMid as string,
              sdpMLineIndex: params.sdpMLineIndex as number,
            });
            this.remoteCandidatesAdded.push(params.candidate);
            return answer({});
          }
          case 'leaveRoom':
            if (me) me.status = 'left';
            return answer({ sessionId });
          default:
            return fail(-32601, `method ${method} not found`);
        }
      } catch (err) {
        fail(-32603, String(err));
      }
    });
    ws.on('close', () => {
      if (me && me.status !== 'left') me.status = 'left';
      if (me) me.socket = undefined;
    });
  }

  private joinResult(s: FakeSession, conn: FakeConnection) {
    const others = [...s.connections.values()].filter(
      (c) => c !== conn && c.status === 'active' && c.connectionId !== s.publisher?.connectionId,
    );
    const value = others.map((c) => ({ id: c.connectionId, createdAt: Date.now(), metadata: '{}' }));
    if (s.publisher)
      value.push({
        id: s.publisher.connectionId,
        createdAt: Date.now(),
        metadata: '{}',
        streams: [this.streamJson(s.publisher.streamId)],
      } as never);
    return {
      id: conn.connectionId,
      createdAt: Date.now(),
      metadata: '{}',
      value,
      session: s.sessionId,
      sessionId: s.sessionId,
      coturnIp: '127.0.0.1',
      coturnPort: 3478,
      turnUsername: 'fakeuser',
      turnCredential: 'fakepass',
      version: '2.32.0',
      mediaServer: 'kurento',
      videoSimulcast: false,
      life: 0,
      role: conn.role,
      customIceServers: [],
      recordingModule: false,
    };
  }

  private streamJson(streamId: string) {
    return {
      id: streamId,
      createdAt: Date.now(),
      hasAudio: false,
      hasVideo: true,
      audioActive: false,
      videoActive: true,
      typeOfVideo: 'CAMERA',
      frameRate: 30,
      videoDimensions: JSON.stringify({ width: this.opts.frame.width, height: this.opts.frame.height }),
      filter: {},
    };
  }

  /** Plays Kurento: a peer that sends the "camera" and trickles its candidates as notifications. */
  private async answerOffer(s: FakeSession, subscriber: FakeConnection, sdpOffer: string): Promise<string> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    s.peers.push(pc);
    const endpointName = s.publisher!.connectionId;
    pc.onicecandidate = (ev) => {
      if (!ev.candidate?.candidate) return;
      // as Kurento's subscriber endpoints do: sender = the publisher, endpoint = <subscriber>_<stream>
      this.notify(subscriber, 'iceCandidate', {
        senderConnectionId: endpointName,
        endpointName: `${subscriber.connectionId}_${s.publisher?.streamId}`,
        candidate: ev.candidate.candidate,
        sdpMid: ev.candidate.sdpMid,
        sdpMLineIndex: ev.candidate.sdpMLineIndex,
      });
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: sdpOffer });
    if (!this.source) throw new Error('fake OpenVidu stopped');
    const track = this.source.createTrack();
    this.tracks.push(track);
    const [transceiver] = pc.getTransceivers();
    if (!transceiver) throw new Error('the offer has no m-line');
    await transceiver.sender.replaceTrack(track);
    transceiver.direction = 'sendonly';
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    // the answer as created carries no candidates: like Kurento, they follow as notifications
    return answer.sdp!;
  }

  private broadcast(s: FakeSession, method: string, params: Record<string, unknown>): void {
    for (const c of s.connections.values()) this.notify(c, method, params);
  }

  private notify(c: FakeConnection, method: string, params: Record<string, unknown>): void {
    if (c.socket?.readyState === WebSocket.OPEN) c.socket.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
  }
}
