import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  Optional,
  SetMetadata,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, RequestHandler, Response } from 'express';
import type { Observable } from 'rxjs';
import { WhipOffer } from '@glimpse/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { MAX_ENROLL_IMAGES } from '../library';
import {
  formFields,
  imageBodyParser,
  imagesFormParser,
  jsonBodyParser,
  sdpBodyParser,
  uploadedFiles,
  uploadedImage,
  uploadedSdp,
  uploadedVideo,
  videoBodyParser,
  type SavedVideo,
  type UploadedFile,
} from '../upload';

/**
 * How a route's body is read, declared on its handler: the interceptor runs the parser after the guards
 * (auth, rate limits), so a refused request never has a byte of its body read; the OpenAPI document
 * describes the same declaration (openapi/document.ts).
 */
export type BodySpec =
  | { kind: 'image' }
  | {
      kind: 'images';
      files: Record<string, number>;
      fields?: Record<string, { type: 'string'; minLength?: number; maxLength?: number }>;
    }
  | { kind: 'video' }
  | { kind: 'json'; limitBytes: number; optional: boolean }
  | { kind: 'sdp' };

export const BODY_METADATA = 'glimpse:body';
const DEFAULT_JSON_LIMIT = 64 * 1024;

export const bodyOf = (handler: object): BodySpec | undefined =>
  Reflect.getMetadata(BODY_METADATA, handler) as BodySpec | undefined;

/** Runs an Express body parser as a promise. */
const run = (parser: RequestHandler, req: Request, res: Response) =>
  new Promise<void>((resolve, reject) => parser(req, res, (err?: unknown) => (err ? reject(err) : resolve())));

/** Reads the declared body of the handler before it runs (image limits from the gateway's config). */
@Injectable()
export class BodyInterceptor implements NestInterceptor {
  private readonly parsers = new WeakMap<object, RequestHandler>();

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(GATEWAY_CONFIG) private readonly cfg?: GatewayConfig,
  ) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handler = ctx.getHandler();
    let parser = this.parsers.get(handler);
    if (!parser) {
      parser = this.parserFor(
        this.reflector.get<BodySpec>(BODY_METADATA, handler),
        `${ctx.getClass().name}.${handler.name}`,
      );
      this.parsers.set(handler, parser);
    }
    const http = ctx.switchToHttp();
    await run(parser, http.getRequest<Request>(), http.getResponse<Response>());
    return next.handle();
  }

  private parserFor(spec: BodySpec | undefined, where: string): RequestHandler {
    if (!spec) throw new Error(`${where}: BodyInterceptor without a body declaration`);
    if (spec.kind === 'json') return jsonBodyParser(spec.limitBytes);
    if (spec.kind === 'sdp') return sdpBodyParser(WhipOffer.MAX_SDP_BYTES);
    const cfg = this.cfg;
    if (!cfg) throw new Error(`${where}: ${spec.kind} bodies need the gateway's config (GATEWAY_CONFIG)`);
    if (spec.kind === 'image') return imageBodyParser(cfg.MAX_UPLOAD_BYTES);
    if (spec.kind === 'images') return imagesFormParser(cfg.MAX_UPLOAD_BYTES, spec.files);
    return videoBodyParser(cfg.UPLOAD_DIR, cfg.MAX_VIDEO_UPLOAD_BYTES);
  }
}

const body = (spec: BodySpec) => applyDecorators(SetMetadata(BODY_METADATA, spec), UseInterceptors(BodyInterceptor));

/** A raw image (`image/*`, octet-stream) or multipart with an `image` field, up to MAX_UPLOAD_BYTES: read with `@Image()`. */
export const ImageBody = () => body({ kind: 'image' });

/** A multipart form of image files (`files`: field → at most how many) and small text `fields`: `@Files(field)`, `@FormFields()`. */
export const ImagesForm = (
  files: Record<string, number> = { images: MAX_ENROLL_IMAGES },
  fields?: Extract<BodySpec, { kind: 'images' }>['fields'],
) => body({ kind: 'images', files, ...(fields ? { fields } : {}) });

/** A video, raw or multipart `video`, streamed to UPLOAD_DIR up to MAX_VIDEO_UPLOAD_BYTES: `@Video()`. */
export const VideoUpload = () => body({ kind: 'video' });

/** A small JSON body, validated by the `@Body(new ZodPipe(schema))` of the handler (which the OpenAPI document describes). */
export const JsonBody = (opts: { limitBytes?: number; optional?: boolean } = {}) =>
  body({ kind: 'json', limitBytes: opts.limitBytes ?? DEFAULT_JSON_LIMIT, optional: opts.optional ?? false });

/** A WHIP offer, read as text whatever its type so that the handler can answer 401 before judging it: `@Sdp()`. */
export const SdpBody = () => body({ kind: 'sdp' });

const fromRequest = <T>(read: (req: Request, data: string) => T) =>
  createParamDecorator((data: string, ctx: ExecutionContext) => read(ctx.switchToHttp().getRequest<Request>(), data));

/** The uploaded image of an `@ImageBody()` route (400 when empty). */
export const Image = fromRequest<Buffer>((req) => uploadedImage(req));
/** The files of one field of an `@ImagesForm()` route, in the order they came. */
export const Files = fromRequest<UploadedFile[]>((req, field) => uploadedFiles(req, field));
/** The text fields of an `@ImagesForm()` route. */
export const FormFields = fromRequest<Record<string, unknown>>((req) => formFields(req));
/** The saved video of a `@VideoUpload()` route. */
export const Video = fromRequest<SavedVideo>((req) => uploadedVideo(req));
/** The SDP offer of an `@SdpBody()` route (415 unless application/sdp); read it after checking the token. */
export const Sdp = fromRequest<() => string>((req) => () => uploadedSdp(req));
