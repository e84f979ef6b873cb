import { Inject, Injectable } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import { ConnectionType, OpenVidu, OpenViduRole, type Session } from 'openvidu-node-client';
import { OPENVIDU_CONFIG, type OpenViduConfig } from './openvidu.config';

export type ConnectionRole = 'PUBLISHER' | 'SUBSCRIBER';

export interface OpenViduConnection {
  connectionId: string;
  /** `wss://<public host>?sessionId=ses_…&token=tok_…`: what a participant joins with. */
  token: string;
}

/** One OpenVidu session, as far as Glimpse needs it. */
export interface OpenViduRoom {
  sessionId: string;
  createConnection(role: ConnectionRole, data: string): Promise<OpenViduConnection>;
  close(): Promise<void>;
}

/**
 * openvidu-node-client behind Glimpse's error model. The client has no timeouts, and its errors
 * are `Error('401')` for an HTTP status or `Error('[object Object]')` when the server could not be
 * reached (it wraps the request object, losing the cause); every call here is bounded and fails
 * with a GlimpseError that names the server and says what to check.
 */
@Injectable()
export class OpenViduRepository {
  private readonly ov: OpenVidu;
  private readonly where: string;

  constructor(@Inject(OPENVIDU_CONFIG) private readonly cfg: OpenViduConfig) {
    this.ov = new OpenVidu(cfg.url, cfg.secret);
    this.where = `OpenVidu at ${redactUrl(cfg.url)}`;
  }

  async createSession(): Promise<OpenViduRoom> {
    const session = await this.call('creating a session', () => this.ov.createSession({}));
    // the client keeps every session it made in `activeSessions` forever; Glimpse holds its own
    this.forget(session);
    return {
      sessionId: session.sessionId,
      createConnection: (role, data) => this.createConnection(session, role, data),
      close: () => this.call(`closing session ${session.sessionId}`, () => session.close()),
    };
  }

  private async createConnection(session: Session, role: ConnectionRole, data: string): Promise<OpenViduConnection> {
    const what = `creating a ${role} connection in session ${session.sessionId}`;
    const c = await this.call(what, () =>
      session.createConnection({ type: ConnectionType.WEBRTC, role: OpenViduRole[role], data }),
    );
    if (!c.token) throw new GlimpseError('SERVICE_UNAVAILABLE', `${this.where} answered ${what} without a token`);
    return { connectionId: c.connectionId, token: c.token };
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GlimpseError('TIMEOUT', `${this.where} did not answer within ${this.cfg.timeoutMs} ms while ${what}`),
          ),
        this.cfg.timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof GlimpseError) throw err;
      throw await this.explain(what, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private async explain(what: string, err: unknown): Promise<GlimpseError> {
    const message = err instanceof Error ? err.message : String(err);
    if (/^\d{3}$/.test(message)) {
      const status = Number(message);
      const hint =
        status === 401 || status === 403
          ? ': the secret was refused (check OPENVIDU_SECRET)'
          : status === 404
            ? ': not found (is OPENVIDU_URL the OpenVidu server itself, and is it OpenVidu 2.x?)'
            : '';
      return new GlimpseError('SERVICE_UNAVAILABLE', `${this.where} answered HTTP ${status} while ${what}${hint}`, {
        cause: err,
      });
    }
    if (message.startsWith('URL format incorrect')) {
      return new GlimpseError('SERVICE_UNAVAILABLE', `${this.where}: ${message}`, { cause: err });
    }
    return new GlimpseError(
      'SERVICE_UNAVAILABLE',
      `${this.where} is unreachable while ${what}: ${await this.probe()}`,
      { cause: err },
    );
  }

  /** The client lost the network error; one plain request finds it again (ECONNREFUSED, ENOTFOUND, …). */
  private async probe(): Promise<string> {
    try {
      const res = await fetch(this.cfg.url, {
        method: 'HEAD',
        signal: AbortSignal.timeout(Math.min(2000, this.cfg.timeoutMs)),
      });
      return `it answers HTTP ${res.status} to a plain request, yet the API call failed`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return 'no answer (timeout)';
      return e.cause?.code ?? e.cause?.message ?? e.message;
    }
  }

  private forget(session: Session): void {
    const i = this.ov.activeSessions.indexOf(session);
    if (i >= 0) this.ov.activeSessions.splice(i, 1);
  }
}

/** A URL without user info, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
