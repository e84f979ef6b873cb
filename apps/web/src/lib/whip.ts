import { ApiError, bearer, problemFrom, type FetchLike } from './http';

/**
 * WHIP (RFC 9725) publishing helpers: one HTTP POST of the SDP offer creates the session resource,
 * whose URL comes back in `Location`; a DELETE of that URL ends it. No trickle ICE: the offer is
 * sent once gathering is complete (or after a short wait), with every candidate inside.
 */

export const ICE_GATHERING_TIMEOUT_MS = 2000;

type GatheringPc = Pick<RTCPeerConnection, 'iceGatheringState' | 'addEventListener' | 'removeEventListener'>;

/** Resolves when ICE gathering is complete, or after `timeoutMs` with whatever was gathered. */
export function waitForIceGathering(
  pc: GatheringPc,
  timeoutMs = ICE_GATHERING_TIMEOUT_MS,
): Promise<'complete' | 'timeout'> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve('complete');
  return new Promise((resolve) => {
    const done = (how: 'complete' | 'timeout') => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve(how);
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done('complete');
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

export interface WhipAnswer {
  /** The SDP answer. */
  sdp: string;
  /** Absolute URL of the session resource (from `Location`), for DELETE. */
  resourceUrl: string;
  etag: string | null;
}

/** Resolves a (possibly relative) Location against the WHIP endpoint, itself relative to the page. */
export function resolveResourceUrl(location: string, whipUrl: string, base: string): string {
  return new URL(location, new URL(whipUrl, base)).toString();
}

/** POSTs the offer; expects `201 Created` with an SDP answer and a `Location` header. */
export async function whipOffer(
  whipUrl: string,
  token: string,
  offerSdp: string,
  base: string,
  fetchFn: FetchLike,
): Promise<WhipAnswer> {
  let res: Response;
  try {
    res = await fetchFn(whipUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp', ...bearer(token) },
      body: offerSdp,
    });
  } catch {
    throw new ApiError('Network error', 'cannot reach the WHIP endpoint', 0);
  }
  const body = await res.text().catch(() => '');
  if (res.status !== 201) {
    if (res.ok)
      throw new ApiError('Publishing failed', `the WHIP endpoint answered ${res.status}, expected 201`, res.status);
    throw problemFrom(res.status, body);
  }
  const location = res.headers.get('Location');
  if (!location) throw new ApiError('Publishing failed', 'the WHIP answer has no Location header', res.status);
  if (!body.trim().startsWith('v='))
    throw new ApiError('Publishing failed', 'the WHIP answer is not an SDP description', res.status);
  return { sdp: body, resourceUrl: resolveResourceUrl(location, whipUrl, base), etag: res.headers.get('ETag') };
}

/** Ends the WHIP session. A 404 means it is already gone, which is what we wanted. */
export async function whipDelete(
  resourceUrl: string,
  token: string,
  fetchFn: FetchLike,
  keepalive = false,
): Promise<void> {
  let res: Response;
  try {
    res = await fetchFn(resourceUrl, { method: 'DELETE', headers: bearer(token), keepalive });
  } catch {
    throw new ApiError('Network error', 'cannot reach the WHIP endpoint to stop publishing', 0);
  }
  if (!res.ok && res.status !== 404) throw problemFrom(res.status, await res.text().catch(() => ''));
}

export interface PublishPc
  extends
    GatheringPc,
    Pick<
      RTCPeerConnection,
      'addTransceiver' | 'createOffer' | 'setLocalDescription' | 'setRemoteDescription' | 'localDescription'
    > {}

/**
 * The whole publish handshake on an existing peer connection: a send-only transceiver for the
 * track, the offer, ICE gathering, the WHIP POST, then the answer.
 */
export async function whipPublish(
  pc: PublishPc,
  track: MediaStreamTrack,
  whipUrl: string,
  token: string,
  opts: {
    base: string;
    fetchFn: FetchLike;
    stream?: MediaStream;
    iceTimeoutMs?: number;
    /** Called as soon as the server created the resource, before the answer is applied. */
    onResource?: (answer: WhipAnswer) => void;
  },
): Promise<WhipAnswer> {
  pc.addTransceiver(track, { direction: 'sendonly', streams: opts.stream ? [opts.stream] : [] });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await waitForIceGathering(pc, opts.iceTimeoutMs);
  const sdp = pc.localDescription?.sdp ?? offer.sdp;
  if (!sdp) throw new ApiError('Publishing failed', 'the browser produced no SDP offer', 0);
  const answer = await whipOffer(whipUrl, token, sdp, opts.base, opts.fetchFn);
  opts.onResource?.(answer);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  return answer;
}
