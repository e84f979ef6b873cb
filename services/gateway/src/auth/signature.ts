import { timingSafeEqual } from 'node:crypto';

/**
 * Whether `given` is the base64url text of the `expected` MAC, in constant time for equal lengths.
 * The text, not its decoded bytes: base64url's last character carries spare bits, so several
 * spellings decode alike and a tampered token would otherwise still verify.
 */
export function signatureMatches(expected: Buffer, given: string): boolean {
  const want = Buffer.from(expected.toString('base64url'));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}
