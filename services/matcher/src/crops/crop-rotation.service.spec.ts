import { randomBytes } from 'node:crypto';
import type { FaceRepository } from '../face.repository';
import { CropCipher } from './crop-cipher';
import { CropRotationService } from './crop-rotation.service';

function setup(key: string | undefined, byKey: Record<string, number>, resealed = 0) {
  const faces = {
    resealStale: jest.fn().mockResolvedValue(resealed),
    cropKeyCounts: jest.fn().mockResolvedValue(byKey),
  };
  const cipher = new CropCipher({ CROP_KEY: key });
  return { faces, cipher, service: new CropRotationService(faces as unknown as FaceRepository, cipher) };
}

describe('CropRotationService', () => {
  it('re-seals one batch and counts what is left under other keys or in plaintext', async () => {
    const key = randomBytes(32).toString('hex');
    const current = new CropCipher({ CROP_KEY: key }).currentKeyId!;
    const { faces, service } = setup(key, { [current]: 7, old0000000000000: 2, plaintext: 1 }, 5);
    expect(await service.rotate({ limit: 5 })).toEqual({
      keyId: current,
      resealed: 5,
      remaining: 3,
      byKey: { [current]: 7, old0000000000000: 2, plaintext: 1 },
    });
    expect(faces.resealStale).toHaveBeenCalledWith(5);
  });

  it('without a key there is nothing to rotate to', async () => {
    const { service } = setup(undefined, { plaintext: 4 });
    expect(await service.rotate({ limit: 500 })).toMatchObject({ keyId: null, resealed: 0, remaining: 0 });
  });
});
