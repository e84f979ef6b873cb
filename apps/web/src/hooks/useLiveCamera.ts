import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { browserCameraDeps, LiveCamera } from '../lib/camera';
import { BoxTracker } from '../lib/overlay';
import type { RecognitionMessage } from '../lib/types';

export interface LiveMetrics {
  fps: number | null;
  latencyMs: number | null;
}

/** The live camera as React state, plus its box tracker and live figures. */
export function useLiveCamera(onResult: (msg: RecognitionMessage) => void) {
  const camera = useMemo(() => new LiveCamera(browserCameraDeps()), []);
  const snapshot = useSyncExternalStore(camera.subscribe, camera.getSnapshot);
  const tracker = useMemo(() => new BoxTracker(), []);
  const [metrics, setMetrics] = useState<LiveMetrics>({ fps: null, latencyMs: null });
  const onResultRef = useRef(onResult);
  onResultRef.current = onResult;

  useEffect(
    () =>
      camera.onRecognition((msg) => {
        tracker.update(msg.faces, msg.frame, performance.now());
        onResultRef.current(msg);
      }),
    [camera, tracker],
  );

  // release the camera and end the WHIP session when the tab goes away
  useEffect(() => {
    const bye = () => camera.dispose();
    window.addEventListener('pagehide', bye);
    return () => window.removeEventListener('pagehide', bye);
  }, [camera]);

  const live = snapshot.phase === 'live';
  useEffect(() => {
    if (!live) {
      tracker.clear();
      setMetrics({ fps: null, latencyMs: null });
      return;
    }
    const tick = () => setMetrics(camera.metrics());
    tick();
    const id = setInterval(tick, 500);
    return () => clearInterval(id);
  }, [camera, tracker, live]);

  return { camera, snapshot, tracker, metrics };
}
