import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { bearerToken } from '../sessions/session-token';
import { SessionService } from '../sessions/session.service';
import { parseApiKey, readCookie, signUiSession, UI_COOKIE, verifyUiSession, type Scope } from './api-key';
import { ApiKeyStore } from './api-key.store';

/** Who is calling: an API key, the UI's session cookie, or (live routes only) a camera session token. */
export interface Principal {
  kind: 'key' | 'cookie' | 'bootstrap';
  /** The key's id (`bootstrap` for ADMIN_API_KEY). */
  keyId: string;
  scopes: Scope[];
}

export const BOOTSTRAP_KEY_ID = 'bootstrap';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Checks API keys (stored ones and ADMIN_API_KEY) and the UI session cookie. */
@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly log = new Logger('Auth');
  private readonly bootstrapHash?: Buffer;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly keys: ApiKeyStore,
    private readonly sessions: SessionService,
  ) {
    if (cfg.ADMIN_API_KEY) this.bootstrapHash = sha(cfg.ADMIN_API_KEY);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.cfg.NODE_ENV !== 'production' || this.cfg.ADMIN_API_KEY) return;
    const n = await this.keys.count().catch(() => -1);
    if (n === 0) {
      this.log.warn(
        'No API key exists and ADMIN_API_KEY is not set: every /api/v1 route answers 401. Set ADMIN_API_KEY ' +
          '(openssl rand -base64 32) to an admin key, then create keys with `npm run apikey -- create --name <name> --scopes read,write`.',
      );
    }
  }

  /** Whether this is ADMIN_API_KEY (which need not look like a glk_ key). */
  isBootstrap(key: string): boolean {
    return !!this.bootstrapHash && timingSafeEqual(sha(key), this.bootstrapHash);
  }

  /** The principal of an API key, or null when it is not a genuine one. */
  async verifyKey(key: string | undefined | null): Promise<Principal | null> {
    if (!key) return null;
    if (this.bootstrapHash) {
      const given = sha(key);
      if (timingSafeEqual(given, this.bootstrapHash))
        return { kind: 'bootstrap', keyId: BOOTSTRAP_KEY_ID, scopes: ['admin'] };
    }
    if (!parseApiKey(key)) return null;
    const stored = await this.keys.verify(key);
    return stored ? { kind: 'key', keyId: stored.id, scopes: stored.scopes } : null;
  }

  /** The principal of a UI session cookie value; the key it was opened with must still exist. */
  async verifyCookie(value: string | undefined): Promise<(Principal & { exp: number; sid: string }) | null> {
    const claims = verifyUiSession(value, this.sessions.signingKey);
    if (!claims) return null;
    if (await this.keys.isRevoked(claims.sid, this.cfg.SESSION_TTL_S)) return null;
    if (claims.kid !== BOOTSTRAP_KEY_ID && !(await this.keys.get(claims.kid))) return null;
    if (claims.kid === BOOTSTRAP_KEY_ID && !this.bootstrapHash) return null;
    return { kind: 'cookie', keyId: claims.kid, scopes: claims.scopes, exp: claims.exp, sid: claims.sid };
  }

  /**
   * The caller's API key or UI cookie: `Authorization: Bearer glk_…`, `X-API-Key`, `?key=` (WebSocket
   * only, `allowQuery`) or the `glimpse_ui` cookie. `undefined` when none was presented, null when one was but is not valid:
   * any bearer token counts as a presented key (a guess at ADMIN_API_KEY need not look like a glk_ key), so that
   * a wrong one is charged to the failed-auth budget. Camera session tokens are AuthGuard's, before this is asked.
   */
  async authenticate(req: IncomingMessage, allowQuery = false): Promise<Principal | null | undefined> {
    const bearer = bearerToken(req.headers.authorization);
    const header = req.headers['x-api-key'];
    const query = allowQuery ? new URL(req.url ?? '/', 'http://x').searchParams.get('key') : null;
    const key = (Array.isArray(header) ? header[0] : header) ?? bearer ?? query ?? undefined;
    if (key !== undefined) return this.verifyKey(key);
    const cookie = readCookie(req.headers.cookie, UI_COOKIE);
    if (cookie !== undefined) return this.verifyCookie(cookie);
    return undefined;
  }

  /** Signs a UI session out for good (its cookie stops working on every gateway). */
  async closeUiSession(value: string | undefined): Promise<void> {
    const claims = verifyUiSession(value, this.sessions.signingKey);
    if (claims) await this.keys.revokeSession(claims.sid, this.cfg.SESSION_TTL_S);
  }

  /** A signed cookie value carrying the principal's scopes, valid SESSION_TTL_S. */
  openUiSession(p: Principal): { value: string; exp: number } {
    const exp = Math.floor(Date.now() / 1000) + this.cfg.SESSION_TTL_S;
    return {
      value: signUiSession(
        { kid: p.keyId, sid: randomBytes(16).toString('base64url'), scopes: p.scopes, exp },
        this.sessions.signingKey,
      ),
      exp,
    };
  }
}
