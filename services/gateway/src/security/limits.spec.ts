import type { Request } from 'express';
import type { Bus } from '@glimpse/platform';
import { faceOfNobody } from '@glimpse/testing';
import { RateLimits, type LimitedRoute } from './limits';
import { LiveFaces } from './live-faces';

const req = (method: string, path: string, ip = '203.0.113.1') =>
  ({ method, path, ip, socket: {} }) as unknown as Request;
const SESSION: LimitedRoute = { kind: 'session' };
const limits = () =>
  new RateLimits({
    RATE_LIMIT_SESSIONS_PER_MIN: 2,
    RATE_LIMIT_AUTH_PER_MIN: 2,
    RATE_LIMIT_API_PER_MIN: 3,
    RATE_LIMIT_MAX_CLIENTS: 100,
  });

describe('RateLimits', () => {
  it('limits sessions per address before authentication and per key after', () => {
    const l = limits();
    expect(l.beforeAuth(req('POST', '/api/v1/sessions'), SESSION)).toBeNull();
    expect(l.beforeAuth(req('POST', '/api/v1/sessions'), SESSION)).toBeNull();
    expect(l.beforeAuth(req('POST', '/api/v1/sessions'), SESSION)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/from this address/),
    });
    expect(l.beforeAuth(req('POST', '/api/v1/sessions', '203.0.113.2'), SESSION)).toBeNull();
    expect(l.afterAuth('k1', SESSION)).toBeNull();
    expect(l.afterAuth('k1', SESSION)).toBeNull();
    expect(l.afterAuth('k1', SESSION)).toMatchObject({ detail: expect.stringMatching(/for this API key/) });
    expect(l.afterAuth('k2', SESSION)).toBeNull();
  });

  it('blocks an address with too many bad credentials, but never for a GET without any', () => {
    const l = limits();
    expect(l.beforeAuth(req('GET', '/api/v1/persons'))).toBeNull();
    l.failedAuth(req('GET', '/api/v1/persons'));
    l.failedAuth(req('GET', '/api/v1/persons'));
    expect(l.beforeAuth(req('GET', '/api/v1/persons'))).toMatchObject({
      retryAfterS: 30,
      detail: expect.stringMatching(/invalid credentials/),
    });
    expect(l.beforeAuth(req('GET', '/api/v1/persons', '203.0.113.9'))).toBeNull();
  });

  it('limits every request per key', () => {
    const l = limits();
    for (let i = 0; i < 3; i++) expect(l.afterAuth('k')).toBeNull();
    expect(l.afterAuth('k')).toMatchObject({ detail: expect.stringMatching(/for this API key/) });
    expect(l.afterAuth(undefined)).toBeNull(); // session tokens: their own limits
  });

  it('spends sign-in attempts per address, and WHIP offers per session', () => {
    const l = limits();
    const signIn: LimitedRoute = { kind: 'sign-in' };
    expect(l.beforeAuth(req('POST', '/x'), signIn)).toBeNull();
    expect(l.beforeAuth(req('POST', '/x'), signIn)).toBeNull();
    expect(l.beforeAuth(req('POST', '/x'), signIn)).toMatchObject({
      detail: expect.stringMatching(/sign-in attempts/),
    });
    const whip = (sessionId: string): LimitedRoute => ({ kind: 'whip', sessionId });
    expect(l.afterAuth(undefined, whip('s1'))).toBeNull();
    expect(l.afterAuth(undefined, whip('s1'))).toBeNull();
    expect(l.afterAuth(undefined, whip('s1'))).toMatchObject({
      detail: expect.stringMatching(/WHIP offers for this session/),
    });
    expect(l.afterAuth(undefined, whip('s2'))).toBeNull();
  });
});

describe('LiveFaces', () => {
  const frame = (source: string) => ({ source, seq: 1, capturedAt: new Date().toISOString(), width: 10, height: 10 });
  const face = (faceId: string | null) => faceOfNobody({ x: 0, y: 0, width: 1, height: 1 }, { faceId, isNew: true });

  it("remembers live streams' stored faces only", () => {
    const lf = new LiveFaces({} as Bus);
    lf.record({ frame: frame('live_a'), faces: [face('f1'), face(null)] });
    lf.record({ frame: frame('upload'), faces: [face('f2')] });
    expect(lf.has('live_a', 'f1')).toBe(true);
    expect(lf.has('live_b', 'f1')).toBe(false);
    expect(lf.has('upload', 'f2')).toBe(false);
  });

  it('is bounded per stream', () => {
    const lf = new LiveFaces({} as Bus);
    for (let i = 0; i < 2_100; i++) lf.record({ frame: frame('live_a'), faces: [face(`f${i}`)] });
    expect(lf.has('live_a', 'f0')).toBe(false);
    expect(lf.has('live_a', 'f2099')).toBe(true);
  });
});

describe('upgradeClientIp', () => {
  it("reads a WebSocket upgrade's client address the way Express reads req.ip (trust proxy included)", async () => {
    const express = (await import('express')).default;
    const { upgradeClientIp } = await import('./limits');
    const req = { headers: { 'x-forwarded-for': '198.51.100.7' }, socket: { remoteAddress: '127.0.0.1' } } as never;
    const trusting = express();
    trusting.set('trust proxy', 'loopback');
    expect(upgradeClientIp(req, trusting)).toBe('198.51.100.7');
    expect(upgradeClientIp(req, express())).toBe('127.0.0.1'); // no proxy trusted: the header is the client's word
    expect(upgradeClientIp(req, undefined)).toBe('127.0.0.1');
  });
});
