import type { Camera, PersonTimeline } from '@glimpse/contracts';
import { timelineQuery, timelineRequest, toApiTimeline } from './timeline';

const entry = (source: string, kind: 'stream' | 'upload' = 'stream'): PersonTimeline.Entry => ({
  kind,
  id: '2f1c8a57-3b0e-4f4c-9a57-5c2b8e0f1a11',
  source,
  startedAt: '2026-01-01T10:00:00.000Z',
  lastSeenAt: '2026-01-01T10:00:05.000Z',
  endedAt: null,
  frames: 3,
  bestFaceId: kind === 'upload' ? '9b2d6c44-1e7a-4d3b-8f55-0a6e2c9d7b22' : null,
});

describe('timelineQuery', () => {
  it('takes a camera, a time range with offsets (as UTC) and paging', () => {
    const q = timelineQuery.parse({
      camera: 'cam_abc',
      from: '2026-01-01T12:00:00+02:00',
      to: '2026-01-01T11:00:00Z',
      pageSize: '10',
    });
    expect(q).toEqual({
      camera: 'cam_abc',
      from: '2026-01-01T10:00:00.000Z',
      to: '2026-01-01T11:00:00.000Z',
      page: 1,
      pageSize: 10,
    });
    expect(timelineRequest('p1', q)).toEqual({
      personId: 'p1',
      source: 'cam_abc',
      from: q.from,
      to: q.to,
      page: 1,
      pageSize: 10,
    });
  });

  it('refuses a range that ends before it starts, bad ids and unknown fields', () => {
    expect(timelineQuery.safeParse({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }).success).toBe(false);
    expect(timelineQuery.safeParse({ camera: '../etc' }).success).toBe(false);
    expect(timelineQuery.safeParse({ from: 'yesterday' }).success).toBe(false);
    expect(timelineQuery.safeParse({ since: '2026-01-01T00:00:00Z' }).success).toBe(false);
  });
});

describe('toApiTimeline', () => {
  it("names configured cameras' entries and links each best crop", () => {
    const cams = [{ id: 'cam_door', name: 'Door' }] as Camera[];
    const page = {
      items: [entry('cam_door'), entry('s_adhoc'), entry('upload', 'upload')],
      total: 3,
      page: 1,
      pageSize: 50,
    };
    const out = toApiTimeline(page, cams);
    expect(out.items.map((e) => e.cameraName)).toEqual(['Door', null, null]);
    expect(out.items.map((e) => e.cropUrl)).toEqual([
      null,
      null,
      '/api/v1/faces/9b2d6c44-1e7a-4d3b-8f55-0a6e2c9d7b22/crop',
    ]);
    expect(toApiTimeline(page, []).items[0].cameraName).toBeNull();
  });
});
