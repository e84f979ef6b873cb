import { useCallback, useEffect, useState } from 'react';
import type { HealthReply } from '../lib/types';

export interface Health {
  state: 'checking' | 'ok' | 'degraded' | 'unreachable';
  down: string[];
  detail: string;
}

/** Polls `/healthz` (503 still carries the checks). */
export function useHealth(intervalMs = 15_000): [Health, () => void] {
  const [health, setHealth] = useState<Health>({ state: 'checking', down: [], detail: '' });
  const check = useCallback(async () => {
    try {
      const res = await fetch('/healthz', { cache: 'no-store' });
      const body = (await res.json()) as HealthReply;
      const entries = Object.entries(body.checks ?? {});
      const down = entries.filter(([, c]) => !c.ok).map(([n]) => n);
      setHealth({
        state: down.length || !res.ok ? 'degraded' : 'ok',
        down,
        detail: entries.map(([n, c]) => `${n}: ${c.ok ? 'ok' : 'DOWN'}${c.detail ? ` (${c.detail})` : ''}`).join('\n'),
      });
    } catch {
      setHealth({ state: 'unreachable', down: [], detail: 'The gateway did not answer /healthz' });
    }
  }, []);
  useEffect(() => {
    void check();
    const id = setInterval(() => void check(), intervalMs);
    return () => clearInterval(id);
  }, [check, intervalMs]);
  return [health, check];
}
