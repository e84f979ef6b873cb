import type { MatchFaces } from '@glimpse/contracts';
import type { Tx } from '../database/database';
import type { FaceRepository, NearestFace } from '../face.repository';
import { strictMock } from '@glimpse/testing';
import type { MatchConstraints } from './constraints';
import { Decider, type DeciderConfig } from './decider';

const TX = { tx: 'one' } as unknown as Tx;
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const CONFIG: DeciderConfig = {
  MATCH_RULE: 'person',
  THRESHOLD: 0.6,
  MATCH_K: 64,
  HNSW_EF_SEARCH: 400,
  MATCH_CANDIDATES: 8,
  MATCH_PERSON_FACES: 50,
  MATCH_DISTANCE: 0.56,
  MATCH_DISTANCE_SLOPE: 0.02,
  MATCH_REFERENCE_PERSONS: 50,
  MATCH_RATIO: 0.92,
  MATCH_AMBIGUOUS: 'new',
  MATCH_UNSURE_BAND: 0,
  MATCH_MIN_FACE_PX: 40,
  MATCH_MIN_SHARPNESS: 5,
  MATCH_MAX_YAW: 0.4,
};
const hit = (personId: string, distance: number): NearestFace => ({
  faceId: `${personId.slice(0, 8)}-f`,
  personId,
  personNumber: personId === A ? 1 : 2,
  personName: null,
  distance,
});
const face = (quality?: MatchFaces.Request['faces'][number]['quality']): MatchFaces.Request['faces'][number] => ({
  box: { x: 0, y: 0, width: 100, height: 100 },
  encoding: new Array(128).fill(0),
  crop: '',
  ...(quality && { quality }),
});

function decider(centroids: Record<string, number>, persons: number, excluded: string[] = [], config = CONFIG) {
  const faces = strictMock<FaceRepository>('faces', {
    nearest: jest.fn().mockResolvedValue(
      Object.entries(centroids)
        .map(([id, d]) => hit(id, d))
        .sort((x, y) => x.distance - y.distance),
    ),
    personDistances: jest.fn(async (_tx: Tx, _e: readonly number[], ids: readonly string[]) =>
      ids.map((personId) => ({ personId, distance: centroids[personId], faces: 2 })),
    ) as never,
    countPersons: jest.fn().mockResolvedValue(persons),
  });
  const constraints = strictMock<MatchConstraints>('constraints', {
    excludedPersons: jest.fn(async (_tx: Tx, fs: readonly unknown[]) => fs.map(() => new Set(excluded))) as never,
  });
  return { decider: new Decider(config, faces, constraints), faces, constraints };
}

describe('Decider', () => {
  it('accepts a person within 0.56 in a small gallery, and tightens with its size (0.533 at 1,070 persons)', async () => {
    const small = await decider({ [A]: 0.545 }, 60).decider.decide(TX, [face()]);
    expect(small.decisions[0].verdict).toMatchObject({ kind: 'match', person: { personId: A, distance: 0.545 } });
    expect(small.threshold).toBeCloseTo(0.56 - 0.02 * Math.log10(60 / 50), 10);
    const large = await decider({ [A]: 0.545 }, 1070).decider.decide(TX, [face()]);
    expect(large.decisions[0].verdict).toEqual({ kind: 'new' });
    expect(large.threshold).toBeCloseTo(0.5334, 4);
  });

  it('never chooses a person the constraints exclude for the face', async () => {
    const { decider: d, constraints } = decider({ [A]: 0.2, [B]: 0.5 }, 10, [A]);
    const out = await d.decide(TX, [face()]);
    expect(out.decisions[0].verdict).toMatchObject({ kind: 'match', person: { personId: B } });
    expect(constraints.excludedPersons).toHaveBeenCalledWith(TX, [face()]);
  });

  it('refuses constraints that do not answer for every face', async () => {
    const { decider: d, constraints } = decider({ [A]: 0.2 }, 10);
    constraints.excludedPersons.mockResolvedValue([]);
    await expect(d.decide(TX, [face()])).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('marks poor faces as not admitted to the gallery, and lets a request override the distance', async () => {
    const { decider: d } = decider({ [A]: 0.45 }, 10);
    const out = await d.decide(
      TX,
      [face({ faceWidth: 30, sharpness: 50 }), face({ faceWidth: 120, sharpness: 50, yaw: 0.1 })],
      0.4,
    );
    expect(out.threshold).toBe(0.4);
    expect(out.decisions.map((x) => [x.verdict.kind, x.admit])).toEqual([
      ['unsure', false],
      ['new', true],
    ]);
  });

  it('under MATCH_RULE=nearest scores persons by their nearest face against THRESHOLD, and never counts persons', async () => {
    const { decider: d, faces } = decider({ [A]: 0.58 }, 10, [], { ...CONFIG, MATCH_RULE: 'nearest' });
    faces.countPersons.mockImplementation(() => {
      throw new Error('not needed');
    });
    const out = await d.decide(TX, [face({ faceWidth: 10, sharpness: 0 })]);
    expect(out).toEqual({
      threshold: 0.6,
      decisions: [
        { verdict: { kind: 'match', person: expect.objectContaining({ personId: A, distance: 0.58 }) }, admit: true },
      ],
    });
    expect(faces.personDistances).not.toHaveBeenCalled();
  });
  it('compares a tracked face by its pooled encoding, keeps the track person for a poor face, and admits by the face itself', async () => {
    const { decider: d, faces } = decider({ [A]: 0.5, [B]: 0.7 }, 10);
    const pooledEnc = new Array(128).fill(0.01);
    const poorFace = face({ faceWidth: 30, sharpness: 50 });
    const out = await d.decide(TX, [poorFace], undefined, [{ encoding: pooledEnc, good: false, personId: B }]);
    expect(faces.nearest).toHaveBeenCalledWith(TX, pooledEnc, 64, 400);
    // A matches the pooled evidence clearly: the track follows it rather than its earlier person
    expect(out.decisions[0]).toEqual({
      verdict: expect.objectContaining({ kind: 'match', person: expect.objectContaining({ personId: A }) }),
      admit: false,
    });
    const far = await decider({ [B]: 0.62 }, 10).decider.decide(TX, [poorFace], undefined, [
      { encoding: pooledEnc, good: false, personId: B },
    ]);
    expect(far.decisions[0].verdict).toMatchObject({ kind: 'match', person: { personId: B, distance: 0.62 } });
  });

  it('lets the pool decide whether a tracked face may start a person', async () => {
    const { decider: d } = decider({}, 10);
    const sharp = face({ faceWidth: 120, sharpness: 50 });
    const out = await d.decide(TX, [sharp, sharp], undefined, [
      { encoding: sharp.encoding, good: false, personId: null },
      undefined,
    ]);
    expect(out.decisions.map((x) => [x.verdict.kind, x.admit])).toEqual([
      ['unsure', true],
      ['new', true],
    ]);
  });
});
