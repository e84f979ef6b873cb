import type { CalibrationRepository, PairHistograms } from './calibration.repository';
import { CalibrationService, HISTOGRAM } from './calibration.service';
import { strictMock } from '@glimpse/testing';

const bins = (at: Record<number, number>) => Array.from({ length: HISTOGRAM.bins }, (_, i) => at[i] ?? 0);

function setup(h: Partial<PairHistograms>) {
  const repo = strictMock<CalibrationRepository>('calibration', {
    histograms: jest.fn().mockResolvedValue({
      genuine: bins({}),
      impostor: bins({}),
      cannotLink: bins({}),
      namedPersons: 0,
      galleryPersons: 0,
      ...h,
    }),
  });
  return { repo, service: new CalibrationService({ THRESHOLD: 0.6 }, repo) };
}

describe('CalibrationService', () => {
  it('says why there is too little data, still with the histograms', async () => {
    const { service, repo } = setup({ genuine: bins({ 80: 1 }), namedPersons: 1, galleryPersons: 5 });
    const reply = await service.calibrate({ far: 0.01 });
    expect(repo.histograms).toHaveBeenCalledWith(HISTOGRAM);
    expect(reply).toMatchObject({
      sufficient: false,
      suggested: null,
      current: null,
      curve: [],
      genuinePairs: 1,
      impostorPairs: 0,
    });
    expect(reply.reason).toMatch(/1 named person/);
  });

  it('counts cannot-links as impostor pairs and suggests the threshold for the wanted FAR at the gallery size', async () => {
    // genuine at 0.40-0.45; impostors: 98 at 0.90, 2 cannot-links at 0.50
    const { service } = setup({
      genuine: bins({ 80: 5, 90: 5 }),
      impostor: bins({ 180: 98 }),
      cannotLink: bins({ 100: 2 }),
      namedPersons: 4,
      galleryPersons: 1,
    });
    const reply = await service.calibrate({ far: 0.05 });
    expect(reply).toMatchObject({
      sufficient: true,
      genuinePairs: 10,
      impostorPairs: 100,
      cannotLinkPairs: 2,
      pairFar: expect.closeTo(0.05, 12),
      limitedByData: false,
    });
    // 2% of impostors below 0.90: the largest threshold within 5% is the 0.90 edge
    expect(reply.suggested).toMatchObject({ threshold: 0.9, pairFar: 0.02, frr: 0 });
    expect(reply.current).toMatchObject({ threshold: 0.6, pairFar: 0.02, frr: 0 });
    expect(reply.histogram.impostor[100]).toBe(2);
  });
});
