import { mergePlan, withoutPersons } from './review';
import type { Person, ReviewGroup } from './types';

const person = (id: string, over: Partial<Person> = {}): Person => ({
  id,
  number: Number(id.replace(/\D/g, '')) || 1,
  name: null,
  faceCount: 1,
  createdAt: '',
  lastSeenAt: '',
  coverFaceId: null,
  coverUrl: null,
  ...over,
});
const group = (...persons: Person[]): ReviewGroup => ({
  distance: 0.4,
  persons: persons.map((p) => ({ person: p, faces: [] })),
  pairs: [{ a: persons[0].id, b: persons[1].id, distance: 0.4, faceA: 'f1', faceB: 'f2' }],
});

describe('mergePlan', () => {
  it('merges into the named person, else the one with the most faces', () => {
    expect(mergePlan(group(person('p1', { faceCount: 9 }), person('p2', { name: 'Ann' }))).target.id).toBe('p2');
    const plan = mergePlan(group(person('p1', { faceCount: 2 }), person('p2', { faceCount: 5 }), person('p3')));
    expect(plan.target.id).toBe('p2');
    expect(plan.sources.map((p) => p.id)).toEqual(['p1', 'p3']);
  });
});

describe('withoutPersons', () => {
  it('drops the persons that are gone, and the group once fewer than two remain', () => {
    const g = group(person('p1'), person('p2'), person('p3'));
    expect(withoutPersons(g, new Set(['p3']))!.persons.map((m) => m.person.id)).toEqual(['p1', 'p2']);
    expect(withoutPersons(g, new Set(['p1']))!.pairs).toEqual([]);
    expect(withoutPersons(g, new Set(['p1', 'p2']))).toBeNull();
  });
});
