import { Injectable } from '@nestjs/common';
import type { CropsRotate, z } from '@glimpse/contracts';
import { FaceRepository } from '../face.repository';
import { CropCipher } from './crop-cipher';

/** rotate-key: re-seals stale crops (plaintext, or under a key that is no longer first) one batch per call. */
@Injectable()
export class CropRotationService {
  constructor(
    private readonly faces: FaceRepository,
    private readonly cipher: CropCipher,
  ) {}

  async rotate(req: z.output<typeof CropsRotate.request>): Promise<CropsRotate.Reply> {
    const resealed = await this.faces.resealStale(req.limit);
    const byKey = await this.faces.cropKeyCounts();
    const keyId = this.cipher.currentKeyId;
    const remaining =
      keyId === null ? 0 : Object.entries(byKey).reduce((n, [id, count]) => (id === keyId ? n : n + count), 0);
    return { keyId, resealed, remaining, byKey };
  }
}
