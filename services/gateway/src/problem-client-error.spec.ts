import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerClientErrors } from './problem-client-error';

/** Sends raw bytes and returns everything the server answered before it closed. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(request));
    let out = '';
    sock.on('data', (c) => (out += c.toString()));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

describe('answerClientErrors', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    answerClientErrors(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const parse = (answer: string) => {
    const [head, body] = answer.split('\r\n\r\n');
    return {
      statusLine: head!.split('\r\n')[0],
      head: head!,
      problem: JSON.parse(body!) as { status: number; code: string; detail: string },
    };
  };

  it('answers a lower-case method with a problem+json 400', async () => {
    const a = parse(await raw(port, 'get /api/v1/persons HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(a.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(a.head).toMatch(/Content-Type: application\/problem\+json/);
    expect(a.problem).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      detail: expect.stringMatching(/case-sensitive/),
    });
  });

  it('answers Content-Length together with Transfer-Encoding with a problem+json 400', async () => {
    const a = parse(
      await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    );
    expect(a.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(a.problem).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      detail: expect.stringMatching(/Content-Length and Transfer-Encoding/),
    });
  });

  it('still serves well-formed requests', async () => {
    expect(await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 200 OK[\s\S]*ok$/,
    );
  });
});
