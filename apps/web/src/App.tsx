import { useCallback, useEffect, useMemo, useReducer, useRef, useState, useSyncExternalStore } from 'react';
import { CalibrationView } from './components/CalibrationView';
import { CameraPanel } from './components/CameraPanel';
import { CamerasView } from './components/CamerasView';
import { ErrorBanner, type BannerError } from './components/ErrorBanner';
import { Header, type Tab } from './components/Header';
import { PersonsView } from './components/PersonsView';
import { ResultsPanel } from './components/ResultsPanel';
import { ReviewQueue } from './components/ReviewQueue';
import { SightingsView } from './components/SightingsView';
import { UploadPanel } from './components/UploadPanel';
import { useHealth } from './hooks/useHealth';
import { useLiveCamera } from './hooks/useLiveCamera';
import { useVideoUpload } from './hooks/useVideoUpload';
import { DEFAULT_THRESHOLD } from './lib/camera';
import { PersonCrops } from './lib/crops';
import { requestJson } from './lib/http';
import { DEFAULT_RESULTS_CAP, initialResults, resultsReducer, type ResultSource } from './lib/results';
import type { ApiFace, RecognitionMessage, ThresholdReply } from './lib/types';

const MIRROR_KEY = 'glimpse.mirror';

function readMirror(): boolean {
  try {
    return localStorage.getItem(MIRROR_KEY) !== 'false';
  } catch {
    return true;
  }
}

