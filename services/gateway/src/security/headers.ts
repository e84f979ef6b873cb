import type { NextFunction, Request, RequestHandler, Response } from 'express';

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

/** Security headers on everything the gateway serves (set first, so refusals carry them too). */
export function securityHeaders(opts: HeaderOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const csp = /^\/api\/docs(\/|$)/.test(path) ? DOCS_CSP : /^\/(api|healthz)(\/|$)/.test(path) ? API_CSP : pageCsp(req.headers.host, opts.connectSrc);
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!opts.crossOrigin) res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()');
    if (opts.hstsMaxAgeS > 0) res.setHeader('Strict-Transport-Security', `max-age=${opts.hstsMaxAgeS}; includeSubDomains`);
    next();
  };
}
