import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isApiPath, nonCanonical } from './path';

export interface HeaderOptions {
  /** Strict-Transport-Security max-age (s); 0: no header (plain http deployments). */
  hstsMaxAgeS: number;
  /** Extra CSP connect-src sources for the page (OpenVidu's wss:// address). */
  connectSrc: string[];
  /** Whether other origins may read responses (CORS_ORIGINS set): then no Cross-Origin-Resource-Policy. */
  crossOrigin: boolean;
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

const join = (d: Record<string, string[]>) =>
  Object.entries(d)
    .map(([k, v]) => [k, ...v].join(' '))
    .join('; ');

/**
 * The web page's policy. Vite emits module scripts and stylesheets as files, and React sets style
 * props through the CSSOM (which style-src does not govern), so no 'unsafe-inline' is needed.
 * WebSockets: 'self' covers same-origin ws(s) in current browsers; the explicit host is for older Safari.
 */
export function pageCsp(host: string | undefined, connectSrc: string[] = []): string {
  const sockets = host && HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  return join({
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'media-src': ["'self'", 'blob:', 'mediastream:'],
    'connect-src': ["'self'", ...sockets, ...connectSrc],
    'font-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'manifest-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
  });
}

/** Swagger UI at /api/docs: its scripts are files, but its HTML has an inline <style> and it draws with data: SVGs. */
export const DOCS_CSP = join({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
});

/** API answers (JSON, crops) are never documents: nothing may run or load from them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The policy for a path: the docs' only for their exact spelling, the API's for anything any reader
 * could take for an /api path (security/path.ts: `/API/v1`, `//api`, `/%61pi`), the page's for the rest.
 */
export function cspFor(path: string, host: string | undefined, connectSrc: string[] = []): string {
  if (/^\/api\/docs(\/|$)/.test(path) && !nonCanonical(path.replace(/\/$/, ''))) return DOCS_CSP;
  if (isApiPath(path) || /^\/healthz(\/|$)/i.test(path)) return API_CSP;
  return pageCsp(host, connectSrc);
}

/** Security headers on everything the gateway serves (set first, so refusals carry them too). */
export function securityHeaders(opts: HeaderOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', cspFor(req.path, req.headers.host, opts.connectSrc));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!opts.crossOrigin) res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()');
    if (opts.hstsMaxAgeS > 0)
      res.setHeader('Strict-Transport-Security', `max-age=${opts.hstsMaxAgeS}; includeSubDomains`);
    next();
  };
}
