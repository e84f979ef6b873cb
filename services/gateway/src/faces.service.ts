import { Injectable } from '@nestjs/common';
import { FaceMove, FacesList, SightingGet, SightingsList, type z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { facesQuery, sightingsQuery, toApiFacesPage, toApiSighting, withCover } from './library';
import { upstream } from './upstream';

/** Stored faces and sightings: thin mappings onto the matcher's contracts. */
@Injectable()
export class FacesService {
  constructor(@InjectBus() private readonly bus: Bus) {}

  async list(query: z.infer<typeof facesQuery>) {
    return toApiFacesPage(await upstream(this.bus.request(FacesList.contract, query)));
  }

  /** A wrongly assigned face goes to another person, or (`toPersonId: null`) to a new one. */
  async move(faceId: string, toPersonId: string | null) {
    const reply = await upstream(this.bus.request(FaceMove.contract, { faceId, toPersonId }));
    return { ...reply, person: withCover(reply.person) };
  }

  async sightings(query: z.infer<typeof sightingsQuery>) {
    const page = await upstream(this.bus.request(SightingsList.contract, query));
    return { ...page, items: page.items.map(toApiSighting) };
  }

  async sighting(id: string) {
    return toApiSighting(await upstream(this.bus.request(SightingGet.contract, { id })));
  }
}
