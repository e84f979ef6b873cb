import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MediaStreamTrack } from '@roamhq/wrtc';
import type { OpenViduSubscribe } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from '../config';
import { StreamManager } from '../stream.manager';
import { I420JpegEncoder } from '../webrtc/i420-jpeg';
import { ResourceGauge, WebRtcFrameSource, type PeerEnd, type PeerLink } from '../webrtc/webrtc.source';
import { wrtc } from '../webrtc/wrtc';
import { OPENVIDU_CAPTURE_CONFIG, type OpenViduCaptureConfig } from './openvidu.config';
import { OpenViduSubscriber, type SubscriberEnd } from './openvidu-subscriber';

/** What clients see as the `url` of a stream received through OpenVidu. */
export const OPENVIDU_STREAM_URL = 'webrtc:openvidu';

/**
 * The capture side of OpenVidu mode. A subscription joins the OpenVidu session at once (so the
 * gateway hears about a bad token or an unreachable server), waits for the browser to publish,
 * and only then becomes a stream: the received track runs through the same WebRtcFrameSource as
 * WHIP, so frames, skipping, counters and status are the StreamManager's as for any stream.
 */
@Injectable()
export class OpenViduService {
  private readonly log = new Logger('OpenVidu');
  readonly gauge = new ResourceGauge();
  /** Joined, not yet publishing: by stream id. Attached ones belong to their stream. */
  private readonly waiting = new Map<string, OpenViduSubscriber>();
  /** Every subscriber not yet closed, attached or not (for health and the leak check). */
  private readonly live = new Set<OpenViduSubscriber>();
  private closing = false;

  constructor(
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    @Inject(OPENVIDU_CAPTURE_CONFIG) private readonly ov: OpenViduCaptureConfig,
    private readonly streams: StreamManager,
  ) {}

  async subscribe(req: OpenViduSubscribe.Request): Promise<OpenViduSubscribe.Reply> {
    if (this.closing) throw new GlimpseError('SERVICE_UNAVAILABLE', 'capture instance is shutting down');
    this.streams.ensureCapacity();
    // sessions still waiting for their browser will be streams soon: they count against MAX_STREAMS too
    if (this.streams.activeCount + this.waiting.size >= this.cfg.MAX_STREAMS) {
      throw new GlimpseError(
        'SERVICE_UNAVAILABLE',
        `capture instance at capacity (${this.cfg.MAX_STREAMS} streams, ${this.waiting.size} waiting for their browser)`,
      );
    }
    if (this.streams.isRunning(req.streamId) || this.waiting.has(req.streamId)) {
      throw new GlimpseError('CONFLICT', `stream '${req.streamId}' already has a publisher`);
    }
    let sub: OpenViduSubscriber;
    try {
      sub = new OpenViduSubscriber(req.subscriberToken, req.serverUrl, {
        joinTimeoutMs: this.ov.OPENVIDU_JOIN_TIMEOUT_MS,
        publishTimeoutMs: this.ov.OPENVIDU_PUBLISH_TIMEOUT_MS,
        requestTimeoutMs: this.ov.OPENVIDU_REQUEST_TIMEOUT_MS,
        iceTimeoutMs: this.cfg.WEBRTC_CONNECT_TIMEOUT_MS,
        insecureTls: this.ov.OPENVIDU_INSECURE_TLS,
        rtcConfig: this.rtcConfig(),
      });
    } catch (err) {
      throw new GlimpseError('INVALID_REQUEST', `bad OpenVidu subscriber token: ${(err as Error).message}`);
    }
    const id = req.streamId;
    this.waiting.set(id, sub);
    this.live.add(sub);
    sub.once('track', (track) => void this.attach(sub, track, req));
    sub.once('end', (end) => this.ended(id, sub, end));
    sub.once('closed', () => this.live.delete(sub));
    try {
      const joined = await sub.join();
      this.log.log(
        `stream ${id}: joined OpenVidu session ${sub.target.sessionId} as ${joined.connectionId}${joined.publisherFound ? '' : '; waiting for the browser to publish'}`,
      );
      return { streamId: id, instance: this.cfg.INSTANCE_ID, ...joined };
    } catch (err) {
      if (this.waiting.get(id) === sub) this.waiting.delete(id);
      throw new GlimpseError('SERVICE_UNAVAILABLE', (err as Error).message, { cause: err });
    }
  }

