import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlimpseError } from '@glimpse/platform';
import { loadMatcherConfig } from '../config';
import { CropCipher } from './crop-cipher';
import { cropKeyId, parseCropKeys } from './crop-keys';

const hexKey = () => randomBytes(32).toString('hex');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(2000)]);

describe('crop keys', () => {
  it('reads hex and base64 keys separated by commas, spaces or newlines; the first one is current', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const keys = parseCropKeys(`${a.toString('hex')},\n ${b.toString('base64')}`);
    expect(keys.map((k) => k.id)).toEqual([cropKeyId(a), cropKeyId(b)]);
    expect(keys[1].key.equals(b)).toBe(true);
    expect(parseCropKeys(b.toString('base64url'))[0].key.equals(b)).toBe(true);
    expect(parseCropKeys(undefined)).toEqual([]);
  });

  it('refuses keys that are not 32 bytes, and duplicates', () => {
    expect(() => parseCropKeys('abcd')).toThrow(/key 1 is not 32 bytes/);
    expect(() => parseCropKeys(`${hexKey()},${randomBytes(16).toString('base64')}`)).toThrow(/key 2 is not 32 bytes/);
    expect(() => parseCropKeys('!'.repeat(44))).toThrow(/not 32 bytes/);
    const k = hexKey();
    expect(() => parseCropKeys(`${k} ${k.toUpperCase()}`)).toThrow(/listed twice/);
  });

  it('key ids reveal nothing of the key and never repeat', () => {
    const key = randomBytes(32);
    expect(cropKeyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(key.toString('hex')).not.toContain(cropKeyId(key));
    expect(cropKeyId(randomBytes(32))).not.toBe(cropKeyId(key));
  });
});

describe('matcher config CROP_KEY', () => {
  it('is required in production and refuses a placeholder', () => {
    expect(() => loadMatcherConfig({ NODE_ENV: 'production' })).toThrow(/CROP_KEY is not set: NODE_ENV=production/);
    expect(() => loadMatcherConfig({ NODE_ENV: 'production', CROP_KEY: '0'.repeat(64) })).toThrow(
      /CROP_KEY is a known default/,
    );
    expect(loadMatcherConfig({ NODE_ENV: 'production', CROP_KEY: hexKey() }).CROP_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(loadMatcherConfig({}).CROP_KEY).toBeUndefined();
  });

  it('lists a malformed key with the other bad variables, and reads CROP_KEY_FILE', () => {
    expect(() => loadMatcherConfig({ CROP_KEY: 'short' })).toThrow(/CROP_KEY: key 1 is not 32 bytes/);
    const file = join(mkdtempSync(join(tmpdir(), 'crop-key-')), 'crop-key');
    const [a, b] = [hexKey(), hexKey()];
    writeFileSync(file, `${a}\n${b}\n`);
    expect(parseCropKeys(loadMatcherConfig({ CROP_KEY_FILE: file }).CROP_KEY).length).toBe(2);
  });
});

describe('CropCipher', () => {
  const cipherWith = (CROP_KEY?: string) => new CropCipher({ CROP_KEY });

  it('seals with AES-256-GCM under a fresh nonce per crop and opens it again', () => {
    const c = cipherWith(hexKey());
    const id = randomUUID();
    const a = c.seal(id, JPEG);
    const b = c.seal(id, JPEG);
    expect(a.keyId).toBe(c.currentKeyId);
    expect(a.crop.length).toBe(JPEG.length + 12 + 16);
    expect(a.crop.equals(b.crop)).toBe(false);
    expect(a.crop.includes(JPEG.subarray(0, 64))).toBe(false);
    expect(c.open(id, a).equals(JPEG)).toBe(true);
  });

  it('binds a crop to its face id and detects tampering', () => {
    const c = cipherWith(hexKey());
    const id = randomUUID();
    const sealed = c.seal(id, JPEG);
    expect(() => c.open(randomUUID(), sealed)).toThrow(/does not authenticate/);
    const flipped = Buffer.from(sealed.crop);
    flipped[40] ^= 1;
    expect(() => c.open(id, { ...sealed, crop: flipped })).toThrow(GlimpseError);
    expect(() => c.open(id, { ...sealed, crop: sealed.crop.subarray(0, 10) })).toThrow(/truncated/);
  });

  it('opens crops under an older key and plaintext ones; refuses an unknown key id', () => {
    const [oldKey, newKey] = [hexKey(), hexKey()];
    const id = randomUUID();
    const old = cipherWith(oldKey).seal(id, JPEG);
    const rotated = cipherWith(`${newKey},${oldKey}`);
    expect(rotated.open(id, old).equals(JPEG)).toBe(true);
    expect(rotated.isStale(old.keyId)).toBe(true);
    expect(rotated.isStale(null)).toBe(true);
    expect(rotated.isStale(rotated.currentKeyId)).toBe(false);
    expect(rotated.open(id, { crop: JPEG, keyId: null }).equals(JPEG)).toBe(true);
    expect(() => cipherWith(newKey).open(id, old)).toThrow(/which CROP_KEY does not hold/);
  });

  it('without a key stores plaintext (development only)', () => {
    const c = cipherWith(undefined);
    expect(c.seal(randomUUID(), JPEG)).toEqual({ crop: JPEG, keyId: null });
    expect(c.currentKeyId).toBeNull();
    expect(c.isStale(null)).toBe(false);
  });
});
