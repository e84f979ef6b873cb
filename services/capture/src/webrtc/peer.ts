import type { MediaStreamTrack, RTCPeerConnection } from '@roamhq/wrtc';
import { GlimpseError } from '@glimpse/platform';
import type { PeerEnd, PeerLink, ResourceGauge } from './webrtc.source';

/** An `RTCPeerConnection` as a PeerLink: failed or closed ends the stream; close() is idempotent. */
export class PeerConnectionLink implements PeerLink {
  private listener?: (end: PeerEnd) => void;
  private closed = false;
  /** The received video, once the offer is answered. */
  track?: MediaStreamTrack;

  constructor(
    readonly pc: RTCPeerConnection,
    private readonly gauge?: ResourceGauge,
  ) {
    gauge?.open('peers');
    pc.onconnectionstatechange = () => this.onState();
  }

  onEnd(listener: (end: PeerEnd) => void): void {
    this.listener = listener;
  }

  trackEnded(): boolean {
    return this.track?.readyState === 'ended';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener = undefined;
    this.pc.onconnectionstatechange = null;
    this.pc.onicegatheringstatechange = null;
    try {
      this.pc.close();
    } catch {
      // closing twice is harmless
    }
    this.gauge?.close('peers');
  }

  private onState(): void {
    // `disconnected` may recover; if it does not, video stops and the source's watchdog ends the stream
    const state = this.pc.connectionState;
    if (state === 'failed') this.end({ failed: true, reason: 'the WebRTC connection failed (ICE or DTLS)' });
    else if (state === 'closed') this.end({ failed: true, reason: 'the WebRTC connection was closed' });
  }

  private end(end: PeerEnd): void {
    const l = this.listener;
    this.listener = undefined;
    l?.(end);
  }
}

/**
 * Answers a publisher's offer on `pc` with a receive-only video transceiver (other media are
 * declined) and waits for ICE gathering, so that the answer carries every candidate (no trickle).
 */
export async function answerOffer(
  pc: RTCPeerConnection,
  offer: string,
  gatherTimeoutMs: number,
  announcedIp?: string,
): Promise<{ sdp: string; track: MediaStreamTrack; gathered: boolean }> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  } catch (err) {
    throw new GlimpseError('INVALID_REQUEST', `the SDP offer was refused: ${(err as Error)?.message ?? String(err)}`);
  }
  const transceivers = pc.getTransceivers();
  const video = transceivers.find((t) => t.receiver.track.kind === 'video');
  if (!video) throw new GlimpseError('INVALID_REQUEST', 'the SDP offer has no video to receive');
  for (const t of transceivers) t.direction = t === video ? 'recvonly' : 'inactive';
  const answer = await pc.createAnswer();
  if (!videoAccepted(answer.sdp ?? '')) {
    throw new GlimpseError(
      'INVALID_REQUEST',
      `no video codec in common: the offer has ${offeredVideoCodecs(offer).join(', ') || 'none'}; Glimpse decodes ${DECODABLE.join(', ')} (not H.264)`,
    );
  }
  await pc.setLocalDescription(answer);
  const gathered = await iceGathered(pc, gatherTimeoutMs);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new GlimpseError('INTERNAL', 'no local description after createAnswer');
  return { sdp: announceIp(sdp, announcedIp), track: video.receiver.track, gathered };
}

/**
 * Adds, for every UDP host candidate of an SDP, the same candidate at `ip`: what a publisher behind
 * Docker's or a 1:1 NAT must dial. Only the answer sent to the publisher changes; libwebrtc still
 * listens on its own addresses.
 */
export function announceIp(sdp: string, ip: string | undefined): string {
  if (!ip) return sdp;
  const seen = new Set<string>();
  return sdp.replace(
    /^a=candidate:(\S+) (\d+) udp (\d+) (\S+) (\d+) typ host([^\r\n]*)(\r?\n)/gim,
    (line, foundation, component, priority, addr, port, rest, eol) => {
      const key = `${component} ${port}`;
      if (addr === ip || seen.has(key)) return line;
      seen.add(key);
      const announced = `a=candidate:${foundation}9 ${component} udp ${Number(priority) + 1} ${ip} ${port} typ host${rest}${eol}`;
      return announced + line;
    },
  );
}

/** Video codecs this libwebrtc build decodes (it has no H.264). */
export const DECODABLE = ['VP8', 'VP9', 'AV1'];

/** False when the answer rejects every video section (port 0): no codec in common. */
export function videoAccepted(answerSdp: string): boolean {
  return /^m=video [1-9]/m.test(answerSdp);
}

/** The video codec names an offer lists, e.g. ['H264']. */
export function offeredVideoCodecs(sdp: string): string[] {
  const video = sdp.split(/^(?=m=)/m).find((s) => s.startsWith('m=video')) ?? '';
  const names = [...video.matchAll(/^a=rtpmap:\d+ ([\w-]+)\//gm)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !['rtx', 'red', 'ulpfec', 'flexfec-03'].includes(n)))];
}

function iceGathered(pc: RTCPeerConnection, timeoutMs: number): Promise<boolean> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      pc.onicegatheringstatechange = null;
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') done(true);
    };
  });
}
