import { Injectable } from '@nestjs/common';
import { MatchFaces } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';

/** A frame id its requester gave up before it was stored (FrameSettle): a late MatchFaces for it stores nothing. */
export const ABANDONED = 'abandoned' as const;

/**
 * Frames already stored, by frame id, with the reply they got (table `matched_frames`). The row is written
 * in the transaction that stores the frame, and read after the MATCHING lock, so a retried MatchFaces either
 * finds it (and stores nothing) or runs after a rollback (and stores the frame once).
 */
@Injectable()
export class FrameLedgerRepository {
  constructor(private readonly db: Database) {}

  /** The reply recorded for `frameId`, ABANDONED when its requester gave it up unstored, or null when neither. */
  async find(tx: Tx, frameId: string): Promise<MatchFaces.Reply | typeof ABANDONED | null> {
    const rows = await tx.$queryRaw<
      Array<{ reply: string }>
    >`SELECT reply FROM matched_frames WHERE frame_id = ${frameId}`;
    if (!rows.length) return null;
    const json: unknown = JSON.parse(rows[0].reply);
    if ((json as { abandoned?: unknown })?.abandoned === true) return ABANDONED;
    // Parsed, not trusted: a row from an older, incompatible reply shape must not leave as a valid reply.
    return MatchFaces.reply.parse(json);
  }

  /** Records that `frameId` must never be stored (its requester answered its client with a failure). */
  async abandon(tx: Tx, frameId: string): Promise<void> {
    await tx.$executeRaw`INSERT INTO matched_frames (frame_id, reply) VALUES (${frameId}, ${JSON.stringify({ abandoned: true })})`;
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
