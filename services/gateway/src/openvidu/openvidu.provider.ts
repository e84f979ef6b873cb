import { Inject, Injectable, Logger } from '@nestjs/common';
import { OpenViduSubscribe } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { SessionClaims } from '../sessions/session-token';
import type { SessionInfo, SessionModeProvider } from '../sessions/session.service';
import { upstream } from '../upstream';
import { OPENVIDU_CONFIG, type OpenViduConfig } from './openvidu.config';
import { OpenViduRepository, type OpenViduRoom } from './openvidu.repository';

/** What a browser needs to publish with openvidu-browser: `session.connect(token)`. */
export interface OpenViduClientInfo {
  /** The OpenVidu session (`ses_…`). */
  sessionId: string;
  /** The PUBLISHER connection token. */
  token: string;
  /** The OpenVidu server as the token names it (its public address), for display and diagnostics. */
  serverUrl: string;
}

export interface MediaSessionRequest {
  /** The Glimpse session. */
  sessionId: string;
  /** The stream the frames are recognized under. */
  streamId: string;
  threshold?: number;
}

export const OPENVIDU_REQUEST_TIMEOUT = Symbol('OpenViduRequestTimeout');

/**
 * OpenVidu mode of live sessions: an OpenVidu session with a PUBLISHER token for the browser and a
 * SUBSCRIBER token that one capture instance joins with (OpenViduSubscribe); the capture worker
 * then subscribes to the browser's camera as soon as it is published.
 */
@Injectable()
export class OpenViduProvider implements SessionModeProvider {
  readonly mode = 'openvidu' as const;
  private readonly log = new Logger('OpenVidu');

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(OPENVIDU_CONFIG) private readonly cfg: OpenViduConfig,
    @Inject(OPENVIDU_REQUEST_TIMEOUT) private readonly requestTimeoutMs: number,
    private readonly repo: OpenViduRepository,
  ) {}

  async prepare(session: SessionInfo, claims: SessionClaims): Promise<Partial<SessionInfo>> {
    const openvidu = await this.createMediaSession({
      sessionId: session.sessionId,
      streamId: session.streamId,
      threshold: claims.thr,
    });
    return { openvidu: { ...openvidu } };
  }

  async createMediaSession(req: MediaSessionRequest): Promise<OpenViduClientInfo> {
    const room = await this.repo.createSession();
    try {
      const data = (role: string) =>
        JSON.stringify({ glimpse: { sessionId: req.sessionId, streamId: req.streamId, role } });
      const publisher = await room.createConnection('PUBLISHER', data('browser'));
      const subscriber = await room.createConnection('SUBSCRIBER', data('capture'));
      const joined = await upstream(
        this.bus.request(
          OpenViduSubscribe.contract,
          {
            streamId: req.streamId,
            subscriberToken: subscriber.token,
            serverUrl: this.cfg.url,
            threshold: req.threshold,
          },
          this.requestTimeoutMs,
        ),
      );
      this.log.log(
        `session ${req.sessionId}: OpenVidu session ${room.sessionId}, capture ${joined.instance} joined as ${joined.connectionId}`,
      );
      return { sessionId: room.sessionId, token: publisher.token, serverUrl: publicUrlOf(publisher.token) };
    } catch (err) {
      this.discard(room);
      throw err;
    }
  }

  /** Nobody will use a half-made room; closing it is best effort (OpenVidu also drops empty sessions). */
  private discard(room: OpenViduRoom): void {
    room.close().catch((err) => this.log.warn(`cannot close OpenVidu session ${room.sessionId}: ${String(err)}`));
  }
}

/** `wss://host:port?sessionId=…&token=…` → `https://host:port`. */
export function publicUrlOf(token: string): string {
  try {
    const u = new URL(token);
    const scheme = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:';
    return `${scheme}//${u.host}`;
  } catch {
    return '';
  }
}
