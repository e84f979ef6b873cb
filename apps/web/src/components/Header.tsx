import type { Health } from '../hooks/useHealth';
import { dlibBuildLabel } from '../lib/dlib-build';

export type Tab = 'recognize' | 'persons' | 'sightings' | 'calibration' | 'cameras';

/** The views, in tab order; each tab controls the element `view-<id>`. */
const TABS: { id: Tab; label: string; testId?: string }[] = [
  { id: 'recognize', label: 'Recognize' },
  { id: 'persons', label: 'Persons', testId: 'persons-tab' },
  { id: 'sightings', label: 'Sightings', testId: 'sightings-tab' },
  { id: 'calibration', label: 'Calibration', testId: 'calibration-tab' },
  { id: 'cameras', label: 'Cameras', testId: 'cameras-tab' },
];

export function Header(props: {
  tab: Tab;
  onTab: (t: Tab) => void;
  health: Health;
  onHealth: () => void;
  personsTotal: number | null;
}) {
  const { tab, onTab, health } = props;
  const healthLabel =
    health.state === 'checking'
      ? 'Checking…'
      : health.state === 'ok'
        ? 'All services up'
        : health.state === 'unreachable'
          ? 'Gateway unreachable'
          : `Down: ${health.down.join(', ') || 'unknown'}`;
  const dlib = dlibBuildLabel(health.detail);
  return (
    <header className="topbar">
      <div className="brand">
        <img src="/favicon.svg" alt="" width="28" height="28" />
        <span className="brand-name">Glimpse</span>
      </div>
      <nav className="tabs" role="tablist" aria-label="Views">
        {TABS.map(({ id, label, testId }) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-controls={`view-${id}`}
            aria-selected={tab === id}
            className="tab"
            data-testid={testId}
            onClick={() => onTab(id)}
          >
            {label}
            {id === 'persons' && props.personsTotal ? <span className="tab-count">{props.personsTotal}</span> : null}
          </button>
        ))}
      </nav>
      <button
        type="button"
        className={`health health-${health.state}`}
        title={health.detail || 'Service health'}
        onClick={props.onHealth}
        aria-label={`Service health: ${healthLabel}`}
      >
        <span className="dot" />
        <span className="health-label">{healthLabel}</span>
        {dlib && (
          <span className="health-dlib" data-testid="health-dlib">
            {dlib}
          </span>
        )}
      </button>
    </header>
  );
}
