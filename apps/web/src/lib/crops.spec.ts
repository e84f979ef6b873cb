import { PersonCrops } from './crops';
import { makeFace } from './testing';

function setup(answers: Record<string, () => Response>) {
  const calls: string[] = [];
  let now = 1_000_000;
  const fetchFn = jest.fn(async (url: string) => {
    calls.push(url);
    const a = answers[url];
    return a ? a() : new Response(JSON.stringify({ detail: 'no such person' }), { status: 404 });
  });
  const crops = new PersonCrops(fetchFn, { concurrency: 1, retryMs: 1000, now: () => now });
  return { crops, calls, tick: (ms: number) => (now += ms) };
}

const detail =
  (faces: { cropUrl: string | null }[], extra: object = {}) =>
  () =>
    new Response(
      JSON.stringify({ id: 'p1', number: 1, name: null, faceCount: faces.length, coverFaceId: null, faces, ...extra }),
      { status: 200 },
    );

describe('PersonCrops', () => {
  it('remembers the latest crop seen in results, without asking the server', async () => {
    const t = setup({});
    let told = 0;
    t.crops.subscribe(() => told++);
    t.crops.note([makeFace({ personId: 'p1', cropUrl: '/a' })]);
    t.crops.note([makeFace({ personId: 'p1', cropUrl: null, faceId: null })]);
    expect(t.crops.get('p1')).toBe('/a');
    t.crops.note([makeFace({ personId: 'p1', cropUrl: '/b' })]);
    expect(t.crops.get('p1')).toBe('/b');
    expect(told).toBe(2);
    await t.crops.idle();
    expect(t.calls).toEqual([]);
  });

  it('looks a person up once and uses their first face crop', async () => {
    const t = setup({ '/api/v1/persons/p1': detail([{ cropUrl: null }, { cropUrl: '/f1' }, { cropUrl: '/f2' }]) });
    const v0 = t.crops.getVersion();
    for (let i = 0; i < 5; i++) t.crops.note([makeFace({ personId: 'p1', cropUrl: null, faceId: null })]);
    await t.crops.idle();
    expect(t.calls).toEqual(['/api/v1/persons/p1']);
    expect(t.crops.get('p1')).toBe('/f1');
    expect(t.crops.getVersion()).toBeGreaterThan(v0);
    t.crops.note([makeFace({ personId: 'p1', cropUrl: null, faceId: null })]);
    await t.crops.idle();
    expect(t.calls).toHaveLength(1);
  });

  it('falls back to the cover, and skips faces without a person', async () => {
    const t = setup({ '/api/v1/persons/p2': detail([], { coverUrl: '/cover' }) });
    t.crops.note([makeFace({ personId: 'p2', cropUrl: null }), makeFace({ personId: null, cropUrl: null })]);
    await t.crops.idle();
    expect(t.crops.get('p2')).toBe('/cover');
    expect(t.crops.get(null)).toBeNull();
    expect(t.calls).toEqual(['/api/v1/persons/p2']);
  });

  it('retries a failed look-up only after a while, one at a time', async () => {
    const t = setup({});
    t.crops.note([makeFace({ personId: 'a', cropUrl: null }), makeFace({ personId: 'b', cropUrl: null })]);
    await t.crops.idle();
    expect(t.calls).toEqual(['/api/v1/persons/a', '/api/v1/persons/b']);
    t.crops.note([makeFace({ personId: 'a', cropUrl: null })]);
    await t.crops.idle();
    expect(t.calls).toHaveLength(2);
    t.tick(1500);
    t.crops.note([makeFace({ personId: 'a', cropUrl: null })]);
    await t.crops.idle();
    expect(t.calls).toHaveLength(3);
    expect(t.crops.get('a')).toBeNull();
  });
});
