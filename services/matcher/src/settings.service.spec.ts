import { ThresholdSet } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { SETTING_THRESHOLD, type SettingsRepository } from './settings.repository';
import { SettingsService } from './settings.service';
import { strictMock } from '@glimpse/testing';

const AT = new Date('2026-12-06T07:00:00.000Z');

function setup(stored: string | null) {
  const config = { THRESHOLD: 0.6 };
  let value = stored;
  const repo = strictMock<SettingsRepository>('settings', {
    get: jest.fn(async () => (value === null ? null : { value, updatedAt: AT })),
    put: jest.fn(async (_k: string, v: string) => {
      value = v;
      return { value: v, updatedAt: AT };
    }),
    remove: jest.fn(async () => {
      value = null;
    }),
  });
  const bus = strictMock<Bus>('bus', { publish: jest.fn(), subscribe: jest.fn() });
  return { config, repo, bus, service: new SettingsService(config, repo, bus) };
}

describe('SettingsService', () => {
  it('uses the stored threshold from start-up on, in the shared config every decision reads', async () => {
    const { config, service } = setup('0.48');
    await service.onModuleInit();
    expect(config.THRESHOLD).toBe(0.48);
    expect(service.get()).toEqual({ threshold: 0.48, origin: 'applied', updatedAt: AT.toISOString() });
  });

  it('ignores a stored value that is not a threshold, keeping THRESHOLD', async () => {
    const { config, service } = setup('banana');
    await service.onModuleInit();
    expect(config.THRESHOLD).toBe(0.6);
    expect(service.get().origin).toBe('config');
  });

  it('stores, applies and announces a new threshold; null goes back to THRESHOLD', async () => {
    const { config, repo, bus, service } = setup(null);
    await service.onModuleInit();
    await expect(service.set({ threshold: 0.5 })).resolves.toEqual({
      threshold: 0.5,
      origin: 'applied',
      updatedAt: AT.toISOString(),
    });
    expect(repo.put).toHaveBeenCalledWith(SETTING_THRESHOLD, '0.5');
    expect(config.THRESHOLD).toBe(0.5);
    expect(bus.publish).toHaveBeenCalledWith(ThresholdSet.changed, [], { threshold: 0.5 });
    await expect(service.set({ threshold: null })).resolves.toEqual({
      threshold: 0.6,
      origin: 'config',
      updatedAt: null,
    });
    expect(repo.remove).toHaveBeenCalledWith(SETTING_THRESHOLD);
    expect(config.THRESHOLD).toBe(0.6);
  });

  it('keeps the stored change when the announcement fails (others read it at their next start)', async () => {
    const { bus, service } = setup(null);
    bus.publish.mockImplementation(() => {
      throw new Error('draining');
    });
    await expect(service.set({ threshold: 0.55 })).resolves.toMatchObject({ threshold: 0.55, origin: 'applied' });
  });
});
