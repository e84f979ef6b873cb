import { requestJson, type FetchLike } from './http';
import type { ApiFace, PersonDetail } from './types';

/** The gateway's crop URL of a stored face (its answers carry `cropUrl`; this is for a bare face id). */
export const cropUrlOf = (faceId: string | null | undefined): string | null =>
  faceId ? `/api/v1/faces/${faceId}/crop` : null;

/**
 * The latest known crop of each person, for result cards whose face was not stored
 * (`STORE_STREAM_FACES=best` sends most live faces with `cropUrl: null`).
 *
 * Crops seen in results win; otherwise the person is looked up once (`GET /api/v1/persons/:id`,
 * at most `concurrency` at a time) and their first face's crop (or cover) is used. A failed look-up
 * is retried after `retryMs`. Listeners are told whenever a crop becomes known.
 */
export class PersonCrops {
  private readonly crops = new Map<string, string>();
  /** Persons looked up (or being looked up), with when; a miss is retried after `retryMs`. */
  private readonly asked = new Map<string, number>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly listeners = new Set<() => void>();
  private version = 0;

  constructor(
    private readonly fetchFn: FetchLike = (i, o) => fetch(i, o),
    private readonly opts: { concurrency?: number; retryMs?: number; now?: () => number } = {},
  ) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  /** Changes whenever a crop was learnt (for useSyncExternalStore). */
  getVersion = (): number => this.version;

  get(personId: string | null | undefined): string | null {
    return personId ? (this.crops.get(personId) ?? null) : null;
  }

  /** Remembers the crops in these results, and looks up the persons that still have none. */
  note(faces: readonly ApiFace[]): void {
    let changed = false;
    for (const f of faces) {
      if (!f.personId) continue;
      if (f.cropUrl) {
        if (this.crops.get(f.personId) !== f.cropUrl) {
          this.crops.set(f.personId, f.cropUrl);
          changed = true;
        }
      } else if (!this.crops.has(f.personId)) {
        this.want(f.personId);
      }
    }
    if (changed) this.changed();
  }

  forget(personId: string): void {
    this.crops.delete(personId);
    this.asked.delete(personId);
    this.changed();
  }

  /** Resolves once every queued look-up has finished (for specs). */
  async idle(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0) await new Promise((r) => setTimeout(r, 0));
  }

  private want(personId: string): void {
    const now = (this.opts.now ?? Date.now)();
    const at = this.asked.get(personId);
    if (at != null && (at < 0 || now - at < (this.opts.retryMs ?? 30_000))) return;
    this.asked.set(personId, -1); // in flight
    this.queue.push(personId);
    this.pump();
  }

  private pump(): void {
    while (this.running < (this.opts.concurrency ?? 2) && this.queue.length) {
      const id = this.queue.shift()!;
      this.running += 1;
      void this.lookUp(id).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  private async lookUp(personId: string): Promise<void> {
    let url: string | null = null;
    try {
      const p = await requestJson<PersonDetail>(
        `/api/v1/persons/${encodeURIComponent(personId)}`,
        { headers: { Accept: 'application/json' } },
        this.fetchFn,
      );
      url = p.faces?.find((f) => f.cropUrl)?.cropUrl ?? p.coverUrl ?? cropUrlOf(p.coverFaceId);
    } catch {
      /* retried on a later result */
    }
    this.asked.set(personId, (this.opts.now ?? Date.now)());
    if (url && !this.crops.has(personId)) {
      this.crops.set(personId, url);
      this.changed();
    }
  }

  private changed(): void {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }
}
