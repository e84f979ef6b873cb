import { useCallback, useEffect, useRef, useState, type DragEvent, type RefObject } from 'react';
import type { VideoUploadState } from '../hooks/useVideoUpload';
import { personColor } from '../lib/colors';
import { fileKind, formatBytes, matchText, personLabel, plural } from '../lib/format';
import { boxPercent, cropSquare } from '../lib/geometry';
import { errorText, requestJson } from '../lib/http';
import { isDimmed, type ResultSource } from '../lib/results';
import type { ApiFace, RecognizeReply, Size } from '../lib/types';
import { FilmIcon, PhotoIcon, StopIcon, UploadIcon } from './Icons';

const STREAM_TEXT: Record<string, string> = {
  starting: 'Starting…',
  running: 'Analysing',
  ended: 'Finished',
  failed: 'Failed',
  stopped: 'Stopped',
};

interface PhotoState {
  url: string;
  name: string;
  busy: boolean;
  faces: ApiFace[] | null;
  natural: Size | null;
  /** CSS width for small photos, scaled up so faces are visible; null to show at natural size. */
  displayWidth: number | null;
  failed: boolean;
}

/** Small photos (LFW thumbnails are 250 px) are scaled up to about 360 px wide, staying under 60vh. */
function upscaledWidth(natural: Size, viewportHeight: number): number | null {
  const scale = Math.min(360 / natural.width, (0.6 * viewportHeight) / natural.height);
  return scale > 1 ? Math.round(natural.width * scale) : null;
}

/** A 160 px JPEG of a face cut from the shown photo, for faces the server stored no crop of. */
function localThumb(img: HTMLImageElement, face: ApiFace): string | undefined {
  try {
    const c = document.createElement('canvas');
    c.width = c.height = 160;
    const r = cropSquare(face.box, { width: img.naturalWidth, height: img.naturalHeight });
    c.getContext('2d')?.drawImage(img, r.x, r.y, r.width, r.height, 0, 0, 160, 160);
    return c.toDataURL('image/jpeg', 0.85);
  } catch {
    return undefined;
  }
}

function waitForImage(img: HTMLImageElement): Promise<void> {
  if (img.complete && img.naturalWidth > 0) return Promise.resolve();
  return new Promise((resolve) => {
    img.addEventListener('load', () => resolve(), { once: true });
    img.addEventListener('error', () => resolve(), { once: true });
  });
}

/** A file picker opened by a visible button: hands over the chosen file, then clears itself so the same file can be chosen again. */
function HiddenFileInput(props: {
  inputRef: RefObject<HTMLInputElement | null>;
  kind: 'photo' | 'video';
  accept: string;
  label: string;
  onFile: (file: File | undefined, kind: 'photo' | 'video') => void;
}) {
  return (
    <input
      ref={props.inputRef}
      type="file"
      accept={props.accept}
      data-testid={`${props.kind}-input`}
      aria-label={props.label}
      className="visually-hidden"
      tabIndex={-1}
      onChange={(e) => {
        props.onFile(e.currentTarget.files?.[0], props.kind);
        e.currentTarget.value = '';
      }}
    />
  );
}

