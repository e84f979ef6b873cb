/** Fetch helpers: every failure becomes an ApiError whose message is the server's problem `detail`. */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** Short heading for the error banner, e.g. "Not found". */
    readonly title: string,
    detail: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly code?: string,
  ) {
    super(detail);
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authorised',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported file',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Timed out',
};

/** Builds the error for a failed response body (RFC 9457 problem+json when the server sent one). */
export function problemFrom(status: number, body: string): ApiError {
  const fallbackTitle = STATUS_TITLES[status] ?? 'Request failed';
  try {
    const p = JSON.parse(body) as { title?: unknown; detail?: unknown; code?: unknown; message?: unknown };
    if (p && typeof p === 'object') {
      const detail = typeof p.detail === 'string' ? p.detail : typeof p.message === 'string' ? p.message : null;
      if (detail) {
        return new ApiError(
          typeof p.title === 'string' && p.title ? p.title : fallbackTitle,
          detail,
          status,
          typeof p.code === 'string' ? p.code : undefined,
        );
      }
    }
  } catch {
    /* not JSON */
  }
  const text = body.trim();
  const short = text && text.length <= 200 && !text.startsWith('<') ? text : `the server answered ${status}`;
  return new ApiError(fallbackTitle, short, status);
}

/** `fetch` that throws ApiError on network failures and non-2xx answers. */
export async function request(
  path: string,
  init?: RequestInit,
  fetchFn: FetchLike = (i, o) => fetch(i, o),
): Promise<Response> {
  let res: Response;
  try {
    res = await fetchFn(path, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Network error', 'cannot reach the Glimpse gateway', 0);
  }
  if (!res.ok) throw problemFrom(res.status, await res.text().catch(() => ''));
  return res;
}

export async function requestJson<T>(path: string, init?: RequestInit, fetchFn?: FetchLike): Promise<T> {
  const res = await request(path, init, fetchFn);
  return (await res.json()) as T;
}

export const jsonInit = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** A human sentence for anything thrown. */
export function errorText(err: unknown): { title: string; detail: string } {
  if (err instanceof ApiError) return { title: err.title, detail: err.message };
  if (err instanceof Error) return { title: 'Error', detail: err.message || err.name };
  return { title: 'Error', detail: String(err) };
}
