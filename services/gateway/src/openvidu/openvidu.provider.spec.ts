import { OpenViduSubscribe } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { OpenViduProvider, publicUrlOf } from './openvidu.provider';
import type { OpenViduRepository, OpenViduRoom } from './openvidu.repository';

const CFG = { url: 'http://openvidu:5443', secret: 's', timeoutMs: 1000 };
const token = (role: string) => `wss://ov.example.com:4443?sessionId=ses_1&token=tok_${role}`;

function setup(subscribe: () => Promise<unknown>) {
  const room = {
    sessionId: 'ses_1',
    createConnection: jest.fn(async (role: string) => ({ connectionId: `con_${role}`, token: token(role) })),
    close: jest.fn(async () => undefined),
  } satisfies OpenViduRoom;
  const repo = { createSession: jest.fn(async () => room) } as unknown as OpenViduRepository;
  const request = jest.fn(subscribe);
  const bus = { request } as unknown as Bus;
  return { provider: new OpenViduProvider(bus, CFG, 2500, repo), room, request };
}

describe('OpenViduProvider', () => {
  it('makes a PUBLISHER token for the browser and has a capture worker join with a SUBSCRIBER token', async () => {
    const { provider, room, request } = setup(async () => ({
      streamId: 'live_1',
      instance: 'c-1',
      connectionId: 'con_x',
      publisherFound: false,
    }));
    const info = await provider.createMediaSession({ sessionId: 'sid', streamId: 'live_1', threshold: 0.5 });
    expect(info).toEqual({ sessionId: 'ses_1', token: token('PUBLISHER'), serverUrl: 'https://ov.example.com:4443' });
    expect(room.createConnection.mock.calls.map((c) => c[0])).toEqual(['PUBLISHER', 'SUBSCRIBER']);
    expect(request).toHaveBeenCalledWith(
      OpenViduSubscribe.contract,
      { streamId: 'live_1', subscriberToken: token('SUBSCRIBER'), serverUrl: CFG.url, threshold: 0.5 },
      2500,
    );
    expect(room.close).not.toHaveBeenCalled();
  });

  it('closes the OpenVidu session when no capture worker joins, and says which service is missing', async () => {
    const noCapture = new GlimpseError('SERVICE_UNAVAILABLE', `no service is answering ${OpenViduSubscribe.subject}`);
    const { provider, room } = setup(async () => Promise.reject(noCapture));
    await expect(provider.createMediaSession({ sessionId: 'sid', streamId: 'live_1' })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/^the capture service is not running/),
    });
    expect(room.close).toHaveBeenCalledTimes(1);
  });

  it('adds what openvidu-browser needs to the session', async () => {
    const { provider } = setup(async () => ({
      streamId: 'live_1',
      instance: 'c-1',
      connectionId: 'con_x',
      publisherFound: false,
    }));
    const session = {
      sessionId: 'sid',
      token: 't',
      expiresAt: '',
      streamId: 'live_1',
      whipUrl: '',
      mode: 'openvidu' as const,
    };
    expect(await provider.prepare(session, { sid: 'sid', streamId: 'live_1', exp: 1 })).toEqual({
      openvidu: { sessionId: 'ses_1', token: token('PUBLISHER'), serverUrl: 'https://ov.example.com:4443' },
    });
  });
});

describe('publicUrlOf', () => {
  it('turns a token into the server address it names', () => {
    expect(publicUrlOf('wss://ov.example.com?sessionId=a&token=b')).toBe('https://ov.example.com');
    expect(publicUrlOf('ws://127.0.0.1:4443?sessionId=a&token=b')).toBe('http://127.0.0.1:4443');
    expect(publicUrlOf('nonsense')).toBe('');
  });
});
