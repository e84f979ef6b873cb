import { Logger } from '@nestjs/common';
import { FrameEncode, MatchFaces, type RecognizedFace } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { faceOfNobody, strictMock } from '@glimpse/testing';
import { loadRecognizerConfig } from './config';
import { MATCH_MAX_FACES, MATCH_RETRY_DELAYS_MS, RecognizerService } from './recognizer.service';
import type { WorkerFace, WorkerReply, WorkerRepository } from './worker.repository';

const cfg = loadRecognizerConfig({
  INSTANCE_ID: 'recognizer-test',
  MATCH_TIMEOUT_MS: '1234',
  UPSAMPLE: '2',
  JITTERS: '3',
  DETECTOR: 'hog',
  TRACKING: 'false', // recognizer.tracking.spec.ts covers it
});
const image = new Uint8Array([0xff, 0xd8, 0xff]);
const headers = {
  'Glimpse-Source': 'cam-1',
  'Glimpse-Seq': 7,
  'Glimpse-Captured-At': '2026-11-28T10:00:00.000Z',
  'Glimpse-Store': true,
  'Content-Type': 'image/jpeg' as const,
};
const FRAME_ID = 'Zr8X0GdoYBhkfy8F';
const withId = { ...headers, 'Glimpse-Frame-Id': FRAME_ID };
const crop = Buffer.from('jpeg').toString('base64');

function face(i: number, size = 40): WorkerFace {
  return {
    box: { x: i, y: i, width: size, height: size },
    encoding: Array(128).fill(i / 1000),
    crop,
    quality: { faceWidth: size, sharpness: 40 + i },
  };
}

function workerReply(faces: WorkerFace[]): WorkerReply {
  return { width: 640, height: 480, faces, timings: { decodeMs: 1, queueMs: 0, detectMs: 20, encodeMs: 30 } };
}

function matched(n: number): RecognizedFace[] {
  return Array.from({ length: n }, (_, i) => faceOfNobody({ x: i, y: i, width: 40, height: 40 }));
}

const delay = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

function setup(encode: jest.Mock, busMembers: Partial<Record<keyof Bus, unknown>> = {}) {
  const worker = strictMock<WorkerRepository>('worker', { encode });
  const bus = strictMock<Bus>('bus', busMembers);
  return new RecognizerService(cfg, worker, bus);
}

beforeAll(() => Logger.overrideLogger(false));

