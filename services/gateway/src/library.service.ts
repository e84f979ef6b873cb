import { Injectable } from '@nestjs/common';
import { DEFAULT_THRESHOLD, FaceSearch, PersonEnroll, verify } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { enrollFace, largestFace, soleFace, toEnrollResponse, toSearchResponse } from './library';
import { RecognizeService, type EncodedFace } from './recognize.service';
import type { UploadedFile } from './upload';
import { upstream } from './upstream';

export type EnrollTarget = { name?: string } | { personId: string };

/** Enrollment, 1:N search and 1:1 verification: each encodes photos first, then asks the matcher (or nobody). */
@Injectable()
export class LibraryService {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly recognizer: RecognizeService,
  ) {}

  async enroll(files: UploadedFile[], target: EnrollTarget) {
    if (files.length === 0)
      throw new GlimpseError('INVALID_REQUEST', "no photos: send one or more image files in the 'images' field");
    const faces = await Promise.all(
      files.map(async (f) =>
        enrollFace(soleFace(await named(f, this.recognizer.encodeWithCrops(f.bytes)), f.filename)),
      ),
    );
    const reply = await upstream(this.bus.request(PersonEnroll.contract, { ...target, faces }));
    return toEnrollResponse(
      reply,
      faces.map((f) => f.box),
    );
  }

  async search(image: Buffer, opts: { k: number; threshold?: number }) {
    const { faces } = await this.recognizer.encode(image);
    const face = largestFace(faces);
    if (!face) throw new GlimpseError('INVALID_IMAGE', 'no face found in the image: send a photo with a visible face');
    const reply = await upstream(
      this.bus.request(FaceSearch.contract, { encoding: face.encoding, k: opts.k, threshold: opts.threshold }),
    );
    return toSearchResponse(face, reply);
  }

  async verify(a: UploadedFile, b: UploadedFile, threshold = DEFAULT_THRESHOLD) {
    const [fa, fb] = await Promise.all(
      [a, b].map(async (file) => {
        const face = largestFace((await named(file, this.recognizer.encode(file.bytes))).faces);
        if (!face) throw new GlimpseError('INVALID_IMAGE', `no face found in '${file.field}' (${file.filename})`);
        return face;
      }),
    );
    return { ...verify(fa.encoding, fb.encoding, threshold), a: { box: fa.box }, b: { box: fb.box } };
  }
}

/** Says which upload an image error is about, when there are several. */
async function named<T>(file: UploadedFile, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (
      err instanceof GlimpseError &&
      ['INVALID_IMAGE', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'].includes(err.code)
    ) {
      throw new GlimpseError(err.code, `${file.filename}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export type { EncodedFace };