export function App() {
  const [tab, setTab] = useState<Tab>('recognize');
  const [results, dispatch] = useReducer(resultsReducer, DEFAULT_RESULTS_CAP, initialResults);
  const [appError, setAppError] = useState<BannerError | null>(null);
  const [threshold, setThreshold] = useState(DEFAULT_THRESHOLD);
  const [mirrored, setMirrored] = useState(readMirror);
  const [personsVersion, setPersonsVersion] = useState(0);
  const [personsTotal, setPersonsTotal] = useState<number | null>(null);
  const [health, checkHealth] = useHealth();

  const showError = useCallback((title: string, detail: string) => setAppError({ title, detail }), []);

  // the live camera starts from the threshold in force (an applied, calibrated one included)
  useEffect(() => {
    requestJson<ThresholdReply>('/api/v1/settings/threshold')
      .then((t) => setThreshold(t.threshold))
      .catch(() => undefined); // keep the default: the matcher may be starting
  }, []);

  // persons change as faces are stored: refresh their list at most every 2 s
  const personsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const personsChanged = useCallback(() => {
    if (personsTimer.current) return;
    personsTimer.current = setTimeout(() => {
      personsTimer.current = null;
      setPersonsVersion((v) => v + 1);
    }, 2000);
  }, []);
  useEffect(() => () => clearTimeout(personsTimer.current ?? undefined), []);

  // live faces mostly come without a crop (STORE_STREAM_FACES=best): show the person's latest one
  const crops = useMemo(() => new PersonCrops(), []);
  useSyncExternalStore(crops.subscribe, crops.getVersion);
  const cropOf = useCallback((personId: string | null) => crops.get(personId), [crops]);

  const addFaces = useCallback(
    (faces: ApiFace[], at: string, source: ResultSource, thumbs?: (string | undefined)[], seq?: number) => {
      crops.note(faces);
      dispatch({ type: 'add', faces, at, source, thumbs, seq });
    },
    [crops],
  );

  const onStreamResult = useCallback(
    (source: ResultSource) => (msg: RecognitionMessage) => {
      addFaces(msg.faces, msg.frame.capturedAt, source, undefined, msg.frame.seq);
      if (msg.faces.some((f) => f.isNew)) personsChanged();
    },
    [addFaces, personsChanged],
  );

  const { camera, snapshot, tracker, metrics } = useLiveCamera(onStreamResult('camera'));
  const video = useVideoUpload({ onResult: onStreamResult('video'), onError: showError, onFinished: personsChanged });

  // threshold: sent with the session, and PATCHed (debounced) while streaming
  const thresholdTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const changeThreshold = useCallback(
    (v: number) => {
      setThreshold(v);
      if (thresholdTimer.current) clearTimeout(thresholdTimer.current);
      thresholdTimer.current = setTimeout(() => void camera.setThreshold(v), 300);
    },
    [camera],
  );

  const changeMirrored = useCallback((v: boolean) => {
    setMirrored(v);
    try {
      localStorage.setItem(MIRROR_KEY, String(v));
    } catch {
      /* private mode */
    }
  }, []);

  const toggleHighlight = useCallback((personId: string | null) => dispatch({ type: 'toggleHighlight', personId }), []);

  const camError = snapshot.error;
  const banner: BannerError | null = camError
    ? {
        title: camError.title,
        detail: camError.detail,
        action: camError.restartable
          ? {
              label: snapshot.phase === 'live' ? 'Restart camera' : 'Try again',
              run: () => void camera.restart(threshold),
            }
          : undefined,
      }
    : appError;

  return (
    <div className="app">
      <Header tab={tab} onTab={setTab} health={health} onHealth={checkHealth} personsTotal={personsTotal} />
      <div className="banner-slot">
        <ErrorBanner error={banner} onDismiss={() => (camError ? camera.dismissError() : setAppError(null))} />
      </div>

      <TabPanel id="recognize" tab={tab}>
        <div className="workspace">
          <CameraPanel
            snapshot={snapshot}
            tracker={tracker}
            metrics={metrics}
            highlight={results.highlight}
            threshold={threshold}
            onThreshold={changeThreshold}
            mirrored={mirrored}
            onMirrored={changeMirrored}
            onStart={() => {
              setAppError(null);
              void camera.start(threshold);
            }}
            onStop={() => void camera.stop()}
          />
          <UploadPanel
            threshold={threshold}
            highlight={results.highlight}
            onHighlight={toggleHighlight}
            onFaces={addFaces}
            onError={showError}
            onPersonsChanged={personsChanged}
            video={video}
          />
        </div>
        <ResultsPanel
          cards={results.cards}
          highlight={results.highlight}
          cap={results.cap}
          cropOf={cropOf}
          onToggle={toggleHighlight}
          onClear={() => dispatch({ type: 'clear' })}
        />
      </TabPanel>

      <TabPanel id="persons" tab={tab} single>
        <ReviewQueue
          active={tab === 'persons'}
          version={personsVersion}
          onError={showError}
          onChanged={(gone) => {
            for (const id of gone) {
              crops.forget(id);
              dispatch({ type: 'removePerson', personId: id });
            }
            setPersonsVersion((v) => v + 1);
          }}
        />
        <PersonsView
          active={tab === 'persons'}
          version={personsVersion}
          onTotal={setPersonsTotal}
          onError={showError}
          onDeleted={(id) => {
            crops.forget(id);
            dispatch({ type: 'removePerson', personId: id });
          }}
        />
      </TabPanel>

      <TabPanel id="sightings" tab={tab} single>
        <SightingsView active={tab === 'sightings'} version={personsVersion} />
      </TabPanel>

      <TabPanel id="calibration" tab={tab} single>
        <CalibrationView active={tab === 'calibration'} onError={showError} onApplied={setThreshold} />
      </TabPanel>

      <TabPanel id="cameras" tab={tab} single>
        <CamerasView active={tab === 'cameras'} onError={showError} />
      </TabPanel>

      <footer className="footer muted small">
        Glimpse · self-hosted face recognition · video and faces stay on your server
      </footer>
    </div>
  );
}

/** One tab's view: shown while its tab is selected, labelled by it for screen readers. */
function TabPanel(props: { id: Tab; tab: Tab; single?: boolean; children: React.ReactNode }) {
  return (
    <main
      id={`view-${props.id}`}
      role="tabpanel"
      aria-labelledby={`tab-${props.id}`}
      className={props.single ? 'layout layout-single' : 'layout'}
      hidden={props.tab !== props.id}
    >
      {props.children}
    </main>
  );
}
