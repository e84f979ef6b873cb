import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  FaceCrop,
  MatchFaces,
  PersonDelete,
  PersonGet,
  PersonsList,
  RecognitionEvent,
  similarity,
  type Box,
  type RecognizedFace,
  type z,
} from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database, type Tx } from './database/database';
import { FaceRepository, type NearestFace } from './face.repository';
import { PersonRepository, type PersonRef } from './person.repository';

type QueryFace = MatchFaces.Request['faces'][number];

/** Assigns faces to persons and serves the person catalogue. */
@Injectable()
export class MatcherService {
  private readonly log = new Logger(MatcherService.name);

  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'THRESHOLD' | 'MATCH_K' | 'HNSW_EF_SEARCH'>,
    private readonly db: Database,
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    @InjectBus() private readonly bus: Bus,
  ) {}

  /**
   * Faces are handled in order in one transaction, so a second face of a new person in the same
   * request matches the first one.
   */
  async matchFaces(req: MatchFaces.Request): Promise<MatchFaces.Reply> {
    if (req.faces.length === 0) return { faces: [] };
    const threshold = req.threshold ?? this.config.THRESHOLD;
    const faces = await this.db.transaction(async (tx) => {
      if (req.store) await this.faces.lockForMatching(tx);
      const out: RecognizedFace[] = [];
      for (const face of req.faces) out.push(await this.matchOne(tx, req, face, threshold));
      return out;
    });
    if (req.store) this.announce(req.frame, faces);
    return { faces };
  }

  async listPersons(req: z.output<typeof PersonsList.request>): Promise<PersonsList.Reply> {
    const { items, total } = await this.persons.list(req.page, req.pageSize);
    return { items, total, page: req.page, pageSize: req.pageSize };
  }

  async getPerson(req: PersonGet.Request): Promise<PersonGet.Reply> {
    return (await this.persons.get(req.id)) ?? notFound('person', req.id);
  }

  async deletePerson(req: PersonDelete.Request): Promise<PersonDelete.Reply> {
    const deleted = (await this.persons.delete(req.id)) ?? notFound('person', req.id);
    return { id: req.id, deletedFaces: deleted.deletedFaces };
  }

  async faceCrop(req: FaceCrop.Request): Promise<FaceCrop.Reply> {
    const jpeg = (await this.faces.crop(req.id)) ?? notFound('face', req.id);
    return { id: req.id, jpeg: Buffer.from(jpeg).toString('base64') };
  }

  /**
   * After commit, so subscribers never hear of a face that was rolled back. The faces are stored by now,
   * so a failed publish (e.g. NATS draining at shutdown) is logged rather than failing the request.
   */
  private announce(frame: MatchFaces.Request['frame'], faces: RecognizedFace[]): void {
    try {
      this.bus.publish(RecognitionEvent.contract, [frame.source], { frame, faces });
    } catch (err) {
      this.log.warn(`recognition event for ${frame.source}#${frame.seq} not published: ${String(err)}`);
    }
  }

  private async matchOne(tx: Tx, req: MatchFaces.Request, face: QueryFace, threshold: number): Promise<RecognizedFace> {
    const [nearest] = await this.faces.nearest(tx, face.encoding, this.config.MATCH_K, this.config.HNSW_EF_SEARCH);
    const hit = nearest && nearest.distance < threshold ? nearest : undefined;
    if (!req.store) return hit ? matched(face.box, null, hit, threshold) : unmatched(face.box, null, null);

    const seenAt = new Date(req.frame.capturedAt);
    const person: PersonRef = hit
      ? { id: hit.personId, number: hit.personNumber, name: hit.personName }
      : await this.persons.create(tx, seenAt);
    if (hit) await this.persons.touch(tx, person.id, seenAt);
    const faceId = await this.faces.insert(tx, {
      personId: person.id,
      encoding: face.encoding,
      box: face.box,
      source: req.frame.source,
      frameSeq: req.frame.seq,
      capturedAt: seenAt,
      crop: Buffer.from(face.crop, 'base64'),
    });
    return hit ? matched(face.box, faceId, hit, threshold) : unmatched(face.box, faceId, person);
  }
}

function matched(box: Box, faceId: string | null, hit: NearestFace, threshold: number): RecognizedFace {
  return {
    faceId,
    box,
    personId: hit.personId,
    personNumber: hit.personNumber,
    personName: hit.personName,
    isNew: false,
    distance: hit.distance,
    similarity: similarity(hit.distance, threshold),
  };
}

/** A face nobody matched: a new person when stored, nobody at all when not. */
function unmatched(box: Box, faceId: string | null, person: PersonRef | null): RecognizedFace {
  return {
    faceId,
    box,
    personId: person?.id ?? null,
    personNumber: person?.number ?? null,
    personName: person?.name ?? null,
    isNew: true,
    distance: null,
    similarity: null,
  };
}

function notFound(what: string, id: string): never {
  throw new GlimpseError('NOT_FOUND', `no ${what} ${id}`);
}
