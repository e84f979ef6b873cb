import { GlimpseError } from '@glimpse/platform';

/** Which Glimpse service answers a subject, so that errors can say which part is down. */
export function serviceOfSubject(subject: string): string {
  if (subject.startsWith('glimpse.frame.')) return 'recognizer';
  if (subject.startsWith('glimpse.matcher.')) return 'matcher';
  if (subject.startsWith('glimpse.capture.')) return 'capture';
  if (subject.startsWith('glimpse.health.')) return subject.slice('glimpse.health.'.length);
  return 'Glimpse';
}

/**
 * Rewrites bus failures into messages a user can act on: which service is not running or too
 * slow, or that the Python worker is down. Other errors pass through unchanged.
 */
export function explainUpstream(err: unknown): unknown {
  if (!(err instanceof GlimpseError)) return err;
  const missing = /no service is answering (\S+)/.exec(err.message);
  if (err.code === 'SERVICE_UNAVAILABLE' && missing) {
    const service = serviceOfSubject(missing[1]);
    return new GlimpseError(
      'SERVICE_UNAVAILABLE',
      `the ${service} service is not running (no service is answering ${missing[1]})`,
      {
        cause: err,
      },
    );
  }
  const slow = /^(\S+) did not answer in time/.exec(err.message);
  if (err.code === 'TIMEOUT' && slow) {
    return new GlimpseError('TIMEOUT', `the ${serviceOfSubject(slow[1])} service did not answer in time (${slow[1]})`, {
      cause: err,
    });
  }
  if (err.code === 'WORKER_UNAVAILABLE' && !/worker/i.test(err.message)) {
    return new GlimpseError('WORKER_UNAVAILABLE', `the face recognition worker is unavailable: ${err.message}`, {
      cause: err,
    });
  }
  return err;
}

export async function upstream<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw explainUpstream(err);
  }
}
