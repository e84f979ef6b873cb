import { timelineQuery, whereText } from './timeline';

describe('person timeline logic', () => {
  it('builds the query: camera, a local time range as UTC, paging', () => {
    const r = timelineQuery({ camera: 'cam_abc', from: '2026-01-01T10:00', to: '2026-01-01T12:00' }, 2);
    expect('query' in r).toBe(true);
    const q = new URLSearchParams((r as { query: string }).query);
    expect(q.get('camera')).toBe('cam_abc');
    expect(q.get('page')).toBe('2');
    expect(new Date(q.get('from')!).getTime()).toBe(new Date('2026-01-01T10:00').getTime());
    expect(q.get('to')).toMatch(/Z$/);
    expect(
      new URLSearchParams((timelineQuery({ camera: '', from: '', to: '' }, 1) as { query: string }).query).has(
        'camera',
      ),
    ).toBe(false);
  });

  it('refuses a range that ends before it starts', () => {
    expect(timelineQuery({ camera: '', from: '2026-01-02T00:00', to: '2026-01-01T00:00' }, 1)).toHaveProperty('error');
  });

  it('says where: the camera name, Upload, or the stream id', () => {
    expect(whereText({ kind: 'stream', source: 'cam_a', cameraName: 'Door' })).toBe('Door');
    expect(whereText({ kind: 'upload', source: 'upload', cameraName: null })).toBe('Upload');
    expect(whereText({ kind: 'stream', source: 's_x1', cameraName: null })).toBe('Stream s_x1');
  });
});