export function UploadPanel(props: {
  threshold: number;
  highlight: string | null;
  onHighlight: (personId: string | null) => void;
  onFaces: (faces: ApiFace[], at: string, source: ResultSource, thumbs?: (string | undefined)[]) => void;
  onError: (title: string, detail: string) => void;
  onPersonsChanged: () => void;
  video: { state: VideoUploadState; upload: (f: File, fps: number) => void; stop: () => void; reset: () => void };
}) {
  const { video } = props;
  const [store, setStore] = useState(true);
  const [fps, setFps] = useState(2);
  const [over, setOver] = useState(false);
  const [mode, setMode] = useState<'none' | 'photo' | 'video'>('none');
  const [photo, setPhoto] = useState<PhotoState | null>(null);
  const imgRef = useRef<HTMLImageElement>(null);
  const photoInput = useRef<HTMLInputElement>(null);
  const videoInput = useRef<HTMLInputElement>(null);
  const request = useRef(0);

  const photoUrl = photo?.url;
  useEffect(
    () => () => {
      if (photoUrl) URL.revokeObjectURL(photoUrl);
    },
    [photoUrl],
  );

  const recognizePhoto = useCallback(
    async (file: File) => {
      const id = ++request.current;
      video.reset();
      setMode('photo');
      const url = URL.createObjectURL(file);
      setPhoto({
        url,
        name: file.name || 'Photo',
        busy: true,
        faces: null,
        natural: null,
        displayWidth: null,
        failed: false,
      });
      const params = new URLSearchParams({ store: String(store), threshold: props.threshold.toFixed(2) });
      try {
        const { faces } = await requestJson<RecognizeReply>(`/api/v1/recognize?${params}`, {
          method: 'POST',
          headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' },
          body: file,
        });
        if (id !== request.current) return;
        const img = imgRef.current;
        if (img) await waitForImage(img);
        if (id !== request.current) return;
        const ordered = [...faces].sort((a, b) => a.box.x - b.box.x);
        const thumbs = ordered.map((f) => (!f.cropUrl && img && img.naturalWidth ? localThumb(img, f) : undefined));
        setPhoto((p) => (p && p.url === url ? { ...p, busy: false, faces: ordered } : p));
        props.onFaces(ordered, new Date().toISOString(), 'photo', thumbs);
        if (store) props.onPersonsChanged();
      } catch (err) {
        if (id !== request.current) return;
        setPhoto((p) => (p && p.url === url ? { ...p, busy: false, failed: true } : p));
        const { title, detail } = errorText(err);
        props.onError(`Recognition failed: ${title}`, detail);
      }
    },
    [props, store, video],
  );

  const uploadVideo = useCallback(
    (file: File) => {
      request.current++;
      setMode('video');
      setPhoto(null);
      video.upload(file, fps);
    },
    [fps, video],
  );

  const handle = useCallback(
    (file: File | undefined, forced?: 'photo' | 'video') => {
      if (!file) return;
      if ((forced ?? fileKind(file)) === 'video') uploadVideo(file);
      else void recognizePhoto(file);
    },
    [recognizePhoto, uploadVideo],
  );

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    handle(e.dataTransfer.files[0]);
  };

  const v = video.state;
  const streamDone = v.phase === 'done' || v.phase === 'failed';
  const progress = v.phase === 'uploading' ? v.uploaded : streamDone ? 1 : null;

  return (
    <section className="panel upload" aria-labelledby="upload-title">
      <div className="panel-head">
        <div>
          <h2 id="upload-title">Photos and videos</h2>
          <p className="muted small">Recognize the faces in a photo, or follow a video file as it is analysed.</p>
        </div>
      </div>

      <div
        className={`drop${over ? ' over' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <UploadIcon className="drop-icon" />
        <div className="drop-text">
          <p className="drop-title">Drop a photo or a video here</p>
          <p className="muted small">JPEG, PNG · MP4, WebM, MKV, AVI, MOV</p>
        </div>
        <div className="drop-actions">
          <button type="button" className="btn" onClick={() => photoInput.current?.click()}>
            <PhotoIcon /> Photo
          </button>
          <button type="button" className="btn" onClick={() => videoInput.current?.click()}>
            <FilmIcon /> Video
          </button>
        </div>
        <HiddenFileInput
          inputRef={photoInput}
          kind="photo"
          accept="image/jpeg,image/png,image/webp"
          label="Choose a photo"
          onFile={handle}
        />
        <HiddenFileInput
          inputRef={videoInput}
          kind="video"
          accept="video/*,.mkv,.avi,.mov"
          label="Choose a video"
          onFile={handle}
        />
      </div>

      <div className="options">
        <label className="check">
          <input type="checkbox" checked={store} onChange={(e) => setStore(e.currentTarget.checked)} /> Remember new
          faces
        </label>
        <label>
          Video sampling{' '}
          <select value={fps} onChange={(e) => setFps(Number(e.currentTarget.value))}>
            <option value={1}>1 frame/s</option>
            <option value={2}>2 frames/s</option>
            <option value={5}>5 frames/s</option>
          </select>
        </label>
      </div>

      {mode === 'photo' && photo ? (
        <div className="result-stage">
          <div className="stage-meta">
            <strong className="ellipsis">{photo.name}</strong>
            <span className="muted small">
              {photo.busy
                ? 'Recognizing faces…'
                : photo.failed
                  ? 'Recognition failed'
                  : photo.faces && photo.faces.length
                    ? `${plural(photo.faces.length, 'face')} found${
                        photo.faces.some((f) => f.isNew)
                          ? `, ${photo.faces.filter((f) => f.isNew).length} seen for the first time`
                          : ''
                      }`
                    : 'No faces found in this photo'}
            </span>
          </div>
          <div className="photo">
            <img
              ref={imgRef}
              src={photo.url}
              alt={`Uploaded photo ${photo.name}`}
              style={photo.displayWidth ? { width: `${photo.displayWidth}px` } : undefined}
              onLoad={(e) => {
                const img = e.currentTarget;
                const natural = { width: img.naturalWidth, height: img.naturalHeight };
                const displayWidth = upscaledWidth(natural, window.innerHeight);
                setPhoto((p) => (p && p.url === photo.url ? { ...p, natural, displayWidth } : p));
              }}
            />
            {photo.natural && photo.faces ? (
              <div className="boxes">
                {photo.faces.map((f, i) => {
                  const pos = boxPercent(f.box, photo.natural!);
                  const below = (f.box.y + f.box.height) / photo.natural!.height < 0.85;
                  return (
                    <button
                      type="button"
                      key={f.faceId ?? i}
                      className={`box${isDimmed(props.highlight, f.personId) ? ' dim' : ''}`}
                      style={{ ...pos, ['--c' as string]: personColor(f.personId, f.personNumber) }}
                      onClick={() => props.onHighlight(f.personId)}
                      aria-label={`${personLabel(f)}: ${matchText(f)}`}
                    >
                      <span className={`box-label${below ? '' : ' above'}`}>
                        {personLabel(f)}
                        <small>{f.isNew ? 'New' : matchText(f)}</small>
                      </span>
                    </button>
                  );
                })}
              </div>
            ) : null}
            {photo.busy ? (
              <div className="busy">
                <span className="spinner" aria-hidden="true" /> Recognizing…
              </div>
            ) : null}
          </div>
        </div>
      ) : null}

      {mode === 'video' && v.phase !== 'idle' ? (
        <div className="result-stage">
          <div className="stage-meta">
            <div className="stage-meta-text">
              <strong className="ellipsis">{v.fileName}</strong>
              <span className="muted small">
                {v.phase === 'uploading'
                  ? `Uploading ${formatBytes(v.fileSize)}… ${Math.round(v.uploaded * 100)}%`
                  : [
                      STREAM_TEXT[v.stream?.state ?? ''] ??
                        v.stream?.state ??
                        (v.phase === 'failed' ? 'Upload failed' : 'Waiting…'),
                      v.stream ? `${plural(v.stream.framesProcessed, 'frame')} analysed` : null,
                      plural(v.faces, 'face'),
                      v.stream?.error ?? null,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
              </span>
            </div>
            {v.phase === 'processing' || v.phase === 'uploading' ? (
              <button type="button" className="btn btn-small" onClick={() => video.stop()}>
                <StopIcon /> Stop
              </button>
            ) : null}
          </div>
          <div
            className={`progress${progress == null ? ' indeterminate' : ''}${v.phase === 'failed' ? ' failed' : ''}`}
            role="progressbar"
            aria-label="Video progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress == null ? undefined : Math.round(progress * 100)}
          >
            <div className="bar" style={progress == null ? undefined : { width: `${Math.round(progress * 100)}%` }} />
          </div>
        </div>
      ) : null}
    </section>
  );
}
