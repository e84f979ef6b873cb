import { WhipOffer } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { HttpProblem } from '../problem';

const LINE = /^[a-z]=[^\0]*$/;

const invalid = (why: string) => new GlimpseError('INVALID_REQUEST', `malformed SDP offer: ${why}`);

/**
 * Checks that a WHIP body is an SDP offer that publishes video, before a capture instance spends a
 * peer connection on it. It is no full parser: libwebrtc still has the last word (and its refusal
 * is a 400 too).
 */
export function validateOffer(sdp: string): void {
  if (!sdp.trim()) throw invalid('the body is empty; send the offer as application/sdp');
  if (Buffer.byteLength(sdp) > WhipOffer.MAX_SDP_BYTES) {
    throw new HttpProblem('BODY_TOO_LARGE', `SDP offer larger than ${WhipOffer.MAX_SDP_BYTES} bytes`);
  }
  const lines = sdp.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== 'v=0') throw invalid("it must start with 'v=0'");
  const bad = lines.findIndex((l) => !LINE.test(l));
  if (bad >= 0) throw invalid(`line ${bad + 1} is not '<letter>=<value>'`);
  if (!lines.some((l) => l.startsWith('o='))) throw invalid("no origin ('o=') line");

  const sections = mediaSections(lines);
  const video = sections.filter((s) => /^m=video [1-9]\d* /.test(s[0]));
  if (!video.length) throw invalid("no video ('m=video') section: Glimpse needs a camera track");
  if (video.every((s) => s.some((l) => l === 'a=recvonly' || l === 'a=inactive'))) {
    throw invalid('its video is recvonly or inactive: a WHIP offer must send video');
  }
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:')) || !lines.some((l) => l.startsWith('a=ice-pwd:'))) {
    throw invalid('no ICE credentials (a=ice-ufrag, a=ice-pwd)');
  }
  if (!lines.some((l) => l.startsWith('a=fingerprint:')))
    throw invalid('no DTLS fingerprint (a=fingerprint): WebRTC media needs DTLS-SRTP');
}

/** Lines of each media section, starting with its m= line. */
function mediaSections(lines: string[]): string[][] {
  const out: string[][] = [];
  for (const l of lines) {
    if (l.startsWith('m=')) out.push([l]);
    else out[out.length - 1]?.push(l);
  }
  return out;
}
