import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import type { Response } from 'express';
import { uuidSchema, z } from '@glimpse/contracts';
import {
  addFacesFields,
  displayName,
  enrollFields,
  MAX_ENROLL_IMAGES,
  mergeBody,
  personsQuery,
  renameBody,
} from './library';
import { LibraryService } from './library.service';
import { Files, FormFields, ImagesForm, JsonBody } from './http/body';
import { PersonsService } from './persons.service';
import type { UploadedFile } from './upload';
import { validate, ZodPipe } from './zod.pipe';
import { LiveSession, RequireScope } from './auth/access';
import { timelineQuery, timelineReply, type TimelineQuery } from './timeline';
import { Doc, IMG_ERRORS, BUS_ERRORS } from './openapi/doc';
import * as api from './api-schemas';
import { Audited, AuditCount } from './audit/audit.routes';

export { personsQuery };

const idPipe = new ZodPipe(uuidSchema);

const photos = (files: UploadedFile[]): UploadedFile[] =>
  files.map((f, i) => ({ ...f, filename: displayName(f.filename, `image #${i + 1}`) }));

@Controller('api/v1')
export class PersonsController {
  constructor(
    private readonly persons: PersonsService,
    private readonly library: LibraryService,
  ) {}

  @Doc({
    tag: 'persons',
    summary: 'Persons, most recently seen first',
    description:
      '`name`: case-insensitive substring; `named`: only named (true) or unnamed (false) persons; `seenSince`/`seenBefore`: ISO 8601 date-times.',
    reply: api.personsPage,
    errors: BUS_ERRORS,
  })
  @Audited(AuditCount.none)
  @Get('persons')
  @RequireScope('read')
  list(@Query(new ZodPipe(personsQuery)) query: z.infer<typeof personsQuery>) {
    return this.persons.list(query);
  }

  /** Enrollment: a new (optionally named) person from one or more photos of exactly one face each. */
  @Doc({
    tag: 'persons',
    summary: 'Enroll a new person from photos',
    description: `Multipart: 1-10 \`images\` with exactly one face each, and an optional \`name\`. 400 "no face found in <file>" or "N faces found in <file>; enrollment needs exactly one", or the matcher's quality refusal (face too small or blurred). \`similarPersons\`: stored persons who already look like this one (merge candidates).`,
    status: 201,
    reply: api.enrollReply,
    errors: IMG_ERRORS,
  })
  @Audited(AuditCount.facesOfReply)
  @Post('persons')
  @RequireScope('write')
  @ImagesForm({ images: MAX_ENROLL_IMAGES }, { name: { type: 'string', minLength: 1, maxLength: 100 } })
  enroll(@Files('images') files: UploadedFile[], @FormFields() fields: Record<string, unknown>) {
    const { name } = validate(enrollFields, fields, 'form fields');
    return this.library.enroll(photos(files), name === undefined ? {} : { name });
  }

  @Doc({
    tag: 'persons',
    summary: 'One person with its faces',
    reply: api.apiPersonDetail,
    errors: [400, 404, 503, 504],
  })
  @Audited(AuditCount.facesOfReply)
  @Get('persons/:id')
  @RequireScope('read')
  get(@Param('id', idPipe) id: string) {
    return this.persons.get(id);
  }

  /** Where the person has been: sightings on every camera and stream, and uploads, newest first, each with its best crop. */
  @Doc({
    tag: 'persons',
    summary: "A person's sightings on every camera and stream, and uploads, newest first",
    description:
      '`camera`: one camera or stream id, or `upload`; `from`/`to`: ISO 8601 date-times selecting entries overlapping that interval. Each entry has its best crop (`cropUrl`) and, for a configured camera, its name.',
    reply: timelineReply,
    errors: [400, 404, 503, 504],
  })
  @Audited(AuditCount.itemsOfReply)
  @Get('persons/:id/timeline')
  @RequireScope('read')
  timeline(@Param('id', idPipe) id: string, @Query(new ZodPipe(timelineQuery)) query: TimelineQuery) {
    return this.persons.timeline(id, query);
  }

  @Doc({
    tag: 'persons',
    summary: 'Name a person, or make it unnamed (null)',
    reply: api.apiPerson,
    errors: [400, 404, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Patch('persons/:id')
  @RequireScope('write')
  @JsonBody()
  async rename(@Param('id', idPipe) id: string, @Body(new ZodPipe(renameBody)) { name }: z.infer<typeof renameBody>) {
    return this.persons.rename(id, name);
  }

  @Doc({
    tag: 'persons',
    summary: 'Delete a person with every face, encoding and crop',
    reply: api.deleteReply,
    errors: [400, 404, 503, 504],
  })
  @Audited(AuditCount.deletedFaces)
  @Delete('persons/:id')
  @RequireScope('write')
  delete(@Param('id', idPipe) id: string) {
    return this.persons.delete(id);
  }

  @Doc({
    tag: 'persons',
    summary: 'Add photos to a person',
    description: 'Multipart `images` (1-10), exactly one face each; errors as for enrollment.',
    status: 201,
    reply: api.enrollReply,
    errors: [...IMG_ERRORS, 404],
  })
  @Audited(AuditCount.facesOfReply)
  @Post('persons/:id/faces')
  @RequireScope('write')
  @ImagesForm({ images: MAX_ENROLL_IMAGES })
  addFaces(
    @Param('id', idPipe) id: string,
    @Files('images') files: UploadedFile[],
    @FormFields() fields: Record<string, unknown>,
  ) {
    validate(addFacesFields, fields, 'form fields');
    return this.library.enroll(photos(files), { personId: id });
  }

  /** `sourceId` is merged into `:id`, which keeps its number (and its name, when it has one). */
  @Doc({
    tag: 'persons',
    summary: 'Merge person `sourceId` into this one',
    description:
      'Faces and sightings move here; the source is deleted. This person keeps its number, and its name unless it has none.',
    reply: api.mergeReply,
    errors: [400, 404, 409, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post('persons/:id/merge')
  @RequireScope('write')
  @JsonBody()
  @HttpCode(200)
  merge(@Param('id', idPipe) id: string, @Body(new ZodPipe(mergeBody)) { sourceId }: z.infer<typeof mergeBody>) {
    return this.persons.merge(id, sourceId);
  }

  /** Also with a camera session's token, for faces seen in its stream (AuthGuard checks). */
  @Doc({
    tag: 'faces',
    summary: 'The face crop',
    reply: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
    errors: [400, 404, 503, 504],
  })
  @Audited(AuditCount.one)
  @Get('faces/:id/crop')
  @RequireScope('read')
  @LiveSession('crop')
  async crop(@Param('id', idPipe) id: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const bytes = await this.persons.crop(id);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    return new StreamableFile(bytes, { type: 'image/jpeg', length: bytes.length });
  }
}
