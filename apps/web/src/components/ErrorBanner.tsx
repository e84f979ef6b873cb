import { AlertIcon, CloseIcon } from './Icons';

export interface BannerError {
  title: string;
  detail: string;
  action?: { label: string; run: () => void };
}

/** The one place errors show up: the server's problem `detail`, an optional action, a dismiss button. */
export function ErrorBanner({ error, onDismiss }: { error: BannerError | null; onDismiss: () => void }) {
  if (!error) return null;
  return (
    <div className="banner" role="alert" data-testid="error-banner">
      <AlertIcon className="banner-icon" />
      <div className="banner-text">
        <strong>{error.title}</strong>
        <span>{error.detail}</span>
      </div>
      {error.action ? (
        <button type="button" className="btn btn-small" onClick={error.action.run}>
          {error.action.label}
        </button>
      ) : null}
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
        <CloseIcon />
      </button>
    </div>
  );
}
