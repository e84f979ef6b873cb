import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

const held = new Set<string>();

/**
 * PGlite is a single-process Postgres: two processes on one data directory corrupt it, and nothing in
 * PGlite stops them. A `<dir>.lock` file beside the directory (PGlite wants the directory itself to hold
 * only its own files) names the owner as pid@host; a lock whose process is gone is taken over.
 * Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  if (held.has(dir)) throw inUse(dir, 'this process');
  const file = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}@${hostname()}\n`, { flag: 'wx' });
      held.add(dir);
      return () => {
        held.delete(dir);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readFileSync(file, 'utf8').trim();
      if (isAlive(owner)) throw inUse(dir, owner);
      rmSync(file, { force: true });
    }
  }
  throw inUse(dir, 'another process');
}

/**
 * Only a live process on this host counts. Another host (a recreated container) or our own pid
 * (pid 1 again after a container restart) means a crash left the lock behind.
 */
function isAlive(owner: string): boolean {
  const [pid, host] = owner.split('@');
  const n = Number(pid);
  if (host !== hostname() || !Number.isInteger(n) || n <= 0 || n === process.pid) return false;
  try {
    process.kill(n, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function inUse(dir: string, owner: string): Error {
  return new Error(
    `PGlite data directory ${dir} is in use by ${owner}; only one matcher may use it ` +
      `(give each instance its own DATA_DIR, or share a Postgres through DATABASE_URL)`,
  );
}
