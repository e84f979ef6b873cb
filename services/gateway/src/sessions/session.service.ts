import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { HttpProblem } from '../problem';
import { SessionTokenError, signSessionToken, verifySessionToken, type SessionClaims } from './session-token';

export type SessionMode = 'whip' | 'openvidu';

/** What `POST /api/v1/sessions` answers: everything a client needs to publish and read its results. */
export interface SessionInfo {
  sessionId: string;
  /** Bearer token for WHIP, `PATCH /api/v1/streams/:streamId` and `/ws?token=`. */
  token: string;
  expiresAt: string;
  /** The stream the results arrive under. */
  streamId: string;
  /** Where a WHIP client POSTs its offer (relative to the gateway). */
  whipUrl: string;
  mode: SessionMode;
  /** OpenVidu mode only: what openvidu-browser needs (set by that mode's provider). */
  openvidu?: Record<string, unknown>;
}

export interface CreateSessionOptions {
  threshold?: number;
  mode?: SessionMode;
}

/**
 * Another way of publishing than the built-in WHIP (OpenVidu): given the new session, it prepares
 * its side (creates the room, asks a capture instance to subscribe) and adds what the client needs.
 * Provided under SESSION_MODE_PROVIDER; without one, only `whip` sessions exist.
 */
export interface SessionModeProvider {
  readonly mode: Exclude<SessionMode, 'whip'>;
  prepare(session: SessionInfo, claims: SessionClaims): Promise<Partial<SessionInfo>>;
}
export const SESSION_MODE_PROVIDER = Symbol('SessionModeProvider');

/** Live streams' ids start with this, so the WebSocket can tell them from uploads' streams. */
export const LIVE_STREAM_PREFIX = 'live_';
export const isLiveStream = (id: string) => id.startsWith(LIVE_STREAM_PREFIX);

const REALM = 'Bearer realm="glimpse"';

/** Creates short-lived live sessions and checks their tokens. Nothing about a session is stored. */
@Injectable()
export class SessionService {
  private readonly log = new Logger('Sessions');
  private readonly secret: Buffer;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Optional() @Inject(SESSION_MODE_PROVIDER) private readonly provider?: SessionModeProvider,
  ) {
    if (cfg.SESSION_SECRET) this.secret = Buffer.from(cfg.SESSION_SECRET, 'utf8');
    else {
      this.secret = randomBytes(32);
      this.log.warn(
        'SESSION_SECRET is not set: live-session tokens are signed with a random key of this process, so they ' +
          'stop working when it restarts and other gateways reject them. Set SESSION_SECRET (openssl rand -hex 32).',
      );
    }
  }

  /** The HMAC key of session tokens (and of the UI session cookie). */
  get signingKey(): Buffer {
    return this.secret;
  }

  async create(opts: CreateSessionOptions = {}): Promise<SessionInfo> {
    // a gateway with another mode configured (OpenVidu) uses it unless the client asks for WHIP
    const mode = opts.mode ?? this.provider?.mode ?? 'whip';
    if (mode !== 'whip' && this.provider?.mode !== mode) {
      throw new GlimpseError('INVALID_REQUEST', `live mode '${mode}' is not enabled on this gateway`);
    }
    const sid = randomBytes(16).toString('base64url');
    const claims: SessionClaims = {
      sid,
      streamId: `${LIVE_STREAM_PREFIX}${randomBytes(9).toString('base64url')}`,
      exp: Math.floor(Date.now() / 1000) + this.cfg.SESSION_TTL_S,
      ...(opts.threshold !== undefined ? { thr: opts.threshold } : {}),
    };
    const info: SessionInfo = {
      sessionId: sid,
      token: signSessionToken(claims, this.secret),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      streamId: claims.streamId,
      whipUrl: `/api/v1/whip/${sid}`,
      mode,
    };
    if (mode === 'whip' || !this.provider) return info;
    return { ...info, ...(await this.provider.prepare(info, claims)), mode };
  }

  /** The token's claims; 401 (with the reason) when it is missing, malformed, forged or expired. */
  verify(token: string | undefined): SessionClaims {
    try {
      return verifySessionToken(token, this.secret);
    } catch (err) {
      if (!(err instanceof SessionTokenError)) throw err;
      const challenge = err.reason === 'missing' ? REALM : `${REALM}, error="invalid_token"`;
      throw new HttpProblem('UNAUTHORIZED', err.message, { 'WWW-Authenticate': challenge });
    }
  }

  /** As verify, and 403 when the token belongs to another session or stream. */
  authorize(token: string | undefined, scope: { sessionId?: string; streamId?: string }): SessionClaims {
    const claims = this.verify(token);
    if (scope.sessionId !== undefined && scope.sessionId !== claims.sid) {
      throw new HttpProblem('FORBIDDEN', 'this token belongs to another session');
    }
    if (scope.streamId !== undefined && scope.streamId !== claims.streamId) {
      throw new HttpProblem('FORBIDDEN', `this token allows only stream ${claims.streamId}`);
    }
    return claims;
  }
}
