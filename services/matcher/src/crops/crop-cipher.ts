import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import { parseCropKeys, type CropKey } from './crop-keys';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A crop as stored: the bytes and the id of the key that sealed them (null: a plaintext JPEG). */
export interface StoredCrop {
  crop: Buffer;
  keyId: string | null;
}

/**
 * AES-256-GCM for face crops at rest: a random nonce per crop, the face id as associated data (a crop
 * copied onto another face row does not open), stored as nonce ‖ ciphertext ‖ tag. Without a key
 * (development only; production refuses to start) crops stay plaintext with a null key id.
 */
@Injectable()
export class CropCipher {
  private readonly keys: CropKey[];

  constructor(@Inject(MATCHER_CONFIG) config: Pick<MatcherConfig, 'CROP_KEY'>) {
    this.keys = parseCropKeys(config.CROP_KEY);
  }

  /** The id new crops are sealed with; null when crops are stored in plaintext. */
  get currentKeyId(): string | null {
    return this.keys[0]?.id ?? null;
  }

  seal(faceId: string, jpeg: Uint8Array): StoredCrop {
    const current = this.keys[0];
    if (!current) return { crop: Buffer.from(jpeg), keyId: null };
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current.key, nonce).setAAD(Buffer.from(faceId));
    const body = Buffer.concat([cipher.update(jpeg), cipher.final()]);
    return { crop: Buffer.concat([nonce, body, cipher.getAuthTag()]), keyId: current.id };
  }

  open(faceId: string, stored: StoredCrop): Buffer {
    if (stored.keyId === null) return Buffer.from(stored.crop);
    const key = this.keys.find((k) => k.id === stored.keyId);
    if (!key)
      throw new GlimpseError(
        'INTERNAL',
        `crop of face ${faceId} is sealed with key ${stored.keyId}, which CROP_KEY does not hold`,
      );
    const c = stored.crop;
    if (c.length < NONCE_BYTES + TAG_BYTES) throw new GlimpseError('INTERNAL', `crop of face ${faceId} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, c.subarray(0, NONCE_BYTES)).setAAD(Buffer.from(faceId));
      decipher.setAuthTag(c.subarray(c.length - TAG_BYTES));
      return Buffer.concat([decipher.update(c.subarray(NONCE_BYTES, c.length - TAG_BYTES)), decipher.final()]);
    } catch (cause) {
      throw new GlimpseError('INTERNAL', `crop of face ${faceId} does not authenticate under key ${key.id}`, { cause });
    }
  }

  /** Whether a stored crop should be re-sealed by rotate-key: plaintext, or under an older key. */
  isStale(keyId: string | null): boolean {
    return this.currentKeyId !== null && keyId !== this.currentKeyId;
  }
}
