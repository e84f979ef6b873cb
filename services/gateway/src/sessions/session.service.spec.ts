import { Logger } from '@nestjs/common';
import { loadGatewayConfig } from '../config';
import { HttpProblem, toProblem } from '../problem';
import { SessionService, type SessionModeProvider } from './session.service';

const SECRET = 'k'.repeat(40);

function service(env: Record<string, string> = { SESSION_SECRET: SECRET }, provider?: SessionModeProvider) {
  return new SessionService(loadGatewayConfig(env), provider);
}

const problemOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpProblem);
    return { ...toProblem(err).problem, headers: (err as HttpProblem).headers };
  }
  throw new Error('expected a problem');
};

afterEach(() => jest.restoreAllMocks());

describe('SessionService', () => {
  it('creates a WHIP session whose token names its session and stream', async () => {
    const s = service();
    const info = await s.create({ threshold: 0.5 });
    expect(info).toEqual({
      sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      token: expect.any(String),
      expiresAt: expect.any(String),
      streamId: expect.stringMatching(/^live_[A-Za-z0-9_-]{12}$/),
      whipUrl: `/api/v1/whip/${info.sessionId}`,
      mode: 'whip',
    });
    expect(Date.parse(info.expiresAt) - Date.now()).toBeGreaterThan(3590_000);
    expect(s.authorize(info.token, { sessionId: info.sessionId, streamId: info.streamId })).toMatchObject({
      sid: info.sessionId,
      streamId: info.streamId,
      thr: 0.5,
    });
  });

  it('answers 401 with a Bearer challenge for missing, forged and expired tokens', async () => {
    const s = service({ SESSION_SECRET: SECRET, SESSION_TTL_S: '10' });
    expect(problemOf(() => s.verify(undefined))).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      headers: { 'WWW-Authenticate': 'Bearer realm="glimpse"' },
    });
    const other = await service({ SESSION_SECRET: 'o'.repeat(40) }).create();
    expect(problemOf(() => s.verify(other.token))).toMatchObject({
      status: 401,
      detail: expect.stringMatching(/wrong signature/),
      headers: { 'WWW-Authenticate': expect.stringMatching(/invalid_token/) },
    });
    const mine = await s.create();
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 11_000);
    expect(problemOf(() => s.verify(mine.token))).toMatchObject({
      status: 401,
      detail: expect.stringMatching(/expired/),
    });
  });

  it("answers 403 for another session's or stream's token", async () => {
    const s = service();
    const a = await s.create();
    const b = await s.create();
    expect(problemOf(() => s.authorize(a.token, { sessionId: b.sessionId }))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(problemOf(() => s.authorize(a.token, { streamId: b.streamId }))).toMatchObject({ status: 403 });
  });

  it('signs with a random key, and warns, when SESSION_SECRET is unset', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const a = service({});
    const b = service({});
    expect(warn.mock.calls[0][0]).toMatch(/SESSION_SECRET is not set/);
    const info = await a.create();
    expect(a.verify(info.token).sid).toBe(info.sessionId);
    expect(() => b.verify(info.token)).toThrow(HttpProblem);
  });

  it('hands OpenVidu sessions to the provider, and refuses them without one', async () => {
    await expect(service().create({ mode: 'openvidu' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/not enabled/),
    });
    const prepare = jest.fn(async () => ({ openvidu: { token: 'wss://ov?sessionId=ses_1&token=tok_1' } }));
    const info = await service(undefined, { mode: 'openvidu', prepare }).create({ mode: 'openvidu', threshold: 0.4 });
    expect(info).toMatchObject({ mode: 'openvidu', openvidu: { token: expect.stringMatching(/^wss:/) } });
    expect(prepare).toHaveBeenCalledWith(
      expect.objectContaining({ sessionId: info.sessionId }),
      expect.objectContaining({ thr: 0.4 }),
    );
  });
});
