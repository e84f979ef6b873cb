import { dependency, summarize } from './health.service';

const reply = (ok: boolean, checks: Record<string, { ok: boolean; detail?: string }>) => ({
  reply: { service: 'recognizer' as const, instance: 'r-1', ok, checks },
});

describe('health summaries', () => {
  it('reports a service and the failing checks it names', () => {
    expect(summarize(reply(true, {}))).toEqual({ ok: true, detail: 'instance r-1' });
    expect(summarize(reply(true, { nats: { ok: true, detail: 'nats-2 at 127.0.0.1:4223' } }))).toEqual({
      ok: true,
      detail: 'instance r-1 via nats-2 at 127.0.0.1:4223',
    });
    expect(
      summarize(reply(false, { worker: { ok: false, detail: 'connection refused' }, nats: { ok: true } })),
    ).toEqual({
      ok: false,
      detail: 'instance r-1 reports worker: connection refused',
    });
    expect(summarize({ error: 'the recognizer service is not running' })).toEqual({
      ok: false,
      detail: 'the recognizer service is not running',
    });
  });

  it("takes a dependency's check from its owner's reply", () => {
    expect(dependency(reply(false, { worker: { ok: false, detail: 'down' } }), 'worker', 'recognizer')).toEqual({
      ok: false,
      detail: 'down',
    });
    expect(
      dependency(
        reply(true, { 'worker:http://a': { ok: false }, 'worker:http://b': { ok: true, detail: 'up' } }),
        'worker',
        'recognizer',
      ),
    ).toEqual({
      ok: true,
      detail: 'worker:http://a; worker:http://b: up',
    });
    expect(dependency(reply(true, { db: { ok: true } }), 'database', 'matcher')).toEqual({ ok: true, detail: 'db' });
  });

  it('is unknown (not ok) when the owner does not answer, and follows the owner when unreported', () => {
    expect(dependency({ error: 'x' }, 'worker', 'recognizer')).toEqual({
      ok: false,
      detail: 'unknown: the recognizer service is not answering',
    });
    expect(dependency(reply(true, {}), 'worker', 'recognizer')).toEqual({
      ok: true,
      detail: 'not reported by the recognizer',
    });
  });
});
