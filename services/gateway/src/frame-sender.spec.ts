import { Logger } from '@nestjs/common';
import type { FrameEncode, FrameRecognize, FrameSettle, RecognizedFace, RecognizerHeartbeat } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { ErrorCode as NatsErrorCode } from 'nats';
import { strictMock } from '@glimpse/testing';
import { FrameLostError } from './frame-liveness';
import { FrameSender, mayBeStored, type FrameHeaders } from './frame-sender';
import type { FramesRepository } from './frames.repository';

const FRAME_ID = 'gw_frame_000001';
const body = new Uint8Array([0xff, 0xd8, 0xff]);
const headers: FrameHeaders = {
  'Glimpse-Source': 'upload',
  'Glimpse-Seq': 3,
  'Glimpse-Frame-Id': FRAME_ID,
  'Glimpse-Captured-At': '2026-12-06T07:00:00.000Z',
  'Glimpse-Store': 'true',
  'Content-Type': 'image/jpeg',
};
const cfg = { RECOGNIZE_TIMEOUT_MS: 30_000, RECOGNIZER_SILENCE_MS: 1_500, RECOGNIZER_FAILOVER_MS: 4_000 };
const face: RecognizedFace = {
  faceId: '11111111-1111-4111-8111-111111111111',
  box: { x: 1, y: 2, width: 30, height: 40 },
  personId: '22222222-2222-4222-8222-222222222222',
  personNumber: 1,
  personName: null,
  isNew: true,
  distance: null,
  similarity: null,
};
const reply = (processedBy: string): FrameRecognize.Reply => ({
  frame: { id: FRAME_ID, source: 'upload', seq: 3, capturedAt: headers['Glimpse-Captured-At'], width: 64, height: 64 },
  faces: [face],
  timings: { totalMs: 10 },
  processedBy,
});
const noResponders = () =>
  new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.frame.recognize', {
    cause: Object.assign(new Error('503'), { code: NatsErrorCode.NoResponders }),
  });
const never = () => new Promise<never>(() => undefined);
const beat = (instanceId: string, frames: string[]): RecognizerHeartbeat.Payload => ({
  instanceId,
  intervalMs: 500,
  frames,
});

/** A sender over a strict repository mock; `hear` delivers a heartbeat as the bus would. */
function setup(recognize: jest.Mock, settle?: jest.Mock, over: Partial<typeof cfg> = {}) {
  let listener: ((b: RecognizerHeartbeat.Payload) => void) | undefined;
  const frames = strictMock<FramesRepository>('frames', {
    recognize,
    onHeartbeat: (fn: typeof listener) => void (listener = fn),
    ...(settle && { settle }),
  });
  const sender = new FrameSender(frames, { ...cfg, ...over });
  sender.onApplicationBootstrap();
  return { sender, hear: (b: RecognizerHeartbeat.Payload) => listener!(b) };
}

/** Settles `p` (for a rejection: its error) while fake time runs on in 100 ms steps, calling `tick` (heartbeats) at each. */
async function run<T>(
  p: Promise<T>,
  ms: number,
  tick?: () => void,
): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = Date.now();
  let out: { value?: T; error?: unknown } | undefined;
  p.then(
    (value) => (out = { value }),
    (error) => (out = { error }),
  );
  while (!out && Date.now() - started < ms) {
    tick?.();
    await jest.advanceTimersByTimeAsync(100);
  }
  if (!out) throw new Error(`not settled within ${ms} ms`);
  return { ...out, ms: Date.now() - started };
}

