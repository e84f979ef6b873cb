import { Injectable } from '@nestjs/common';
import {
  FaceCrop,
  PersonDelete,
  PersonGet,
  PersonMerge,
  PersonRename,
  PersonsList,
  PersonTimeline,
  type z,
} from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { CamerasService } from './cameras.controller';
import { personsQuery, withCover, withCrop } from './library';
import { timelineRequest, toApiTimeline, type TimelineQuery } from './timeline';
import { upstream } from './upstream';
import { validate } from './zod.pipe';

/** The persons of the library, as the matcher keeps them, in the API's shape (crop and cover URLs). */
@Injectable()
export class PersonsService {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly cameras: CamerasService,
  ) {}

  async list(query: z.infer<typeof personsQuery>) {
    const reply = await upstream(this.bus.request(PersonsList.contract, query));
    return { ...reply, items: reply.items.map(withCover) };
  }

  async get(id: string) {
    const person = await upstream(this.bus.request(PersonGet.contract, { id }));
    return { ...withCover(person), faces: person.faces.map(withCrop) };
  }

  /** Sightings on every camera and stream, and uploads, newest first; camera names are a nicety (without capture, unnamed). */
  async timeline(id: string, query: TimelineQuery) {
    const [page, cameras] = await Promise.all([
      upstream(this.bus.request(PersonTimeline.contract, timelineRequest(id, query))),
      this.cameras.list().catch(() => []),
    ]);
    return toApiTimeline(page, cameras);
  }

  async rename(id: string, name: string | null) {
    return withCover(await upstream(this.bus.request(PersonRename.contract, { id, name })));
  }

  delete(id: string) {
    return upstream(this.bus.request(PersonDelete.contract, { id }));
  }

  /** `sourceId` is merged into `targetId`, which keeps its number (and its name, when it has one). */
  async merge(targetId: string, sourceId: string) {
    // the contract refuses a self-merge: checked here, it is the client's 400 rather than a failed request's 500
    const request = validate(PersonMerge.request, { targetId, sourceId }, 'body');
    const reply = await upstream(this.bus.request(PersonMerge.contract, request));
    return { ...reply, person: withCover(reply.person) };
  }

  async crop(faceId: string): Promise<Buffer> {
    const { jpeg } = await upstream(this.bus.request(FaceCrop.contract, { id: faceId }));
    return Buffer.from(jpeg, 'base64');
  }
}
