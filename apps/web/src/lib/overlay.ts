import { personColor } from './colors';
import { personLabel, similarityText } from './format';
import { mapBox, type ContentRect } from './geometry';
import { isDimmed } from './results';
import type { ApiFace, Box, FrameMeta, Size } from './types';

/** A live box stays fully drawn this long after the last result that showed it… */
export const HOLD_MS = 1000;
/** …then fades out over this long (gone 1.5 s after it was last seen). */
export const FADE_MS = 500;

interface LiveBox {
  personKey: string;
  face: ApiFace;
  frame: Size;
  seenAt: number;
}

export interface VisibleBox {
  face: ApiFace;
  frame: Size;
  /** 0–1: fades to 0 once the box is older than HOLD_MS. */
  alpha: number;
}

/** Where a frame stands in its stream: capture time first (a restarted sender counts seq from 0 again), then seq. */
type FrameOrder = Pick<FrameMeta, 'seq'> & { capturedAt?: string };

/** Negative when `a` is older than `b`, 0 for the same frame. */
export function compareFrames(a: FrameOrder, b: FrameOrder): number {
  const ta = a.capturedAt ? Date.parse(a.capturedAt) : NaN;
  const tb = b.capturedAt ? Date.parse(b.capturedAt) : NaN;
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  return a.seq - b.seq;
}

/**
 * Remembers the boxes of the latest analysed frame so they can be drawn every animation frame. A newer
 * frame replaces every box: a box from an older frame never stays on a newer one (the person has moved,
 * or is gone). Results of an older frame than the one drawn (out-of-order delivery) are dropped. Boxes
 * fade out on their own when no newer frame with faces comes (frames without faces send no result).
 */
export class BoxTracker {
  private readonly boxes = new Map<string, LiveBox>();
  private last: FrameOrder | null = null;

  constructor(
    private readonly holdMs = HOLD_MS,
    private readonly fadeMs = FADE_MS,
  ) {}

  /** Returns false when the frame is older than the one shown (out-of-order delivery): nothing changes. */
  update(
    faces: readonly ApiFace[],
    frame: Pick<FrameMeta, 'seq' | 'width' | 'height'> & { capturedAt?: string },
    now: number,
  ): boolean {
    const order = this.last ? compareFrames(frame, this.last) : 1;
    if (order < 0) return false;
    // the same frame again (its faces in another message, or re-delivered) adds to its boxes
    if (order > 0) this.boxes.clear();
    this.last = { seq: frame.seq, capturedAt: frame.capturedAt };
    const count = new Map<string, number>();
    for (const face of faces) {
      const personKey = face.personId ?? 'anonymous';
      const n = count.get(personKey) ?? 0;
      count.set(personKey, n + 1);
      this.boxes.set(`${personKey}#${n}`, {
        personKey,
        face,
        frame: { width: frame.width, height: frame.height },
        seenAt: now,
      });
    }
    return true;
  }

  /** The boxes to draw at `now`, dropping those that have faded out. */
  visible(now: number): VisibleBox[] {
    const out: VisibleBox[] = [];
    for (const [k, b] of this.boxes) {
      const age = now - b.seenAt;
      if (age >= this.holdMs + this.fadeMs) {
        this.boxes.delete(k);
        continue;
      }
      const alpha = age <= this.holdMs ? 1 : 1 - (age - this.holdMs) / this.fadeMs;
      out.push({ face: b.face, frame: b.frame, alpha });
    }
    return out;
  }

  get size(): number {
    return this.boxes.size;
  }

  clear(): void {
    this.boxes.clear();
    this.last = null;
  }
}

export interface LabelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Puts a label under its box, or above it when it would leave the canvas; keeps it inside horizontally. */
export function placeLabel(box: Box, label: Size, canvas: Size, gap = 4): LabelBox {
  let y = box.y + box.height + gap;
  if (y + label.height > canvas.height) y = Math.max(0, box.y - gap - label.height);
  const x = Math.min(Math.max(0, box.x), Math.max(0, canvas.width - label.width));
  return { x, y, width: label.width, height: label.height };
}

export interface DrawOptions {
  /** Where the video is painted in the canvas, in CSS pixels. */
  content: ContentRect;
  /** The canvas size in CSS pixels. */
  size: Size;
  /** Device pixel ratio the canvas backing store was sized with. */
  dpr: number;
  mirrored: boolean;
  highlight: string | null;
}

type Ctx = Pick<
  CanvasRenderingContext2D,
  | 'setTransform'
  | 'clearRect'
  | 'strokeRect'
  | 'fillRect'
  | 'fillText'
  | 'measureText'
  | 'beginPath'
  | 'roundRect'
  | 'fill'
  | 'globalAlpha'
  | 'lineWidth'
  | 'strokeStyle'
  | 'fillStyle'
  | 'font'
  | 'textBaseline'
>;

const FONT_MAIN = '600 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const FONT_SUB = '500 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Draws every visible box with its label; returns how many were drawn. */
export function drawOverlay(ctx: Ctx, boxes: readonly VisibleBox[], o: DrawOptions): number {
  ctx.setTransform(o.dpr, 0, 0, o.dpr, 0, 0);
  ctx.clearRect(0, 0, o.size.width, o.size.height);
  let drawn = 0;
  for (const b of boxes) {
    if (b.alpha <= 0) continue;
    const r = mapBox(b.face.box, b.frame, o.content, o.mirrored);
    const color = personColor(b.face.personId, b.face.personNumber);
    const dim = isDimmed(o.highlight, b.face.personId);
    const strong = o.highlight != null && !dim;
    ctx.globalAlpha = b.alpha * (dim ? 0.25 : 1);

    ctx.lineWidth = strong ? 4 : 3;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.35)';
    ctx.strokeRect(r.x - 1, r.y - 1, r.width + 2, r.height + 2);
    ctx.strokeStyle = color;
    ctx.strokeRect(r.x, r.y, r.width, r.height);

    const main = personLabel(b.face);
    const sub = similarityText(b.face);
    ctx.font = FONT_MAIN;
    const wMain = ctx.measureText(main).width;
    ctx.font = FONT_SUB;
    const wSub = ctx.measureText(sub).width;
    const pad = 6;
    const label = placeLabel(r, { width: Math.max(wMain, wSub) + 2 * pad, height: 36 }, o.size);
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.roundRect(label.x, label.y, label.width, label.height, 5);
    ctx.fill();
    ctx.fillStyle = '#ffffff';
    ctx.textBaseline = 'top';
    ctx.font = FONT_MAIN;
    ctx.fillText(main, label.x + pad, label.y + 4);
    ctx.font = FONT_SUB;
    ctx.fillText(sub, label.x + pad, label.y + 20);
    drawn++;
  }
  ctx.globalAlpha = 1;
  return drawn;
}
