import { useEffect, useRef, type RefObject } from 'react';
import { contentRect, parseObjectFit } from '../lib/geometry';
import { drawOverlay, type BoxTracker } from '../lib/overlay';

/**
 * A canvas over the live `<video>` (or an IP camera's latest snapshot, an `<img>`) that redraws the tracked boxes every animation frame, mapped from
 * the analysed frame's pixels onto the video as displayed (object-fit aware, sharp on HiDPI).
 */
export function LiveOverlay(props: {
  videoRef: RefObject<HTMLVideoElement | HTMLImageElement | null>;
  tracker: BoxTracker;
  highlight: string | null;
  mirrored: boolean;
  active: boolean;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const opts = useRef({ highlight: props.highlight, mirrored: props.mirrored });
  opts.current = { highlight: props.highlight, mirrored: props.mirrored };
  const { videoRef, tracker, active } = props;

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    let raf = 0;
    let fit = parseObjectFit(null);
    let fitCheckedAt = -Infinity;
    const draw = (t: number) => {
      raf = requestAnimationFrame(draw);
      const video = videoRef.current;
      if (!video) return;
      const width = canvas.clientWidth;
      const height = canvas.clientHeight;
      const dpr = window.devicePixelRatio || 1;
      const bw = Math.round(width * dpr);
      const bh = Math.round(height * dpr);
      if (canvas.width !== bw || canvas.height !== bh) {
        canvas.width = bw;
        canvas.height = bh;
      }
      if (t - fitCheckedAt > 1000) {
        fit = parseObjectFit(getComputedStyle(video).objectFit);
        fitCheckedAt = t;
      }
      // the video's element box, relative to the canvas (they normally coincide)
      const vr = video.getBoundingClientRect();
      const cr = canvas.getBoundingClientRect();
      const natural =
        video instanceof HTMLVideoElement
          ? { width: video.videoWidth, height: video.videoHeight }
          : { width: video.naturalWidth, height: video.naturalHeight };
      const rect = contentRect(natural, { width: vr.width, height: vr.height }, fit);
      rect.x += vr.left - cr.left;
      rect.y += vr.top - cr.top;
      const drawn = drawOverlay(ctx, tracker.visible(performance.now()), {
        content: rect,
        size: { width, height },
        dpr,
        mirrored: opts.current.mirrored,
        highlight: opts.current.highlight,
      });
      // for end-to-end tests: how many boxes are on screen right now
      if (canvas.dataset.boxes !== String(drawn)) canvas.dataset.boxes = String(drawn);
    };
    if (active) raf = requestAnimationFrame(draw);
    else {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.boxes = '0';
    }
    return () => cancelAnimationFrame(raf);
  }, [videoRef, tracker, active]);

  return <canvas ref={canvasRef} className="overlay" data-testid="overlay" data-boxes="0" aria-hidden="true" />;
}
