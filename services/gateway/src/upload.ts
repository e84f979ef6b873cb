import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type RequestHandler } from 'express';
import multer from 'multer';
import { GlimpseError } from '@glimpse/platform';
import { HttpProblem } from './problem';
import { sniffVideo, VIDEO_SNIFF_BYTES, type VideoContainer } from './video';

/** Room for multipart boundaries and part headers on top of the file itself. */
const FORM_OVERHEAD = 64 * 1024;

export interface SavedVideo {
  path: string;
  container: VideoContainer;
  bytes: number;
}

/** One file of a multipart form, in memory. */
export interface UploadedFile {
  field: string;
  /** The client's file name, or `<field> #<n>` when it sent none. */
  filename: string;
  bytes: Buffer;
}

interface UploadRequest extends Request {
  glimpseImage?: Buffer | null;
  glimpseFiles?: UploadedFile[];
  glimpseFields?: Record<string, unknown>;
  glimpseVideo?: SavedVideo;
  glimpseSdp?: string;
}

/** The image body left by `imageBodyParser`; a clear 400 when there is none. */
export function uploadedImage(req: Request): Buffer {
  const bytes = (req as UploadRequest).glimpseImage;
  if (bytes === null) throw new GlimpseError('INVALID_REQUEST', "multipart body has no file in the 'image' field");
  if (!bytes || bytes.length === 0) throw new GlimpseError('INVALID_IMAGE', 'empty body: send a JPEG or PNG image');
  return bytes;
}

/** The files of `field` left by `imagesFormParser`, in the order they came. */
export function uploadedFiles(req: Request, field: string): UploadedFile[] {
  return ((req as UploadRequest).glimpseFiles ?? []).filter((f) => f.field === field);
}

/** The text fields of a form parsed by `imagesFormParser`. */
export const formFields = (req: Request): Record<string, unknown> => ({
  ...((req as UploadRequest).glimpseFields ?? {}),
});

export function uploadedVideo(req: Request): SavedVideo {
  const video = (req as UploadRequest).glimpseVideo;
  if (!video) throw new GlimpseError('INVALID_REQUEST', 'no video was uploaded');
  return video;
}

export const formatBytes = (n: number) =>
  n >= 1024 * 1024
    ? `${+(n / 1024 / 1024).toFixed(1)} MiB`
    : n >= 1024
      ? `${+(n / 1024).toFixed(1)} KiB`
      : `${n} bytes`;

const tooLarge = (what: string, limit: number, setting: string) =>
  new GlimpseError('IMAGE_TOO_LARGE', `${what} is larger than ${formatBytes(limit)} (${setting})`);
/** A body that is not an image (JSON, SDP, video) over its limit: 413 BODY_TOO_LARGE. */
const bodyTooLarge = (what: string, limit: number, setting: string) =>
  new HttpProblem('BODY_TOO_LARGE', `${what} is larger than ${formatBytes(limit)} (${setting})`);

const mediaType = (req: Request) => (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
const declaredLength = (req: Request) => Number(req.headers['content-length'] ?? 0) || 0;

/**
 * Raw `image/*` (or octet-stream) bodies, or multipart with an `image` field, held in memory up to
 * `maxBytes`. A declared length over the limit is refused before reading a byte.
 */
export function imageBodyParser(maxBytes: number): RequestHandler {
  const limitError = () => tooLarge('image', maxBytes, 'MAX_UPLOAD_BYTES');
  const raw = express.raw({ type: () => true, limit: maxBytes });
  const form = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 16 * 1024, parts: 30 },
  }).single('image');

  return (req, res, next) => {
    const done = (err?: unknown) => next(err ? bodyError(err, limitError, 'image') : undefined);
    const multipart = mediaType(req) === 'multipart/form-data';
    if (declaredLength(req) > maxBytes + (multipart ? FORM_OVERHEAD : 0)) return done(limitError());
    if (multipart) {
      return form(req, res, (err?: unknown) => {
        (req as UploadRequest).glimpseImage = req.file?.buffer ?? null;
        done(err);
      });
    }
    const type = mediaType(req);
    if (type && !type.startsWith('image/') && type !== 'application/octet-stream') {
      return done(
        new GlimpseError(
          'UNSUPPORTED_MEDIA_TYPE',
          `Content-Type ${type} is not an image: send image/jpeg or image/png, or multipart/form-data with an 'image' field`,
        ),
      );
    }
    raw(req, res, (err?: unknown) => {
      (req as UploadRequest).glimpseImage = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      done(err);
    });
  };
}

/**
 * Multipart forms with several image files (`fields`: file field name to how many it may hold),
 * in memory, each up to `maxBytes`, plus a few small text fields.
 */
