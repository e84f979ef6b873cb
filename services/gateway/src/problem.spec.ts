import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { codeForStatus, sanitizeDetail, toProblem } from './problem';
import { explainUpstream, serviceOfSubject } from './upstream';

describe('toProblem', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it.each(codes.filter((c) => ERROR_CODES[c].status < 500))(
    'maps GlimpseError %s to its HTTP status with the message as detail',
    (code) => {
      const { problem, internal } = toProblem(new GlimpseError(code, `something about ${code}`));
      expect(problem).toEqual({
        type: `urn:glimpse:problem:${code.toLowerCase().replace(/_/g, '-')}`,
        title: expect.any(String),
        status: ERROR_CODES[code].status,
        detail: `something about ${code}`,
        code,
      });
      expect(internal).toBe(false);
    },
  );

  it('never shows the message of a 5xx error unless it is one of the public sentences', () => {
    const leaky: Array<[ErrorCode, string]> = [
      ['WORKER_UNAVAILABLE', 'face recognition worker unavailable at http://10.0.0.7:8001: ECONNREFUSED'],
      ['SERVICE_UNAVAILABLE', 'cannot run ffmpeg (/usr/local/bin/ffmpeg): spawn EACCES'],
      ['SERVICE_UNAVAILABLE', 'cannot connect to NATS at nats://user:pw@nats:4222'],
      ['TIMEOUT', 'glimpse.frame.recognize did not answer in time'],
    ];
    for (const [code, message] of leaky) {
      const { problem } = toProblem(new GlimpseError(code, message));
      expect(problem.status).toBeGreaterThanOrEqual(500);
      expect(problem.detail).not.toMatch(/http:|nats:|\/usr|ECONN|EACCES|glimpse\./);
      expect(problem.detail).toMatch(/unavailable|did not answer/);
    }
    for (const message of [
      'the recognizer service is not running (no service is answering glimpse.frame.recognize)',
      'the capture service did not answer in time (glimpse.capture.streams.start)',
      'capture instance at capacity (16 streams)',
    ]) {
      expect(toProblem(new GlimpseError('SERVICE_UNAVAILABLE', message)).problem.detail).toBe(message);
    }
    expect(
      toProblem(explainUpstream(new GlimpseError('WORKER_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:8001'))).problem
        .detail,
    ).toBe('the face recognition worker is unavailable; retry later');
  });

  it('hides the message of INTERNAL errors and of anything unexpected', () => {
    for (const err of [
      new GlimpseError('INTERNAL', 'reply breaks its contract: secret'),
      new Error('at /srv/app/x.js:1:2'),
      'boom',
      null,
    ]) {
      const { problem, internal } = toProblem(err);
      expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'internal error' });
      expect(internal).toBe(true);
    }
  });

  it('maps the statuses the API uses', () => {
    expect(ERROR_CODES.WORKER_UNAVAILABLE.status).toBe(503);
    expect(toProblem(new GlimpseError('WORKER_UNAVAILABLE', 'worker down')).problem.status).toBe(503);
    expect(toProblem(new GlimpseError('SERVICE_UNAVAILABLE', 'x')).problem.status).toBe(503);
    expect(toProblem(new GlimpseError('TIMEOUT', 'x')).problem.status).toBe(504);
    expect(toProblem(new GlimpseError('INVALID_IMAGE', 'x')).problem.status).toBe(400);
    expect(toProblem(new GlimpseError('IMAGE_TOO_LARGE', 'x')).problem.status).toBe(413);
    expect(toProblem(new GlimpseError('NOT_FOUND', 'x')).problem.status).toBe(404);
  });

  it("maps Nest's HttpExceptions", () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope')).problem).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'Cannot GET /nope',
    });
    expect(toProblem(new BadRequestException(['a is bad', 'b is bad'])).problem).toMatchObject({
      status: 400,
      detail: 'a is bad; b is bad',
    });
    expect(toProblem(new PayloadTooLargeException()).problem).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    expect(toProblem(new HttpException('teapot', 418)).problem).toMatchObject({ status: 418, code: 'INVALID_REQUEST' });
  });

  it('maps body-parser style errors (http-errors) that are safe to show', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
    });
    expect(toProblem(tooLarge).problem).toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
      detail: 'request entity too large',
    });
    const hidden = Object.assign(new Error('secret'), { status: 400, expose: false });
    expect(toProblem(hidden).problem.status).toBe(500);
  });

  it('maps every status to a code', () => {
    expect(codeForStatus(400)).toBe('INVALID_REQUEST');
    expect(codeForStatus(404)).toBe('NOT_FOUND');
    expect(codeForStatus(409)).toBe('CONFLICT');
    expect(codeForStatus(413)).toBe('BODY_TOO_LARGE');
    expect(codeForStatus(415)).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(codeForStatus(503)).toBe('SERVICE_UNAVAILABLE');
    expect(codeForStatus(504)).toBe('TIMEOUT');
    expect(codeForStatus(502)).toBe('INTERNAL');
  });
});

describe('sanitizeDetail', () => {
  it('drops stack frames and source paths', () => {
    const detail = sanitizeDetail('bad thing at Foo.bar (/srv/glimpse/dist/x.js:10:5)\n    at next (/srv/y.js:1:1)');
    expect(detail).toBe('bad thing');
    expect(sanitizeDetail('failed in /app/services/gateway/dist/image.js:12')).toBe('failed in <source>');
    expect(sanitizeDetail('x'.repeat(5000))).toHaveLength(1000);
  });
});

describe('explainUpstream', () => {
  it('names the service that is not running', () => {
    const err = explainUpstream(
      new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.frame.recognize'),
    ) as GlimpseError;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toMatch(/^the recognizer service is not running/);
    const nested = explainUpstream(
      new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.matcher.match'),
    ) as GlimpseError;
    expect(nested.message).toMatch(/matcher/);
  });

  it('names the service that timed out', () => {
    const err = explainUpstream(
      new GlimpseError('TIMEOUT', 'glimpse.capture.streams.start did not answer in time'),
    ) as GlimpseError;
    expect(err.message).toMatch(/the capture service did not answer in time/);
  });

  it('says the worker is down', () => {
    expect((explainUpstream(new GlimpseError('WORKER_UNAVAILABLE', 'connection refused')) as Error).message).toMatch(
      /worker/,
    );
    const already = new GlimpseError('WORKER_UNAVAILABLE', 'all workers failed');
    expect(explainUpstream(already)).toBe(already);
  });

  it('passes other errors through', () => {
    const e = new GlimpseError('NOT_FOUND', 'no person');
    expect(explainUpstream(e)).toBe(e);
    expect(serviceOfSubject('glimpse.health.matcher')).toBe('matcher');
  });
});
