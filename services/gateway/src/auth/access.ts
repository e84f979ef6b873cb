import { SetMetadata } from '@nestjs/common';
import type { Scope } from './api-key';

/**
 * Who may call a route, declared on the controller method (or its class) and read by AuthGuard through
 * Nest's Reflector from the handler Express routed to, never from the request's path string, before any
 * body is read (bodies are read by interceptors: http/body.ts). Every route must declare its access;
 * the gateway refuses to start otherwise (auth/route-table.ts).
 */

/** Routes that take a camera session's bearer token: its WHIP resource, its live stream, crops of its faces. */
export const LIVE_KINDS = ['whip', 'stream', 'crop'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

export const ACCESS_METADATA = 'glimpse:access';
export const LIVE_METADATA = 'glimpse:live-session';

/** Open to everyone: sign-in, /healthz, the always-405 trickle ICE PATCH. */
export const Public = () => SetMetadata(ACCESS_METADATA, 'public');

/** An API key or UI session cookie with this scope (admin implies write implies read). */
export const RequireScope = (scope: Scope) => SetMetadata(ACCESS_METADATA, scope);

/**
 * Also (or, without RequireScope, only) a camera session's token, for the live resource it names:
 * the token is verified before the body is read, and the handler checks it is this resource's.
 */
export const LiveSession = (kind: LiveKind) => SetMetadata(LIVE_METADATA, kind);

/** A route's resolved access. `scope: null` means no API key is accepted (session token only). */
export type RouteAccess = { public: true } | { public: false; scope: Scope | null; live: LiveKind | null };

export class AccessDeclarationError extends Error {
  override readonly name = 'AccessDeclarationError';
  readonly code = 'ACCESS_UNDECLARED';
}

/**
 * The access of a handler from its metadata (method first, then class), or an error naming what is
 * wrong: nothing declared, or @Public() together with a scope or live session.
 */
export function resolveAccess(declared: unknown, live: unknown, where: string): RouteAccess {
  const liveKind = (LIVE_KINDS as readonly unknown[]).includes(live) ? (live as LiveKind) : null;
  if (live !== undefined && liveKind === null)
    throw new AccessDeclarationError(`${where}: unknown @LiveSession(${String(live)})`);
  if (declared === 'public') {
    if (liveKind) throw new AccessDeclarationError(`${where}: @Public() cannot be combined with @LiveSession()`);
    return { public: true };
  }
  if (declared === 'read' || declared === 'write' || declared === 'admin')
    return { public: false, scope: declared, live: liveKind };
  if (declared === undefined && liveKind) return { public: false, scope: null, live: liveKind };
  throw new AccessDeclarationError(
    `${where}: declares no access: add @RequireScope(...), @Public() or @LiveSession(...)`,
  );
}
