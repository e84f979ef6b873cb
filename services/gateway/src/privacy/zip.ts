/**
 * A minimal ZIP writer (PKWARE APPNOTE 6.3): STORE only, no ZIP64, UTF-8 names. Enough for a subject
 * access export (a JSON document and JPEG crops, which would not compress anyway) without a dependency.
 */

export interface ZipEntry {
  name: string;
  data: Buffer;
  modified: Date;
}

/** ZIP's limits without ZIP64: 65,535 entries, 4 GiB per entry and in all. */
const MAX_ENTRIES = 0xffff;
const MAX_BYTES = 0xffffffff;
/** A regular file, rw-r--r--, in the external attributes' high half. */
const UNIX_FILE_MODE = (0o100644 << 16) >>> 0;

export function zipStore(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > MAX_ENTRIES) throw new RangeError(`a zip holds at most ${MAX_ENTRIES} entries without ZIP64`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const { time, date } = dosTime(e.modified);
    // version 2.0, flag bit 11 (UTF-8 names), method 0 (store)
    const common = [20, 0x0800, 0, time, date]
      .map(u16)
      .concat([u32(crc), u32(e.data.length), u32(e.data.length), u16(name.length), u16(0)]);
    const local = Buffer.concat([u32(0x04034b50), ...common, name]);
    // made by Unix (3): unzip then takes the UTF-8 name bytes as they are, and the mode rw-r--r--
    const central = Buffer.concat([
      u32(0x02014b50),
      u16(0x0314),
      ...common,
      u16(0),
      u16(0),
      u16(0),
      u32(UNIX_FILE_MODE),
      u32(offset),
      name,
    ]);
    locals.push(local, e.data);
    centrals.push(central);
    offset += local.length + e.data.length;
    if (offset > MAX_BYTES) throw new RangeError('a zip without ZIP64 holds at most 4 GiB');
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...locals, directory, end]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** MS-DOS date and time (local fields, 2-second resolution, 1980–2107), as ZIP stores them; UTC here. */
function dosTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
