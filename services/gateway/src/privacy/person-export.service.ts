import { Injectable } from '@nestjs/common';
import { FaceCrop, PersonExport } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { upstream } from '../upstream';
import { zipStore, type ZipEntry } from './zip';

/** Crops fetched at once: an export must not crowd out the matcher's live work. */
const CROP_CONCURRENCY = 4;

export const EXPORT_FORMAT = 'glimpse-subject-access/1';

export interface PersonExportZip {
  filename: string;
  zip: Buffer;
  /** How many faces (crops) it holds. */
  faces: number;
}

/**
 * Subject access (GDPR Art. 15/20; docs/privacy.md): a zip with `person.json` (the person, faces with
 * box, source and time, sightings, events, and (`audit`) who accessed their data) and every crop, opened, as
 * `crops/<face id>.jpg`. Built in memory: a person's crops are a few MB, and a failure is a clean error
 * rather than a truncated download.
 */
@Injectable()
export class PersonExportBuilder {
  constructor(@InjectBus() private readonly bus: Bus) {}

  async build(id: string): Promise<PersonExportZip> {
    const data = await upstream(this.bus.request(PersonExport.contract, { id }));
    const crops = await this.crops(data.faces.map((f) => f.id));
    const when = new Date(data.exportedAt);
    const document = {
      format: EXPORT_FORMAT,
      ...data,
      faces: data.faces.map((f) => ({ ...f, crop: crops.has(f.id) ? cropPath(f.id) : null })),
      notStored:
        'Each face also has a face encoding (128 numbers derived from the crop) used for matching; it is erased with the person.',
    };
    const entries: ZipEntry[] = [
      { name: 'person.json', data: Buffer.from(JSON.stringify(document, null, 2)), modified: when },
    ];
    for (const [faceId, jpeg] of crops) entries.push({ name: cropPath(faceId), data: jpeg, modified: when });
    return { filename: `glimpse-person-${data.person.number}-export.zip`, zip: zipStore(entries), faces: crops.size };
  }

  /** Every face's crop by id; a face deleted since the export was read is left out. */
  private async crops(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (let i = 0; i < ids.length; i += CROP_CONCURRENCY) {
      const batch = ids.slice(i, i + CROP_CONCURRENCY);
      const got = await Promise.all(batch.map((faceId) => this.crop(faceId)));
      batch.forEach((faceId, j) => got[j] && out.set(faceId, got[j]));
    }
    return out;
  }

  private async crop(id: string): Promise<Buffer | null> {
    try {
      return Buffer.from((await upstream(this.bus.request(FaceCrop.contract, { id }))).jpeg, 'base64');
    } catch (err) {
      if (err instanceof GlimpseError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  }
}

const cropPath = (faceId: string) => `crops/${faceId}.jpg`;
