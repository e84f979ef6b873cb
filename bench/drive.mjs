// Figures shared by the bench's parts: percentiles, rounding and the closed-loop load driver.

export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};
export const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
export const stats = (xs) => ({
  n: xs.length,
  p50: r1(pct(xs, 50)),
  p95: r1(pct(xs, 95)),
  mean: r1(xs.reduce((a, b) => a + b, 0) / xs.length),
});
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * `inflight` senders share `total` requests; `send(next, sender)` makes request number `next` and resolves
 * to its face counts. Frames/s, faces/s, the tracked share and each request's latency (also pushed to `all`).
 */
export async function drive(inflight, total, send, all = null) {
  const lat = [];
  let faces = 0;
  let tracked = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async (_, sender) => {
      while (next < total) {
        const t = performance.now();
        const r = await send(next++, sender);
        lat.push(performance.now() - t);
        all?.push(lat.at(-1));
        faces += r.faces;
        tracked += r.tracked ?? 0;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return {
    framesPerS: r1(total / s),
    facesPerS: r1(faces / s),
    trackedRatio: faces ? tracked / faces : 0,
    faces,
    tracked,
    ...stats(lat),
  };
}

/** min / median / max of per-round figures. */
export const spread = (xs) => ({ min: r1(Math.min(...xs)), median: r1(median(xs)), max: r1(Math.max(...xs)) });

/** `rounds` runs of `drive`, `perRound` requests each; the rounds' frames/s and every request's latency together. */
export async function driveRounds(rounds, perRound, inflight, send) {
  const res = [];
  const lat = [];
  let next = 0;
  for (let r = 0; r < rounds; r++) {
    const out = await drive(inflight, perRound, (i, s) => send(next++, s), lat);
    res.push(out);
  }
  const faces = res.reduce((a, r) => a + r.faces, 0);
  return {
    requests: rounds * perRound,
    rounds: res.map((r) => r.framesPerS),
    framesPerS: spread(res.map((r) => r.framesPerS)),
    facesPerFrame: Math.round((faces / (rounds * perRound)) * 100) / 100,
    trackedRatio: faces ? res.reduce((a, r) => a + r.tracked, 0) / faces : 0,
    ...stats(lat),
  };
}
