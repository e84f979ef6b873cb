import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  assertProductionSecret,
  baseEnv,
  databasePassword,
  isKnownDefaultSecret,
  loadConfig,
  loadParts,
  natsConnectionSettings,
} from './config';
import { ConfigError } from './errors';

const dir = mkdtempSync(join(tmpdir(), 'platform-config-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('loadConfig with <NAME>_FILE', () => {
  const schema = baseEnv.extend({ API_SECRET: z.string().optional() });

  it('reads a variable from the file its _FILE names, without the trailing newline', () => {
    expect(loadConfig(schema, { API_SECRET_FILE: file('a', 's3cret\n') }).API_SECRET).toBe('s3cret');
    expect(loadConfig(schema, { NATS_PASSWORD_FILE: file('p', 'pw\r\n'), NATS_USER: 'u' }).NATS_PASSWORD).toBe('pw');
  });

  it('refuses both set, and an unreadable file, naming the variable', () => {
    expect(() => loadConfig(schema, { API_SECRET: 'x', API_SECRET_FILE: file('b', 'y') })).toThrow(
      /API_SECRET: set API_SECRET or API_SECRET_FILE, not both/,
    );
    expect(() => loadConfig(schema, { API_SECRET_FILE: join(dir, 'nope') })).toThrow(
      /API_SECRET_FILE: cannot read .*ENOENT/,
    );
  });

  it('ignores _FILE variables of names the schema does not have', () => {
    expect(loadConfig(schema, { OTHER_FILE: join(dir, 'nope') })).not.toHaveProperty('OTHER');
  });
});

describe('loadParts', () => {
  const a = z.object({ PORT: z.coerce.number().int() });
  const b = z.object({ TIMEOUT_MS: z.coerce.number().int() });

  it("returns each part's config", () => {
    expect(loadParts({ a: () => loadConfig(a, { PORT: '1' }), b: () => loadConfig(b, { TIMEOUT_MS: '2' }) })).toEqual({
      a: { PORT: 1 },
      b: { TIMEOUT_MS: 2 },
    });
  });

  it('lists the bad variables of every part in one error', () => {
    const env = { PORT: 'eighty', TIMEOUT_MS: 'soon' };
    const load = () => loadParts({ a: () => loadConfig(a, env), b: () => loadConfig(b, env) });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Invalid environment variables:\n {2}PORT: .*\n {2}TIMEOUT_MS: /);
  });

  it('lets other errors through as they are', () => {
    const boom = new TypeError('a bug');
    expect(() =>
      loadParts({
        a: () => {
          throw boom;
        },
      }),
    ).toThrow(boom);
  });
});

describe('NATS credentials and TLS', () => {
  it('are optional, and none means a plain connection', () => {
    expect(natsConnectionSettings(loadConfig(baseEnv, {}))).toEqual({});
  });

  it('map to nats.js options', () => {
    const cfg = loadConfig(baseEnv, {
      NATS_USER: 'gateway',
      NATS_PASSWORD: 'pw',
      NATS_TLS_CA: '/ca.pem',
      NATS_TLS_CERT: '/c.pem',
      NATS_TLS_KEY: '/k.pem',
    });
    expect(natsConnectionSettings(cfg)).toEqual({
      user: 'gateway',
      pass: 'pw',
      tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
    });
    expect(natsConnectionSettings(loadConfig(baseEnv, { NATS_CREDS: '/svc.creds' }))).toEqual({
      credsFile: '/svc.creds',
    });
    expect(natsConnectionSettings(loadConfig(baseEnv, { NATS_TOKEN: 't', NATS_USER: '' }))).toEqual({ token: 't' });
  });

  it('refuse half a pair and two ways of authenticating', () => {
    expect(() => loadConfig(baseEnv, { NATS_USER: 'gateway' })).toThrow(
      /NATS_PASSWORD: NATS_USER and NATS_PASSWORD go together/,
    );
    expect(() => loadConfig(baseEnv, { NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_TOKEN: 't' })).toThrow(
      /choose one way/,
    );
    expect(() => loadConfig(baseEnv, { NATS_TLS_CERT: '/c.pem' })).toThrow(
      /NATS_TLS_CERT and NATS_TLS_KEY go together/,
    );
  });

  it('refuse a default password in production only', () => {
    expect(() => loadConfig(baseEnv, { NODE_ENV: 'production', NATS_USER: 'u', NATS_PASSWORD: 'changeme' })).toThrow(
      /NATS_PASSWORD is a known default/,
    );
    expect(() => loadConfig(baseEnv, { NODE_ENV: 'production', NATS_TOKEN: 'secret' })).toThrow(/NATS_TOKEN/);
    expect(
      loadConfig(baseEnv, { NODE_ENV: 'production', NATS_USER: 'u', NATS_PASSWORD: 'k3J9-wq0Z-xV7p-Lm2R' }).NATS_USER,
    ).toBe('u');
    expect(loadConfig(baseEnv, { NATS_USER: 'u', NATS_PASSWORD: 'changeme' }).NATS_USER).toBe('u');
  });
});

describe('production secrets', () => {
  it('knows default and placeholder values', () => {
    for (const weak of [
      undefined,
      '',
      'changeme',
      'MY_SECRET',
      'postgres',
      'password',
      'glimpse',
      'xxxxxxxx',
      'aaaaaaaaaaaa',
      '<your-secret>',
      'example-secret',
    ]) {
      expect(isKnownDefaultSecret(weak)).toBe(true);
    }
    expect(isKnownDefaultSecret('0b5d7f3c9a2e41d8')).toBe(false);
  });

  it('are enforced in production only, with a message naming the variable', () => {
    expect(() => assertProductionSecret('production', 'OPENVIDU_SECRET', 'MY_SECRET')).toThrow(ConfigError);
    expect(() => assertProductionSecret('production', 'OPENVIDU_SECRET', undefined)).toThrow(
      /OPENVIDU_SECRET is not set/,
    );
    expect(() => assertProductionSecret('development', 'OPENVIDU_SECRET', 'MY_SECRET')).not.toThrow();
  });

  it('read the password of a database URL', () => {
    expect(databasePassword('postgres://glimpse:s%40fe@db:5432/glimpse')).toBe('s@fe');
    expect(databasePassword('postgres://glimpse@db/glimpse')).toBe('');
    expect(databasePassword('not a url')).toBe('');
  });
});
