'use strict';
/**
 * WHIP publishers made with @roamhq/wrtc, in a process of their own: what a browser does, without
 * a browser. Forked by the tests (test/e2e/support/whip-client.ts) and usable by benchmarks; it
 * runs wrtc outside the test runner, whose process wrtc's native teardown could crash at exit.
 *
 * Protocol (IPC messages): {id, op, args} → {id, ok, result} | {id, ok: false, error}.
 */
const wrtc = require('@roamhq/wrtc');
const sharp = require('sharp');

const frameSets = new Map();
const publishers = new Map();
let nextId = 1;

function toI420(rgba, width, height) {
  const data = new Uint8Array(width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2));
  wrtc.nonstandard.rgbaToI420({ width, height, data: rgba }, { width, height, data });
  return { width, height, data };
}

/** A moving test pattern (no face), for when no photos are given. */
function pattern(width, height, shift) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = (x + shift) & 255;
      rgba[i + 1] = y & 255;
      rgba[i + 2] = ((x ^ y) + shift) & 255;
      rgba[i + 3] = 255;
    }
  }
  return toI420(rgba, width, height);
}

async function photo(path, width, height) {
  const rgba = await sharp(path)
    .resize(width, height, { fit: 'contain', background: '#808080' })
    .ensureAlpha()
    .raw()
    .toBuffer();
  return toI420(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length), width, height);
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    };
  });
}

/** Rewrites the offer to offer H.264 only, as OBS does with its default encoder (wrtc itself has no H.264). */
function asH264Only(sdp) {
  const out = [];
  for (const l of sdp.split('\r\n')) {
    if (l.startsWith('m=video')) {
      out.push(l.replace(/SAVPF .*/, 'SAVPF 96'));
      continue;
    }
    const m = /^a=(rtpmap|rtcp-fb|fmtp):(\d+)/.exec(l);
    if (m && m[2] !== '96') continue;
    out.push(l.replace('VP8/90000', 'H264/90000'));
    if (l.startsWith('a=rtpmap:96'))
      out.push('a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  }
  return out.join('\r\n');
}

function get(id) {
  const p = publishers.get(id);
  if (!p) throw new Error(`no publisher ${id}`);
  return p;
}

const ops = {
  /** Frames to send in turn: photos letterboxed to width×height, or a test pattern. */
  async frames({ photos = [], width = 640, height = 480 }) {
    const frames = photos.length
      ? await Promise.all(photos.map((p) => photo(p, width, height)))
      : [0, 64, 128].map((s) => pattern(width, height, s));
    const id = nextId++;
    frameSets.set(id, frames);
    return id;
  },

  async publish({ url, token, frameSet, frameMs = 66, mangle, h264Only = false, contentType = 'application/sdp' }) {
    const frames = frameSets.get(frameSet);
    if (!frames) throw new Error(`no frame set ${frameSet}`);
    const source = new wrtc.nonstandard.RTCVideoSource();
    const track = source.createTrack();
    const pc = new wrtc.RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    pc.addTransceiver(track, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 2000);
    let sdp = pc.localDescription.sdp;
    if (mangle) sdp = sdp.replace(new RegExp(mangle.pattern), mangle.replacement);
    if (h264Only) sdp = asH264Only(sdp);
    const headers = { 'content-type': contentType };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url, { method: 'POST', headers, body: sdp });
    const body = await res.text();
    const location = res.headers.get('location');
    const id = nextId++;
    const p = {
      pc,
      track,
      timer: undefined,
      sent: 0,
      closed: false,
      token,
      resource: location ? new URL(location, url).toString() : undefined,
    };
    publishers.set(id, p);
    if (res.status === 201) {
      await pc.setRemoteDescription({ type: 'answer', sdp: body });
      p.timer = setInterval(() => source.onFrame(frames[p.sent++ % frames.length]), frameMs);
    } else close(id);
    return { id, status: res.status, headers: Object.fromEntries(res.headers), body, resource: p.resource };
  },

  connected({ id, ms = 10_000 }) {
    const { pc } = get(id);
    if (pc.connectionState === 'connected') return true;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not connected after ${ms} ms (${pc.connectionState})`)), ms);
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'connected') {
          clearTimeout(t);
          resolve(true);
        } else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
          clearTimeout(t);
          reject(new Error(`connection ${pc.connectionState}`));
        }
      };
    });
  },

  sent({ id }) {
    return get(id).sent;
  },

  /** Stops sending and closes the connection without telling the server (a closed tab). */
  vanish({ id }) {
    close(id);
    return true;
  },

  /** DELETE the WHIP resource, then close. */
  async stop({ id }) {
    const p = get(id);
    clearInterval(p.timer);
    let out = null;
    if (p.resource) {
      const res = await fetch(p.resource, {
        method: 'DELETE',
        headers: p.token ? { authorization: `Bearer ${p.token}` } : {},
      });
      out = { status: res.status, body: await res.text() };
    }
    close(id);
    return out;
  },

  open() {
    return [...publishers.values()].filter((p) => !p.closed).length;
  },
};

function close(id) {
  const p = publishers.get(id);
  if (!p || p.closed) return;
  p.closed = true;
  clearInterval(p.timer);
  p.track.stop();
  p.pc.close();
  publishers.delete(id);
}

process.on('message', async (m) => {
  try {
    const result = await ops[m.op](m.args ?? {});
    process.send({ id: m.id, ok: true, result });
  } catch (err) {
    process.send({ id: m.id, ok: false, error: String((err && err.message) || err) });
  }
});
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
