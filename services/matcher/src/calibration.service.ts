import { Inject, Injectable } from '@nestjs/common';
import { CalibrationGet, type z } from '@glimpse/contracts';
import { Calibration, pairFarFor } from './calibration';
import { CalibrationRepository, type HistogramQuery } from './calibration.repository';
import { MATCHER_CONFIG, type MatcherConfig } from './config';

/** 0.005 wide bins up to 1.5: dlib distances of different people rarely exceed 1.2. */
export const HISTOGRAM: HistogramQuery = {
  binWidth: 0.005,
  bins: 300,
  maxPersons: 500,
  genuineFaces: 30,
  impostorFaces: 3,
};
const CURVE = { from: 0.2, to: 1.0, step: 0.01 };

/** Calibrates the matching threshold from the operator's named persons and cannot-links. */
@Injectable()
export class CalibrationService {
  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'THRESHOLD'>,
    private readonly repo: CalibrationRepository,
  ) {}

  async calibrate(req: z.output<typeof CalibrationGet.request>): Promise<CalibrationGet.Reply> {
    const h = await this.repo.histograms(HISTOGRAM);
    const impostor = h.impostor.map((n, i) => n + h.cannotLink[i]);
    const cal = new Calibration({ binWidth: HISTOGRAM.binWidth, genuine: h.genuine, impostor }, h.galleryPersons);
    const pairFar = pairFarFor(req.far, h.galleryPersons);
    const reason = insufficiency(h.namedPersons, cal.genuinePairs, cal.impostorPairs);
    const suggestion = reason ? null : cal.suggest(pairFar);
    return {
      sufficient: reason === null,
      reason,
      namedPersons: h.namedPersons,
      galleryPersons: h.galleryPersons,
      genuinePairs: cal.genuinePairs,
      impostorPairs: cal.impostorPairs,
      cannotLinkPairs: h.cannotLink.reduce((a, b) => a + b, 0),
      currentThreshold: this.config.THRESHOLD,
      far: req.far,
      pairFar,
      suggested: suggestion?.point ?? null,
      limitedByData: suggestion?.limitedByData ?? false,
      current: reason ? null : cal.at(this.config.THRESHOLD),
      curve: reason ? [] : cal.curve(CURVE.from, CURVE.to, CURVE.step),
      histogram: { binWidth: HISTOGRAM.binWidth, genuine: h.genuine, impostor },
    };
  }
}

/** Why the data cannot calibrate anything, or null when it can. */
export function insufficiency(namedPersons: number, genuinePairs: number, impostorPairs: number): string | null {
  const min = CalibrationGet.MIN_NAMED_PERSONS;
  if (namedPersons < min) {
    return `too little data: ${namedPersons} named person(s) with at least 2 faces; name at least ${min} persons with 2 or more faces each`;
  }
  if (genuinePairs === 0) return 'too little data: no two faces of one named person';
  if (impostorPairs === 0) return 'too little data: no faces of two differently named persons and no cannot-links';
  return null;
}
