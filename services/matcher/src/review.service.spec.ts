import type { Person } from '@glimpse/contracts';
import type { CannotLinkRepository } from './cannot-link.repository';
import { pairKey } from './cannot-link.repository';
import type { PersonRepository } from './person.repository';
import type { FaceEdge } from './review';
import type { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';
import { strictMock } from '@glimpse/testing';

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const person = (n: number, name: string | null = null, faceCount = 1): Person => ({
  id: id(n),
  number: n,
  name,
  faceCount,
  createdAt: '2026-12-06T07:00:00.000Z',
  lastSeenAt: '2026-12-06T07:00:00.000Z',
  coverFaceId: null,
});
const fe = (a: number, b: number, distance: number): FaceEdge => ({
  faceA: `f${a}`,
  personA: id(a),
  faceB: `f${b}`,
  personB: id(b),
  distance,
});

function setup(edges: FaceEdge[], people: Person[], linked: string[] = []) {
  const repo = strictMock<ReviewRepository>('review', {
    unnamed: jest.fn().mockResolvedValue({ ids: people.filter((p) => !p.name).map((p) => p.id), total: 10 }),
    neighbours: jest.fn().mockResolvedValue(edges),
    newestFaces: jest.fn(async (ids: readonly string[]) => new Map(ids.map((x) => [x, [`newest-${x.slice(-1)}`]]))),
  });
  const persons = strictMock<PersonRepository>('persons', {
    summary: jest.fn(async (x: string) => people.find((p) => p.id === x) ?? null),
  });
  const links = strictMock<CannotLinkRepository>('links', {
    linkedPersonPairs: jest.fn().mockResolvedValue(new Set(linked)),
  });
  const service = new ReviewService({ THRESHOLD: 0.55 }, repo, persons, links);
  return { service, repo, links };
}

describe('ReviewService', () => {
  it('asks for a bounded neighbour search at the threshold and groups look-alikes, the named one first', async () => {
    const people = [person(1), person(2, 'Ann', 4), person(3), person(4)];
    const { service, repo } = setup([fe(1, 2, 0.4), fe(2, 1, 0.45), fe(3, 4, 0.5)], people);
    const reply = await service.list({ limit: 20, persons: 3 });
    expect(repo.unnamed).toHaveBeenCalledWith(3);
    expect(repo.neighbours).toHaveBeenCalledWith({
      personIds: [id(1), id(3), id(4)],
      facesPerPerson: 3,
      k: 20,
      maxDistance: 0.55,
      efSearch: 40,
    });
    expect(reply).toMatchObject({ maxDistance: 0.55, consideredPersons: 3, truncated: true });
    expect(reply.groups.map((g) => g.persons.map((m) => m.person.number))).toEqual([
      [2, 1],
      [3, 4],
    ]);
    expect(reply.groups[0]).toMatchObject({
      distance: 0.4,
      pairs: [{ a: id(1), b: id(2), distance: 0.4, faceA: 'f1', faceB: 'f2' }],
    });
    // the faces that matched first, then the newest
    expect(reply.groups[0].persons[1].faceIds).toEqual(['f1', 'newest-1']);
  });

  it('leaves out cannot-linked pairs, groups of named persons only, and honours the limit', async () => {
    const people = [person(1), person(2), person(3, 'Bo'), person(4, 'Cy')];
    const { service } = setup([fe(1, 2, 0.3), fe(3, 4, 0.2)], people, [pairKey(id(1), id(2))]);
    expect((await service.list({ limit: 20, persons: 300 })).groups).toEqual([]);
    const more = [...people, person(5), person(6)];
    const { service: s2 } = setup([fe(1, 2, 0.3), fe(1, 3, 0.2), fe(2, 3, 0.25), fe(5, 6, 0.1)], more);
    const two = await s2.list({ limit: 2, persons: 300, maxDistance: 0.35 });
    expect(two.groups.map((g) => g.persons.map((m) => m.person.number))).toEqual([
      [5, 6],
      [3, 1, 2],
    ]);
    expect((await s2.list({ limit: 1, persons: 300, maxDistance: 0.35 })).groups).toHaveLength(1);
  });
});
