import { createHmac } from 'node:crypto';
import { isPrivateAddress, urlProblem } from './address-guard';
import { loadWebhooksConfig } from './webhooks.config';
import { backoffMs, createWebhookSchema, matchesFilter, publicView, sign, typeOfSubject, verify } from './webhook.model';

describe('webhook signature', () => {
  it('is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>', () => {
    const body = '{"id":"person.created:1"}';
    const want = createHmac('sha256', 'a-secret-of-16-chars').update(`1700000000.${body}`).digest('hex');
    expect(sign('a-secret-of-16-chars', '1700000000', body)).toBe(`sha256=${want}`);
    expect(sign('a-secret-of-16-chars', '1700000000', Buffer.from(body))).toBe(`sha256=${want}`);
  });
  it('verifies only the same secret, timestamp and body', () => {
    const s = sign('k'.repeat(16), '1', 'body');
    expect(verify('k'.repeat(16), '1', 'body', s)).toBe(true);
    expect(verify('x'.repeat(16), '1', 'body', s)).toBe(false);
    expect(verify('k'.repeat(16), '2', 'body', s)).toBe(false);
    expect(verify('k'.repeat(16), '1', 'bodY', s)).toBe(false);
    expect(verify('k'.repeat(16), '1', 'body', 'sha256=00')).toBe(false);
  });
});

describe('backoff schedule', () => {
  it('doubles from the initial delay and is capped', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000,
    ]);
    expect(backoffMs(1000, 1000, 60_000)).toBe(60_000);
    expect(backoffMs(0, 100, 1000)).toBe(100);
  });
});

describe('event filter', () => {
  it('matches *, exact types and families', () => {
    expect(matchesFilter(['*'], 'sighting.ended')).toBe(true);
    expect(matchesFilter(['person.created'], 'person.created')).toBe(true);
    expect(matchesFilter(['person.created'], 'person.deleted')).toBe(false);
    expect(matchesFilter(['sighting.*'], 'sighting.started')).toBe(true);
    expect(matchesFilter(['sighting.*'], 'person.created')).toBe(false);
    expect(matchesFilter(['person.renamed', 'face.*'], 'face.moved')).toBe(true);
    expect(matchesFilter([], 'face.moved')).toBe(false);
  });
  it('reads the type from a subject', () => {
    expect(typeOfSubject('glimpse.events.sighting.ended.4b7e')).toBe('sighting.ended');
    expect(typeOfSubject('glimpse.recognition.cam')).toBeNull();
  });
  it('accepts only known types and families in a registration', () => {
    const ok = createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), events: ['*', 'sighting.*', 'person.deleted'] });
    expect(ok.success).toBe(true);
    expect(createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), events: ['person.exploded'] }).success).toBe(false);
    expect(createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), events: ['nope.*'] }).success).toBe(false);
    expect(createWebhookSchema.safeParse({ url: 'https://x.example', secret: 'short', events: ['*'] }).success).toBe(false);
    expect(createWebhookSchema.parse({ url: 'https://x.example', secret: 's'.repeat(16) }).events).toEqual(['*']);
  });
  it('never shows the secret', () => {
    const view = publicView({ id: 'i', url: 'u', secret: 'TOPSECRET', events: ['*'], createdAt: 'c', active: true });
    expect(JSON.stringify(view)).not.toContain('TOPSECRET');
  });
});

describe('URL validation', () => {
  it('allows only http and https without credentials', () => {
    expect(urlProblem('https://hooks.example.com/x', false)).toBeNull();
    expect(urlProblem('http://hooks.example.com:8080/x', false)).toBeNull();
    expect(urlProblem('ftp://hooks.example.com/x', true)).toMatch(/http and https/);
    expect(urlProblem('file:///etc/passwd', true)).toMatch(/http and https/);
    expect(urlProblem('not a url', true)).toMatch(/not a valid URL/);
    expect(urlProblem('https://user:pw@hooks.example.com/', true)).toMatch(/credentials/);
  });
  it('refuses loopback and private hosts unless allowed', () => {
    for (const u of [
      'http://127.0.0.1/',
      'http://localhost:3000/',
      'http://api.localhost/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
    ]) {
      expect([u, urlProblem(u, false)]).toEqual([u, expect.stringMatching(/private/)]);
      expect(urlProblem(u, true)).toBeNull();
    }
    expect(urlProblem('http://8.8.8.8/', false)).toBeNull();
    expect(urlProblem('http://[2606:4700::1111]/', false)).toBeNull();
  });
  it('classifies addresses', () => {
    expect(isPrivateAddress('127.0.0.1')).toBe(true);
    expect(isPrivateAddress('100.64.0.1')).toBe(true);
    expect(isPrivateAddress('1.1.1.1')).toBe(false);
    expect(isPrivateAddress('fe80::1')).toBe(true);
    expect(isPrivateAddress('hooks.example.com')).toBe(false);
  });
});

describe('webhooks config', () => {
  it('allows private targets by default except in production', () => {
    expect(loadWebhooksConfig({}).allowPrivate).toBe(true);
    expect(loadWebhooksConfig({ NODE_ENV: 'production' }).allowPrivate).toBe(false);
    expect(loadWebhooksConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE: 'true' }).allowPrivate).toBe(true);
    expect(loadWebhooksConfig({ WEBHOOK_ALLOW_PRIVATE: 'false' }).allowPrivate).toBe(false);
  });
  it('has the documented defaults', () => {
    expect(loadWebhooksConfig({})).toEqual({ allowPrivate: true, timeoutMs: 10_000, initialBackoffMs: 1000, maxBackoffMs: 60_000 });
    expect(() => loadWebhooksConfig({ WEBHOOK_TIMEOUT_MS: 'soon' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });
});
