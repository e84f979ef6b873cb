import { KEY_PREFIX } from './api-key';
export { bearerToken } from '../sessions/session-token';

/** A bearer token that is not an API key (so a camera session token), as a type guard. */
export const KEY_PREFIX_FREE = (t: string | undefined): t is string => t !== undefined && !t.startsWith(KEY_PREFIX);
