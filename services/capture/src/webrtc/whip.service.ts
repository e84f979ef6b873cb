import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Stream, WhipClose, WhipOffer } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from '../config';
import { StreamManager } from '../stream.manager';
import { I420JpegEncoder } from './i420-jpeg';
import { answerOffer, PeerConnectionLink } from './peer';
import { ResourceGauge, WebRtcFrameSource, type VideoSinkLike } from './webrtc.source';
import { wrtc } from './wrtc';

/** What clients see as the `url` of a stream published over WHIP. */
export const WHIP_STREAM_URL = 'webrtc:whip';

/**
 * The capture side of WHIP: answers an offer with an @roamhq/wrtc peer connection, then runs the
 * received video through the StreamManager like any other stream, under the session's stream id.
 */
@Injectable()
export class WhipService {
  private readonly log = new Logger('Whip');
  readonly gauge = new ResourceGauge();
  /** WHIP resources of this instance, by resource id; removed when their stream's source stops. */
  private readonly resources = new Map<string, { sessionId: string; streamId: string }>();

  constructor(
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    private readonly streams: StreamManager,
  ) {}

  async offer(req: WhipOffer.Request): Promise<WhipOffer.Reply> {
    this.streams.ensureCapacity();
    if (this.streams.isRunning(req.streamId)) {
      throw new GlimpseError('CONFLICT', `session ${req.sessionId} is already publishing`);
    }
    const link = new PeerConnectionLink(this.newPeerConnection(), this.gauge);
    let source: WebRtcFrameSource | undefined;
    try {
      const t0 = Date.now();
      const answer = await answerOffer(
        link.pc,
        req.sdp,
        this.cfg.WEBRTC_ICE_GATHER_TIMEOUT_MS,
        this.cfg.WEBRTC_ANNOUNCED_IP,
      );
      if (!answer.gathered)
        this.log.warn(
          `session ${req.sessionId}: ICE gathering still running after ${this.cfg.WEBRTC_ICE_GATHER_TIMEOUT_MS} ms; answering with the candidates so far`,
        );
      link.track = answer.track;
      const resourceId = randomBytes(12).toString('base64url');
      const encoder = new I420JpegEncoder({ maxWidth: this.cfg.MAX_FRAME_WIDTH, quality: this.cfg.JPEG_QUALITY });
      const sink = new (wrtc().nonstandard.RTCVideoSink)(answer.track) as unknown as VideoSinkLike;
      source = new WebRtcFrameSource(link, sink, {
        fps: this.cfg.SNAPSHOT_FPS,
        connectTimeoutMs: this.cfg.WEBRTC_CONNECT_TIMEOUT_MS,
        frameTimeoutMs: this.cfg.WEBRTC_FRAME_TIMEOUT_MS,
        encode: (f) => encoder.encode(f),
        gauge: this.gauge,
        onStopped: () => this.resources.delete(resourceId),
      });
      this.resources.set(resourceId, { sessionId: req.sessionId, streamId: req.streamId });
      const stream = await this.streams.attach(source, {
        id: req.streamId,
        url: WHIP_STREAM_URL,
        fps: this.cfg.SNAPSHOT_FPS,
        threshold: req.threshold,
      });
      this.log.log(`session ${req.sessionId}: answered in ${Date.now() - t0} ms, stream ${req.streamId}`);
      return { sdp: answer.sdp, resourceId, instance: this.cfg.INSTANCE_ID, stream };
    } catch (err) {
      if (source) await source.stop();
      else link.close();
      throw err;
    }
  }

  /** Only the owner answers; `undefined` keeps the others silent. */
  async close(req: WhipClose.Request): Promise<Stream | undefined> {
    const r = this.resources.get(req.resourceId);
    if (!r || r.sessionId !== req.sessionId) return undefined;
    return this.streams.stop(r.streamId);
  }

  get sessionCount(): number {
    return this.resources.size;
  }

  private newPeerConnection() {
    const range = this.cfg.WEBRTC_PORT_RANGE;
    const config: Record<string, unknown> = { iceServers: [], bundlePolicy: 'max-bundle' };
    if (range) config.portRange = { min: range[0], max: range[1] };
    return new (wrtc().RTCPeerConnection)(config as RTCConfiguration);
  }
}
