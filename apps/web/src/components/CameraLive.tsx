import { useEffect, useRef, useState } from 'react';
import type { ApiCamera } from '../lib/types';
import { errorText, request } from '../lib/http';
import type { BoxTracker } from '../lib/overlay';
import { LiveOverlay } from './LiveOverlay';

/** Slowest and fastest snapshot refresh of a live view (ms). */
const MIN_REFRESH_MS = 250;
const MAX_REFRESH_MS = 2000;

/**
 * An IP camera's live view: its latest frame as sent to recognition (`GET /api/v1/cameras/:id/snapshot`,
 * refreshed at the camera's snapshot rate), with the recognized faces boxed and named by the same overlay
 * as the browser camera's, from the WebSocket results of the camera's stream.
 */
export function CameraLive(props: { camera: ApiCamera; tracker: BoxTracker }) {
  const { camera, tracker } = props;
  const imgRef = useRef<HTMLImageElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [seq, setSeq] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let shown: string | null = null;
    const every = Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, 1000 / camera.fps));
    const next = async () => {
      try {
        const res = await request(`/api/v1/cameras/${encodeURIComponent(camera.id)}/snapshot`, { cache: 'no-store' });
        const url = URL.createObjectURL(await res.blob());
        if (stopped) return URL.revokeObjectURL(url);
        if (shown) URL.revokeObjectURL(shown);
        shown = url;
        setSrc(url);
        setSeq(res.headers.get('Glimpse-Seq'));
        setError(null);
      } catch (err) {
        if (!stopped) setError(errorText(err).detail);
      }
      if (!stopped) timer = setTimeout(() => void next(), every);
    };
    void next();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (shown) URL.revokeObjectURL(shown);
    };
  }, [camera.id, camera.fps]);

  return (
    <div
      className="camera-live"
      data-testid="camera-live"
      data-seq={seq ?? ''}
      style={{ flexBasis: '100%', marginTop: '0.6rem' }}
    >
      <div className="stage" style={{ aspectRatio: '16 / 9' }}>
        {src ? (
          <img
            ref={imgRef}
            className="live-video"
            src={src}
            alt={`Live view of ${camera.name}`}
            data-testid="camera-live-frame"
          />
        ) : null}
        <LiveOverlay videoRef={imgRef} tracker={tracker} highlight={null} mirrored={false} active={!!src} />
        {!src ? (
          <div className="stage-empty">
            <span className="spinner" aria-hidden="true" />
            <p className="stage-hint">{error ?? 'Waiting for the first frame…'}</p>
          </div>
        ) : null}
      </div>
      {src && error ? <p className="small failed">Live view: {error}</p> : null}
    </div>
  );
}
