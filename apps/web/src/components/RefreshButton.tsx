import { RefreshIcon } from './Icons';

/** The "Refresh" button in a view's head: asks the view to load its data again. */
export function RefreshButton(props: { onRefresh: () => void; disabled?: boolean }) {
  return (
    <button type="button" className="btn btn-ghost btn-small" onClick={props.onRefresh} disabled={props.disabled}>
      <RefreshIcon /> Refresh
    </button>
  );
}
