/** The boundary checks every service relies on: what each contract accepts and what it refuses. */
import { FrameRecognize, MatchFaces, PersonGet, PersonsList, RecognitionEvent, StreamStart, replyEnvelope, z } from './index';

const encoding = Array.from({ length: 128 }, (_, i) => Math.sin(i) / 10);
const frame = { source: 'upload', seq: 1, capturedAt: '2026-11-28T10:00:00.000Z', width: 640, height: 480 };
const face = { box: { x: 1, y: 2, width: 30, height: 40 }, encoding, crop: Buffer.from('jpeg').toString('base64') };

describe('FrameRecognize headers', () => {
  const ok = {
    'Glimpse-Source': 'cam_1',
    'Glimpse-Seq': '7',
    'Glimpse-Captured-At': frame.capturedAt,
    'Content-Type': 'image/jpeg',
  };

  it('turns NATS header strings into typed values, storing by default', () => {
    expect(FrameRecognize.headers.parse(ok)).toMatchObject({ 'Glimpse-Seq': 7, 'Glimpse-Store': true });
    expect(FrameRecognize.headers.parse({ ...ok, 'Glimpse-Store': 'false', 'Glimpse-Threshold': '0.5' })).toMatchObject({
      'Glimpse-Store': false,
      'Glimpse-Threshold': 0.5,
    });
  });

  it.each([
    ['a source with a subject separator', { 'Glimpse-Source': 'a.b' }],
    ['a negative sequence', { 'Glimpse-Seq': '-1' }],
    ['a date that is not ISO', { 'Glimpse-Captured-At': 'yesterday' }],
    ['a threshold out of range', { 'Glimpse-Threshold': '3' }],
    ['a GIF', { 'Content-Type': 'image/gif' }],
    ['a store flag that is not a boolean', { 'Glimpse-Store': 'maybe' }],
  ])('refuses %s', (_name, bad) => {
    expect(FrameRecognize.headers.safeParse({ ...ok, ...bad }).success).toBe(false);
  });
});

describe('MatchFaces request', () => {
  it('accepts a well-formed request', () => {
    expect(MatchFaces.request.parse({ frame, store: true, faces: [face] }).faces).toHaveLength(1);
  });

  it.each([
    ['an encoding of 127 numbers', { faces: [{ ...face, encoding: encoding.slice(1) }] }],
    ['a NaN in the encoding', { faces: [{ ...face, encoding: [...encoding.slice(1), NaN] }] }],
    ['a crop that is not base64', { faces: [{ ...face, crop: '%%%' }] }],
    ['a zero-width box', { faces: [{ ...face, box: { ...face.box, width: 0 } }] }],
    ['an unknown field', { extra: 1 }],
    ['a missing store flag', { store: undefined }],
  ])('refuses %s', (_name, bad) => {
    expect(MatchFaces.request.safeParse({ frame, store: true, faces: [face], ...bad }).success).toBe(false);
  });
});

describe('other contracts', () => {
  it('validates ids, pages and stream requests', () => {
    expect(PersonGet.request.safeParse({ id: 'not-a-uuid' }).success).toBe(false);
    expect(PersonsList.request.parse({})).toMatchObject({ page: 1 });
    expect(PersonsList.request.safeParse({ pageSize: 10_000 }).success).toBe(false);
    expect(StreamStart.request.safeParse({ url: '' }).success).toBe(false);
    expect(StreamStart.request.safeParse({ url: '/tmp/x.mp4', fps: 0 }).success).toBe(false);
  });

  it('builds one subject per source for recognition events', () => {
    expect(RecognitionEvent.subjectFor('cam_1')).toBe('glimpse.recognition.cam_1');
    expect(RecognitionEvent.payload.safeParse({ frame, faces: [] }).success).toBe(true);
  });

  it('wraps replies in an ok/error envelope', () => {
    const env = replyEnvelope(z.object({ n: z.number() }));
    expect(env.parse({ ok: true, data: { n: 1 } })).toEqual({ ok: true, data: { n: 1 } });
    expect(env.parse({ ok: false, error: { code: 'NOT_FOUND', message: 'no' } }).ok).toBe(false);
    expect(env.safeParse({ ok: false, error: { code: 'MADE_UP', message: 'no' } }).success).toBe(false);
  });
});