  /** Subscribers joined but not yet receiving video. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Subscribers not yet closed, whether waiting or streaming. */
  get liveCount(): number {
    return this.live.size;
  }

  /** Leaves the sessions nobody publishes in yet; running streams stop with StreamManager.shutdown. */
  shutdown(): void {
    this.closing = true;
    for (const sub of this.waiting.values()) sub.close();
    this.waiting.clear();
  }

  private async attach(
    sub: OpenViduSubscriber,
    track: MediaStreamTrack,
    req: OpenViduSubscribe.Request,
  ): Promise<void> {
    const id = req.streamId;
    if (this.waiting.get(id) !== sub) return sub.close(); // shut down meanwhile
    this.waiting.delete(id);
    const encoder = new I420JpegEncoder({ maxWidth: this.cfg.MAX_FRAME_WIDTH, quality: this.cfg.JPEG_QUALITY });
    const sink = new (wrtc().nonstandard.RTCVideoSink)(track) as unknown as ConstructorParameters<
      typeof WebRtcFrameSource
    >[1];
    const fps = req.fps ?? this.cfg.SNAPSHOT_FPS;
    const source = new WebRtcFrameSource(new SubscriberLink(sub, this.gauge), sink, {
      fps,
      connectTimeoutMs: this.cfg.WEBRTC_CONNECT_TIMEOUT_MS,
      frameTimeoutMs: this.cfg.WEBRTC_FRAME_TIMEOUT_MS,
      encode: (f) => encoder.encode(f),
      gauge: this.gauge,
    });
    try {
      await this.streams.attach(source, { id, url: OPENVIDU_STREAM_URL, fps, threshold: req.threshold });
      this.log.log(`stream ${id}: receiving ${sub.subscribedStreamId} from OpenVidu session ${sub.target.sessionId}`);
    } catch (err) {
      // attach stops the source (and with it the subscriber) when it refuses
      this.log.warn(`stream ${id}: cannot start the OpenVidu stream: ${String(err)}`);
    }
  }

  private ended(id: string, sub: OpenViduSubscriber, end: SubscriberEnd): void {
    if (this.waiting.get(id) !== sub) return; // a running stream reports its own end
    this.waiting.delete(id);
    const line = `stream ${id}: OpenVidu subscription ended before any video: ${end.reason}`;
    if (end.failed) this.log.warn(line);
    else this.log.log(line);
  }

  private rtcConfig(): Record<string, unknown> {
    const range = this.cfg.WEBRTC_PORT_RANGE;
    return { bundlePolicy: 'max-bundle', ...(range ? { portRange: { min: range[0], max: range[1] } } : {}) };
  }
}

/** The subscriber as the PeerLink a WebRtcFrameSource closes and listens to. */
export class SubscriberLink implements PeerLink {
  private listener?: (end: PeerEnd) => void;
  private early?: PeerEnd;
  private closed = false;

  constructor(
    private readonly sub: OpenViduSubscriber,
    private readonly gauge?: ResourceGauge,
  ) {
    gauge?.open('peers');
    sub.once('end', (end) => {
      this.release();
      if (this.listener) this.listener(end);
      else this.early = end;
    });
  }

  onEnd(listener: (end: PeerEnd) => void): void {
    if (this.early) return listener(this.early);
    this.listener = listener;
  }

  close(): void {
    this.listener = undefined;
    this.sub.close();
    this.release();
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    this.gauge?.close('peers');
  }
}
