import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FrameEncode, UPLOAD_SOURCE, type Box } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { toApiFace, type ApiFace } from './faces';
import { FrameSender, type EncodeHeaders } from './frame-sender';
import { prepareImage, scaleBox, type PreparedImage } from './image';
import { blurRegions } from '@glimpse/platform';
import { annotate, isNamedMatch } from './privacy/annotate';
import { PrivacySettings } from './privacy/privacy-settings';
import { upstream } from './upstream';

const newFrameId = () => randomBytes(12).toString('base64url');

/** Headroom under NATS max_payload for headers and framing. */
const BUS_HEADROOM = 64 * 1024;

export interface RecognizeOptions {
  store: boolean;
  threshold?: number;
  /** Answer the picture annotated too (base64 JPEG). */
  annotated?: boolean;
}

export interface EncodedFace {
  box: Box;
  encoding: number[];
}

@Injectable()
export class RecognizeService {
  private seq = 0;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sender: FrameSender,
    private readonly privacy: PrivacySettings,
  ) {}

  async recognize(upload: Buffer, opts: RecognizeOptions): Promise<{ faces: ApiFace[]; annotated?: string }> {
    const image = await this.prepare(upload);
    const reply = await this.recognizeImage(image, opts.store, opts.threshold);
    const faces = reply.faces.map((f) => toApiFace(f, this.toOriginal(f.box, image)));
    if (!opts.annotated) return { faces };
    // drawn on the picture the recognizer saw, whose pixels the reply's boxes are in
    const jpeg = await annotate(image.bytes, image.sent, reply.faces, await this.privacy.blurUnknown());
    return { faces, annotated: jpeg.toString('base64') };
  }

  /**
   * A camera frame to answer as it is (snapshot, "Test connection"): under BLUR_UNKNOWN (the matcher's,
   * docs/privacy.md) the frame is recognized now, nothing stored, and every face that is no enrolled, named
   * person's is blurred; when recognition fails the call fails (503/504) rather than answer it unblurred.
   * Returns the image and the faces it showed (for the audit trail).
   */
  async blurBystanders(jpeg: Buffer): Promise<{ image: Buffer; faces: number; personIds: string[] }> {
    if (!(await this.privacy.blurUnknown())) return { image: jpeg, faces: 0, personIds: [] };
    const image = await this.prepare(jpeg);
    const reply = await this.recognizeImage(image, false);
    const bystanders = reply.faces.filter((f) => !isNamedMatch(f)).map((f) => this.toOriginal(f.box, image));
    const personIds = reply.faces.filter(isNamedMatch).map((f) => f.personId!);
    return {
      image: bystanders.length ? await blurRegions(jpeg, bystanders) : jpeg,
      faces: reply.faces.length,
      personIds,
    };
  }

  async encode(upload: Buffer): Promise<{ faces: EncodedFace[] }> {
    const faces = await this.encodeFrame(upload, false);
    return { faces: faces.map((f) => ({ box: f.box, encoding: f.encoding })) };
  }

  /** Faces with their crop and quality when the recognizer provides them (enrollment); original coordinates. */
  encodeWithCrops(upload: Buffer): Promise<FrameEncode.Reply['faces']> {
    return this.encodeFrame(upload, true);
  }

  private async encodeFrame(upload: Buffer, crops: boolean): Promise<FrameEncode.Reply['faces']> {
    const image = await this.prepare(upload);
    const headers: EncodeHeaders = { 'Content-Type': image.contentType, 'Glimpse-Frame-Id': newFrameId() };
    if (crops) headers['Glimpse-Crops'] = 'true';
    const reply = await upstream(this.sender.encode(image.bytes, headers));
    return reply.faces.map((f) => ({ ...f, box: this.toOriginal(f.box, image) }));
  }

  /** One frame of the upload source to the recognizer (no threshold: the matcher's own). */
  private recognizeImage(image: PreparedImage, store: boolean, threshold?: number) {
    return upstream(
      this.sender.recognize(image.bytes, {
        'Glimpse-Source': UPLOAD_SOURCE,
        'Glimpse-Seq': this.seq++,
        // the same on every send of this frame (a lost recognizer, a lost matcher reply): stored once
        'Glimpse-Frame-Id': newFrameId(),
        'Glimpse-Captured-At': new Date().toISOString(),
        'Glimpse-Store': store ? 'true' : 'false',
        'Glimpse-Threshold': threshold,
        'Content-Type': image.contentType,
      }),
    );
  }

  private prepare(upload: Buffer): Promise<PreparedImage> {
    return prepareImage(upload, {
      maxPixels: this.cfg.MAX_IMAGE_PIXELS,
      maxBytes: Math.max(64 * 1024, this.bus.maxPayload - BUS_HEADROOM),
    });
  }

  private toOriginal(box: Box, image: PreparedImage): Box {
    return scaleBox(box, image.sent, image.original);
  }
}
