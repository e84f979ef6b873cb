import type { Health } from '../hooks/useHealth';

export type Tab = 'recognize' | 'persons' | 'sightings' | 'calibration' | 'cameras';

export function Header(props: { tab: Tab; onTab: (t: Tab) => void; health: Health; onHealth: () => void; personsTotal: number | null }) {
  const { tab, onTab, health } = props;
  const healthLabel =
    health.state === 'checking'
      ? 'Checking…'
      : health.state === 'ok'
        ? 'All services up'
        : health.state === 'unreachable'
          ? 'Gateway unreachable'
          : `Down: ${health.down.join(', ') || 'unknown'}`;
  return (
    <header className="topbar">
      <div className="brand">
        <img src="/favicon.svg" alt="" width="28" height="28" />
        <span className="brand-name">Glimpse</span>
      </div>
      <nav className="tabs" role="tablist" aria-label="Views">
        <button type="button" role="tab" id="tab-recognize" aria-controls="view-recognize" aria-selected={tab === 'recognize'} className="tab" onClick={() => onTab('recognize')}>
          Recognize
        </button>
        <button
          type="button"
          role="tab"
          id="tab-persons"
          aria-controls="view-persons"
          aria-selected={tab === 'persons'}
          className="tab"
          data-testid="persons-tab"
          onClick={() => onTab('persons')}
        >
          Persons
          {props.personsTotal ? <span className="tab-count">{props.personsTotal}</span> : null}
        </button>
        <button
          type="button"
          role="tab"
          id="tab-sightings"
          aria-controls="view-sightings"
          aria-selected={tab === 'sightings'}
          className="tab"
          data-testid="sightings-tab"
          onClick={() => onTab('sightings')}
        >
          Sightings
        </button>
        <button
          type="button"
          role="tab"
          id="tab-calibration"
          aria-controls="view-calibration"
          aria-selected={tab === 'calibration'}
          className="tab"
          data-testid="calibration-tab"
          onClick={() => onTab('calibration')}
        >
          Calibration
        </button>
        <button
          type="button"
          role="tab"
          id="tab-cameras"
          aria-controls="view-cameras"
          aria-selected={tab === 'cameras'}
          className="tab"
          data-testid="cameras-tab"
          onClick={() => onTab('cameras')}
        >
          Cameras
        </button>
      </nav>
      <button type="button" className={`health health-${health.state}`} title={health.detail || 'Service health'} onClick={props.onHealth} aria-label={`Service health: ${healthLabel}`}>
        <span className="dot" />
        <span className="health-label">{healthLabel}</span>
      </button>
    </header>
  );
}
