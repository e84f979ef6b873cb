import { Injectable } from '@nestjs/common';
import { Events, PersonExport } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { JetStreamManager, MsgRequest } from 'nats';

const TIMEOUT_MS = 5_000;

export interface EventHistory {
  events: PersonExport.Reply['events'];
  truncated: boolean;
}

/** Reads a person's events back from GLIMPSE_EVENTS (subject access), oldest first, at most `max`. */
@Injectable()
export class EventHistoryReader {
  private jsm: JetStreamManager | undefined;

  constructor(@InjectBus() private readonly bus: Bus) {}

  async of(personIds: readonly string[], max = PersonExport.MAX_EVENTS): Promise<EventHistory> {
    const events: EventHistory['events'] = [];
    for (const personId of personIds) {
      for (let seq = 1; ;) {
        if (events.length >= max) return { events: sortBySeq(events), truncated: true };
        const msg = await this.next(Events.personFilter(personId), seq);
        if (!msg) break;
        events.push({ subject: msg.subject, seq: msg.seq, time: msg.time.toISOString(), data: parse(msg.data) });
        seq = msg.seq + 1;
      }
    }
    return { events: sortBySeq(events), truncated: false };
  }

  /** The first message at or after `seq` on `filter`; null when none (or no stream yet). */
  private async next(filter: string, seq: number) {
    this.jsm ??= await this.bus.nc.jetstreamManager({ timeout: TIMEOUT_MS });
    // STREAM.MSG.GET takes next_by_subj (server 2.9+); nats.js types only its other forms
    const query = { seq, next_by_subj: filter } as unknown as MsgRequest;
    return this.jsm.streams.getMessage(Events.STREAM, query).catch((err: unknown) => {
      const code = (err as { api_error?: { err_code?: number } })?.api_error?.err_code;
      if (code === 10059 || code === 10037 || /not found/i.test(String((err as Error)?.message))) return null;
      throw err;
    });
  }
}

function parse(data: Uint8Array): unknown {
  const text = new TextDecoder().decode(data);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const sortBySeq = <T extends { seq: number }>(xs: T[]): T[] => xs.sort((a, b) => a.seq - b.seq);
