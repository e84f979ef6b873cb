import type { Bus } from '@glimpse/platform';
import { HealthCheck } from '@glimpse/contracts';
import { strictMock } from '@glimpse/testing';
import { loadRecognizerConfig } from './config';
import { HealthService } from './health.service';
import type { WorkerHealth, WorkerRepository } from './worker.repository';

const cfg = loadRecognizerConfig({ INSTANCE_ID: 'recognizer-test' });

function check(workers: WorkerHealth[], connected = true) {
  const worker = strictMock<WorkerRepository>('worker', { ping: jest.fn().mockResolvedValue(workers) });
  const bus = strictMock<Bus>('bus', { isConnected: () => connected, serverDetail: () => 'nats-1 at 127.0.0.1:4222' });
  return new HealthService(cfg, worker, bus).check();
}

describe('HealthService', () => {
  it('is ok while NATS is connected and one worker answers', async () => {
    const reply = await check([
      { url: 'http://a', ok: false, detail: 'ECONNREFUSED' },
      { url: 'http://b', ok: true, detail: 'dlib_face_recognition_resnet_model_v1' },
    ]);
    expect(HealthCheck.reply.parse(reply)).toEqual({
      service: 'recognizer',
      instance: 'recognizer-test',
      ok: true,
      checks: {
        nats: { ok: true, detail: 'nats-1 at 127.0.0.1:4222' },
        worker: {
          ok: true,
          detail: 'http://a: down (ECONNREFUSED); http://b: ok (dlib_face_recognition_resnet_model_v1)',
        },
      },
    });
  });

  it('is not ok without a worker or without NATS', async () => {
    expect((await check([{ url: 'http://a', ok: false, detail: 'x' }])).ok).toBe(false);
    expect((await check([{ url: 'http://a', ok: true, detail: 'm' }], false)).ok).toBe(false);
  });
});
