import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { uuidSchema, z } from '@glimpse/contracts';
import { FacesService } from './faces.service';
import { facesQuery, moveBody, sightingsQuery } from './library';
import { ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';
import { JsonBody } from './http/body';
import { Doc, BUS_ERRORS } from './openapi/doc';
import * as api from './api-schemas';
import { Audited, AuditCount } from './audit/audit.routes';

const idPipe = new ZodPipe(uuidSchema);

/** Stored faces and sightings (faces.service.ts). */
@Controller('api/v1')
export class FacesController {
  constructor(private readonly faceStore: FacesService) {}

  @Doc({ tag: 'faces', summary: 'Stored faces, newest first', reply: api.facesPage, errors: BUS_ERRORS })
  @Audited(AuditCount.itemsOfReply)
  @Get('faces')
  @RequireScope('read')
  faces(@Query(new ZodPipe(facesQuery)) query: z.infer<typeof facesQuery>) {
    return this.faceStore.list(query);
  }

  @Doc({
    tag: 'faces',
    summary: 'Move a face to another person, or (`toPersonId: null`) to a new one',
    description: 'A person left without faces is deleted (`fromPersonDeleted`).',
    reply: api.moveReply,
    errors: [400, 404, 409, 415, 503, 504],
  })
  @Audited(AuditCount.one)
  @Post('faces/:id/move')
  @JsonBody()
  @RequireScope('write')
  @HttpCode(200)
  move(@Param('id', idPipe) id: string, @Body(new ZodPipe(moveBody)) { toPersonId }: z.infer<typeof moveBody>) {
    return this.faceStore.move(id, toPersonId);
  }

  @Doc({
    tag: 'sightings',
    summary: 'Sightings, most recently started first',
    description: '`since`/`until` select sightings overlapping that interval (ISO 8601).',
    reply: api.sightingsPage,
    errors: BUS_ERRORS,
  })
  @Audited(AuditCount.none)
  @Get('sightings')
  @RequireScope('read')
  sightings(@Query(new ZodPipe(sightingsQuery)) query: z.infer<typeof sightingsQuery>) {
    return this.faceStore.sightings(query);
  }

  @Doc({ tag: 'sightings', summary: 'One sighting', reply: api.apiSighting, errors: [400, 404, 503, 504] })
  @Audited(AuditCount.none)
  @Get('sightings/:id')
  @RequireScope('read')
  sighting(@Param('id', idPipe) id: string) {
    return this.faceStore.sighting(id);
  }
}
