import type { Database } from './database/database';
import type { FaceRepository } from './face.repository';
import { MatcherMetrics } from './matcher.metrics';
import type { PersonRepository } from './person.repository';
import { strictMock } from '@glimpse/testing';

function setup() {
  const db = strictMock<Database>('db', {
    transaction: jest.fn(async (fn: (tx: unknown) => Promise<unknown>) => fn('tx')) as never,
  });
  const faces = strictMock<FaceRepository>('faces', {
    nearest: jest.fn(async () => [
      { faceId: 'f', personId: 'p', personNumber: 1, personName: null, distance: 0.3 },
    ]) as never,
    insert: jest.fn(async () => 'face-1') as never,
  });
  const persons = strictMock<PersonRepository>('persons', {
    create: jest.fn(async () => ({ id: 'p', number: 1 })) as never,
  });
  const metrics = new MatcherMetrics(false);
  const originals = {
    transaction: db.transaction,
    nearest: faces.nearest,
    insert: faces.insert,
    create: persons.create,
  };
  metrics.instrument(db, faces, persons);
  const lines = async (name: string) =>
    (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith(name));
  return { db, faces, persons, metrics, originals, lines };
}

describe('MatcherMetrics', () => {
  it('times transactions and nearest-face searches and counts stored faces and new persons', async () => {
    const { db, faces, persons, originals, lines } = setup();
    const out = await db.transaction(async (tx) => {
      await faces.nearest(tx, [0.1], 1, 400);
      await persons.create(tx, new Date());
      return faces.insert(tx, {} as never);
    });
    expect(out).toBe('face-1');
    expect(originals.nearest).toHaveBeenCalledWith('tx', [0.1], 1, 400);
    expect(originals.create).toHaveBeenCalledTimes(1);
    await expect(db.transaction(async () => Promise.reject(new Error('conflict')))).rejects.toThrow('conflict');
    expect(await lines('glimpse_matcher_db_transaction_seconds_count')).toEqual([
      'glimpse_matcher_db_transaction_seconds_count{outcome="commit"} 1',
      'glimpse_matcher_db_transaction_seconds_count{outcome="rollback"} 1',
    ]);
    expect(await lines('glimpse_matcher_nearest_seconds_count')).toEqual(['glimpse_matcher_nearest_seconds_count 1']);
    expect(await lines('glimpse_matcher_faces_stored_total')).toEqual(['glimpse_matcher_faces_stored_total 1']);
    expect(await lines('glimpse_matcher_persons_created_total')).toEqual(['glimpse_matcher_persons_created_total 1']);
  });

  it('does not count a face whose insert failed', async () => {
    const { faces, originals, lines } = setup();
    (originals.insert as jest.Mock).mockRejectedValueOnce(new Error('disk full'));
    await expect(faces.insert('tx' as never, {} as never)).rejects.toThrow('disk full');
    expect(await lines('glimpse_matcher_faces_stored_total')).toEqual(['glimpse_matcher_faces_stored_total 0']);
  });

  it('reads the outbox backlog on scrape and keeps the last value when the count does not answer', async () => {
    const { metrics, lines } = setup();
    const pending = jest
      .fn<Promise<number>, []>()
      .mockResolvedValueOnce(7)
      .mockReturnValueOnce(new Promise(() => undefined));
    metrics.countOutboxWith(pending);
    expect(await lines('glimpse_matcher_outbox_pending')).toEqual(['glimpse_matcher_outbox_pending 7']);
    const started = Date.now();
    expect(await lines('glimpse_matcher_outbox_pending')).toEqual(['glimpse_matcher_outbox_pending 7']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(pending).toHaveBeenCalledTimes(2);
  });
});
