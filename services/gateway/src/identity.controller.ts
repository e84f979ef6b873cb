import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CalibrationGet, FaceReject, ReviewDifferent, ReviewList, ThresholdGet, ThresholdSet, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { apiPerson } from './api-schemas';
import { RequireScope } from './auth/access';
import { cropUrl } from './faces';
import { withCover } from './library';
import { upstream } from './upstream';
import { validate, ZodPipe } from './zod.pipe';

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
      persons: z.array(z.strictObject({ person: apiPerson, faces: z.array(z.strictObject({ id: uuidSchema, cropUrl: z.string().nullable() })) })),
    }),
  ),
});

const toApiGroup = (g: ReviewList.Group) => ({
  ...g,
  persons: g.persons.map((m) => ({ person: withCover(m.person), faces: m.faceIds.map((id) => ({ id, cropUrl: cropUrl(id) })) })),
});

/** Identity decisions: "not this person", the "who is this?" review queue, threshold calibration. */
@Controller('api/v1')
export class IdentityController {
  constructor(@InjectBus() private readonly bus: Bus) {}

  /** "Not this person": the face leaves `personId` for a new person and never joins `personId` again. */
  @Post('faces/:id/reject')
  @RequireScope('write')
  @HttpCode(200)
  async reject(@Param('id', idPipe) id: string, @Body() body: unknown) {
    const { personId } = validate(rejectBody, body, 'body');
    const reply = await upstream(this.bus.request(FaceReject.contract, { faceId: id, personId }));
    return { ...reply, person: withCover(reply.person) };
  }

  @Get('review')
  @RequireScope('read')
  async review(@Query(new ZodPipe(reviewQuery)) query: z.infer<typeof reviewQuery>) {
    const reply = await upstream(this.bus.request(ReviewList.contract, query));
    return { ...reply, groups: reply.groups.map(toApiGroup) };
  }

  @Post('review/different')
  @RequireScope('write')
  @HttpCode(200)
  different(@Body() body: unknown) {
    return upstream(this.bus.request(ReviewDifferent.contract, validate(differentBody, body, 'body')));
  }

  @Get('calibration')
  @RequireScope('read')
  calibration(@Query(new ZodPipe(calibrationQuery)) query: z.infer<typeof calibrationQuery>): Promise<CalibrationGet.Reply> {
    return upstream(this.bus.request(CalibrationGet.contract, query));
  }

  @Get('settings/threshold')
  @RequireScope('read')
  threshold(): Promise<ThresholdGet.Reply> {
    return upstream(this.bus.request(ThresholdGet.contract, {}));
  }

  /** Changes what every matcher decides: admin only. */
  @Put('settings/threshold')
  @RequireScope('admin')
  setThreshold(@Body() body: unknown): Promise<ThresholdSet.Reply> {
    return upstream(this.bus.request(ThresholdSet.contract, validate(thresholdBody, body, 'body')));
  }
}