export function imagesFormParser(maxBytes: number, fields: Record<string, number>): RequestHandler {
  const limitError = () => tooLarge('image', maxBytes, 'MAX_UPLOAD_BYTES');
  const maxFiles = Object.values(fields).reduce((a, b) => a + b, 0);
  const expected = Object.entries(fields)
    .map(([name, n]) => (n > 1 ? `up to ${n} files in '${name}'` : `one file in '${name}'`))
    .join(' and ');
  const form = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: maxFiles, fields: 10, fieldSize: 16 * 1024, parts: maxFiles + 10 },
  }).fields(Object.entries(fields).map(([name, maxCount]) => ({ name, maxCount })));

  return (req, res, next) => {
    if (mediaType(req) !== 'multipart/form-data') {
      return next(new GlimpseError('UNSUPPORTED_MEDIA_TYPE', `send multipart/form-data with ${expected}`));
    }
    if (declaredLength(req) > maxBytes * maxFiles + FORM_OVERHEAD) return next(limitError());
    form(req, res, (err?: unknown) => {
      const e = err as { name?: string; code?: string; field?: string } | undefined;
      if (e?.name === 'MulterError' && (e.code === 'LIMIT_UNEXPECTED_FILE' || e.code === 'LIMIT_FILE_COUNT')) {
        return next(
          new GlimpseError(
            'INVALID_REQUEST',
            `unexpected file field '${e.field ?? '?'}' or too many files: send ${expected}`,
          ),
        );
      }
      if (err) return next(bodyError(err, limitError, 'image'));
      const byField = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
      (req as UploadRequest).glimpseFiles = Object.entries(byField).flatMap(([field, files]) =>
        files.map((f, i) => ({ field, filename: f.originalname || `${field} #${i + 1}`, bytes: f.buffer })),
      );
      (req as UploadRequest).glimpseFields = { ...(req.body ?? {}) };
      next();
    });
  };
}

/**
 * Video bodies (raw `video/*` or octet-stream, or multipart with a `video` field) streamed to
 * `dir` under a random name, never held in memory; the container is sniffed from the first bytes.
 */
export function videoBodyParser(dir: string, maxBytes: number): RequestHandler {
  const limitError = () => bodyTooLarge('video', maxBytes, 'MAX_VIDEO_UPLOAD_BYTES');
  const form = multer({
    storage: multer.diskStorage({
      destination: (_req, _file, cb) =>
        void mkdir(dir, { recursive: true }).then(
          () => cb(null, dir),
          (e: Error) => cb(e, dir),
        ),
      filename: (_req, _file, cb) => cb(null, `${randomUUID()}.part`),
    }),
    limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 16 * 1024, parts: 30 },
  }).single('video');

  return (req, res, next) => {
    const done = (err?: unknown) => next(err ? bodyError(err, limitError, 'video') : undefined);
    const multipart = mediaType(req) === 'multipart/form-data';
    if (declaredLength(req) > maxBytes + (multipart ? FORM_OVERHEAD : 0)) return done(limitError());
    if (multipart) {
      return form(req, res, (err?: unknown) => {
        if (err) return done(err);
        if (!req.file)
          return done(new GlimpseError('INVALID_REQUEST', "multipart body has no file in the 'video' field"));
        adoptFile(req.file.path, dir).then((v) => ((req as UploadRequest).glimpseVideo = v) && done(), done);
      });
    }
    const type = mediaType(req);
    if (type && !type.startsWith('video/') && type !== 'application/octet-stream') {
      return done(unsupportedVideo(`Content-Type ${type} is not a video`));
    }
    saveStream(req, dir, maxBytes, limitError).then((v) => ((req as UploadRequest).glimpseVideo = v) && done(), done);
  };
}

/** JSON bodies with a small limit; a non-JSON body is a 415 rather than "missing body". */
export function jsonBodyParser(limitBytes: number): RequestHandler {
  const json = express.json({ limit: limitBytes, strict: true });
  return (req, res, next) => {
    const hasBody = declaredLength(req) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(['application/json', '+json'])) {
      return next(new GlimpseError('UNSUPPORTED_MEDIA_TYPE', 'send a JSON object with Content-Type: application/json'));
    }
    json(req, res, (err?: unknown) =>
      next(err ? bodyError(err, () => bodyTooLarge('JSON body', limitBytes, 'fixed limit'), 'JSON') : undefined),
    );
  };
}

/**
 * WHIP offers: any POST body up to `maxBytes`, as text, whatever its Content-Type, so that the
 * handler can answer 401 before it judges the body (415 for a type other than application/sdp).
 */
export function sdpBodyParser(maxBytes: number): RequestHandler {
  const limitError = () => bodyTooLarge('SDP offer', maxBytes, 'fixed limit');
  const text = express.text({ type: () => true, limit: maxBytes, defaultCharset: 'utf-8' });
  return (req, res, next) => {
    if (declaredLength(req) > maxBytes) return next(limitError());
    text(req, res, (err?: unknown) => {
      (req as UploadRequest).glimpseSdp = typeof req.body === 'string' ? req.body : '';
      next(err ? bodyError(err, limitError, 'SDP') : undefined);
    });
  };
}

