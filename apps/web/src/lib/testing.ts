import type { ApiFace, StreamInfo } from './types';

let n = 0;

/** A recognized face for specs; unique face id unless given. */
export function makeFace(over: Partial<ApiFace> = {}): ApiFace {
  n += 1;
  const hex = n.toString(16).padStart(12, '0');
  return {
    faceId: `00000000-0000-4000-8000-${hex}`,
    box: { x: 10, y: 20, width: 30, height: 40 },
    personId: 'p1',
    personNumber: 1,
    personName: null,
    isNew: false,
    distance: 0.3,
    similarity: 97,
    cropUrl: `/api/v1/faces/00000000-0000-4000-8000-${hex}/crop`,
    ...over,
  };
}

/** A stream as the WebSocket's stream messages carry it, for specs: running, nothing captured yet. */
export function makeStream(over: Partial<StreamInfo> = {}): StreamInfo {
  return {
    id: 'cam-1',
    url: 'whip://cam-1',
    fps: 2,
    state: 'running',
    error: null,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: null,
    framesCaptured: 0,
    framesSkipped: 0,
    framesProcessed: 0,
    framesFailed: 0,
    instance: 'capture-1',
    ...over,
  };
}
