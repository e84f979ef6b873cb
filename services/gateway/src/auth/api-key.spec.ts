import {
  allows,
  expandScopes,
  generateApiKey,
  hashSecret,
  isWeakSecret,
  parseApiKey,
  readCookie,
  signUiSession,
  verifySecret,
  verifyUiSession,
} from './api-key';

describe('API keys', () => {
  it('have the format glk_<id>_<secret> and parse back', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^glk_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(k.key)).toEqual({ id: k.id, secret: k.secret });
    expect(generateApiKey().key).not.toBe(k.key);
  });

  it('refuse malformed keys', () => {
    for (const bad of [
      '',
      'glk_',
      'glk_short_secret',
      'abc',
      `glk_${'a'.repeat(16)}_${'b'.repeat(42)}`,
      `xyz_${'a'.repeat(16)}_${'b'.repeat(43)}`,
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('are stored as a sha256 hash and verified against it', () => {
    const { secret } = generateApiKey();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(verifySecret(secret, hash)).toBe(true);
    expect(verifySecret(secret + 'x', hash)).toBe(false);
    expect(verifySecret(secret, 'ab')).toBe(false);
  });
});

describe('scopes', () => {
  it('admin implies write implies read', () => {
    expect(allows(['admin'], 'write')).toBe(true);
    expect(allows(['admin'], 'read')).toBe(true);
    expect(allows(['write'], 'read')).toBe(true);
    expect(allows(['write'], 'admin')).toBe(false);
    expect(allows(['read'], 'write')).toBe(false);
    expect(expandScopes(['write'])).toEqual(['read', 'write']);
  });
  // which routes need which scope: route-table.spec.ts (declared on the handlers, auth/access.ts)
});

describe('UI session cookie', () => {
  const secret = Buffer.from('k'.repeat(32));
  const claims = {
    kid: 'abc',
    sid: 's'.repeat(22),
    scopes: ['read' as const],
    exp: Math.floor(Date.now() / 1000) + 60,
  };

  it('round-trips its claims', () => {
    expect(verifyUiSession(signUiSession(claims, secret), secret)).toEqual(claims);
  });

  it('is refused when forged, tampered with, malformed or expired', () => {
    const value = signUiSession(claims, secret);
    expect(verifyUiSession(value, Buffer.from('o'.repeat(32)))).toBeNull();
    const [payload, sig] = value.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...claims, scopes: ['admin'] })).toString('base64url');
    expect(verifyUiSession(`${tampered}.${sig}`, secret)).toBeNull();
    expect(verifyUiSession(payload, secret)).toBeNull();
    expect(verifyUiSession('', secret)).toBeNull();
    expect(verifyUiSession(value, secret, (claims.exp + 1) * 1000)).toBeNull();
  });

  it('is read from the Cookie header', () => {
    expect(readCookie('a=1; glimpse_ui=x.y; b=2', 'glimpse_ui')).toBe('x.y');
    expect(readCookie(undefined, 'glimpse_ui')).toBeUndefined();
    expect(readCookie('glimpse_ui=%rBK4UB9u<f', 'glimpse_ui')).toBe('%rBK4UB9u<f'); // malformed escape: kept, refused by its signature
  });
});

describe('session secrets', () => {
  it('treat unset and example values as weak', () => {
    expect(isWeakSecret(undefined)).toBe(true);
    expect(isWeakSecret('change-me-change-me-change-me-change-me')).toBe(true);
    expect(isWeakSecret('x'.repeat(40))).toBe(true);
    expect(isWeakSecret('9f2c6a1e0b7d4c3f8a5e2d1c0b9a8f7e6d5c4b3a2f1e0d9c')).toBe(false);
  });
});
