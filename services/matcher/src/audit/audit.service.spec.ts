import { Logger } from '@nestjs/common';
import { AuditService } from './audit.service';
import type { AuditRepository } from './audit.repository';
import type { Clock } from '../clock';
import { loadMatcherConfig } from '../config';

const NOW = new Date('2026-12-06T08:00:00.000Z');

function setup(days: number) {
  const repo = {
    prune: jest.fn().mockResolvedValue(3),
    append: jest.fn(),
    list: jest.fn(),
    sealState: jest.fn().mockResolvedValue('sealed'),
    setRetention: jest.fn().mockResolvedValue(days),
  };
  const clock = { now: () => NOW } as Clock;
  const service = new AuditService(repo as unknown as AuditRepository, clock, {
    AUDIT_RETENTION_DAYS: days,
    RETENTION_INTERVAL_MS: 60_000,
  });
  return { repo, service };
}

describe('AuditService', () => {
  it('prunes records older than AUDIT_RETENTION_DAYS', async () => {
    const { repo, service } = setup(30);
    expect(await service.prune()).toBe(3);
    expect(repo.prune).toHaveBeenCalledWith(new Date('2026-11-06T08:00:00.000Z'));
  });

  it('keeps records forever with 0: the retention job never starts', async () => {
    const { repo, service } = setup(0);
    await service.onApplicationBootstrap();
    await service.onModuleDestroy();
    expect(repo.prune).not.toHaveBeenCalled();
    expect(repo.setRetention).toHaveBeenCalledWith(0, true);
  });

  it('warns loudly at start-up and in its health detail when the trail is not sealed', async () => {
    const { repo, service } = setup(0);
    repo.sealState.mockResolvedValue('unsealed');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await service.onApplicationBootstrap();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/AUDIT TRAIL NOT SEALED.*20-audit-owner\.sql/));
      expect(service.health().detail).toMatch(/NOT SEALED/);
      expect(repo.setRetention).toHaveBeenCalledWith(0, false);
    } finally {
      warn.mockRestore();
      await service.onModuleDestroy();
    }
  });

  it('lists with dates parsed and the page echoed', async () => {
    const { repo, service } = setup(30);
    repo.list.mockResolvedValue({ items: [], total: 0 });
    const reply = await service.list({ page: 2, pageSize: 10, actorId: 'k1', since: '2026-12-01T00:00:00.000Z' });
    expect(repo.list).toHaveBeenCalledWith({
      page: 2,
      pageSize: 10,
      actorId: 'k1',
      since: new Date('2026-12-01T00:00:00.000Z'),
      until: undefined,
    });
    expect(reply).toEqual({ items: [], total: 0, page: 2, pageSize: 10 });
  });
});

describe('AUDIT_RETENTION_DAYS', () => {
  it('defaults to 180 days; 0 keeps forever; less than a day is refused (the trigger keeps the last day)', () => {
    expect(loadMatcherConfig({}).AUDIT_RETENTION_DAYS).toBe(180);
    expect(loadMatcherConfig({ AUDIT_RETENTION_DAYS: '0' }).AUDIT_RETENTION_DAYS).toBe(0);
    expect(() => loadMatcherConfig({ AUDIT_RETENTION_DAYS: '0.5' })).toThrow(
      /AUDIT_RETENTION_DAYS: must be 0 \(forever\) or at least 1/,
    );
  });
});
