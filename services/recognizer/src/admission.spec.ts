import { Admission, ShedError } from './admission';

/** Resolution order of promises, without waiting on wall time. */
const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('Admission', () => {
  it('runs `slots` frames, queues up to maxQueue in order, and refuses the next at once', async () => {
    const a = new Admission(2, 2);
    await a.acquire();
    await a.acquire();
    const third = a.acquire();
    const fourth = a.acquire();
    expect(a.queued).toBe(2);
    const fifth = a.acquire();
    await expect(fifth).rejects.toMatchObject({ name: 'ShedError', reason: 'queue_full', code: 'OVERLOADED' });
    expect(await settled(third)).toBe('pending');
    a.release();
    expect(await settled(third)).toBe('resolved');
    expect(await settled(fourth)).toBe('pending');
    a.release();
    expect(await settled(fourth)).toBe('resolved');
    expect({ running: a.running, queued: a.queued, peak: a.peakQueued }).toEqual({ running: 2, queued: 0, peak: 2 });
    a.release();
    a.release();
    expect(a.running).toBe(0);
  });

  it('with maxQueue 0 never lets a frame wait', async () => {
    const a = new Admission(1, 0);
    await a.acquire();
    await expect(a.acquire()).rejects.toBeInstanceOf(ShedError);
    a.release();
    await expect(a.acquire()).resolves.toBeUndefined();
  });

  it('refuses a frame whose deadline has already passed, even with a free slot', async () => {
    const a = new Admission(1, 1, () => 1_000);
    await expect(a.acquire(1_000)).rejects.toMatchObject({ reason: 'expired', code: 'TIMEOUT' });
    expect(a.running).toBe(0);
  });

  it('drops a queued frame when its requester stops waiting, freeing its place', async () => {
    jest.useFakeTimers();
    try {
      const a = new Admission(1, 1);
      await a.acquire();
      const waiting = a.acquire(Date.now() + 500);
      const outcome = waiting.catch((e: unknown) => e);
      jest.advanceTimersByTime(501);
      expect(await outcome).toMatchObject({ reason: 'expired', code: 'TIMEOUT' });
      expect(a.queued).toBe(0);
      // the slot it never got is still the first frame's; the queue has room again
      const next = a.acquire();
      a.release();
      await expect(next).resolves.toBeUndefined();
      expect(a.running).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a frame served before its deadline keeps no timer', async () => {
    jest.useFakeTimers();
    try {
      const a = new Admission(1, 1);
      await a.acquire();
      const waiting = a.acquire(Date.now() + 500);
      a.release();
      await expect(waiting).resolves.toBeUndefined();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
