import { GlimpseError } from '@glimpse/platform';
import { bodyError, formatBytes } from './upload';

const limit = () => new GlimpseError('IMAGE_TOO_LARGE', 'image is larger than 20 MiB (MAX_UPLOAD_BYTES)');
const code = (err: unknown) => (err as GlimpseError).code;

describe('bodyError', () => {
  it('maps parser failures to clear GlimpseErrors', () => {
    const multer = (c: string, field?: string) => Object.assign(new Error(c), { name: 'MulterError', code: c, field });
    expect(bodyError(multer('LIMIT_FILE_SIZE'), limit, 'image')).toEqual(limit());
    const unexpected = bodyError(multer('LIMIT_UNEXPECTED_FILE', 'photo'), limit, 'image') as GlimpseError;
    expect(unexpected.code).toBe('INVALID_REQUEST');
    expect(unexpected.message).toMatch(/unexpected file field 'photo'.*'image' field/);
    expect(code(bodyError(Object.assign(new Error('too large'), { type: 'entity.too.large' }), limit, 'image'))).toBe(
      'IMAGE_TOO_LARGE',
    );
    const json = bodyError(
      Object.assign(new SyntaxError('Unexpected end of JSON input'), { type: 'entity.parse.failed' }),
      limit,
      'JSON',
    );
    expect((json as Error).message).toBe('malformed JSON body: Unexpected end of JSON input');
    expect(code(bodyError(new Error('Unexpected end of form'), limit, 'image'))).toBe('INVALID_REQUEST');
    expect(code(bodyError(Object.assign(new Error('x'), { type: 'encoding.unsupported' }), limit, 'image'))).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('leaves unknown errors alone (they become 500s)', () => {
    const e = new Error('EACCES');
    expect(bodyError(e, limit, 'video')).toBe(e);
  });

  it('formats sizes for messages', () => {
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MiB');
    expect(formatBytes(65536)).toBe('64 KiB');
    expect(formatBytes(12)).toBe('12 bytes');
  });
});

describe('body limits', () => {
  /** The problem a tiny app answers to `body`, through the parser under test and toProblem. */
  async function answer(parser: import('express').RequestHandler, body: string, contentType: string) {
    const express = (await import('express')).default;
    const { toProblem } = await import('./problem');
    const app = express();
    app.post('/', parser, (_req, res) => void res.status(204).end());
    app.use((err: unknown, _req: import('express').Request, res: import('express').Response, _next: unknown) => {
      const { problem } = toProblem(err);
      res.status(problem.status).json(problem);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
      return { status: res.status, body: (await res.json()) as { code: string; detail: string } };
    } finally {
      server.close();
    }
  }

  it('answers a too-large JSON or SDP body with 413 BODY_TOO_LARGE, not IMAGE_TOO_LARGE', async () => {
    const { jsonBodyParser, sdpBodyParser } = await import('./upload');
    const json = await answer(jsonBodyParser(1024), JSON.stringify({ pad: 'x'.repeat(4096) }), 'application/json');
    expect(json).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE', detail: expect.stringMatching(/JSON body is larger than 1 KiB/) },
    });
    const sdp = await answer(sdpBodyParser(1024), `v=0\r\n${'a=x'.padEnd(4096, 'x')}\r\n`, 'application/sdp');
    expect(sdp).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE', detail: expect.stringMatching(/SDP offer/) },
    });
  });
});
