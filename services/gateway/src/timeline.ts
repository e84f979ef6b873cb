import { MAX_PAGE, MAX_PAGE_SIZE, PersonTimeline, sourceSchema, z, type Camera } from '@glimpse/contracts';
import { cropUrl } from './faces';
import { dateTimeParam } from './library';

/** GET /api/v1/persons/:id/timeline: `camera` is a camera or stream id, or `upload`; from/to ISO 8601. */
export const timelineQuery = z
  .strictObject({
    page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
    pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
    camera: sourceSchema.optional(),
    from: dateTimeParam.optional(),
    to: dateTimeParam.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "'from' must not be after 'to'", path: ['from'] });
export type TimelineQuery = z.infer<typeof timelineQuery>;

export const timelineEntrySchema = PersonTimeline.entrySchema.extend({
  /** The camera's name when `source` is a configured camera; null for uploads, ad-hoc streams and removed cameras. */
  cameraName: z.string().nullable(),
  cropUrl: z.string().nullable(),
});
export const timelineReply = PersonTimeline.reply.extend({ items: z.array(timelineEntrySchema) });

export function timelineRequest(personId: string, q: TimelineQuery): PersonTimeline.Request {
  return { personId, page: q.page, pageSize: q.pageSize, source: q.camera, from: q.from, to: q.to };
}

/** Names each entry's camera; `cameras` is empty when capture could not say (the timeline still answers). */
export function toApiTimeline(page: PersonTimeline.Reply, cameras: readonly Camera[]): z.infer<typeof timelineReply> {
  const names = new Map(cameras.map((c) => [c.id, c.name]));
  return {
    ...page,
    items: page.items.map((e) => ({ ...e, cameraName: names.get(e.source) ?? null, cropUrl: cropUrl(e.bestFaceId) })),
  };
}
