import { Inject, Injectable } from '@nestjs/common';
import { ReviewList, type Person, type z } from '@glimpse/contracts';
import { CannotLinkRepository } from './cannot-link.repository';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { PersonRepository } from './person.repository';
import { averageLinkage, personEdges, type PersonEdge } from './review';
import { ReviewRepository } from './review.repository';

/** Probe faces per unnamed person, and nearest faces looked up per probe. */
const PROBES_PER_PERSON = 3;
const NEIGHBOURS = 20;
/** Faces shown per person of a group. */
const FACES_SHOWN = 4;
/** HNSW candidate list per probe: about 10x cheaper than matching's default of 400. */
const REVIEW_EF_SEARCH = 2 * NEIGHBOURS;

/** "Who is this?": groups of likely duplicate persons for a person to merge, name or tell apart. */
@Injectable()
export class ReviewService {
  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'THRESHOLD'>,
    private readonly repo: ReviewRepository,
    private readonly persons: PersonRepository,
    private readonly links: CannotLinkRepository,
  ) {}

  async list(req: z.output<typeof ReviewList.request>): Promise<ReviewList.Reply> {
    const maxDistance = req.maxDistance ?? this.config.THRESHOLD;
    const { ids, total } = await this.repo.unnamed(req.persons);
    const faceEdges = await this.repo.neighbours({
      personIds: ids,
      facesPerPerson: PROBES_PER_PERSON,
      k: NEIGHBOURS,
      maxDistance,
      // a review can miss a rare neighbour (it is asked again later); matching cannot, so it searches wider
      efSearch: REVIEW_EF_SEARCH,
    });
    const involved = [...new Set(faceEdges.flatMap((e) => [e.personA, e.personB]))];
    const edges = personEdges(faceEdges, await this.links.linkedPersonPairs(involved));
    const clusters = averageLinkage(edges, maxDistance);
    const groups: ReviewList.Group[] = [];
    for (const members of clusters.filter((c) => c.length > 1)) {
      const group = await this.group(members, edges);
      if (group) groups.push(group);
    }
    groups.sort((a, b) => a.distance - b.distance);
    return {
      maxDistance,
      consideredPersons: ids.length,
      truncated: total > ids.length,
      groups: groups.slice(0, req.limit),
    };
  }

  /** A group as the client shows it, or null when every member is named (nothing to ask) or one is gone. */
  private async group(members: string[], all: readonly PersonEdge[]): Promise<ReviewList.Group | null> {
    const inside = new Set(members);
    const pairs = all.filter((e) => inside.has(e.a) && inside.has(e.b)).sort((x, y) => x.distance - y.distance);
    const people: Person[] = [];
    for (const id of members) {
      const p = await this.persons.summary(id);
      if (!p) return null; // deleted meanwhile
      people.push(p);
    }
    if (people.every((p) => p.name !== null)) return null;
    const newest = await this.repo.newestFaces(members, FACES_SHOWN);
    const shown = (id: string) => {
      const fromPairs = pairs.flatMap((e) => (e.a === id ? [e.faceA] : e.b === id ? [e.faceB] : []));
      return [...new Set([...fromPairs, ...(newest.get(id) ?? [])])].slice(0, FACES_SHOWN);
    };
    // named persons first: the group is most likely them
    people.sort(
      (x, y) => Number(x.name === null) - Number(y.name === null) || y.faceCount - x.faceCount || x.number - y.number,
    );
    return {
      distance: pairs[0]?.distance ?? 0,
      persons: people.map((person) => ({ person, faceIds: shown(person.id) })),
      pairs: pairs.map((e) => ({ a: e.a, b: e.b, distance: e.distance, faceA: e.faceA, faceB: e.faceB })),
    };
  }
}
