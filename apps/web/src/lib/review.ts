import type { Person, ReviewGroup } from './types';

/**
 * Who a reviewed group merges into: a named person when there is one (the group is most likely them),
 * else the one with the most faces; the rest are merged into it in turn.
 */
export function mergePlan(group: Pick<ReviewGroup, 'persons'>): { target: Person; sources: Person[] } {
  const people = group.persons.map((m) => m.person);
  const target = [...people].sort(
    (a, b) => Number(a.name === null) - Number(b.name === null) || b.faceCount - a.faceCount || a.number - b.number,
  )[0];
  return { target, sources: people.filter((p) => p.id !== target.id) };
}

/** A group without the persons that are gone (merged away, deleted); null once fewer than two remain. */
export function withoutPersons(group: ReviewGroup, gone: ReadonlySet<string>): ReviewGroup | null {
  const persons = group.persons.filter((m) => !gone.has(m.person.id));
  if (persons.length < 2) return null;
  return { ...group, persons, pairs: group.pairs.filter((p) => !gone.has(p.a) && !gone.has(p.b)) };
}