describe('RecognizerService.recognize', () => {
  it('encodes with crops, asks the matcher once, and replies with its faces', async () => {
    const encode = jest.fn().mockResolvedValue(workerReply([face(1), face(2)]));
    const request = jest.fn().mockResolvedValue({ faces: matched(2) });
    const service = setup(encode, { request });

    const reply = await service.recognize({ body: image, headers: { ...headers, 'Glimpse-Threshold': 0.5 } });

    expect(encode).toHaveBeenCalledWith(image, 'image/jpeg', {
      detector: 'hog',
      upsample: 2,
      jitters: 3,
      detectMaxSide: 400,
      detectMinScale: 0.5,
      crops: true,
    });
    const frame = { source: 'cam-1', seq: 7, capturedAt: '2026-11-28T10:00:00.000Z', width: 640, height: 480 };
    expect(request).toHaveBeenCalledTimes(1);
    expect(request).toHaveBeenCalledWith(
      MatchFaces.contract,
      { frame, store: true, threshold: 0.5, faces: [face(1), face(2)] },
      1234,
    );
    expect(reply).toEqual({ frame, faces: matched(2), timings: expect.any(Object), processedBy: 'recognizer-test' });
  });

  it('forwards each face’s quality to the matcher, and leaves it out when the worker sent none', async () => {
    const { quality: _, ...bare } = face(2);
    const request = jest.fn().mockResolvedValue({ faces: matched(2) });
    await setup(jest.fn().mockResolvedValue(workerReply([face(1), bare])), { request }).recognize({
      body: image,
      headers,
    });
    const sent = request.mock.calls[0][1] as MatchFaces.Request;
    expect(sent.faces[0].quality).toEqual({ faceWidth: 40, sharpness: 41 });
    expect(sent.faces[1]).toEqual(bare);
    expect(sent.faces[1]).not.toHaveProperty('quality');
    expect(() => MatchFaces.request.parse(sent)).not.toThrow();
  });

  it('leaves the threshold to the matcher when the frame names none, and passes store=false on', async () => {
    const request = jest.fn().mockResolvedValue({ faces: matched(1) });
    const service = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request });
    await service.recognize({ body: image, headers: { ...headers, 'Glimpse-Store': false } });
    const sent = request.mock.calls[0][1] as MatchFaces.Request;
    expect(sent).not.toHaveProperty('threshold');
    expect(sent.store).toBe(false);
  });

  it('does not ask the matcher when there is no face', async () => {
    const service = setup(jest.fn().mockResolvedValue(workerReply([]))); // a bus with no members: any use throws
    const reply = await service.recognize({ body: image, headers });
    expect(reply.faces).toEqual([]);
    expect(reply.frame).toMatchObject({ width: 640, height: 480 });
    expect(reply.timings.matchMs).toBe(0);
  });

  it('reports worker, match and total time next to the worker’s own timings', async () => {
    const encode = jest.fn().mockImplementation(() => delay(30, workerReply([face(1)])));
    const request = jest.fn().mockImplementation(() => delay(40, { faces: matched(1) }));
    const { timings } = await setup(encode, { request }).recognize({ body: image, headers });
    expect(Object.keys(timings).sort()).toEqual(
      ['decodeMs', 'detectMs', 'encodeMs', 'matchMs', 'queueMs', 'totalMs', 'workerMs'].sort(),
    );
    expect(timings).toMatchObject({ detectMs: 20, encodeMs: 30 });
    expect(timings.workerMs).toBeGreaterThanOrEqual(25);
    expect(timings.matchMs).toBeGreaterThanOrEqual(35);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.workerMs + timings.matchMs - 0.2);
  });

  it.each([
    new GlimpseError('INVALID_IMAGE', 'could not decode image: broken'),
    new GlimpseError('IMAGE_TOO_LARGE', 'too big'),
    new GlimpseError('WORKER_UNAVAILABLE', 'face recognition worker unavailable at http://w: ECONNREFUSED'),
  ])('passes the worker’s $code on without asking the matcher', async (err) => {
    const service = setup(jest.fn().mockRejectedValue(err));
    await expect(service.recognize({ body: image, headers })).rejects.toBe(err);
  });

  it.each([new GlimpseError('INVALID_REQUEST', 'bad frame'), new GlimpseError('INTERNAL', 'bug')])(
    'passes the matcher’s $code on without retrying',
    async (err) => {
      const request = jest.fn().mockRejectedValue(err);
      const service = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request });
      await expect(service.recognize({ body: image, headers: withId })).rejects.toBe(err);
      expect(request).toHaveBeenCalledTimes(1);
    },
  );
  it(`sends only the ${MATCH_MAX_FACES} largest faces of a crowd`, async () => {
    const crowd = Array.from({ length: MATCH_MAX_FACES + 5 }, (_, i) => face(i, 10 + i));
    const request = jest.fn().mockResolvedValue({ faces: matched(MATCH_MAX_FACES) });
    await setup(jest.fn().mockResolvedValue(workerReply(crowd)), { request }).recognize({ body: image, headers });
    const sent = (request.mock.calls[0][1] as MatchFaces.Request).faces;
    expect(sent).toHaveLength(MATCH_MAX_FACES);
    expect(Math.min(...sent.map((f) => f.box.width))).toBe(15);
    expect(() => MatchFaces.request.parse(request.mock.calls[0][1])).not.toThrow();
  });
});

