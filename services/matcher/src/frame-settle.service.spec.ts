import { FrameSettle, type MatchFaces } from '@glimpse/contracts';
import { Logger } from '@nestjs/common';
import type { Bus } from '@glimpse/platform';
import type { Database, Tx } from './database/database';
import type { FaceRepository } from './face.repository';
import { ABANDONED, type FrameLedgerRepository } from './frame-ledger.repository';
import { FrameSettleService } from './frame-settle.service';
import { strictMock } from '@glimpse/testing';

const TX = { tx: 'the settle transaction' } as unknown as Tx;
const FRAME_ID = 'frame_settle_0001';
const stored: MatchFaces.Reply = {
  faces: [
    {
      faceId: '11111111-1111-4111-8111-111111111111',
      box: { x: 1, y: 2, width: 30, height: 40 },
      personId: '22222222-2222-4222-8222-222222222222',
      personNumber: 3,
      personName: null,
      isNew: true,
      distance: null,
      similarity: null,
    },
  ],
};

function setup(recorded: MatchFaces.Reply | typeof ABANDONED | null) {
  const db = strictMock<Database>('db', { transaction: jest.fn((fn: (tx: Tx) => unknown) => fn(TX)) as never });
  const faces = strictMock<FaceRepository>('faces', { lockForMatching: jest.fn().mockResolvedValue(undefined) });
  const ledger = strictMock<FrameLedgerRepository>('ledger', {
    find: jest.fn().mockResolvedValue(recorded),
    abandon: jest.fn().mockResolvedValue(undefined),
  });
  const handle = jest.fn();
  const bus = strictMock<Bus>('bus', { handle });
  return { service: new FrameSettleService(bus, db, faces, ledger), faces, ledger, handle };
}

describe('FrameSettleService', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));

  it('answers FrameSettle in the matcher queue group', () => {
    const { service, handle } = setup(null);
    service.onApplicationBootstrap();
    expect(handle).toHaveBeenCalledWith(FrameSettle.contract, expect.any(Function), { queue: 'matcher' });
  });

  it('records a frame never stored as abandoned, after the MATCHING lock, so a late MatchFaces stores nothing', async () => {
    const { service, faces, ledger } = setup(null);
    expect(await service.settle({ frameId: FRAME_ID })).toEqual({ state: 'abandoned' });
    expect(ledger.find).toHaveBeenCalledWith(TX, FRAME_ID);
    expect(ledger.abandon).toHaveBeenCalledWith(TX, FRAME_ID);
    expect(faces.lockForMatching.mock.invocationCallOrder[0]).toBeLessThan(ledger.find.mock.invocationCallOrder[0]);
  });

  it('answers a stored frame with the faces it was stored with, and writes nothing', async () => {
    const { service, ledger } = setup(stored);
    const reply = await service.settle({ frameId: FRAME_ID });
    expect(FrameSettle.reply.parse(reply)).toEqual({ state: 'stored', faces: stored.faces });
    expect(ledger.abandon).not.toHaveBeenCalled();
  });

  it('answers a frame settled before as abandoned again without a second row', async () => {
    const { service, ledger } = setup(ABANDONED);
    expect(await service.settle({ frameId: FRAME_ID })).toEqual({ state: 'abandoned' });
    expect(ledger.abandon).not.toHaveBeenCalled();
  });
});
