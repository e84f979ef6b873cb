import { Logger } from '@nestjs/common';
import type { Bus } from '@glimpse/platform';
import { strictMock } from '@glimpse/testing';
import { loadRecognizerConfig } from './config';
import { UPLOAD_SOURCE } from '@glimpse/contracts';
import { RecognizerService } from './recognizer.service';
import type { WorkerRepository } from './worker.repository';

const image = new Uint8Array([0xff, 0xd8, 0xff]);
const headers = (source: string) => ({
  'Glimpse-Source': source,
  'Glimpse-Seq': 1,
  'Glimpse-Captured-At': '2026-11-28T10:00:00.000Z',
  'Glimpse-Store': true,
  'Content-Type': 'image/jpeg' as const,
});

function trackSent(env: Record<string, string>, source: string) {
  const encode = jest.fn().mockResolvedValue({ width: 640, height: 480, faces: [], timings: {} });
  const service = new RecognizerService(
    loadRecognizerConfig({ INSTANCE_ID: 'r', ...env }),
    strictMock<WorkerRepository>('worker', { encode }),
    strictMock<Bus>('bus', {}),
  );
  return service.recognize({ body: image, headers: headers(source) }).then(() => encode.mock.calls[0][2].track);
}

beforeAll(() => Logger.overrideLogger(false));

describe('RecognizerService tracking', () => {
  it("asks the worker to track a stream's frames under the stream id, with BlazeFace by default", async () => {
    expect(await trackSent({}, 's_abc123')).toBe('s_abc123');
    expect(loadRecognizerConfig({}).DETECTOR).toBe('blaze');
  });

  it('never tracks uploads, which are unrelated pictures', async () => {
    expect(await trackSent({}, UPLOAD_SOURCE)).toBeUndefined();
  });

  it('can be turned off', async () => {
    expect(await trackSent({ TRACKING: 'false' }, 's_abc123')).toBeUndefined();
  });
  it("passes each face's worker track on to the matcher, and sends none where the worker named none", async () => {
    const face = { box: { x: 0, y: 0, width: 50, height: 50 }, encoding: new Array(128).fill(0), crop: 'AA==' };
    const encode = jest
      .fn()
      .mockResolvedValue({ width: 640, height: 480, faces: [{ ...face, track: 'abc123' }, face], timings: {} });
    const request = jest.fn().mockResolvedValue({ faces: [] });
    const service = new RecognizerService(
      loadRecognizerConfig({ INSTANCE_ID: 'r' }),
      strictMock<WorkerRepository>('worker', { encode }),
      strictMock<Bus>('bus', { request } as never),
    );
    await service.recognize({ body: image, headers: headers('s_abc123') });
    const sent = request.mock.calls[0][1] as { faces: Array<{ track?: string }> };
    expect(sent.faces.map((f) => f.track)).toEqual(['abc123', undefined]);
  });
});
