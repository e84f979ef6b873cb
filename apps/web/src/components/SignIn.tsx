import { useEffect, useState, type FormEvent, type ReactNode } from 'react';

type State = 'checking' | 'signed-in' | 'signed-out';

async function login(key: string): Promise<boolean> {
  const res = await fetch('/api/v1/auth/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
    credentials: 'same-origin',
  });
  return res.ok;
}

/** The key of a sign-in link (`/#key=glk_…`), if any. */
function keyFromHash(): string | null {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  return params.get('key');
}

/**
 * Renders its children once the browser has a UI session (the HttpOnly `glimpse_ui` cookie): from a
 * sign-in link's `#key=…` (dropped from the address bar right away), or from an API key pasted here.
 */
export function SignInGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>('checking');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const check = async () => {
      const fromLink = keyFromHash();
      if (fromLink) {
        window.history.replaceState(null, '', window.location.pathname + window.location.search);
        await login(fromLink).catch(() => false);
      }
      const res = await fetch('/api/v1/auth/session', { credentials: 'same-origin' }).catch(() => null);
      if (!cancelled) setState(res?.ok ? 'signed-in' : 'signed-out');
    };
    // A sign-in link opened in a tab that already shows the page only changes the hash.
    const onHash = () => void (keyFromHash() && check());
    void check();
    window.addEventListener('hashchange', onHash);
    return () => {
      cancelled = true;
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const ok = await login(key.trim()).catch(() => false);
    if (ok) setState('signed-in');
    else setError('That API key was not accepted.');
  };

  if (state === 'signed-in') return <>{children}</>;
  if (state === 'checking') return null;
  return (
    <main className="signin">
      <form onSubmit={submit} className="signin-form">
        <h1>Glimpse</h1>
        <p>
          Sign in with an API key (the link printed by <code>npm start</code> signs you in directly).
        </p>
        <input
          data-testid="signin-key"
          type="password"
          autoComplete="off"
          placeholder="glk_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button data-testid="signin-submit" type="submit" disabled={!key.trim()}>
          Sign in
        </button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}
