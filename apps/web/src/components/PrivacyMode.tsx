import { useEffect, useState } from 'react';
import { requestJson } from '../lib/http';
import type { PrivacyReply } from '../lib/types';

const TEXT = {
  remember: 'Remember mode: every face seen is kept as a person.',
  watchlist: 'Watchlist mode: only enrolled, named persons are recognized; nothing is kept about anyone else.',
} as const;

/** Which recognition mode runs (`GET /api/v1/privacy`; docs/privacy.md), whether crops are encrypted and bystanders blurred. */
export function PrivacyMode() {
  const [settings, setSettings] = useState<PrivacyReply | null>(null);
  useEffect(() => {
    let alive = true;
    // the page works without it: an old matcher, or one that is down, simply shows no mode
    requestJson<PrivacyReply>('/api/v1/privacy')
      .then((s) => alive && setSettings(s))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, []);
  if (!settings) return null;
  return (
    <p className="muted small privacy-mode" data-testid="privacy-mode" data-mode={settings.recognitionMode}>
      <strong>{TEXT[settings.recognitionMode]}</strong>{' '}
      {settings.cropsEncrypted ? 'Face crops are encrypted at rest.' : 'Face crops are not encrypted (no CROP_KEY).'}
      {settings.blurUnknown && ' Faces of anyone not enrolled by name are blurred in stored crops.'}
    </p>
  );
}
