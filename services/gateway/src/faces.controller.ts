import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { FaceMove, FacesList, SightingGet, SightingsList, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { facesQuery, moveBody, sightingsQuery, toApiFacesPage, toApiSighting, withCover } from './library';
import { upstream } from './upstream';
import { validate, ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';

const idPipe = new ZodPipe(uuidSchema);

/** Stored faces and sightings: thin mappings onto the matcher's contracts. */
@Controller('api/v1')
export class FacesController {
  constructor(@InjectBus() private readonly bus: Bus) {}

  @Get('faces')
  @RequireScope('read')
  async faces(@Query(new ZodPipe(facesQuery)) query: z.infer<typeof facesQuery>) {
    return toApiFacesPage(await upstream(this.bus.request(FacesList.contract, query)));
  }

  /** A wrongly assigned face goes to another person, or (`toPersonId: null`) to a new one. */
  @Post('faces/:id/move')
  @RequireScope('write')
  @HttpCode(200)
  async move(@Param('id', idPipe) id: string, @Body() body: unknown) {
    const { toPersonId } = validate(moveBody, body, 'body');
    const reply = await upstream(this.bus.request(FaceMove.contract, { faceId: id, toPersonId }));
    return { ...reply, person: withCover(reply.person) };
  }

  @Get('sightings')
  @RequireScope('read')
  async sightings(@Query(new ZodPipe(sightingsQuery)) query: z.infer<typeof sightingsQuery>) {
    const page = await upstream(this.bus.request(SightingsList.contract, query));
    return { ...page, items: page.items.map(toApiSighting) };
  }

  @Get('sightings/:id')
  @RequireScope('read')
  async sighting(@Param('id', idPipe) id: string) {
    return toApiSighting(await upstream(this.bus.request(SightingGet.contract, { id })));
  }
}