describe('RecognizerService.encode', () => {
  it('asks for no crops, never calls the matcher, and returns boxes and encodings only', async () => {
    const { crop: _, ...uncropped } = face(1);
    const encode = jest.fn().mockResolvedValue(workerReply([uncropped]));
    const reply = await setup(encode).encode({ body: image, headers: { 'Content-Type': 'image/png' } });
    expect(encode).toHaveBeenCalledWith(image, 'image/png', {
      detector: 'hog',
      upsample: 2,
      jitters: 3,
      detectMaxSide: 400,
      detectMinScale: 0.5,
      crops: false,
    });
    expect(reply).toEqual({
      width: 640,
      height: 480,
      faces: [{ box: face(1).box, encoding: face(1).encoding }],
      timings: expect.objectContaining({ detectMs: 20, workerMs: expect.any(Number), totalMs: expect.any(Number) }),
      processedBy: 'recognizer-test',
    });
  });

  it.each(['false', undefined] as const)('Glimpse-Crops %s: no crops asked for, no quality returned', async (crops) => {
    const { crop: _, ...uncropped } = face(1);
    const encode = jest.fn().mockResolvedValue(workerReply([uncropped]));
    const h = { 'Content-Type': 'image/jpeg' as const, ...(crops && { 'Glimpse-Crops': crops }) };
    const reply = await setup(encode).encode({ body: image, headers: h });
    expect(encode).toHaveBeenCalledWith(image, 'image/jpeg', expect.objectContaining({ crops: false }));
    expect(reply.faces).toEqual([{ box: face(1).box, encoding: face(1).encoding }]);
  });

  it('Glimpse-Crops true: asks for crops and returns each face’s crop and quality', async () => {
    const encode = jest.fn().mockResolvedValue(workerReply([face(1), face(2, 60)]));
    const reply = await setup(encode).encode({
      body: image,
      headers: { 'Content-Type': 'image/jpeg', 'Glimpse-Crops': 'true' },
    });
    expect(encode).toHaveBeenCalledWith(image, 'image/jpeg', {
      detector: 'hog',
      upsample: 2,
      jitters: 3,
      detectMaxSide: 400,
      detectMinScale: 0.5,
      crops: true,
    });
    expect(reply.faces).toEqual([face(1), face(2, 60)]);
    expect(reply.faces[1].quality).toEqual({ faceWidth: 60, sharpness: 42 });
    expect(() => FrameEncode.reply.parse(reply)).not.toThrow();
  });

  it('passes worker errors on', async () => {
    const err = new GlimpseError('INVALID_IMAGE', 'could not decode image: x');
    await expect(
      setup(jest.fn().mockRejectedValue(err)).encode({ body: image, headers: { 'Content-Type': 'image/jpeg' } }),
    ).rejects.toBe(err);
  });
});

describe('RecognizerService.recognize: frame ids and retries towards the matcher', () => {
  const noResponders = new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.matcher.match');
  const lostReply = new GlimpseError('TIMEOUT', 'glimpse.matcher.match did not answer in time');
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('puts the frame id into the frame it sends to the matcher and replies with', async () => {
    const request = jest.fn().mockResolvedValue({ faces: matched(1) });
    const reply = await setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request }).recognize({
      body: image,
      headers: withId,
    });
    expect((request.mock.calls[0][1] as MatchFaces.Request).frame.id).toBe(FRAME_ID);
    expect(reply.frame.id).toBe(FRAME_ID);
  });

  it('retries while the matcher is away (no responders), sending the same frame, and answers once it is back', async () => {
    const request = jest
      .fn()
      .mockRejectedValueOnce(noResponders)
      .mockRejectedValueOnce(noResponders)
      .mockResolvedValue({ faces: matched(1) });
    const service = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request });
    const done = service.recognize({ body: image, headers: withId, deadline: Date.now() + 10_000 });
    await jest.advanceTimersByTimeAsync(MATCH_RETRY_DELAYS_MS[0] + MATCH_RETRY_DELAYS_MS[1]);
    expect((await done).faces).toEqual(matched(1));
    expect(request).toHaveBeenCalledTimes(3);
    expect(request.mock.calls[2][1]).toEqual(request.mock.calls[0][1]);
  });

  it('retries a lost reply (timeout) only when the frame has an id, which the matcher stores once', async () => {
    const withIdRequest = jest
      .fn()
      .mockRejectedValueOnce(lostReply)
      .mockResolvedValue({ faces: matched(1) });
    const a = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request: withIdRequest }).recognize({
      body: image,
      headers: withId,
    });
    await jest.advanceTimersByTimeAsync(MATCH_RETRY_DELAYS_MS[0]);
    await expect(a).resolves.toMatchObject({ faces: matched(1) });
    expect(withIdRequest).toHaveBeenCalledTimes(2);

    const noIdRequest = jest.fn().mockRejectedValue(lostReply);
    const b = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request: noIdRequest }).recognize({
      body: image,
      headers,
    });
    await expect(b).rejects.toBe(lostReply);
    expect(noIdRequest).toHaveBeenCalledTimes(1);
  });

  it('stops before the requester’s deadline and passes the matcher’s error on', async () => {
    const request = jest.fn().mockRejectedValue(noResponders);
    const started = Date.now();
    const done = setup(jest.fn().mockResolvedValue(workerReply([face(1)])), { request }).recognize({
      body: image,
      headers: withId,
      deadline: started + 2000,
    });
    const outcome = done.catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await outcome).toBe(noResponders);
    // 0, 250, 750 ms: the next pause (1000 ms) would leave less than 250 ms before deadline - 200 ms
    expect(request).toHaveBeenCalledTimes(3);
    for (const [, , timeoutMs] of request.mock.calls) expect(timeoutMs).toBeLessThanOrEqual(1800);
  });
});
