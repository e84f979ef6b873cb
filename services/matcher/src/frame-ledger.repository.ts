import { Injectable } from '@nestjs/common';
import { MatchFaces } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';

/**
 * Frames already stored, by frame id, with the reply they got (table `matched_frames`). The row is written
 * in the transaction that stores the frame, and read after the MATCHING lock, so a retried MatchFaces either
 * finds it (and stores nothing) or runs after a rollback (and stores the frame once).
 */
@Injectable()
export class FrameLedgerRepository {
  constructor(private readonly db: Database) {}

  /** The reply recorded for `frameId`, or null when the frame was never stored. */
  async find(tx: Tx, frameId: string): Promise<MatchFaces.Reply | null> {
    const rows = await tx.$queryRaw<Array<{ reply: string }>>`SELECT reply FROM matched_frames WHERE frame_id = ${frameId}`;
    // Parsed, not trusted: a row from an older, incompatible reply shape must not leave as a valid reply.
    return rows.length ? MatchFaces.reply.parse(JSON.parse(rows[0].reply)) : null;
  }

  async record(tx: Tx, frameId: string, reply: MatchFaces.Reply): Promise<void> {
    await tx.$executeRaw`INSERT INTO matched_frames (frame_id, reply) VALUES (${frameId}, ${JSON.stringify(reply)})`;
  }

  /** Forgets frames recorded more than `keepMs` ago; returns how many. */
  async prune(keepMs: number): Promise<number> {
    return this.db.prisma.$executeRaw`
      DELETE FROM matched_frames WHERE created_at < now() - ${Math.round(keepMs)}::int * interval '1 millisecond'`;
  }
}
