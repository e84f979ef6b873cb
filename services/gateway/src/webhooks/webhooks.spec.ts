import { createHmac } from 'node:crypto';
import { loadWebhooksConfig } from './webhooks.config';
import {
  backoffMs,
  createWebhookSchema,
  matchesFilter,
  publicView,
  sign,
  typeOfSubject,
  verify,
} from './webhook.model';

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
    const ok = createWebhookSchema.safeParse({
      url: 'https://x.example',
      secret: 's'.repeat(16),
      events: ['*', 'sighting.*', 'person.deleted'],
    });
    expect(ok.success).toBe(true);
    expect(
      createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), events: ['person.exploded'] })
        .success,
    ).toBe(false);
    expect(
      createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), events: ['nope.*'] }).success,
    ).toBe(false);
    expect(createWebhookSchema.safeParse({ url: 'https://x.example', secret: 'short', events: ['*'] }).success).toBe(
      false,
    );
    expect(createWebhookSchema.parse({ url: 'https://x.example', secret: 's'.repeat(16) }).events).toEqual(['*']);
    for (const bad of [
      { url: 'https://x.exa\tmple/' },
      { url: 'https://x.example/\u0000' },
      { secret: `${'s'.repeat(16)}\u0000` },
    ]) {
      const r = createWebhookSchema.safeParse({ url: 'https://x.example', secret: 's'.repeat(16), ...bad });
      expect(r.error?.issues[0]?.message).toMatch(/control characters/);
    }
  });
  it('never shows the secret', () => {
    const view = publicView({ id: 'i', url: 'u', secret: 'TOPSECRET', events: ['*'], createdAt: 'c', active: true });
    expect(JSON.stringify(view)).not.toContain('TOPSECRET');
  });
});

describe('webhooks config', () => {
  it('refuses private targets by default in every mode; opting in is explicit', () => {
    expect(loadWebhooksConfig({}).policy.allowPrivate).toBe(false);
    expect(loadWebhooksConfig({ NODE_ENV: 'development' }).policy.allowPrivate).toBe(false);
    expect(loadWebhooksConfig({ WEBHOOK_ALLOW_PRIVATE: '' }).policy.allowPrivate).toBe(false);
    expect(loadWebhooksConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).policy.allowPrivate).toBe(true);
    const p = loadWebhooksConfig({ WEBHOOK_ALLOWED_HOSTS: ' hooks.lan. , 192.168.1.0/24,127.0.0.1' }).policy;
    expect([...p.allowedNames]).toEqual(['hooks.lan']);
    expect(p.allowedBlocks.map((b) => b.text)).toEqual(['192.168.1.0/24', '127.0.0.1']);
    expect(() => loadWebhooksConfig({ WEBHOOK_ALLOWED_HOSTS: 'http://x/' })).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
  });
  it('has the documented defaults', () => {
    const cfg = loadWebhooksConfig({});
    expect({ ...cfg, policy: undefined }).toEqual({
      policy: undefined,
      timeoutMs: 10_000,
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
    });
    expect(() => loadWebhooksConfig({ WEBHOOK_TIMEOUT_MS: 'soon' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });
});
