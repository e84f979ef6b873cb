/**
 * Which dlib build the worker runs, read from the worker's /healthz detail (see the recognizer's
 * `describeWorker`): on a new machine `npm start` serves on the prebuilt dlib-bin while dlib is compiled
 * against OpenBLAS, then moves to it. Null when the detail does not say (an older worker).
 */
export function dlibBuildLabel(healthDetail: string): string | null {
  const build = /dlib: (bin|openblas|cuda)\b/.exec(healthDetail)?.[1];
  if (!build) return null;
  const name = build === 'bin' ? 'dlib-bin' : build === 'openblas' ? 'dlib OpenBLAS' : 'dlib CUDA';
  const progress = /OpenBLAS build (\d+)%/.exec(healthDetail);
  if (progress) return `${name} · OpenBLAS build ${progress[1]}%`;
  if (/OpenBLAS build pending/.test(healthDetail)) return `${name} · OpenBLAS build pending`;
  if (/switching to OpenBLAS/.test(healthDetail)) return `${name} · switching to OpenBLAS`;
  if (/OpenBLAS build failed/.test(healthDetail)) return `${name} · OpenBLAS build failed`;
  return name;
}
