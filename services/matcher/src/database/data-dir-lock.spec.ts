import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from './data-dir-lock';

describe('lockDataDir', () => {
  const roots: string[] = [];
  const dir = () => {
    roots.push(mkdtempSync(join(tmpdir(), 'glimpse-lock-')));
    return join(roots[roots.length - 1], 'pglite');
  };
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('writes pid@host beside the directory and removes it on release', () => {
    const d = dir();
    const release = lockDataDir(d);
    expect(readFileSync(`${d}.lock`, 'utf8').trim()).toBe(`${process.pid}@${hostname()}`);
    expect(() => lockDataDir(d)).toThrow(/in use by this process/);
    release();
    expect(existsSync(`${d}.lock`)).toBe(false);
    lockDataDir(d)();
  });

  it('refuses a directory held by another live process on this host', () => {
    const d = dir();
    writeFileSync(`${d}.lock`, `${process.ppid}@${hostname()}`);
    expect(() => lockDataDir(d)).toThrow(new RegExp(`in use by ${process.ppid}@`));
  });

  it.each([
    ['a dead process', () => `2147483646@${hostname()}`],
    ['another host (a recreated container)', () => `${process.ppid}@elsewhere`],
    ['our own pid (pid 1 again after a restart)', () => `${process.pid}@${hostname()}`],
  ])('takes over a lock left by %s', (_, owner) => {
    const d = dir();
    writeFileSync(`${d}.lock`, owner());
    const release = lockDataDir(d);
    expect(readFileSync(`${d}.lock`, 'utf8').trim()).toBe(`${process.pid}@${hostname()}`);
    release();
  });
});
