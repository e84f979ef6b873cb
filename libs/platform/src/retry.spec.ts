import { GlimpseError } from './errors';
import { withRetries, type RetryDeps } from './retry';

/** A clock that only moves when the code under test sleeps or an attempt says it took time. */
function fakeDeps() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  const deps: RetryDeps = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { deps, sleeps, advance: (ms: number) => (t += ms), at: () => t };
}

const unavailable = () => new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.x');

describe('withRetries', () => {
  it('retries transient failures with the given pauses and returns the first success', async () => {
    const f = fakeDeps();
    const attempt = jest
      .fn()
      .mockRejectedValueOnce(unavailable())
      .mockRejectedValueOnce(new GlimpseError('TIMEOUT', 'late'))
      .mockResolvedValue('ok');
    const onRetry = jest.fn();
    const out = await withRetries(
      attempt,
      { delaysMs: [100, 500], deadline: f.at() + 10_000, attemptMs: 3000, onRetry },
      f.deps,
    );
    expect(out).toBe('ok');
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(f.sleeps).toEqual([100, 500]);
    expect(onRetry.mock.calls.map(([e, n, d]) => [e.code, n, d])).toEqual([
      ['SERVICE_UNAVAILABLE', 1, 100],
      ['TIMEOUT', 2, 500],
    ]);
  });

  it('gives each attempt at most attemptMs, and never more than the time left before the deadline', async () => {
    const f = fakeDeps();
    const deadline = f.at() + 5000;
    const timeouts: number[] = [];
    const attempt = jest.fn(async (ms: number) => {
      timeouts.push(ms);
      f.advance(ms); // each attempt times out
      throw new GlimpseError('TIMEOUT', 'late');
    });
    await expect(
      withRetries(attempt, { delaysMs: [100, 100, 100], deadline, attemptMs: 2000 }, f.deps),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(timeouts).toEqual([2000, 2000, 800]);
  });

  it('throws the last failure when the retries are used up', async () => {
    const f = fakeDeps();
    const errors = [unavailable(), unavailable(), unavailable()];
    const attempt = jest.fn();
    for (const e of errors) attempt.mockRejectedValueOnce(e);
    await expect(
      withRetries(attempt, { delaysMs: [10, 20], deadline: f.at() + 60_000, attemptMs: 1000 }, f.deps),
    ).rejects.toBe(errors[2]);
    expect(attempt).toHaveBeenCalledTimes(3);
  });

  it('never retries a failure that is not transient, nor a plain Error', async () => {
    for (const err of [
      new GlimpseError('INVALID_IMAGE', 'not a picture'),
      new GlimpseError('INTERNAL', 'bug'),
      new Error('boom'),
    ]) {
      const f = fakeDeps();
      const attempt = jest.fn().mockRejectedValue(err);
      await expect(
        withRetries(attempt, { delaysMs: [10, 20], deadline: f.at() + 60_000, attemptMs: 1000 }, f.deps),
      ).rejects.toBe(err);
      expect(attempt).toHaveBeenCalledTimes(1);
      expect(f.sleeps).toEqual([]);
    }
  });

  it('does not start an attempt that the deadline would cut shorter than minAttemptMs', async () => {
    const f = fakeDeps();
    const attempt = jest.fn(async () => {
      f.advance(900);
      throw unavailable();
    });
    await expect(
      withRetries(
        attempt,
        { delaysMs: [100, 100], deadline: f.at() + 1200, attemptMs: 1000, minAttemptMs: 250 },
        f.deps,
      ),
    ).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('lets the caller choose what is retryable', async () => {
    const f = fakeDeps();
    const attempt = jest.fn().mockRejectedValueOnce(new GlimpseError('TIMEOUT', 'late')).mockResolvedValue(1);
    const onlyNoResponders = (e: GlimpseError) => e.code === 'SERVICE_UNAVAILABLE';
    await expect(
      withRetries(
        attempt,
        { delaysMs: [10], deadline: f.at() + 60_000, attemptMs: 1000, retryable: onlyNoResponders },
        f.deps,
      ),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
