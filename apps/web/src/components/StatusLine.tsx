import type { ConnectionState } from '../lib/camera';
import { formatLatency, formatRate } from '../lib/format';

const HINTS: Record<ConnectionState, string> = {
  idle: 'The camera is off',
  connecting: 'Connecting to Glimpse…',
  live: 'Streaming; results arrive as faces are recognized',
  reconnecting: 'The connection dropped; reconnecting…',
  error: 'Not connected; see the message above',
};

/** Connection state, snapshots analysed per second, end-to-end latency. */
export function StatusLine(props: { connection: ConnectionState; fps: number | null; latencyMs: number | null }) {
  const { connection } = props;
  return (
    <dl className="status" aria-live="polite">
      <div className="status-item" title={HINTS[connection]}>
        <dt>Connection</dt>
        <dd>
          <span className={`state state-${connection}`} data-testid="status-connection" data-state={connection}>
            {connection}
          </span>
        </dd>
      </div>
      <div className="status-item" title="Snapshots analysed per second">
        <dt>Snapshots</dt>
        <dd data-testid="status-fps">{formatRate(props.fps)}</dd>
      </div>
      <div className="status-item" title="From capture to result on screen">
        <dt>Latency</dt>
        <dd data-testid="status-latency">{formatLatency(props.latencyMs)}</dd>
      </div>
    </dl>
  );
}
