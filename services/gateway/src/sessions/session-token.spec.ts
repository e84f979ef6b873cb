import { randomBytes } from 'node:crypto';
import {
  bearerToken,
  SessionTokenError,
  signSessionToken,
  verifySessionToken,
  type SessionClaims,
} from './session-token';

const secret = randomBytes(32);
const now = Date.parse('2026-01-01T00:00:00Z');
const claims: SessionClaims = { sid: 'sess_1234567890', streamId: 'live_abcdef', exp: now / 1000 + 60, thr: 0.5 };

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SessionTokenError) return err.reason;
    throw err;
  }
  return 'accepted';
};

describe('session tokens', () => {
  it('round-trips the claims of a fresh token', () => {
    const token = signSessionToken(claims, secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(verifySessionToken(token, secret, now)).toEqual(claims);
  });

  it('expires at exp, not before', () => {
    const token = signSessionToken(claims, secret);
    expect(reasonOf(() => verifySessionToken(token, secret, now + 59_999))).toBe('accepted');
    expect(reasonOf(() => verifySessionToken(token, secret, now + 60_000))).toBe('expired');
  });

  it('rejects every other spelling of the signature, including ones that decode to the same bytes', () => {
    const token = signSessionToken(claims, secret);
    const last = token.at(-1)!;
    // a 32-byte MAC in base64url: the last character's two low bits are spare, so these four decode alike
    const group = Math.floor('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(last) / 4) * 4;
    const alikes = [0, 1, 2, 3]
      .map((i) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[group + i])
      .filter((c) => c !== last);
    expect(alikes).toHaveLength(3);
    for (const c of alikes)
      expect(reasonOf(() => verifySessionToken(token.slice(0, -1) + c, secret, now))).toBe('forged');
  });

  it('rejects a token signed with another secret', () => {
    const token = signSessionToken(claims, randomBytes(32));
    expect(reasonOf(() => verifySessionToken(token, secret, now))).toBe('forged');
  });

  it('rejects changed claims (a longer expiry, another stream) under the old signature', () => {
    const [, sig] = signSessionToken(claims, secret).split('.');
    for (const forged of [
      { ...claims, exp: claims.exp + 3600 },
      { ...claims, streamId: 'live_someone' },
    ]) {
      const payload = Buffer.from(JSON.stringify(forged)).toString('base64url');
      expect(reasonOf(() => verifySessionToken(`${payload}.${sig}`, secret, now))).toBe('forged');
    }
  });

  it('rejects a truncated or padded signature', () => {
    const token = signSessionToken(claims, secret);
    expect(reasonOf(() => verifySessionToken(token.slice(0, -2), secret, now))).toBe('forged');
    expect(reasonOf(() => verifySessionToken(`${token}AA`, secret, now))).toBe('forged');
  });

  it('tells missing and malformed tokens apart', () => {
    expect(reasonOf(() => verifySessionToken(undefined, secret, now))).toBe('missing');
    expect(reasonOf(() => verifySessionToken('', secret, now))).toBe('missing');
    for (const bad of ['abc', 'a.b.c', 'ab$.cd', 'x'.repeat(2000) + '.y']) {
      expect(reasonOf(() => verifySessionToken(bad, secret, now))).toBe('malformed');
    }
  });

  it('rejects a correctly signed payload that is not a claims object', () => {
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    for (const body of ['not json', JSON.stringify({ sid: 'x' }), JSON.stringify({ ...claims, admin: true })]) {
      const payload = Buffer.from(body).toString('base64url');
      const sig = createHmac('sha256', secret).update(payload).digest('base64url');
      expect(reasonOf(() => verifySessionToken(`${payload}.${sig}`, secret, now))).toBe('malformed');
    }
  });
});

describe('bearerToken', () => {
  it('reads Authorization: Bearer, case-insensitively, and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc.def ')).toBe('abc.def');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});
