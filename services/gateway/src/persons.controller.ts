import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FaceCrop, PersonDelete, PersonGet, PersonMerge, PersonRename, PersonsList, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { addFacesFields, displayName, enrollFields, mergeBody, personsQuery, renameBody, withCover, withCrop } from './library';
import { LibraryService } from './library.service';
import { formFields, uploadedFiles, type UploadedFile } from './upload';
import { upstream } from './upstream';
import { validate, ZodPipe } from './zod.pipe';
import { LiveSession, RequireScope } from './auth/access';

export { personsQuery };

const idPipe = new ZodPipe(uuidSchema);

const photos = (req: Request): UploadedFile[] =>
  uploadedFiles(req, 'images').map((f, i) => ({ ...f, filename: displayName(f.filename, `image #${i + 1}`) }));

/** Multipart bodies are parsed by `imagesFormParser`, JSON ones by `jsonBodyParser` (see app.ts). */
@Controller('api/v1')
export class PersonsController {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly library: LibraryService,
  ) {}

  @Get('persons')
  @RequireScope('read')
  async list(@Query(new ZodPipe(personsQuery)) query: z.infer<typeof personsQuery>) {
    const reply = await upstream(this.bus.request(PersonsList.contract, query));
    return { ...reply, items: reply.items.map(withCover) };
  }

  /** Enrollment: a new (optionally named) person from one or more photos of exactly one face each. */
  @Post('persons')
  @RequireScope('write')
  enroll(@Req() req: Request) {
    const { name } = validate(enrollFields, formFields(req), 'form fields');
    return this.library.enroll(photos(req), name === undefined ? {} : { name });
  }

  @Get('persons/:id')
  @RequireScope('read')
  async get(@Param('id', idPipe) id: string) {
    const person = await upstream(this.bus.request(PersonGet.contract, { id }));
    return { ...withCover(person), faces: person.faces.map(withCrop) };
  }

  @Patch('persons/:id')
  @RequireScope('write')
  async rename(@Param('id', idPipe) id: string, @Body() body: unknown) {
    const { name } = validate(renameBody, body, 'body');
    return withCover(await upstream(this.bus.request(PersonRename.contract, { id, name })));
  }

  @Delete('persons/:id')
  @RequireScope('write')
  delete(@Param('id', idPipe) id: string) {
    return upstream(this.bus.request(PersonDelete.contract, { id }));
  }

  @Post('persons/:id/faces')
  @RequireScope('write')
  addFaces(@Param('id', idPipe) id: string, @Req() req: Request) {
    validate(addFacesFields, formFields(req), 'form fields');
    return this.library.enroll(photos(req), { personId: id });
  }

  /** `sourceId` is merged into `:id`, which keeps its number (and its name, when it has one). */
  @Post('persons/:id/merge')
  @RequireScope('write')
  @HttpCode(200)
  async merge(@Param('id', idPipe) id: string, @Body() body: unknown) {
    const { sourceId } = validate(mergeBody, body, 'body');
    // the contract refuses a self-merge: checked here, it is the client's 400 rather than a failed request's 500
    const request = validate(PersonMerge.request, { targetId: id, sourceId }, 'body');
    const reply = await upstream(this.bus.request(PersonMerge.contract, request));
    return { ...reply, person: withCover(reply.person) };
  }

  /** Also with a camera session's token, for faces seen in its stream (earlyAuth checks). */
  @Get('faces/:id/crop')
  @RequireScope('read')
  @LiveSession('crop')
  async crop(@Param('id', idPipe) id: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { jpeg } = await upstream(this.bus.request(FaceCrop.contract, { id }));
    const bytes = Buffer.from(jpeg, 'base64');
    res.setHeader('Cache-Control', 'private, max-age=3600');
    return new StreamableFile(bytes, { type: 'image/jpeg', length: bytes.length });
  }
}
