import { parseClientMessage, recognitionMessage, serverMessageSchema, streamMessage } from './ws.messages';

describe('parseClientMessage', () => {
  it('accepts subscribe, unsubscribe and ping', () => {
    expect(parseClientMessage('{"type":"subscribe","streamId":"cam-1"}')).toEqual({
      ok: true,
      message: { type: 'subscribe', streamId: 'cam-1' },
    });
    expect(parseClientMessage(Buffer.from('{"type":"unsubscribe","streamId":"*"}'))).toEqual({
      ok: true,
      message: { type: 'unsubscribe', streamId: '*' },
    });
    expect(parseClientMessage('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
  });

  it('explains what is wrong', () => {
    const error = (raw: string, binary = false) => {
      const r = parseClientMessage(raw, binary);
      if (r.ok) throw new Error('expected an error');
      return r.error;
    };
    expect(error('not json')).toMatch(/not valid JSON/);
    expect(error('{"type":"dance"}')).toMatch(/type must be/);
    expect(error('{"type":"subscribe"}')).toMatch(/streamId/);
    expect(error('{"type":"subscribe","streamId":"../etc"}')).toMatch(/streamId/);
    expect(error('{"type":"subscribe","streamId":"a","extra":1}')).toMatch(/extra/);
    expect(error('{"type":"ping"}', true)).toMatch(/binary/);
    expect(error(JSON.stringify({ type: 'subscribe', streamId: 'x'.repeat(5000) }))).toMatch(/too long/);
  });
});

describe('recognitionMessage', () => {
  it('adds cropUrl and the stream id to each face', () => {
    const faceId = '4b0b6f8e-7d0e-4c7a-9a5e-8f0e2d7c1a11';
    const msg = JSON.parse(
      recognitionMessage({
        frame: { source: 'cam-1', seq: 3, capturedAt: '2026-01-01T00:00:00.000Z', width: 640, height: 480 },
        faces: [
          {
            faceId,
            box: { x: 1, y: 2, width: 3, height: 4 },
            personId: faceId,
            personNumber: 1,
            personName: null,
            isNew: true,
            distance: null,
            similarity: null,
          },
        ],
      }),
    );
    expect(msg).toMatchObject({ type: 'recognition', streamId: 'cam-1', frame: { seq: 3 } });
    expect(msg.faces[0].cropUrl).toBe(`/api/v1/faces/${faceId}/crop`);
    expect(serverMessageSchema.safeParse(msg).error).toBeUndefined();
  });
});

describe('serverMessageSchema, the schema the web client gets its types from', () => {
  it('describes the stream messages the gateway sends', () => {
    const stream = {
      id: 'cam-1',
      url: 'rtsp://cam/1',
      fps: 2,
      state: 'failed' as const,
      error: 'capture worker lost',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:01:00.000Z',
      framesCaptured: 10,
      framesSkipped: 0,
      framesProcessed: 9,
      framesFailed: 1,
      instance: 'capture-1',
    };
    expect(serverMessageSchema.parse(JSON.parse(streamMessage(stream)))).toEqual({ type: 'stream', stream });
  });

  it('refuses what the web client could not read', () => {
    expect(serverMessageSchema.safeParse({ type: 'recognition', streamId: 'cam-1' }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'error' }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'error', message: 'x', code: 'TEAPOT' }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'pong', extra: 1 }).success).toBe(false);
  });
});
