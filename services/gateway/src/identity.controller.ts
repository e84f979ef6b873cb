import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  CalibrationGet,
  FaceReject,
  ReviewDifferent,
  ReviewList,
  ThresholdGet,
  ThresholdSet,
  uuidSchema,
  z,
} from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { apiPerson } from './api-schemas';
import { RequireScope } from './auth/access';
import { cropUrl } from './faces';
import { withCover } from './library';
import { upstream } from './upstream';
import { ZodPipe } from './zod.pipe';
import { JsonBody } from './http/body';
import { Doc, BUS_ERRORS } from './openapi/doc';
import { Audited, AuditCount } from './audit/audit.routes';

const idPipe = new ZodPipe(uuidSchema);

export const rejectBody = z.strictObject({ personId: uuidSchema });
export const differentBody = ReviewDifferent.request;
export const reviewQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  persons: z.coerce.number().int().min(1).max(2000).default(300),
  maxDistance: z.coerce.number().gt(0).lt(2).optional(),
});
export const calibrationQuery = z.strictObject({ far: z.coerce.number().gt(0).lt(1).default(0.01) });
export const thresholdBody = ThresholdSet.request;

export const rejectReply = FaceReject.reply.extend({ person: apiPerson });
export const reviewReply = ReviewList.reply.extend({
  groups: z.array(
    ReviewList.groupSchema.extend({
      persons: z.array(
        z.strictObject({
          person: apiPerson,
          faces: z.array(z.strictObject({ id: uuidSchema, cropUrl: z.string().nullable() })),
        }),
      ),
    }),
  ),
});

const toApiGroup = (g: ReviewList.Group) => ({
  ...g,
  persons: g.persons.map((m) => ({
    person: withCover(m.person),
    faces: m.faceIds.map((id) => ({ id, cropUrl: cropUrl(id) })),
  })),
});

/** Identity decisions: "not this person", the "who is this?" review queue, threshold calibration. */
@Controller('api/v1')
export class IdentityController {
  constructor(@InjectBus() private readonly bus: Bus) {}

  /** "Not this person": the face leaves `personId` for a new person and never joins `personId` again. */
  @Doc({
    tag: 'identity',
    summary: '"Not this person": the face leaves `personId` for a new person of its own',
    description:
      "The face is cannot-linked with every face `personId` keeps: merging the two persons, or moving the face back, is refused (409). 409 too when the face is no longer `personId`'s, or is its only face.",
    reply: rejectReply,
    errors: [400, 404, 409, 415, 503, 504],
  })
  @Audited(AuditCount.one)
  @Post('faces/:id/reject')
  @JsonBody()
  @RequireScope('write')
  @HttpCode(200)
  async reject(
    @Param('id', idPipe) id: string,
    @Body(new ZodPipe(rejectBody)) { personId }: z.infer<typeof rejectBody>,
  ) {
    const reply = await upstream(this.bus.request(FaceReject.contract, { faceId: id, personId }));
    return { ...reply, person: withCover(reply.person) };
  }

  @Doc({
    tag: 'identity',
    summary: '"Who is this?": groups of likely duplicate persons, each with an unnamed one, closest first',
    description:
      'Average-linkage clusters of the `persons` most recently seen unnamed persons and their nearest faces (vector index); faces of one frame and cannot-linked persons are never grouped. `maxDistance` defaults to the matching threshold.',
    reply: reviewReply,
    errors: BUS_ERRORS,
  })
  @Audited(AuditCount.none)
  @Get('review')
  @RequireScope('read')
  async review(@Query(new ZodPipe(reviewQuery)) query: z.infer<typeof reviewQuery>) {
    const reply = await upstream(this.bus.request(ReviewList.contract, query));
    return { ...reply, groups: reply.groups.map(toApiGroup) };
  }

  @Doc({
    tag: 'identity',
    summary: '"Different people": cannot-links between every pair of these persons',
    reply: ReviewDifferent.reply,
    errors: [400, 404, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post('review/different')
  @JsonBody()
  @RequireScope('write')
  @HttpCode(200)
  different(@Body(new ZodPipe(differentBody)) body: z.infer<typeof differentBody>) {
    return upstream(this.bus.request(ReviewDifferent.contract, body));
  }

  @Doc({
    tag: 'identity',
    summary: 'Genuine and impostor distance distributions, FAR/FRR by threshold, and the threshold for a wanted FAR',
    description:
      'Genuine pairs: faces of one named person; impostor pairs: faces of differently named persons and cannot-links. `far` is the wanted identification false accept rate at the current number of persons N (1 − (1 − p)^N). `sufficient: false` with a `reason` when there is too little data (fewer than 2 named persons with 2 faces or more).',
    reply: CalibrationGet.reply,
    errors: BUS_ERRORS,
  })
  @Get('calibration')
  @RequireScope('read')
  calibration(
    @Query(new ZodPipe(calibrationQuery)) query: z.infer<typeof calibrationQuery>,
  ): Promise<CalibrationGet.Reply> {
    return upstream(this.bus.request(CalibrationGet.contract, query));
  }

  @Doc({
    tag: 'identity',
    summary: 'The matching threshold in force and where it comes from',
    reply: ThresholdGet.reply,
    errors: [503, 504],
  })
  @Get('settings/threshold')
  @RequireScope('read')
  threshold(): Promise<ThresholdGet.Reply> {
    return upstream(this.bus.request(ThresholdGet.contract, {}));
  }

  /** Changes what every matcher decides: admin only. */
  @Doc({
    tag: 'identity',
    summary: 'Apply a matching threshold (admin); kept across restarts, `null` returns to the THRESHOLD variable',
    reply: ThresholdSet.reply,
    errors: [400, 401, 403, 415, 503, 504],
  })
  @Put('settings/threshold')
  @JsonBody()
  @RequireScope('admin')
  setThreshold(@Body(new ZodPipe(thresholdBody)) body: z.infer<typeof thresholdBody>): Promise<ThresholdSet.Reply> {
    return upstream(this.bus.request(ThresholdSet.contract, body));
  }
}
