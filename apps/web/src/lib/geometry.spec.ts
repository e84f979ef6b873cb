import { boxPercent, contentRect, cropSquare, mapBox, parseObjectFit } from './geometry';

describe('contentRect', () => {
  const media = { width: 640, height: 480 };

  it('letterboxes with contain', () => {
    // 4:3 video in a 16:9 element: full height, bars left and right
    expect(contentRect(media, { width: 1280, height: 720 }, 'contain')).toEqual({
      x: 160,
      y: 0,
      width: 960,
      height: 720,
    });
    // in a tall phone element: full width, bars above and below
    expect(contentRect(media, { width: 390, height: 600 }, 'contain')).toEqual({
      x: 0,
      y: 153.75,
      width: 390,
      height: 292.5,
    });
  });

  it('overflows with cover', () => {
    const r = contentRect(media, { width: 1280, height: 720 }, 'cover');
    expect(r).toEqual({ x: 0, y: -120, width: 1280, height: 960 });
  });

  it('stretches with fill, keeps the size with none, never enlarges with scale-down', () => {
    expect(contentRect(media, { width: 100, height: 100 }, 'fill')).toEqual({ x: 0, y: 0, width: 100, height: 100 });
    expect(contentRect(media, { width: 1000, height: 1000 }, 'none')).toEqual({
      x: 180,
      y: 260,
      width: 640,
      height: 480,
    });
    expect(contentRect(media, { width: 1000, height: 1000 }, 'scale-down')).toEqual({
      x: 180,
      y: 260,
      width: 640,
      height: 480,
    });
    expect(contentRect(media, { width: 320, height: 480 }, 'scale-down')).toEqual({
      x: 0,
      y: 120,
      width: 320,
      height: 240,
    });
  });

  it('honours object-position', () => {
    expect(contentRect(media, { width: 1280, height: 720 }, 'contain', { x: 0, y: 0 }).x).toBe(0);
    expect(contentRect(media, { width: 1280, height: 720 }, 'contain', { x: 1, y: 0 }).x).toBe(320);
  });

  it('falls back to the element when the media size is unknown', () => {
    expect(contentRect({ width: 0, height: 0 }, { width: 300, height: 200 })).toEqual({
      x: 0,
      y: 0,
      width: 300,
      height: 200,
    });
  });

  it('parses computed object-fit', () => {
    expect(parseObjectFit('cover')).toBe('cover');
    expect(parseObjectFit(' fill ')).toBe('fill');
    expect(parseObjectFit('')).toBe('contain');
    expect(parseObjectFit(undefined)).toBe('contain');
  });
});

describe('mapBox', () => {
  const frame = { width: 640, height: 480 };
  const box = { x: 100, y: 40, width: 80, height: 120 };

  it('scales frame pixels onto the painted video', () => {
    const content = contentRect(frame, { width: 1280, height: 720 }, 'contain');
    expect(mapBox(box, frame, content)).toEqual({ x: 160 + 150, y: 60, width: 120, height: 180 });
  });

  it('handles a frame smaller than the video (server-side resize)', () => {
    const content = { x: 0, y: 0, width: 640, height: 480 };
    expect(mapBox({ x: 10, y: 10, width: 20, height: 20 }, { width: 320, height: 240 }, content)).toEqual({
      x: 20,
      y: 20,
      width: 40,
      height: 40,
    });
  });

  it('mirrors horizontally for a selfie preview', () => {
    const content = { x: 0, y: 0, width: 640, height: 480 };
    expect(mapBox(box, frame, content, true)).toEqual({ x: 640 - 100 - 80, y: 40, width: 80, height: 120 });
  });

  it('follows cover cropping', () => {
    const content = contentRect(frame, { width: 1280, height: 720 }, 'cover');
    expect(mapBox({ x: 0, y: 0, width: 640, height: 480 }, frame, content)).toEqual({
      x: 0,
      y: -120,
      width: 1280,
      height: 960,
    });
  });
});

describe('boxPercent and cropSquare', () => {
  it('expresses a box in percent of the image', () => {
    expect(boxPercent({ x: 50, y: 25, width: 100, height: 50 }, { width: 200, height: 100 })).toEqual({
      left: '25.000%',
      top: '25.000%',
      width: '50.000%',
      height: '50.000%',
    });
  });

  it('crops a square with a margin, inside the image', () => {
    expect(cropSquare({ x: 40, y: 40, width: 20, height: 20 }, { width: 100, height: 100 })).toEqual({
      x: 36,
      y: 36,
      width: 28,
      height: 28,
    });
    const edge = cropSquare({ x: 0, y: 0, width: 50, height: 50 }, { width: 100, height: 60 });
    expect(edge).toEqual({ x: 0, y: 0, width: 60, height: 60 });
  });
});
