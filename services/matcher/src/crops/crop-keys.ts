import { createHash } from 'node:crypto';

/** One AES-256 key for face crops and the id stored beside every crop it sealed. */
export interface CropKey {
  id: string;
  key: Buffer;
}

/**
 * The keys of CROP_KEY (or the file CROP_KEY_FILE names): 32 bytes each, as 64 hex digits or base64,
 * separated by commas, spaces or newlines. The first seals new crops; the others only open older ones,
 * which is how a key is rotated (docs/privacy.md). Throws a RangeError naming the bad entry.
 */
export function parseCropKeys(value: string | undefined): CropKey[] {
  const parts = (value ?? '').split(/[\s,]+/).filter(Boolean);
  const keys = parts.map((text, i) => {
    const key = decodeKey(text, i);
    return { id: cropKeyId(key), key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new RangeError('the same key is listed twice');
  return keys;
}

function decodeKey(text: string, index: number): Buffer {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  // Buffer's base64 decoder skips characters it does not know: check the alphabet and length first
  const key = /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new RangeError(`key ${index + 1} is not 32 bytes as 64 hex digits or base64 (e.g. openssl rand -hex 32)`);
  }
  return key;
}

/** A key's public name: a hash of it, so the id reveals nothing and the same key always has the same id. */
export function cropKeyId(key: Buffer): string {
  return createHash('sha256').update('glimpse crop key id\0').update(key).digest('hex').slice(0, 16);
}
