import type { NextFunction, Request, RequestHandler, Response } from 'express';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, X-API-Key';
/** What a cross-origin client may read besides the CORS-safelisted headers (WHIP needs Location). */
const EXPOSE_HEADERS = 'Location, Retry-After, WWW-Authenticate';

/**
 * CORS for the origins in CORS_ORIGINS only, with credentials; any other origin gets no
 * Access-Control-* header at all, so its browser keeps the response from it (same-origin only by
 * default). A preflight from a listed origin is answered here with 204.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (allowed.size) res.vary('Origin');
    if (!origin || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return next();
    res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

/**
 * Whether a WebSocket handshake's Origin may open /ws: none (not a browser), the gateway's own
 * host, or a CORS_ORIGINS entry. Browsers send the UI cookie with a cross-site WebSocket, so
 * without this check any page could read a signed-in user's results (cross-site WebSocket hijacking).
 */
export function wsOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  origins: readonly string[],
): boolean {
  if (!origin) return true;
  if (origins.includes(origin)) return true;
  try {
    return !!host && new URL(origin).host === host;
  } catch {
    return false;
  }
}
