import { FrameLiveness, FrameLostError } from './frame-liveness';

const beat = (instanceId: string, frames: string[], intervalMs = 500) => ({ instanceId, intervalMs, frames });

describe('FrameLiveness', () => {
  let t = 0;
  const now = () => t;
  const settledWith = async (p: Promise<FrameLostError>) =>
    Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);

  beforeEach(() => (t = 1_000_000));

  it('calls a frame lost once its holder has not listed it for the silence window, naming the holder', async () => {
    const l = new FrameLiveness(1_500, now);
    l.heard(beat('r-9', []));
    const w = l.watch('frame_aaaaaaaa');
    t += 1_000;
    l.heard(beat('r-1', ['frame_aaaaaaaa']));
    t += 1_500;
    l.check();
    expect(await settledWith(w.lost)).toBe('pending');
    t += 1;
    l.check();
    const lost = await settledWith(w.lost);
    expect(lost).toBeInstanceOf(FrameLostError);
    expect(lost).toMatchObject({ code: 'SERVICE_UNAVAILABLE', holder: 'r-1', frameId: 'frame_aaaaaaaa' });
    expect(l.size).toBe(0);
    l.close();
  });

  it('waits three of a slow holder’s intervals when they are longer than the window', async () => {
    const l = new FrameLiveness(1_000, now);
    const w = l.watch('frame_bbbbbbbb');
    l.heard(beat('r-1', ['frame_bbbbbbbb'], 2_000));
    t += 5_999;
    l.check();
    expect(await settledWith(w.lost)).toBe('pending');
    t += 2;
    l.check();
    expect(await settledWith(w.lost)).toMatchObject({ holder: 'r-1' });
    l.close();
  });

  it('calls lost a frame nobody acknowledged, but only while recognizers are known to beat', async () => {
    const l = new FrameLiveness(1_000, now);
    const w = l.watch('frame_cccccccc');
    t += 5_000;
    l.check(); // no heartbeat ever heard: older recognizers, nothing is called lost
    expect(await settledWith(w.lost)).toBe('pending');
    l.heard(beat('r-2', ['someone_else']));
    l.check();
    expect(await settledWith(w.lost)).toMatchObject({
      holder: undefined,
      message: expect.stringMatching(/no instance acknowledged/),
    });
    l.close();
  });

  it('forgets a stopped watch: nothing is called lost, and no timer is left running', async () => {
    const l = new FrameLiveness(1_000, now);
    l.heard(beat('r-1', []));
    const w = l.watch('frame_dddddddd');
    w.stop();
    t += 10_000;
    l.check();
    expect(await settledWith(w.lost)).toBe('pending');
    expect(l.size).toBe(0);
  });
});
