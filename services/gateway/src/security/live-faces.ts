import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RecognitionEvent } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { isLiveStream } from '../sessions/session.service';

const MAX_STREAMS = 1_000;
const MAX_FACES_PER_STREAM = 2_000;

/**
 * Which stored faces each live camera stream produced, so that its session token may fetch those
 * crops (its own camera's faces) and nothing else of the library. Every gateway hears every
 * recognition event, so any of them can answer; bounded, oldest first out.
 */
@Injectable()
export class LiveFaces implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly streams = new Map<string, Set<string>>();
  private sub?: Subscription;

  constructor(@InjectBus() private readonly bus: Bus) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.subscribe(RecognitionEvent.contract, (p) => this.record(p));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  record(p: RecognitionEvent.Payload): void {
    const streamId = p.frame.source;
    if (!isLiveStream(streamId)) return;
    let faces = this.streams.get(streamId);
    if (!faces) {
      faces = new Set();
      this.streams.set(streamId, faces);
      if (this.streams.size > MAX_STREAMS) this.streams.delete(this.streams.keys().next().value as string);
    }
    for (const f of p.faces) {
      if (!f.faceId) continue;
      faces.add(f.faceId);
      if (faces.size > MAX_FACES_PER_STREAM) faces.delete(faces.values().next().value as string);
    }
  }

  has(streamId: string, faceId: string): boolean {
    return this.streams.get(streamId)?.has(faceId) ?? false;
  }
}
