import { useEffect, useRef } from 'react';
import type { CameraSnapshot } from '../lib/camera';
import type { BoxTracker } from '../lib/overlay';
import type { LiveMetrics } from '../hooks/useLiveCamera';
import { CameraIcon, MirrorIcon, StopIcon } from './Icons';
import { LiveOverlay } from './LiveOverlay';
import { StatusLine } from './StatusLine';
import { ThresholdControl } from './ThresholdControl';

export function CameraPanel(props: {
  snapshot: CameraSnapshot;
  tracker: BoxTracker;
  metrics: LiveMetrics;
  highlight: string | null;
  threshold: number;
  onThreshold: (v: number) => void;
  mirrored: boolean;
  onMirrored: (v: boolean) => void;
  onStart: () => void;
  onStop: () => void;
}) {
  const { snapshot, mirrored } = props;
  const videoRef = useRef<HTMLVideoElement>(null);
  const { phase, media } = snapshot;

  useEffect(() => {
    const v = videoRef.current;
    if (!v) return;
    if (v.srcObject !== media) v.srcObject = media;
    if (media) v.play().catch(() => undefined); // autoplay of a muted stream is allowed; this covers Safari
  }, [media]);

  const running = phase === 'starting' || phase === 'live' || phase === 'stopping';
  const showEmpty = !media;

  return (
    <section className="panel camera" aria-labelledby="camera-title">
      <div className="panel-head">
        <div>
          <h2 id="camera-title">Live camera</h2>
          <p className="muted small">Your camera, streamed to your own Glimpse server over WebRTC.</p>
        </div>
        {phase === 'live' ? <span className="live-pill">Live</span> : null}
      </div>

      <div className={`stage${mirrored ? ' mirrored' : ''}`}>
        <video
          ref={videoRef}
          className="live-video"
          data-testid="live-video"
          muted
          playsInline
          autoPlay
          aria-label="Your camera"
        />
        <LiveOverlay
          videoRef={videoRef}
          tracker={props.tracker}
          highlight={props.highlight}
          mirrored={mirrored}
          active={phase === 'live'}
        />
        {showEmpty ? (
          <div className="stage-empty">
            {phase === 'starting' ? (
              <>
                <span className="spinner" aria-hidden="true" />
                <p className="stage-title">Waiting for the camera…</p>
                <p className="stage-hint">Allow access when your browser asks.</p>
              </>
            ) : (
              <>
                <CameraIcon className="stage-icon" />
                <p className="stage-title">Allow the camera to start</p>
                <p className="stage-hint">
                  Press “Start camera”, then allow access. Faces are boxed and named as they are recognized.
                </p>
              </>
            )}
          </div>
        ) : null}
        {media && phase === 'starting' ? (
          <div className="stage-connecting">
            <span className="spinner" aria-hidden="true" /> Connecting…
          </div>
        ) : null}
      </div>

      <div className="toolbar">
        {running ? (
          <button
            type="button"
            className="btn btn-danger"
            data-testid="stop-camera"
            onClick={props.onStop}
            disabled={phase === 'stopping'}
          >
            <StopIcon /> Stop camera
          </button>
        ) : (
          <button type="button" className="btn btn-primary" data-testid="start-camera" onClick={props.onStart}>
            <CameraIcon /> Start camera
          </button>
        )}
        <ThresholdControl value={props.threshold} onChange={props.onThreshold} />
        <button
          type="button"
          className={`btn btn-ghost btn-icon${mirrored ? ' on' : ''}`}
          aria-pressed={mirrored}
          aria-label="Mirror the preview"
          title="Mirror the preview"
          onClick={() => props.onMirrored(!mirrored)}
        >
          <MirrorIcon />
        </button>
      </div>

      <StatusLine connection={snapshot.connection} fps={props.metrics.fps} latencyMs={props.metrics.latencyMs} />
    </section>
  );
}
