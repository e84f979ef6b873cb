import { z } from 'zod';

/** C0 and C1 control characters and DEL: Postgres refuses NUL in text, and none belongs in a name or a search. */
// eslint-disable-next-line no-control-regex -- naming control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
/** Matches text without any of CONTROL_CHARS (for `z.string().regex`, which OpenAPI shows as a pattern). */
// eslint-disable-next-line no-control-regex -- naming control characters is the point
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;
export const CONTROL_CHARS_MESSAGE = 'must not contain control characters (NUL, newlines, tabs …)';

/** One line of text: trimmed, `min`–`max` characters, no control characters (a 400 that names the field). */
export const singleLineText = (min: number, max: number) =>
  z.string().trim().min(min).max(max).regex(NO_CONTROL_CHARS, CONTROL_CHARS_MESSAGE);
