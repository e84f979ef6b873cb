import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressPolicy } from '@glimpse/platform';
import { guardedLookup, urlProblem } from './address-guard';

export interface PostResult {
  ok: boolean;
  /** `HTTP 503` or the network error, for the stats. */
  error: string | null;
}

/** POSTs a body with a timeout for the whole exchange; 2xx is success, anything else a failure. */
export function post(
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
  opts: { timeoutMs: number; policy: AddressPolicy },
): Promise<PostResult> {
  // Node connects to an address literal without a lookup, so literals are checked here (the policy may
  // have changed since the webhook was registered); names are checked by guardedLookup after resolution.
  const refused = urlProblem(url, opts.policy);
  if (refused) return Promise.resolve({ ok: false, error: refused });
  return new Promise((resolve) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(body.byteLength), 'User-Agent': 'Glimpse-Webhooks/1' },
        lookup: guardedLookup(opts.policy) as never,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume(); // the answer's body is ignored
        res.once('end', () =>
          done(status >= 200 && status < 300 ? { ok: true, error: null } : { ok: false, error: `HTTP ${status}` }),
        );
        res.once('error', (err) => done({ ok: false, error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, error: `timed out after ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.once('error', (err) => done({ ok: false, error: err.message }));
    req.end(body);
  });
}