describe('FrameSender', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-06T07:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('answers with the recognizer reply and asks the matcher nothing', async () => {
    const recognize = jest.fn().mockResolvedValue(reply('r-1'));
    const { sender } = setup(recognize);
    await expect(sender.recognize(body, headers)).resolves.toEqual({ faces: [face] });
    expect(recognize).toHaveBeenCalledWith(body, headers, 30_000);
  });

  it('calls a frame lost within RECOGNIZER_SILENCE_MS of its holder going silent, and retries it', async () => {
    const recognize = jest.fn().mockImplementationOnce(never).mockResolvedValueOnce(reply('r-2'));
    const { sender, hear } = setup(recognize);
    const started = Date.now();
    let beats = 20; // r-1 holds the frame for 2 s, then dies
    const out = await run(sender.recognize(body, headers), 10_000, () => beats-- > 0 && hear(beat('r-1', [FRAME_ID])));
    expect(out.value).toEqual({ faces: [face] });
    expect(recognize).toHaveBeenCalledTimes(2);
    expect(recognize.mock.calls[1][1]).toEqual(headers); // same frame id: the matcher stores it once
    // died at ~2 s, called lost 1.5 s later, sent again after the first pause (100 ms)
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_500);
    expect(Date.now() - started).toBeLessThan(4_200);
  });

  it('waits for a slow but living holder as long as it beats', async () => {
    const recognize = jest.fn(() => new Promise((r) => setTimeout(() => r(reply('r-1')), 8_000)));
    const { sender, hear } = setup(recognize);
    const out = await run(sender.recognize(body, headers), 12_000, () =>
      hear(beat('r-1', [FRAME_ID, 'other_frame_1'])),
    );
    expect(out.value).toEqual({ faces: [face] });
    expect(out.ms).toBeGreaterThanOrEqual(8_000);
    expect(recognize).toHaveBeenCalledTimes(1);
  });

  it('fails with 503 within RECOGNIZER_FAILOVER_MS when no recognizer runs, asking the matcher nothing (none saw it)', async () => {
    const recognize = jest.fn().mockRejectedValue(noResponders());
    const { sender } = setup(recognize);
    const out = await run(sender.recognize(body, headers), 10_000);
    expect(out.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(out.ms).toBeLessThanOrEqual(4_000);
    expect(recognize.mock.calls.length).toBeGreaterThan(3);
  });

  it('after a lost holder and no recognizer since, settles with the matcher: abandoned -> the failure, stored -> its faces', async () => {
    for (const settled of [{ state: 'abandoned' }, { state: 'stored', faces: [face] }] as FrameSettle.Reply[]) {
      const recognize = jest.fn().mockImplementationOnce(never).mockRejectedValue(noResponders());
      const settle = jest.fn().mockResolvedValue(settled);
      const { sender, hear } = setup(recognize, settle);
      let beats = 5;
      const out = await run(
        sender.recognize(body, headers),
        12_000,
        () => beats-- > 0 && hear(beat('r-1', [FRAME_ID])),
      );
      expect(settle).toHaveBeenCalledTimes(1);
      expect(settle).toHaveBeenCalledWith(FRAME_ID, expect.any(Number));
      if (settled.state === 'abandoned') {
        expect(out.error).toBeInstanceOf(GlimpseError);
        expect(out.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      } else {
        expect(out.value).toEqual({ faces: [face] });
      }
      expect(out.ms).toBeLessThan(8_000);
    }
  });

  it('fails at once, without a retry or a settle, on failures that come before anything is stored', async () => {
    for (const code of ['OVERLOADED', 'WORKER_UNAVAILABLE', 'INVALID_IMAGE'] as const) {
      const recognize = jest.fn().mockRejectedValue(new GlimpseError(code, 'no'));
      const { sender } = setup(recognize);
      await expect(sender.recognize(body, headers)).rejects.toMatchObject({ code });
      expect(recognize).toHaveBeenCalledTimes(1);
    }
  });

  it('settles a timed-out stored frame, but not one sent with Glimpse-Store false', async () => {
    const timeout = new GlimpseError('TIMEOUT', 'glimpse.frame.recognize did not answer in time');
    const settle = jest.fn().mockResolvedValue({ state: 'abandoned' });
    const stored = setup(jest.fn().mockRejectedValue(timeout), settle);
    await expect(stored.sender.recognize(body, headers)).rejects.toBe(timeout);
    expect(settle).toHaveBeenCalledTimes(1);
    const unstored = setup(jest.fn().mockRejectedValue(timeout));
    await expect(unstored.sender.recognize(body, { ...headers, 'Glimpse-Store': 'false' })).rejects.toBe(timeout);
  });

  it('answers the failure when the matcher cannot be asked either (retried within SETTLE_BUDGET_MS)', async () => {
    const timeout = new GlimpseError('TIMEOUT', 'late');
    const settle = jest.fn().mockRejectedValue(new GlimpseError('SERVICE_UNAVAILABLE', 'matcher away'));
    const { sender } = setup(jest.fn().mockRejectedValue(timeout), settle);
    const out = await run(sender.recognize(body, headers), 5_000);
    expect(out.error).toBe(timeout);
    expect(settle.mock.calls.length).toBeGreaterThan(1);
    expect(out.ms).toBeLessThanOrEqual(2_000);
  });

  it('never calls frames lost when no recognizer has sent a heartbeat (older builds): it waits for the answer', async () => {
    const recognize = jest.fn(() => new Promise((r) => setTimeout(() => r(reply('old')), 15_000)));
    const { sender } = setup(recognize);
    const out = await run(sender.recognize(body, headers), 20_000);
    expect(out.value).toEqual({ faces: [face] });
    expect(recognize).toHaveBeenCalledTimes(1);
  });
});

describe('FrameSender.encode', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-06T07:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('sends an encode again once its holder goes silent, and never settles (encode stores nothing)', async () => {
    const encoded: FrameEncode.Reply = {
      width: 64,
      height: 64,
      faces: [],
      timings: { totalMs: 3 },
      processedBy: 'r-2',
    };
    const encodeHeaders = { 'Content-Type': 'image/jpeg' as const, 'Glimpse-Frame-Id': FRAME_ID };
    let listener!: (b: RecognizerHeartbeat.Payload) => void;
    const encode = jest.fn().mockImplementationOnce(never).mockResolvedValueOnce(encoded);
    const frames = strictMock<FramesRepository>('frames', {
      encode,
      onHeartbeat: (fn: typeof listener) => void (listener = fn),
    });
    const sender = new FrameSender(frames, cfg);
    sender.onApplicationBootstrap();
    let beats = 3;
    const out = await run(
      sender.encode(body, encodeHeaders),
      10_000,
      () => beats-- > 0 && listener(beat('r-1', [FRAME_ID])),
    );
    expect(out.value).toBe(encoded);
    expect(encode).toHaveBeenCalledTimes(2);
    expect(encode.mock.calls[1][1]).toBe(encodeHeaders);
  });
});

describe('mayBeStored', () => {
  it('is false only where no recognizer can have asked the matcher', () => {
    expect(mayBeStored(noResponders())).toBe(false);
    expect(mayBeStored(new GlimpseError('OVERLOADED', 'busy'))).toBe(false);
    expect(mayBeStored(new GlimpseError('CONFLICT', 'given up'))).toBe(false);
    expect(mayBeStored(new FrameLostError(FRAME_ID, 'r-1', 1500))).toBe(true);
    expect(mayBeStored(new GlimpseError('TIMEOUT', 'late'))).toBe(true);
    expect(mayBeStored(new GlimpseError('SERVICE_UNAVAILABLE', 'the matcher service is not running'))).toBe(true);
    expect(mayBeStored(new Error('boom'))).toBe(true);
  });
});
