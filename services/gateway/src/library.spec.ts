import { GlimpseError } from '@glimpse/platform';
import { enrollReply, searchReply, apiSighting } from './api-schemas';
import {
  displayName,
  enrollFace,
  largestFace,
  personsQuery,
  sightingsQuery,
  soleFace,
  toApiSighting,
  toEnrollResponse,
  toSearchResponse,
} from './library';
import { validate } from './zod.pipe';

const P = '11111111-1111-4111-8111-111111111111';
const F = '22222222-2222-4222-8222-222222222222';
const NOW = '2026-01-01T00:00:00.000Z';
const face = (w: number) => ({ box: { x: 0, y: 0, width: w, height: w }, encoding: Array(128).fill(0) });
const person = { id: P, number: 3, name: 'Ann', faceCount: 1, createdAt: NOW, lastSeenAt: NOW, coverFaceId: F };

describe('library mappings', () => {
  it('types the persons filters from query strings', () => {
    expect(
      validate(personsQuery, { named: 'false', seenSince: '2026-01-01T01:00:00+01:00', page: '2' }, 'query'),
    ).toEqual({
      page: 2,
      pageSize: 50,
      named: false,
      seenSince: NOW,
    });
    expect(() => validate(personsQuery, { seenBefore: 'yesterday' }, 'query')).toThrow(/seenBefore/);
    expect(() => validate(personsQuery, { nam: 'x' }, 'query')).toThrow(/nam/);
  });

  it('refuses a bad sighting state or person id', () => {
    expect(() => validate(sightingsQuery, { state: 'closed' }, 'query')).toThrow(/state/);
    expect(() => validate(sightingsQuery, { personId: '42' }, 'query')).toThrow(/personId/);
  });

  it('wants exactly one face per enrollment photo', () => {
    expect(soleFace([face(5)], 'a.jpg')).toEqual(face(5));
    expect(() => soleFace([], 'blank.png')).toThrow(new GlimpseError('INVALID_IMAGE', 'no face found in blank.png'));
    expect(() => soleFace([face(1), face(2), face(3)], 'group.jpg')).toThrow(
      '3 faces found in group.jpg; enrollment needs exactly one',
    );
  });

  it('needs a crop and quality per enrolled face', () => {
    expect(() => enrollFace(face(5))).toThrow(/no face crops/);
    const quality = { faceWidth: 5, sharpness: 120 };
    expect(enrollFace({ ...face(5), crop: 'aGk=', quality })).toEqual({ ...face(5), crop: 'aGk=', quality });
  });

  it('picks the largest face', () => {
    expect(largestFace([face(2), face(9), face(4)])?.box.width).toBe(9);
    expect(largestFace([])).toBeUndefined();
  });

  it('maps enrollment, search and sightings to the documented shapes', () => {
    const similar = { personId: F, personNumber: 1, personName: null, distance: 0.4, similarity: 80 };
    const enrolled = toEnrollResponse({ person, created: true, faceIds: [F], similarPersons: [similar] }, [
      face(5).box,
    ]);
    expect(enrollReply.parse(enrolled)).toMatchObject({
      id: P,
      coverUrl: `/api/v1/faces/${F}/crop`,
      faces: [{ id: F, cropUrl: `/api/v1/faces/${F}/crop` }],
    });
    const result = {
      personId: P,
      personNumber: 3,
      personName: 'Ann',
      faceId: F,
      distance: 0.3,
      similarity: 90,
      match: true,
    };
    expect(searchReply.parse(toSearchResponse(face(5), { threshold: 0.6, results: [result] })).results[0].cropUrl).toBe(
      `/api/v1/faces/${F}/crop`,
    );
    const s = {
      id: F,
      personId: P,
      personNumber: 3,
      personName: null,
      streamId: 'cam',
      startedAt: NOW,
      lastSeenAt: NOW,
      endedAt: null,
      frames: 2,
      bestFaceId: null,
    };
    expect(apiSighting.parse(toApiSighting(s)).cropUrl).toBeNull();
  });

  it('keeps file names printable', () => {
    expect(displayName('a/../b\n.jpg', 'x')).toBe('a_.._b_.jpg');
    expect(displayName('', 'image #2')).toBe('image #2');
  });
});
