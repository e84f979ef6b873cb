import { Injectable } from '@nestjs/common';
import { PersonExport } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { AuditRepository } from '../audit/audit.repository';
import { Clock } from '../clock';
import { Database } from '../database/database';
import { PersonRepository } from '../person.repository';
import { SightingRepository } from '../sighting.repository';
import { EventHistoryReader } from './event-history';

/** LIMIT is an int4: the largest page it takes, for "all of them". */
const ALL_ROWS = 2_147_483_647;

interface FaceRow {
  id: string;
  x: number;
  y: number;
  w: number;
  h: number;
  source: string;
  frameSeq: number;
  capturedAt: Date;
  createdAt: Date;
}

/** Subject access (docs/privacy.md): everything stored about one person, except encodings and crop bytes. */
@Injectable()
export class PersonExportService {
  constructor(
    private readonly db: Database,
    private readonly persons: PersonRepository,
    private readonly sightings: SightingRepository,
    private readonly history: EventHistoryReader,
    private readonly clock: Clock,
    private readonly audit: AuditRepository,
  ) {}

  async export(req: PersonExport.Request): Promise<PersonExport.Reply> {
    // one snapshot: a face stored meanwhile is either in the person's face count and list, or in neither
    const { person, aliasIds, faces } = await this.db.transaction(async (tx) => {
      const person = await this.persons.summary(req.id, tx);
      if (!person) throw new GlimpseError('NOT_FOUND', `no person ${req.id}`);
      const rows = await tx.$queryRaw<FaceRow[]>`
        SELECT id::text, box_x AS x, box_y AS y, box_width AS w, box_height AS h, source, frame_seq AS "frameSeq",
               captured_at AS "capturedAt", created_at AS "createdAt"
        FROM faces WHERE person_id = ${req.id}::uuid ORDER BY created_at, id`;
      return { person, aliasIds: await this.persons.aliases(tx, req.id), faces: rows.map(toFace) };
    });
    const { items: sightings } = await this.sightings.list({ personId: req.id, page: 1, pageSize: ALL_ROWS });
    const { events, truncated } = await this.history.of([req.id, ...aliasIds]);
    const audit = await this.audit.list({ personId: req.id, page: 1, pageSize: PersonExport.MAX_AUDIT });
    return {
      person,
      aliasIds,
      faces,
      sightings,
      events,
      eventsTruncated: truncated,
      audit: audit.items,
      auditTruncated: audit.total > audit.items.length,
      exportedAt: this.clock.now().toISOString(),
    };
  }
}

function toFace(r: FaceRow): PersonExport.Reply['faces'][number] {
  return {
    id: r.id,
    box: { x: r.x, y: r.y, width: r.w, height: r.h },
    source: r.source,
    frameSeq: r.frameSeq,
    capturedAt: r.capturedAt.toISOString(),
    createdAt: r.createdAt.toISOString(),
  };
}
