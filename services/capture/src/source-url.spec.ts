import { pathToFileURL } from 'node:url';
import { GlimpseError } from '@glimpse/platform';
import { parseSourceUrl, redact, redactUrl } from './source-url';

async function rejection(url: string, loop = false): Promise<GlimpseError> {
  const err = await parseSourceUrl(url, loop).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlimpseError);
  expect((err as GlimpseError).code).toBe('INVALID_REQUEST');
  return err as GlimpseError;
}

describe('parseSourceUrl', () => {
  it('accepts an existing file by absolute path or file: URL', async () => {
    await expect(parseSourceUrl(__filename)).resolves.toEqual({ kind: 'file', path: __filename, loop: false });
    await expect(parseSourceUrl(pathToFileURL(__filename).href, true)).resolves.toEqual({
      kind: 'file',
      path: __filename,
      loop: true,
    });
  });

  it('accepts rtsp, rtsps, http and https URLs', async () => {
    for (const url of [
      'rtsp://cam.local:554/stream1',
      'rtsps://cam/x',
      'http://host/a.mjpg',
      'https://host/live.m3u8',
    ]) {
      await expect(parseSourceUrl(url)).resolves.toMatchObject({ kind: 'network', url, secrets: [] });
    }
  });

  it('keeps a camera password out of sight', async () => {
    const spec = await parseSourceUrl('rtsp://admin:s%40cret@cam/live');
    expect(spec).toMatchObject({ kind: 'network', secrets: ['s%40cret', 's@cret'] });
    expect(redactUrl('rtsp://admin:s%40cret@cam/live')).toBe('rtsp://admin:***@cam/live');
    expect(redactUrl('/videos/a.mp4')).toBe('/videos/a.mp4');
    expect(redact('rtsp://admin:s@cret@cam: 401 Unauthorized', ['s@cret'])).toBe(
      'rtsp://admin:***@cam: 401 Unauthorized',
    );
  });

  it('says "file not found" for a missing file', async () => {
    expect((await rejection('/definitely/not/here.mp4')).message).toMatch(/file not found/);
    expect((await rejection('file:///definitely/not/here.mp4')).message).toMatch(/file not found/);
  });

  it('refuses directories, relative paths, other schemes and looping a network source', async () => {
    expect((await rejection('/')).message).toMatch(/not a regular file/);
    expect((await rejection('videos/a.mp4')).message).toMatch(/absolute path/);
    expect((await rejection('ftp://x')).message).toMatch(/unsupported URL scheme 'ftp:'/);
    expect((await rejection('javascript:alert(1)')).message).toMatch(/unsupported URL scheme/);
    expect((await rejection('file://remote-host/share/a.mp4')).message).toMatch(/bad file URL/);
    expect((await rejection('rtsp://cam/live', true)).message).toMatch(/loop applies to files only/);
  });
});

describe('redactUrlIn', () => {
  it('hides the password of a URL in free text, also percent-encoded and in URLs too broken to parse', () => {
    const { redactUrlIn } = jest.requireActual<typeof import('./source-url')>('./source-url');
    expect(redactUrlIn('cannot open rtsp://u:p%40ss@h/x (p@ss)', 'rtsp://u:p%40ss@h/x')).toBe(
      'cannot open rtsp://u:***@h/x (***)',
    );
    expect(redactUrlIn("not a URL: 'rtsp://u:se cret@[bad/x'", 'rtsp://u:se cret@[bad/x')).toBe(
      "not a URL: 'rtsp://***@[bad/x'",
    );
    expect(redactUrlIn('nothing to hide', 'rtsp://h/x')).toBe('nothing to hide');
  });
});

describe('credentials in the query string', () => {
  const url = 'rtsp://8.8.8.8/live?user=admin&password=S3cr3t&PWD=p%40ss&Token=tk1&api_key=k-9&channel=1';

  it('masks the values of credential-like parameters, case-insensitively, and keeps the rest', () => {
    expect(redactUrl(url)).toBe('rtsp://8.8.8.8/live?user=admin&password=***&PWD=***&Token=***&api_key=***&channel=1');
    expect(redactUrl('rtsp://a:b@h/x?passwd=z')).toBe('rtsp://a:***@h/x?passwd=***');
    expect(redactUrl('rtsp://h/x?channel=1&subtype=0')).toBe('rtsp://h/x?channel=1&subtype=0');
  });

  it('lists their values among the secrets ffmpeg stderr is scrubbed of', async () => {
    const spec = await parseSourceUrl(url);
    expect(spec.kind === 'network' && spec.secrets).toEqual(
      expect.arrayContaining(['S3cr3t', 'p%40ss', 'p@ss', 'tk1', 'k-9']),
    );
    expect(spec.kind === 'network' && spec.secrets).not.toContain('admin');
    const { redactUrlIn } = jest.requireActual<typeof import('./source-url')>('./source-url');
    const stderr = `[rtsp @ 0x1] method DESCRIBE failed: 401 ${url} (password S3cr3t, p@ss)`;
    const out = redactUrlIn(stderr, url);
    for (const s of ['S3cr3t', 'p%40ss', 'p@ss', 'tk1', 'k-9']) expect(out).not.toContain(s);
    expect(out).toContain('user=admin');
  });
});

describe('a URL that does not parse', () => {
  const { redactUrlIn } = jest.requireActual<typeof import('./source-url')>('./source-url');

  it('hides a password holding @ and never rewrites the rest of the text', () => {
    const url = 'rtsp://admin:p@ss@host:99999/x';
    const reason = redactUrlIn(`not a URL or absolute path: '${url}'; expected an rtsp: URL`, url);
    expect(reason).toBe("not a URL or absolute path: 'rtsp://***@host:99999/x'; expected an rtsp: URL");
    expect(redactUrl(url)).toBe('rtsp://***@host:99999/x');
    expect(redactUrl('rtsp://u:pa/ss@h:99999/x?token=t0k')).toBe('rtsp://***@h:99999/x?token=***');
    expect(redactUrl('rtsp://u:pa?ss@h:99999/x')).not.toContain('ss');
  });
});
