import { useCallback, useEffect, useMemo, useState } from 'react';
import { useCameraFeeds } from '../hooks/useCameraFeeds';
import {
  cameraBody,
  cameraPatch,
  editFormOf,
  hostCheckText,
  stateText,
  type CameraEdit,
  type CameraFeed,
  type CameraForm,
} from '../lib/cameras';
import type { ApiCamera, CameraProbe, HostCheck } from '../lib/types';
import { relativeTime } from '../lib/format';
import { errorText, jsonInit, request, requestJson } from '../lib/http';
import type { BoxTracker } from '../lib/overlay';
import { CameraLive } from './CameraLive';
import { PlusIcon, TrashIcon } from './Icons';
import { RefreshButton } from './RefreshButton';

const EMPTY_FORM: CameraForm = { name: '', url: '', fps: '', transport: 'tcp', decode: 'all' };
const REFRESH_MS = 3000;
/** The host check waits this long after the last keystroke (ms). */
const CHECK_DELAY_MS = 400;

/** IP cameras (`/api/v1/cameras`): kept by Glimpse, each run on one capture instance, back by themselves after restarts. */
export function CamerasView(props: { active: boolean; onError: (title: string, detail: string) => void }) {
  const { active, onError } = props;
  const [cameras, setCameras] = useState<ApiCamera[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [watching, setWatching] = useState<string | null>(null);
  const ids = useMemo(() => (cameras ?? []).map((c) => c.id), [cameras]);
  const { feeds, trackerFor } = useCameraFeeds(ids, active);

  const load = useCallback(async () => {
    try {
      setCameras((await requestJson<{ items: ApiCamera[] }>('/api/v1/cameras')).items);
      setLoadError(null);
    } catch (err) {
      setLoadError(errorText(err).detail);
    }
  }, []);

  useEffect(() => {
    if (!active) return;
    void load();
    const id = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(id);
  }, [active, reload, load]);

  const act = useCallback(
    async (what: string, run: () => Promise<unknown>) => {
      try {
        await run();
        setReload((n) => n + 1);
      } catch (err) {
        const e = errorText(err);
        onError(`${what}: ${e.title}`, e.detail);
      }
    },
    [onError],
  );

  return (
    <section className="panel cameras" aria-labelledby="cameras-title" data-testid="cameras-view">
      <div className="panel-head">
        <div>
          <h2 id="cameras-title">Cameras {cameras?.length ? <span className="count">{cameras.length}</span> : null}</h2>
          <p className="muted small">
            IP cameras Glimpse keeps running: each on one capture instance, taken over by another if that one stops, and
            back by themselves after a restart. Cameras on your LAN (192.168.x.x, 10.x.x.x, <code>cam.lan</code>…) work
            only once the operator allows their addresses in the capture service&apos;s{' '}
            <code>STREAM_ALLOWED_HOSTS</code>.
          </p>
        </div>
        <RefreshButton onRefresh={() => setReload((n) => n + 1)} />
      </div>
      <AddCamera onAdded={() => setReload((n) => n + 1)} />
      {loadError ? <p className="empty-inline failed">Cannot load cameras: {loadError}</p> : null}
      {cameras && cameras.length === 0 ? <p className="empty-inline">No cameras yet: add one above.</p> : null}
      {cameras?.length ? (
        <ol className="sighting-list" data-testid="camera-list">
          {cameras.map((c) => (
            <CameraRow
              key={c.id}
              camera={c}
              feed={feeds[c.id]}
              tracker={watching === c.id ? trackerFor(c.id) : null}
              onWatch={() => setWatching((w) => (w === c.id ? null : c.id))}
              onEdited={() => setReload((n) => n + 1)}
              onToggle={() =>
                act(c.enabled ? 'Pause' : 'Resume', () =>
                  request(`/api/v1/cameras/${c.id}`, jsonInit('PATCH', { enabled: !c.enabled })),
                )
              }
              onRemove={() => {
                if (window.confirm(`Remove camera “${c.name}”?`))
                  void act('Remove', () => request(`/api/v1/cameras/${c.id}`, { method: 'DELETE' }));
              }}
            />
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function CameraRow(props: {
  camera: ApiCamera;
  feed?: CameraFeed;
  tracker: BoxTracker | null;
  onWatch: () => void;
  onEdited: () => void;
  onToggle: () => void;
  onRemove: () => void;
}) {
  const { camera: c, feed } = props;
  const [editing, setEditing] = useState(false);
  const st = stateText(c.state);
  return (
    <li
      className="sighting"
      data-testid="camera-row"
      data-camera-id={c.id}
      data-state={c.state}
      style={{ flexWrap: 'wrap' }}
    >
      <div className="sighting-main">
        <div className="sighting-top">
          <strong>{c.name}</strong>{' '}
          <span className="badge static" style={{ ['--c' as string]: st.color }} data-testid="camera-state">
            {st.label}
          </span>
        </div>
        <div className="muted small">
          <code>{c.url}</code> · {c.fps} snapshots/s{c.transport === 'udp' ? ' · RTP over UDP' : ''}
          {c.decode === 'keyframes' ? ' · key frames only' : ''}
          {c.instance ? ` · on ${c.instance}` : ''}
          {c.since ? ` · changed ${relativeTime(c.since)}` : ''}
        </div>
        {c.state === 'running' ? (
          <div className="muted small" data-testid="camera-feed">
            {feed?.rate != null ? `${feed.rate} snapshots/s recognized` : 'measuring snapshots/s…'}
            {' · '}
            {feed?.lastResult
              ? `last seen: ${feed.lastResult.names.join(', ')} ${relativeTime(feed.lastResult.capturedAt)}`
              : 'no face seen yet'}
          </div>
        ) : null}
        {c.error ? (
          <div className="small failed" data-testid="camera-error">
            Last error: {c.error}
          </div>
        ) : null}
      </div>
      <div className="enroll-actions">
        {c.state === 'running' ? (
          <button
            type="button"
            className="btn btn-small"
            onClick={props.onWatch}
            aria-pressed={!!props.tracker}
            data-testid="camera-watch"
          >
            {props.tracker ? 'Hide live view' : 'Live view'}
          </button>
        ) : null}
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setEditing((e) => !e)}
          aria-expanded={editing}
          data-testid="camera-edit"
        >
          {editing ? 'Cancel edit' : 'Edit'}
        </button>
        <button type="button" className="btn btn-small" onClick={props.onToggle}>
          {c.enabled ? 'Pause' : 'Resume'}
        </button>
        <button
          type="button"
          className="btn btn-danger btn-small"
          onClick={props.onRemove}
          aria-label={`Remove ${c.name}`}
        >
          <TrashIcon /> Remove
        </button>
      </div>
      {editing ? (
        <EditCamera
          camera={c}
          onDone={() => {
            setEditing(false);
            props.onEdited();
          }}
        />
      ) : null}
      {props.tracker && c.state === 'running' ? <CameraLive camera={c} tracker={props.tracker} /> : null}
    </li>
  );
}

/** Sends a camera form with its submit button disabled meanwhile; a failure shows as the form's error. */
async function submitting(
  setBusy: (busy: boolean) => void,
  setError: (error: string) => void,
  send: () => Promise<void>,
): Promise<void> {
  setBusy(true);
  try {
    await send();
  } catch (err) {
    setError(errorText(err).detail);
  } finally {
    setBusy(false);
  }
}

/** A camera form's error, on a line of its own. */
function FormError({ error }: { error: string | null }) {
  return error ? (
    <p className="form-error" style={{ flexBasis: '100%' }} role="alert">
      {error}
    </p>
  ) : null;
}

/**
 * The fields a camera is added and edited with. Adding (`adding`) names the defaults and shows example
 * values; editing shows what is stored (a blank URL keeps the stored one).
 */
function CameraFields(props: {
  form: CameraForm;
  set: (patch: Partial<CameraForm>) => void;
  urlPlaceholder: string;
  adding?: boolean;
}) {
  const { form, set, adding = false } = props;
  const byDefault = adding ? ' (default)' : '';
  return (
    <>
      <label className="field">
        Name
        <input
          className="input"
          value={form.name}
          onChange={(e) => set({ name: e.target.value })}
          placeholder={adding ? 'Front door' : undefined}
        />
      </label>
      <label className="field" style={{ flex: '3 1 320px' }}>
        Stream URL
        <input
          className="input"
          value={form.url}
          onChange={(e) => set({ url: e.target.value })}
          placeholder={props.urlPlaceholder}
          autoComplete="off"
        />
      </label>
      <label className="field" style={{ flex: '0 1 120px' }}>
        Snapshots/s
        <input
          className="input"
          type="number"
          min="0.1"
          max="30"
          step="0.1"
          value={form.fps}
          onChange={(e) => set({ fps: e.target.value })}
          placeholder={adding ? '2' : undefined}
        />
      </label>
      <label className="field" style={{ flex: '0 1 150px' }}>
        RTSP transport
        <select
          className="input"
          value={form.transport}
          onChange={(e) => set({ transport: e.target.value as CameraForm['transport'] })}
        >
          <option value="tcp">TCP{byDefault}</option>
          <option value="udp">UDP</option>
        </select>
      </label>
      <label className="field" style={{ flex: '0 1 190px' }}>
        Decode
        <select
          className="input"
          value={form.decode}
          onChange={(e) => set({ decode: e.target.value as CameraForm['decode'] })}
          title="Key frames only costs a fraction of the CPU, but gives at most one snapshot per key frame interval (GOP) of the camera"
        >
          <option value="all">Every frame{byDefault}</option>
          <option value="keyframes">Key frames only (cheaper)</option>
        </select>
      </label>
    </>
  );
}

/** A camera's settings, edited in place (`PATCH /api/v1/cameras/:id` with what changed); a blank URL keeps the stored one. */
function EditCamera(props: { camera: ApiCamera; onDone: () => void }) {
  const { camera } = props;
  const [form, setForm] = useState<CameraEdit>(() => editFormOf(camera));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<CameraEdit>) => setForm((f) => ({ ...f, ...patch }));

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const built = cameraPatch(camera, form);
    if ('error' in built) return setError(built.error);
    if (Object.keys(built.patch).length === 0) return props.onDone();
    await submitting(setBusy, setError, async () => {
      await request(`/api/v1/cameras/${encodeURIComponent(camera.id)}`, jsonInit('PATCH', built.patch));
      props.onDone();
    });
  };

  return (
    <form
      className="persons-bar"
      onSubmit={(e) => void save(e)}
      data-testid="camera-edit-form"
      style={{ flexBasis: '100%', flexWrap: 'wrap', alignItems: 'flex-end', gap: '0.6rem', marginTop: '0.6rem' }}
    >
      <CameraFields form={form} set={set} urlPlaceholder={`unchanged: ${camera.url}`} />
      <button type="submit" className="btn btn-primary btn-small" disabled={busy} data-testid="camera-save">
        {busy ? 'Saving…' : 'Save'}
      </button>
      <FormError error={error} />
    </form>
  );
}

function AddCamera(props: { onAdded: () => void }) {
  const [form, setForm] = useState<CameraForm>(EMPTY_FORM);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [probe, setProbe] = useState<CameraProbe | null>(null);
  const [testing, setTesting] = useState(false);

  const test = async () => {
    const built = cameraBody(form);
    if ('error' in built) return setError(built.error);
    setTesting(true);
    setProbe(null);
    try {
      setProbe(
        await requestJson<CameraProbe>(
          '/api/v1/cameras/test',
          jsonInit('POST', { url: built.body.url, transport: form.transport }),
        ),
      );
      setError(null);
    } catch (err) {
      setError(`Test failed: ${errorText(err).detail}`);
    } finally {
      setTesting(false);
    }
  };
  const hostCheck = useHostCheck(form.url.trim());
  const hint = hostCheck ? hostCheckText(hostCheck) : null;
  const set = (patch: Partial<CameraForm>) => setForm((f) => ({ ...f, ...patch }));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const built = cameraBody(form);
    if ('error' in built) return setError(built.error);
    await submitting(setBusy, setError, async () => {
      await request('/api/v1/cameras', jsonInit('POST', built.body));
      setForm(EMPTY_FORM);
      setProbe(null);
      setError(null);
      props.onAdded();
    });
  };

  return (
    <form
      className="persons-bar"
      onSubmit={(e) => void submit(e)}
      data-testid="camera-form"
      style={{ flexWrap: 'wrap', alignItems: 'flex-end', gap: '0.6rem' }}
    >
      <CameraFields form={form} set={set} urlPlaceholder="rtsp://user:password@192.168.1.20:554/stream1" adding />
      <button type="button" className="btn" disabled={testing} onClick={() => void test()} data-testid="camera-test">
        {testing ? 'Testing…' : 'Test connection'}
      </button>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        <PlusIcon /> Add camera
      </button>
      {probe ? (
        <figure style={{ flexBasis: '100%', margin: 0 }} data-testid="camera-snapshot">
          <img
            src={`data:image/jpeg;base64,${probe.jpegBase64}`}
            alt="Snapshot from the camera"
            style={{ maxWidth: 320, borderRadius: 8 }}
          />
          <figcaption className="muted small">
            Connected: {probe.width}×{probe.height}, first frame after {(probe.ms / 1000).toFixed(1)} s.
          </figcaption>
        </figure>
      ) : null}
      {hint ? (
        <p
          className={`small ${hint.allowed ? 'muted' : 'failed'}`}
          style={{ flexBasis: '100%' }}
          data-testid="lan-hint"
          data-allowed={String(hint.allowed)}
        >
          {hint.text}
        </p>
      ) : null}
      <FormError error={error} />
    </form>
  );
}

/** Capture's verdict on the URL's host (`POST /api/v1/cameras/check`), a moment after typing stops; null while unknown. */
function useHostCheck(url: string): HostCheck | null {
  const [check, setCheck] = useState<{ url: string; result: HostCheck } | null>(null);
  useEffect(() => {
    if (!url) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      requestJson<HostCheck>('/api/v1/cameras/check', { ...jsonInit('POST', { url }), signal: ctrl.signal })
        .then((result) => setCheck({ url, result }))
        .catch(() => undefined); // a URL the check cannot read: adding it explains why
    }, CHECK_DELAY_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [url]);
  return check && check.url === url ? check.result : null;
}
