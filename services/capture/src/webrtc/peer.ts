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
export async function answerOffer(pc: RTCPeerConnection, offer: string, gatherTimeoutMs: number): Promise<{ sdp: string; track: MediaStreamTrack; gathered: boolean }> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  } catch (err) {
    throw new GlimpseError('INVALID_REQUEST', `the SDP offer was refused: ${(err as Error)?.message ?? String(err)}`);
  }
  const transceivers = pc.getTransceivers();
  const video = transceivers.find((t) => t.receiver.track.kind === 'video');
  if (!video) throw new GlimpseError('INVALID_REQUEST', 'the SDP offer has no video to receive');
  for (const t of transceivers) t.direction = t === video ? 'recvonly' : 'inactive';
  await pc.setLocalDescription(await pc.createAnswer());
  const gathered = await iceGathered(pc, gatherTimeoutMs);
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new GlimpseError('INTERNAL', 'no local description after createAnswer');
  return { sdp, track: video.receiver.track, gathered };
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