/** The SDP offer left by `sdpBodyParser`; 415 unless it came as application/sdp. */
export function uploadedSdp(req: Request): string {
  const type = mediaType(req);
  if (type !== 'application/sdp') {
    throw new GlimpseError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${type || '(none)'} is not an SDP offer: send Content-Type: application/sdp`,
    );
  }
  return (req as UploadRequest).glimpseSdp ?? '';
}

const unsupportedVideo = (why: string) =>
  new GlimpseError('UNSUPPORTED_MEDIA_TYPE', `${why}: upload an MP4, MOV, WebM, MKV or AVI video`);

/** Turns parser failures (body-parser, multer, busboy) into GlimpseErrors with a message a user can act on. */
export function bodyError(err: unknown, limitError: () => Error, what: string): unknown {
  if (err instanceof GlimpseError || err instanceof HttpProblem) return err;
  const e = err as { name?: string; code?: string; type?: string; field?: string; message?: string; status?: number };
  if (e?.name === 'MulterError') {
    if (e.code === 'LIMIT_FILE_SIZE') return limitError();
    if (e.code === 'LIMIT_UNEXPECTED_FILE') {
      return new GlimpseError(
        'INVALID_REQUEST',
        `unexpected file field '${e.field}': send the ${what} in the '${what}' field, one file only`,
      );
    }
    return new GlimpseError('INVALID_REQUEST', `multipart body refused: ${e.message}`);
  }
  switch (e?.type) {
    case 'entity.too.large':
      return limitError();
    case 'entity.parse.failed':
      return new GlimpseError('INVALID_REQUEST', `malformed JSON body: ${e.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new GlimpseError('UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported body encoding');
    case 'request.aborted':
      return new GlimpseError('INVALID_REQUEST', 'the client aborted the upload');
    case 'request.size.invalid':
      return new GlimpseError('INVALID_REQUEST', 'the body is shorter or longer than its Content-Length');
  }
  if (typeof e?.message === 'string' && /multipart|boundary|part|form/i.test(e.message)) {
    return new GlimpseError('INVALID_REQUEST', `malformed multipart body: ${e.message}`);
  }
  return err;
}

async function adoptFile(partPath: string, dir: string): Promise<SavedVideo> {
  try {
    const fh = await open(partPath, 'r');
    const head = Buffer.alloc(VIDEO_SNIFF_BYTES);
    let n: number;
    let size: number;
    try {
      n = (await fh.read(head, 0, head.length, 0)).bytesRead;
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    if (size === 0) throw new GlimpseError('INVALID_REQUEST', 'empty video file');
    const container = sniffVideo(head.subarray(0, n));
    if (!container) throw unsupportedVideo('the file is not a recognized video container');
    const path = join(dir, `${randomUUID()}.${container}`);
    await rename(partPath, path);
    return { path, container, bytes: size };
  } catch (err) {
    await rm(partPath, { force: true });
    throw err;
  }
}

/** Streams a raw body to disk, refusing it as soon as it is too large or not a video. */
async function saveStream(req: Request, dir: string, maxBytes: number, limitError: () => Error): Promise<SavedVideo> {
  await mkdir(dir, { recursive: true });
  const id = randomUUID();
  const partPath = join(dir, `${id}.part`);
  const out = createWriteStream(partPath, { flags: 'wx', mode: 0o640 });
  let bytes = 0;
  let head = Buffer.alloc(0);
  let container: VideoContainer | null | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.off('data', onData);
        req.resume(); // discard the rest; Node keeps the connection usable
        out.destroy();
        reject(err);
      };
      const sniff = () => {
        container = sniffVideo(head);
        if (!container)
          fail(
            bytes === 0
              ? new GlimpseError('INVALID_REQUEST', 'empty body: send a video file')
              : unsupportedVideo('the body is not a recognized video container'),
          );
      };
      const onData = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) return fail(limitError());
        if (container === undefined) {
          head = Buffer.concat([head, chunk.subarray(0, VIDEO_SNIFF_BYTES)]).subarray(0, VIDEO_SNIFF_BYTES);
          if (head.length >= VIDEO_SNIFF_BYTES) sniff();
          if (failed) return;
        }
        if (!out.write(chunk)) {
          req.pause();
          out.once('drain', () => req.resume());
        }
      };
      req.on('data', onData);
      req.once('end', () => {
        if (container === undefined) sniff();
        if (!failed) out.end();
      });
      req.once('error', fail);
      req.once('close', () => {
        if (!req.complete) fail(new GlimpseError('INVALID_REQUEST', 'the client aborted the upload'));
      });
      out.once('error', fail);
      out.once('finish', () => !failed && resolve());
    });
    const path = join(dir, `${id}.${container}`);
    await rename(partPath, path);
    return { path, container: container as VideoContainer, bytes };
  } catch (err) {
    out.destroy();
    // The stream opens its file asynchronously: removed before that open lands, the .part would be created after.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await rm(partPath, { force: true });
    throw err;
  }
}
