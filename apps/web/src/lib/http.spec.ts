import { ApiError, bearer, errorText, jsonInit, problemFrom, request, requestJson } from './http';

const res = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers });

describe('problemFrom', () => {
  it('reads an RFC 9457 problem', () => {
    const e = problemFrom(
      415,
      JSON.stringify({
        type: 'about:blank',
        title: 'Unsupported Media Type',
        status: 415,
        detail: 'send a JPEG or PNG',
        code: 'UNSUPPORTED_MEDIA_TYPE',
      }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({
      title: 'Unsupported Media Type',
      message: 'send a JPEG or PNG',
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('falls back to short text bodies and the status', () => {
    expect(problemFrom(503, 'worker down')).toMatchObject({ title: 'Service unavailable', message: 'worker down' });
    expect(problemFrom(502, '<html>bad</html>')).toMatchObject({ message: 'the server answered 502' });
    expect(problemFrom(418, '')).toMatchObject({ title: 'Request failed', message: 'the server answered 418' });
    expect(problemFrom(400, JSON.stringify({ message: 'nope' }))).toMatchObject({
      title: 'Bad request',
      message: 'nope',
    });
  });
});

describe('request', () => {
  it('returns ok responses and throws problems', async () => {
    const ok = jest.fn().mockResolvedValue(res(200, '{"a":1}'));
    expect(await requestJson('/x', undefined, ok)).toEqual({ a: 1 });
    const bad = jest.fn().mockResolvedValue(res(404, JSON.stringify({ title: 'Not Found', detail: 'no such person' })));
    await expect(request('/x', undefined, bad)).rejects.toMatchObject({ status: 404, message: 'no such person' });
  });

  it('turns network failures into a readable error', async () => {
    const down = jest.fn().mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(request('/x', undefined, down)).rejects.toMatchObject({ title: 'Network error', status: 0 });
  });

  it('builds JSON and bearer requests', () => {
    const init = jsonInit('PATCH', { threshold: 0.5 }, bearer('t0k'));
    expect(init).toEqual({
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer t0k' },
      body: '{"threshold":0.5}',
    });
  });

  it('describes anything thrown', () => {
    expect(errorText(new ApiError('T', 'd', 400))).toEqual({ title: 'T', detail: 'd' });
    expect(errorText(new Error('boom'))).toEqual({ title: 'Error', detail: 'boom' });
    expect(errorText('x')).toEqual({ title: 'Error', detail: 'x' });
  });
});
