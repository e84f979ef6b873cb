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
    expect(code(bodyError(Object.assign(new Error('too large'), { type: 'entity.too.large' }), limit, 'image'))).toBe('IMAGE_TOO_LARGE');
    const json = bodyError(Object.assign(new SyntaxError('Unexpected end of JSON input'), { type: 'entity.parse.failed' }), limit, 'JSON');
    expect((json as Error).message).toBe('malformed JSON body: Unexpected end of JSON input');
    expect(code(bodyError(new Error('Unexpected end of form'), limit, 'image'))).toBe('INVALID_REQUEST');
    expect(code(bodyError(Object.assign(new Error('x'), { type: 'encoding.unsupported' }), limit, 'image'))).toBe('UNSUPPORTED_MEDIA_TYPE');
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
