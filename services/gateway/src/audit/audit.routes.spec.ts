import 'reflect-metadata';
import { AppModule } from '../app.module';
import { controllersOfModule, routesOf } from '../auth/route-table';
import { loadGatewayConfig } from '../config';
import { auditCountOf, touched } from './audit.routes';

const P1 = '11111111-1111-4111-8111-111111111111';
const P2 = '22222222-2222-4222-8222-222222222222';
const F1 = 'ffffffff-ffff-4fff-8fff-ffffffffffff';

const controllers = controllersOfModule(AppModule.forRoot(loadGatewayConfig({})));
/** `METHOD template` → the route and the face count its handler declares with @Audited. */
const AUDITED = new Map(
  routesOf(controllers).flatMap((e) => {
    const [cls, method] = e.handler.split('.');
    const count = auditCountOf(controllers.find((c) => c.name === cls)!.prototype[method]);
    return count ? [[`${e.method} ${e.template}` as string, { entry: e, count }] as const] : [];
  }),
);

const count = (route: string) => AUDITED.get(route)!.count;

describe('audited routes', () => {
  it('are none of them public', () => {
    expect(AUDITED.size).toBeGreaterThan(20);
    for (const [route, { entry }] of AUDITED)
      expect({ route, access: entry.access.public }).toEqual({ route, access: false });
  });

  it('include every person, face, sighting and recognition route', () => {
    for (const r of [
      'POST /api/v1/recognize',
      'POST /api/v1/encode',
      'POST /api/v1/search',
      'POST /api/v1/verify',
      'GET /api/v1/faces/:id/crop',
      'DELETE /api/v1/persons/:id',
      'GET /api/v1/persons/:id/export',
      'GET /api/v1/sightings',
      'POST /api/v1/streams',
      'POST /api/v1/sessions',
    ]) {
      expect(AUDITED.has(r)).toBe(true);
    }
  });

  it('include the camera frames (snapshot, test connection), counting the faces the handler noted', () => {
    for (const r of ['GET /api/v1/cameras/:id/snapshot', 'POST /api/v1/cameras/test']) {
      expect(AUDITED.has(r)).toBe(true);
      expect(count(r)({ params: {}, body: undefined, reply: undefined, noted: { faces: 3 } })).toBe(3);
    }
  });
});

describe('touched', () => {
  it('reads the person of /persons/:id routes and the faces of a detail reply', () => {
    const reply = { id: P1, coverFaceId: F1, faces: [{ id: F1 }, { id: F1 }] };
    expect(
      touched('/api/v1/persons/:id', count('GET /api/v1/persons/:id'), { params: { id: P1 }, body: undefined, reply }),
    ).toEqual({
      personIds: [P1],
      personsTruncated: false,
      faces: 2,
    });
  });

  it('collects persons of a recognize reply, a list, a move and a merge body, never face ids', () => {
    const recognize = { faces: [{ personId: P1, box: {} }, { personId: null }, { person: { id: P2 } }] };
    expect(
      touched('/api/v1/recognize', count('POST /api/v1/recognize'), { params: {}, body: undefined, reply: recognize }),
    ).toMatchObject({ personIds: [P1, P2], faces: 3 });
    const list = { items: [{ id: P1, coverFaceId: F1 }, { id: P2 }] };
    expect(
      touched('/api/v1/persons', count('GET /api/v1/persons'), { params: {}, body: undefined, reply: list }).personIds,
    ).toEqual([P1, P2]);
    const move = { faceId: F1, fromPersonId: P1, person: { id: P2 } };
    expect(
      touched('/api/v1/faces/:id/move', count('POST /api/v1/faces/:id/move'), {
        params: { id: F1 },
        body: { toPersonId: P2 },
        reply: move,
      }),
    ).toEqual({
      personIds: [P2, P1],
      personsTruncated: false,
      faces: 1,
    });
    const faces = { items: [{ id: F1, personId: P1 }] };
    expect(
      touched('/api/v1/faces', count('GET /api/v1/faces'), { params: {}, body: undefined, reply: faces }),
    ).toMatchObject({ personIds: [P1], faces: 1 });
  });

  it('takes what a handler noted, and caps the persons it lists', () => {
    expect(
      touched('/api/v1/persons/:id/export', count('GET /api/v1/persons/:id/export'), {
        params: { id: P1 },
        body: undefined,
        reply: {},
        noted: { faces: 7 },
      }),
    ).toMatchObject({ personIds: [P1], faces: 7 });
    const many = {
      personIds: Array.from({ length: 150 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    };
    const t = touched('/api/v1/review/different', count('POST /api/v1/review/different'), {
      params: {},
      body: many,
      reply: null,
    });
    expect(t.personIds).toHaveLength(100);
    expect(t.personsTruncated).toBe(true);
  });

  it('ignores values that are not ids and deep nesting', () => {
    let deep: Record<string, unknown> = { personId: P2 };
    for (let i = 0; i < 10; i++) deep = { x: deep };
    expect(
      touched('/api/v1/sightings', count('GET /api/v1/sightings'), {
        params: {},
        body: { personId: 'not-an-id' },
        reply: deep,
      }).personIds,
    ).toEqual([]);
  });
});
