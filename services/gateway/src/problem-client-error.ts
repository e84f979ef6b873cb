import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problem';

/** Node's parser error codes a client can fix, and what to tell it. */
const DETAILS: Record<string, string> = {
  HPE_INVALID_METHOD: 'invalid HTTP method: methods are case-sensitive (GET, POST, PATCH, DELETE …)',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'a request must not carry both Content-Length and Transfer-Encoding',
  HPE_INVALID_TRANSFER_ENCODING: 'invalid Transfer-Encoding (only chunked is accepted, last)',
  HPE_INVALID_CONTENT_LENGTH: 'invalid Content-Length',
  HPE_HEADER_OVERFLOW: 'the request headers are too large',
  ERR_HTTP_REQUEST_TIMEOUT: 'the request was not received in time',
};

const STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/** The raw HTTP/1.1 answer (problem+json, then close) to a request Node's parser refused. */
export function clientErrorResponse(code: string | undefined, message = ''): string {
  const status = (code && STATUS[code]) || 400;
  // llhttp reports both headers together as an invalid Transfer-Encoding: say what the fix is
  const both = /Content-Length/i.test(message) && /Transfer-Encoding/i.test(message);
  const detail = both ? DETAILS.HPE_UNEXPECTED_CONTENT_LENGTH! : (code && DETAILS[code]) || 'malformed HTTP request';
  const body = JSON.stringify(problemFor('INVALID_REQUEST', detail, status));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Answers requests Node's HTTP parser rejects (a lower-case method, Content-Length with Transfer-Encoding,
 * oversized headers) with a problem+json body like every other refusal, instead of Node's bare 400.
 * The socket is closed after the answer: the parser cannot tell where the next request would start.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // a reset or half-written connection has nobody left to answer
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code, err.message));
  });
}
