import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, zipStore } from './zip';

const hasUnzip = !spawnSync('unzip', ['-v']).error;

describe('zipStore', () => {
  it('computes CRC-32 as zlib does', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = randomBytes(5000);
    if (typeof zlibCrc32 === 'function') expect(crc32(data)).toBe(zlibCrc32(data));
  });

  (hasUnzip ? it : it.skip)(
    'writes an archive that unzip tests and extracts byte for byte, UTF-8 names included',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'zip-spec-'));
      const entries = [
        { name: 'person.json', data: Buffer.from('{"name":"Zoë"}'), modified: new Date('2026-12-06T08:00:00Z') },
        { name: 'crops/a.jpg', data: randomBytes(20_000), modified: new Date('2026-12-06T08:00:02Z') },
        { name: 'crops/empty.jpg', data: Buffer.alloc(0), modified: new Date('1970-01-01T00:00:00Z') },
        { name: 'Zoë.txt', data: Buffer.from('ü'), modified: new Date() },
      ];
      const file = join(dir, 'x.zip');
      writeFileSync(file, zipStore(entries));
      expect(execFileSync('unzip', ['-t', file]).toString()).toMatch(/No errors detected/);
      execFileSync('unzip', ['-q', file, '-d', join(dir, 'out')]);
      for (const e of entries) expect(readFileSync(join(dir, 'out', e.name)).equals(e.data)).toBe(true);
      expect(execFileSync('zipinfo', [file]).toString()).toMatch(/4 files/);
    },
  );

  it('an empty archive is just the end record', () => {
    expect(zipStore([]).length).toBe(22);
  });
});
