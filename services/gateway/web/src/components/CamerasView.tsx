import { useCallback, useEffect, useState } from 'react';
import { cameraBody, hostOf, looksLocal, stateText, type ApiCamera, type CameraForm } from '../lib/cameras';
import { relativeTime } from '../lib/format';
import { errorText, jsonInit, request, requestJson } from '../lib/http';
import { PlusIcon, RefreshIcon, TrashIcon } from './Icons';

const EMPTY_FORM: CameraForm = { name: '', url: '', fps: '', transport: 'tcp' };
const REFRESH_MS = 3000;

/** IP cameras (`/api/v1/cameras`): kept by Glimpse, each run on one capture instance, back by themselves after restarts. */
export function CamerasView(props: { active: boolean; onError: (title: string, detail: string) => void }) {
  const { active, onError } = props;
  const [cameras, setCameras] = useState<ApiCamera[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

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
            IP cameras Glimpse keeps running: each on one capture instance, taken over by another if that one stops, and back by themselves after a restart.
            Cameras on your LAN (192.168.x.x, 10.x.x.x, <code>cam.lan</code>…) work only once the operator allows their addresses in the capture
            service&apos;s <code>STREAM_ALLOWED_HOSTS</code>.
          </p>
        </div>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setReload((n) => n + 1)}>
          <RefreshIcon /> Refresh
        </button>
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
              onToggle={() => act(c.enabled ? 'Pause' : 'Resume', () => request(`/api/v1/cameras/${c.id}`, jsonInit('PATCH', { enabled: !c.enabled })))}
              onRemove={() => {
                if (window.confirm(`Remove camera “${c.name}”?`)) void act('Remove', () => request(`/api/v1/cameras/${c.id}`, { method: 'DELETE' }));
              }}
            />
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function CameraRow(props: { camera: ApiCamera; onToggle: () => void; onRemove: () => void }) {
  const { camera: c } = props;
  const st = stateText(c.state);
  return (
    <li className="sighting" data-testid="camera-row" data-camera-id={c.id} data-state={c.state}>
      <div className="sighting-main">
        <div className="sighting-top">
          <strong>{c.name}</strong>{' '}
          <span className="badge static" style={{ ['--c' as string]: st.color }} data-testid="camera-state">
            {st.label}
          </span>
        </div>
        <div className="muted small">
          <code>{c.url}</code> · {c.fps} snapshots/s{c.transport === 'udp' ? ' · RTP over UDP' : ''}
          {c.instance ? ` · on ${c.instance}` : ''}
          {c.since ? ` · changed ${relativeTime(c.since)}` : ''}
        </div>
        {c.error ? (
          <div className="small failed" data-testid="camera-error">
            Last error: {c.error}
          </div>
        ) : null}
      </div>
      <div className="enroll-actions">
        <button type="button" className="btn btn-small" onClick={props.onToggle}>
          {c.enabled ? 'Pause' : 'Resume'}
        </button>
        <button type="button" className="btn btn-danger btn-small" onClick={props.onRemove} aria-label={`Remove ${c.name}`}>
          <TrashIcon /> Remove
        </button>
      </div>
    </li>
  );
}

interface Probe {
  width: number;
  height: number;
  ms: number;
  jpegBase64: string;
}

function AddCamera(props: { onAdded: () => void }) {
  const [form, setForm] = useState<CameraForm>(EMPTY_FORM);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [probe, setProbe] = useState<Probe | null>(null);
  const [testing, setTesting] = useState(false);

  const test = async () => {
    const built = cameraBody(form);
    if ('error' in built) return setError(built.error);
    setTesting(true);
    setProbe(null);
    try {
      setProbe(await requestJson<Probe>('/api/v1/cameras/test', jsonInit('POST', { url: built.body.url, transport: form.transport })));
      setError(null);
    } catch (err) {
      setError(`Test failed: ${errorText(err).detail}`);
    } finally {
      setTesting(false);
    }
  };
  const host = hostOf(form.url.trim());
  const set = (patch: Partial<CameraForm>) => setForm((f) => ({ ...f, ...patch }));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const built = cameraBody(form);
    if ('error' in built) return setError(built.error);
    setBusy(true);
    try {
      await request('/api/v1/cameras', jsonInit('POST', built.body));
      setForm(EMPTY_FORM);
      setProbe(null);
      setError(null);
      props.onAdded();
    } catch (err) {
      setError(errorText(err).detail);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="persons-bar" onSubmit={(e) => void submit(e)} data-testid="camera-form" style={{ flexWrap: 'wrap', alignItems: 'flex-end', gap: '0.6rem' }}>
      <label className="field">
        Name
        <input className="input" value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="Front door" />
      </label>
      <label className="field" style={{ flex: '3 1 320px' }}>
        Stream URL
        <input className="input" value={form.url} onChange={(e) => set({ url: e.target.value })} placeholder="rtsp://user:password@192.168.1.20:554/stream1" autoComplete="off" />
      </label>
      <label className="field" style={{ flex: '0 1 120px' }}>
        Snapshots/s
        <input className="input" type="number" min="0.1" max="30" step="0.1" value={form.fps} onChange={(e) => set({ fps: e.target.value })} placeholder="2" />
      </label>
      <label className="field" style={{ flex: '0 1 150px' }}>
        RTSP transport
        <select className="input" value={form.transport} onChange={(e) => set({ transport: e.target.value as CameraForm['transport'] })}>
          <option value="tcp">TCP (default)</option>
          <option value="udp">UDP</option>
        </select>
      </label>
      <button type="button" className="btn" disabled={testing} onClick={() => void test()} data-testid="camera-test">
        {testing ? 'Testing…' : 'Test connection'}
      </button>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        <PlusIcon /> Add camera
      </button>
      {probe ? (
        <figure style={{ flexBasis: '100%', margin: 0 }} data-testid="camera-snapshot">
          <img src={`data:image/jpeg;base64,${probe.jpegBase64}`} alt="Snapshot from the camera" style={{ maxWidth: 320, borderRadius: 8 }} />
          <figcaption className="muted small">
            Connected: {probe.width}×{probe.height}, first frame after {(probe.ms / 1000).toFixed(1)} s.
          </figcaption>
        </figure>
      ) : null}
      {host && looksLocal(host) ? (
        <p className="muted small" style={{ flexBasis: '100%' }} data-testid="lan-hint">
          {host} is a LAN address: the capture service accepts it only if the operator allows it with <code>STREAM_ALLOWED_HOSTS</code> (for example{' '}
          <code>STREAM_ALLOWED_HOSTS={host}</code> or a range such as <code>192.168.1.0/24</code>); otherwise adding it answers “stream source refused”.
        </p>
      ) : null}
      {error ? (
        <p className="form-error" style={{ flexBasis: '100%' }} role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
