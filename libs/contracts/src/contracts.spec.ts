/** The boundary checks every service relies on: what each contract accepts and what it refuses. */
import {
  FrameRecognize,
  MatchFaces,
  PersonGet,
  PersonsList,
  RecognitionEvent,
  StreamStart,
  replyEnvelope,
  z,
} from './index';

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
    expect(FrameRecognize.headers.parse({ ...ok, 'Glimpse-Store': 'false', 'Glimpse-Threshold': '0.5' })).toMatchObject(
      {
        'Glimpse-Store': false,
        'Glimpse-Threshold': 0.5,
      },
    );
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

describe('text and paging fields', () => {
  it('refuses control characters in names and name filters (the matcher parses with these too)', async () => {
    const { PersonRename, PersonEnroll, personNameSchema } = await import('./index');
    for (const bad of ['a\u0000b', 'line\nbreak', 'tab\there', 'del\u007f', 'c1\u0085']) {
      const r = PersonRename.request.safeParse({ id: '00000000-0000-4000-8000-000000000001', name: bad });
      expect([bad, r.success]).toEqual([bad, false]);
      expect(r.error?.issues[0]).toMatchObject({
        path: ['name'],
        message: expect.stringMatching(/control characters/),
      });
      expect(PersonsList.request.safeParse({ name: bad }).success).toBe(false);
      const enroll = PersonEnroll.request.safeParse({ name: bad, faces: [] });
      expect(enroll.error?.issues.map((i) => i.path.join('.'))).toContain('name');
    }
    expect(personNameSchema.parse('  Zoë Ünal-O’Brien  ')).toBe('Zoë Ünal-O’Brien');
    expect(personNameSchema.parse('李小龍 🙂')).toBe('李小龍 🙂');
  });

  it('bounds page and pageSize so that the offset fits a 32-bit integer', async () => {
    const { FacesList, SightingsList, MAX_PAGE, MAX_PAGE_SIZE } = await import('./index');
    expect((MAX_PAGE - 1) * MAX_PAGE_SIZE).toBeLessThan(2 ** 31 - 1);
    for (const list of [PersonsList.request, FacesList.request, SightingsList.request]) {
      expect(list.safeParse({ page: MAX_PAGE, pageSize: MAX_PAGE_SIZE }).success).toBe(true);
      expect(list.safeParse({ page: MAX_PAGE + 1 }).success).toBe(false);
      expect(list.safeParse({ page: 1e9 }).success).toBe(false);
      expect(list.safeParse({ pageSize: MAX_PAGE_SIZE + 1 }).success).toBe(false);
    }
  });
});
