import { Injectable } from '@nestjs/common';
import type { Events } from '@glimpse/contracts';
import { Database, type Tx } from '../database/database';

/** One event on its way to JetStream. */
export interface OutboxEvent {
  eventId: string;
  subject: string;
  /** The person the subject belongs to; erasing them drops the event if it is still here. */
  personId: string;
  payload: Events.Event;
}

export type OutboxRow =
  | { seq: bigint; kind: 'publish'; eventId: string; subject: string; payload: string }
  | { seq: bigint; kind: 'erase'; eventId: string; personIds: string[] };

/**
 * The transactional outbox: events are inserted in the transaction of the change they describe, so an event
 * exists exactly when its change committed, and the relay publishes them in `seq` order. Writers hold the
 * MATCHING lock, so `seq` order is also commit order.
 */
@Injectable()
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  async add(tx: Tx, events: readonly OutboxEvent[]): Promise<void> {
    for (const e of events) {
      await tx.$executeRaw`
        INSERT INTO event_outbox (kind, event_id, subject, payload, person_id)
        VALUES ('publish', ${e.eventId}, ${e.subject}, ${JSON.stringify(e.payload)}, ${e.personId}::uuid)`;
    }
  }

  /**
   * Erasing persons: their events not yet published are dropped here, and an `erase` row makes the relay
   * delete the published ones from the stream, after everything committed before it.
   */
  async erase(tx: Tx, personIds: readonly string[], eventId: string): Promise<void> {
    await tx.$executeRaw`DELETE FROM event_outbox WHERE kind = 'publish' AND person_id = ANY(${[...personIds]}::uuid[])`;
    await tx.$executeRaw`
      INSERT INTO event_outbox (kind, event_id, payload) VALUES ('erase', ${eventId}, ${JSON.stringify({ personIds })})`;
  }

  async next(limit: number): Promise<OutboxRow[]> {
    const rows = await this.db.prisma.$queryRaw<
      Array<{ seq: bigint; kind: string; eventId: string; subject: string | null; payload: string }>
    >`
      SELECT seq, kind, event_id AS "eventId", subject, payload FROM event_outbox ORDER BY seq LIMIT ${limit}::int`;
    return rows.map((r) =>
      r.kind === 'erase'
        ? {
            seq: r.seq,
            kind: 'erase',
            eventId: r.eventId,
            personIds: (JSON.parse(r.payload) as { personIds: string[] }).personIds,
          }
        : { seq: r.seq, kind: 'publish', eventId: r.eventId, subject: r.subject ?? '', payload: r.payload },
    );
  }

  async remove(seqs: readonly bigint[]): Promise<void> {
    if (seqs.length)
      await this.db.prisma.$executeRaw`DELETE FROM event_outbox WHERE seq = ANY(${seqs.map(String)}::bigint[])`;
  }

  async pending(): Promise<number> {
    return this.db.prisma.eventOutbox.count();
  }

  /** Takes or renews the relay lease; true when this instance holds it. */
  async lease(owner: string, ttlMs: number): Promise<boolean> {
    const rows = await this.db.prisma.$queryRaw<Array<{ owner: string }>>`
      INSERT INTO event_relay_lease AS l (id, owner, expires_at)
      VALUES (1, ${owner}, now() + ${ttlMs}::int * interval '1 millisecond')
      ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
        WHERE l.owner = EXCLUDED.owner OR l.expires_at < now()
      RETURNING owner`;
    return rows.length === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.db.prisma.$executeRaw`DELETE FROM event_relay_lease WHERE owner = ${owner}`;
  }
}
