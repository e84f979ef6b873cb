/** What a capture worker needs from an OpenVidu 2.x connection token. */
export interface OpenViduTarget {
  /** The JSON-RPC endpoint: `<ws|wss>://<host>/openvidu?sessionId=…`. */
  wsUrl: string;
  sessionId: string;
  /** The whole token, which `joinRoom` takes as is. */
  token: string;
}

const WS_SCHEME: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };

/**
 * Tokens look like `wss://host:4443?sessionId=ses_…&token=tok_…` (TokenGenerator.java);
 * openvidu-browser connects to `wss://host:4443/openvidu?sessionId=…`. `serverUrl`, when given,
 * replaces the token's host: inside a Docker network the token names the public address, which
 * the capture container may not reach.
 */
export function parseOpenViduToken(token: string, serverUrl?: string): OpenViduTarget {
  let url: URL;
  try {
    url = new URL(token);
  } catch {
    throw new Error('the OpenVidu token is not a URL');
  }
  const sessionId = url.searchParams.get('sessionId');
  if (!sessionId) throw new Error('the OpenVidu token has no sessionId');
  if (!url.searchParams.get('token')) throw new Error('the OpenVidu token has no token parameter');
  const base = serverUrl ? new URL(serverUrl) : url;
  const scheme = WS_SCHEME[base.protocol];
  if (!scheme) throw new Error(`unsupported OpenVidu URL scheme ${base.protocol}`);
  const ws = new URL(`${scheme}//${base.host}/openvidu`);
  ws.searchParams.set('sessionId', sessionId);
  return { wsUrl: ws.toString(), sessionId, token };
}

/** A token without its secret part, for logs. */
export function redactToken(token: string): string {
  return token.replace(/([?&]token=)[^&]+/, '$1…');
}
