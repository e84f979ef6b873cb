import { Controller, Delete, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { FaceCrop, PersonDelete, PersonGet, PersonsList, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { cropUrl } from './faces';
import { upstream } from './upstream';
import { ZodPipe } from './zod.pipe';

export const personsQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

const idPipe = new ZodPipe(uuidSchema);

@Controller('api/v1')
export class PersonsController {
  constructor(@InjectBus() private readonly bus: Bus) {}

  @Get('persons')
  async list(@Query(new ZodPipe(personsQuery)) query: z.infer<typeof personsQuery>) {
    const reply = await upstream(this.bus.request(PersonsList.contract, query));
    return { ...reply, items: reply.items.map((p) => ({ ...p, coverUrl: cropUrl(p.coverFaceId) })) };
  }

  @Get('persons/:id')
  async get(@Param('id', idPipe) id: string) {
    const person = await upstream(this.bus.request(PersonGet.contract, { id }));
    return {
      ...person,
      coverUrl: cropUrl(person.coverFaceId),
      faces: person.faces.map((f) => ({ ...f, cropUrl: cropUrl(f.id) })),
    };
  }

  @Delete('persons/:id')
  delete(@Param('id', idPipe) id: string) {
    return upstream(this.bus.request(PersonDelete.contract, { id }));
  }

  @Get('faces/:id/crop')
  async crop(@Param('id', idPipe) id: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { jpeg } = await upstream(this.bus.request(FaceCrop.contract, { id }));
    const bytes = Buffer.from(jpeg, 'base64');
    res.setHeader('Cache-Control', 'private, max-age=3600');
    return new StreamableFile(bytes, { type: 'image/jpeg', length: bytes.length });
  }
}
