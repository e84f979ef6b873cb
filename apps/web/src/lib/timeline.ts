/** A person's timeline (`GET /api/v1/persons/:id/timeline`): the page's pure logic. */
import type { TimelineEntry } from './types';

export interface TimelineFilter {
  /** '' for every camera and upload, a camera/stream id, or `upload`. */
  camera: string;
  /** `datetime-local` values (the browser's time zone), '' for no bound. */
  from: string;
  to: string;
}

export const TIMELINE_PAGE_SIZE = 20;

/** The query string for a filter and page, or the reason the filter cannot be asked. */
export function timelineQuery(f: TimelineFilter, page: number): { query: string } | { error: string } {
  const q = new URLSearchParams({ page: String(page), pageSize: String(TIMELINE_PAGE_SIZE) });
  if (f.camera) q.set('camera', f.camera);
  const from = f.from ? new Date(f.from) : null;
  const to = f.to ? new Date(f.to) : null;
  if ((from && Number.isNaN(from.getTime())) || (to && Number.isNaN(to.getTime())))
    return { error: 'Enter a valid date and time.' };
  if (from && to && from > to) return { error: '“From” must not be after “to”.' };
  if (from) q.set('from', from.toISOString());
  if (to) q.set('to', to.toISOString());
  return { query: q.toString() };
}

/** Where an entry happened: the camera's name, "Upload", or the ad-hoc stream's id. */
export function whereText(e: Pick<TimelineEntry, 'kind' | 'source' | 'cameraName'>): string {
  if (e.kind === 'upload') return 'Upload';
  return e.cameraName ?? `Stream ${e.source}`;
}
