import { BoxTracker, compareFrames, drawOverlay, FADE_MS, HOLD_MS, placeLabel } from './overlay';
import { makeFace } from './testing';

const frame = (seq: number) => ({ seq, width: 640, height: 480 });

describe('BoxTracker', () => {
  it('shows a box fully, then fades it out about 1.5 s after the last result that showed it', () => {
    const t = new BoxTracker();
    t.update([makeFace({ personId: 'a' })], frame(1), 0);
    expect(t.visible(HOLD_MS)[0].alpha).toBe(1);
    expect(t.visible(HOLD_MS + FADE_MS / 2)[0].alpha).toBeCloseTo(0.5);
    expect(t.visible(HOLD_MS + FADE_MS)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('drops every box of an older frame when a newer one comes: none stays on a newer frame', () => {
    const t = new BoxTracker();
    t.update([makeFace({ personId: 'a' }), makeFace({ personId: 'b' })], frame(1), 0);
    const moved = makeFace({ personId: 'a', box: { x: 200, y: 20, width: 30, height: 40 } });
    t.update([moved], frame(2), 1000);
    expect(t.visible(1300)).toEqual([{ face: moved, frame: { width: 640, height: 480 }, alpha: 1 }]);
  });

  it("keeps two faces of one person in the same frame, unknown faces, and adds a frame's faces sent again", () => {
    const t = new BoxTracker();
    t.update([makeFace({ personId: 'a' }), makeFace({ personId: 'a' }), makeFace({ personId: null })], frame(1), 0);
    expect(t.visible(0)).toHaveLength(3);
    t.update([makeFace({ personId: 'b' })], frame(1), 5);
    expect(t.visible(5)).toHaveLength(4);
    t.update([makeFace({ personId: null })], frame(2), 10);
    expect(t.visible(10)).toHaveLength(1);
  });

  it('ignores frames older than the one shown, by capture time first, then sequence', () => {
    const t = new BoxTracker();
    expect(t.update([makeFace({ personId: 'a' })], frame(5), 0)).toBe(true);
    expect(t.update([makeFace({ personId: 'b' })], frame(4), 10)).toBe(false);
    expect(t.visible(10).map((b) => b.face.personId)).toEqual(['a']);
    t.clear();
    expect(t.update([makeFace({ personId: 'b' })], frame(1), 10)).toBe(true);
    // a sender that restarted counts from 0 again: its later capture time still wins
    const at = (seq: number, capturedAt: string) => ({ ...frame(seq), capturedAt });
    expect(t.update([makeFace({ personId: 'c' })], at(50, '2026-01-01T12:00:05.000Z'), 20)).toBe(true);
    expect(t.update([makeFace({ personId: 'd' })], at(0, '2026-01-01T12:00:06.000Z'), 30)).toBe(true);
    expect(t.update([makeFace({ personId: 'e' })], at(51, '2026-01-01T12:00:05.500Z'), 40)).toBe(false);
    expect(t.visible(40).map((b) => b.face.personId)).toEqual(['d']);
  });
});

describe('compareFrames', () => {
  it('orders by capture time, then by sequence', () => {
    expect(compareFrames({ seq: 2 }, { seq: 1 })).toBeGreaterThan(0);
    expect(
      compareFrames({ seq: 1, capturedAt: '2026-01-01T00:00:01Z' }, { seq: 9, capturedAt: '2026-01-01T00:00:00Z' }),
    ).toBeGreaterThan(0);
    expect(
      compareFrames({ seq: 3, capturedAt: '2026-01-01T00:00:00Z' }, { seq: 3, capturedAt: '2026-01-01T00:00:00Z' }),
    ).toBe(0);
  });
});

describe('placeLabel', () => {
  const canvas = { width: 400, height: 300 };
  it('goes below the box', () => {
    expect(placeLabel({ x: 10, y: 10, width: 50, height: 50 }, { width: 80, height: 36 }, canvas)).toEqual({
      x: 10,
      y: 64,
      width: 80,
      height: 36,
    });
  });
  it('goes above when there is no room below, and stays inside horizontally', () => {
    expect(placeLabel({ x: 380, y: 250, width: 20, height: 40 }, { width: 80, height: 36 }, canvas)).toEqual({
      x: 320,
      y: 210,
      width: 80,
      height: 36,
    });
    expect(placeLabel({ x: -20, y: 0, width: 20, height: 290 }, { width: 80, height: 36 }, canvas).x).toBe(0);
  });
});

describe('drawOverlay', () => {
  function fakeCtx() {
    const calls: { op: string; args: unknown[]; alpha: number; style: unknown }[] = [];
    const ctx: Record<string, unknown> = {
      globalAlpha: 1,
      lineWidth: 1,
      strokeStyle: '',
      fillStyle: '',
      font: '',
      textBaseline: 'alphabetic',
      measureText: (s: string) => ({ width: s.length * 7 }),
    };
    for (const op of [
      'setTransform',
      'clearRect',
      'strokeRect',
      'fillRect',
      'fillText',
      'beginPath',
      'roundRect',
      'fill',
    ]) {
      ctx[op] = (...args: unknown[]) =>
        calls.push({
          op,
          args,
          alpha: ctx.globalAlpha as number,
          style: op === 'strokeRect' ? ctx.strokeStyle : ctx.fillStyle,
        });
    }
    return { ctx: ctx as unknown as Parameters<typeof drawOverlay>[0], calls };
  }

  const opts = {
    content: { x: 0, y: 0, width: 1280, height: 960 },
    size: { width: 1280, height: 960 },
    dpr: 2,
    mirrored: false,
    highlight: null,
  };

  it('scales boxes to the displayed video and writes the label', () => {
    const { ctx, calls } = fakeCtx();
    const face = makeFace({
      personId: 'a',
      personNumber: 4,
      similarity: 91,
      box: { x: 100, y: 100, width: 50, height: 60 },
    });
    expect(drawOverlay(ctx, [{ face, frame: { width: 640, height: 480 }, alpha: 1 }], opts)).toBe(1);
    expect(calls[0]).toMatchObject({ op: 'setTransform', args: [2, 0, 0, 2, 0, 0] });
    const rects = calls.filter((c) => c.op === 'strokeRect');
    expect(rects[1].args).toEqual([200, 200, 100, 120]);
    expect(calls.filter((c) => c.op === 'fillText').map((c) => c.args[0])).toEqual(['Person #4', 'Similarity 91%']);
  });

  it('dims other persons under a highlight and skips faded boxes', () => {
    const { ctx, calls } = fakeCtx();
    const a = makeFace({ personId: 'a', isNew: true });
    const b = makeFace({ personId: 'b' });
    const f = { width: 640, height: 480 };
    const n = drawOverlay(
      ctx,
      [
        { face: a, frame: f, alpha: 1 },
        { face: b, frame: f, alpha: 0.8 },
        { face: b, frame: f, alpha: 0 },
      ],
      { ...opts, highlight: 'a' },
    );
    expect(n).toBe(2);
    const texts = calls.filter((c) => c.op === 'fillText');
    expect(texts[1].args[0]).toBe('New');
    expect(texts[0].alpha).toBe(1);
    expect(texts[2].alpha).toBeCloseTo(0.2);
  });
});
