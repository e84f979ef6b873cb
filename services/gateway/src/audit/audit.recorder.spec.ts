import { randomUUID } from 'node:crypto';
import type { AuditRecord } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { AuditRecorder } from './audit.recorder';

const rec = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  id: randomUUID(),
  at: new Date().toISOString(),
  actor: { kind: 'key', id: 'k1' },
  method: 'GET',
  route: '/api/v1/persons/:id',
  status: 200,
  personIds: [],
  personsTruncated: false,
  faces: 0,
  ip: '127.0.0.1',
  ...over,
});

function setup(max = 3) {
  const request = jest.fn();
  const recorder = new AuditRecorder({ request } as unknown as Bus, { AUDIT_BUFFER_MAX: max, AUDIT_FLUSH_MS: 10 });
  return { request, recorder };
}

describe('AuditRecorder', () => {
  it('sends buffered records in one batch and forgets them once the matcher stored them', async () => {
    const { request, recorder } = setup();
    request.mockResolvedValue({ stored: 2 });
    const [a, b] = [rec(), rec()];
    recorder.record(a);
    recorder.record(b);
    expect(request).not.toHaveBeenCalled();
    expect(await recorder.flush()).toBe(true);
    expect(request.mock.calls[0][1]).toEqual({ records: [a, b] });
    expect(recorder.pending).toBe(0);
    expect(recorder.sent).toBe(2);
  });

  it('keeps records while the matcher is unreachable and sends them again later, the same ids', async () => {
    const { request, recorder } = setup();
    // the backoff reads the clock: held still, then moved past it (a busy machine must not decide the test)
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    request.mockRejectedValueOnce(new GlimpseError('SERVICE_UNAVAILABLE', 'no matcher'));
    const a = rec();
    recorder.record(a);
    expect(await recorder.flush()).toBe(false);
    expect(recorder.pending).toBe(1);
    expect(await recorder.flush()).toBe(false); // backing off: not sent again at once
    expect(request).toHaveBeenCalledTimes(1);
    now += 30; // past the first backoff (2 × AUDIT_FLUSH_MS)
    clock.mockImplementation(() => now);
    request.mockResolvedValue({ stored: 1 });
    expect(await recorder.flush()).toBe(true);
    expect(request.mock.calls[1][1].records[0].id).toBe(a.id);
    clock.mockRestore();
  });

  it('is bounded: past AUDIT_BUFFER_MAX the oldest records are dropped and counted', () => {
    const { recorder } = setup(3);
    const all = Array.from({ length: 5 }, () => rec());
    for (const r of all) recorder.record(r);
    expect(recorder.pending).toBe(3);
    expect(recorder.dropped).toBe(2);
  });

  it('drops a record that breaks the contract at once, and a batch the matcher refuses', async () => {
    const { request, recorder } = setup();
    recorder.record(rec({ route: 'x'.repeat(500) }));
    expect(recorder.pending).toBe(0);
    expect(recorder.dropped).toBe(1);
    recorder.record(rec());
    request.mockRejectedValueOnce(new GlimpseError('INVALID_REQUEST', 'bad'));
    await recorder.flush();
    expect(recorder.pending).toBe(0);
    expect(recorder.dropped).toBe(2);
  });

  it('record() never waits for the bus', () => {
    const { request, recorder } = setup(10_000);
    request.mockReturnValue(new Promise(() => undefined));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) recorder.record(rec());
    const perRecordUs = Number(process.hrtime.bigint() - t0) / 1e3 / 1000;
    expect(request).not.toHaveBeenCalled();
    expect(perRecordUs).toBeLessThan(1000);
  });
});
