/**
 * NumPy .npz reader: a ZIP archive of .npy members (np.savez stores them,
 * np.savez_compressed deflates them).
 *
 * The member list comes from the central directory (ZIP64 records included:
 * numpy writes members with force_zip64). Stored members are read in place
 * from the file in chunks; deflated members are streamed from the file through
 * Node's zlib into a buffer of the declared size, checking length and CRC-32.
 * (fflate, pure JS, took 2.8–6 s to inflate a 300 MB member that zlib inflates
 * in 1.2–1.3 s, and its JS CRC-32 another pass; 100 000 × 768 float32, ad hoc and
 * `bench --suite io`.)
 * Member names with ".." components or absolute paths make the whole archive
 * suspect and are refused, even though nothing is ever extracted to disk.
 */
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { LatentError } from '../errors';
import { DEFAULT_MAX_VALUES, MemorySource, throwIfCancelled, withFile, withNonFinite, type FileSource } from './common';
import { readNpySource } from './npy';
import type { EmbeddingTable, ReadOptions } from './types';

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/** A little-endian uint64 field; a bare RangeError here surfaced as an 'io' error, so these are format errors. */
function u64(dv: DataView, off: number, file: string): number {
  if (off < 0 || off + 8 > dv.byteLength) throw new LatentError('format', 'not a valid .npz (zip) file: a 64-bit field lies past the end of its record', file);
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LatentError('format', `not a valid .npz (zip) file: 64-bit field ${v} is too large`, file);
  return Number(v);
}

/** Deflate expands at most about 1032:1 (its densest code: a 258-byte match in about 2 bits). */
const MAX_DEFLATE_RATIO = 1032;

async function readCentralDirectory(src: FileSource, file: string): Promise<ZipEntry[]> {
  const bad = (msg: string): LatentError => new LatentError('format', `not a valid .npz (zip) file: ${msg}`, file);
  if (src.size === 0) throw new LatentError('format', 'file is empty', file);
  if (src.size < 22) throw bad('too short');
  const tailLen = Math.min(src.size, 22 + 65535 + 20);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('no end-of-central-directory record');
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tdv.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw bad('missing ZIP64 locator');
    const z64Offset = u64(tdv, loc + 8, file);
    const z = await src.read(z64Offset, 56);
    const zdv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    if (z.length < 56 || zdv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw bad('bad ZIP64 end-of-central-directory record');
    count = u64(zdv, 32, file);
    cdSize = u64(zdv, 40, file);
    cdOffset = u64(zdv, 48, file);
  }
  if (cdOffset + cdSize > src.size) throw bad('central directory lies outside the file');
  const cd = await src.read(cdOffset, cdSize);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== CENTRAL_SIG) throw bad(`central directory entry ${k} is corrupt`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw bad(`central directory entry ${k} is corrupt`);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    const name = new TextDecoder(flags & 0x800 ? 'utf-8' : 'latin1').decode(nameBytes);
    // ZIP64 extended information: only the fields that are 0xFFFFFFFF above, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const size = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        // Fields must lie inside this extra record (a short one made getBigUint64 throw a RangeError).
        const record = new DataView(cd.buffer, cd.byteOffset + e + 4, Math.max(0, Math.min(size, extraEnd - e - 4)));
        let q = 0;
        if (uncompressedSize === 0xffffffff) (uncompressedSize = u64(record, q, file)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(record, q, file)), (q += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(record, q, file);
      }
      e += 4 + size;
    }
    entries.push({ name, method, flags, crc, compressedSize, uncompressedSize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  for (const entry of entries) {
    const parts = entry.name.split(/[\\/]/);
    if (/^([\\/]|[A-Za-z]:)/.test(entry.name) || parts.includes('..')) {
      throw new LatentError('format', `member name ${JSON.stringify(entry.name)} is not allowed (absolute path or ".." component)`, file);
    }
  }
  return entries;
}

let CRC_TABLE: Uint32Array | undefined;
/** CRC-32 of `bytes` continuing from `crc`: zlib's (Node ≥ 20.15), else a table-driven loop. */
function crc32(bytes: Uint8Array, crc = 0): number {
  if (zlib.crc32) return zlib.crc32(bytes, crc);
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Compressed bytes read (and handed to zlib, which inflates on the libuv pool) at a time. */
const INFLATE_READ = 4 * 1024 * 1024;
/** Inflated bytes per chunk zlib hands back (its default, 16 KiB, made 19 000 async steps for a 300 MB member). */
const INFLATE_CHUNK = 1024 * 1024;

/**
 * Inflates a deflated member into a buffer of its declared size, checking its length and
 * CRC-32. Streamed, so the compressed bytes are never all in memory, and cancellable
 * between reads.
 */
async function inflateMember(src: FileSource, dataStart: number, entry: ZipEntry, path: string, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(entry.uncompressedSize);
  let length = 0;
  let crc = 0;
  let tooLong = false;
  async function* compressed(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < entry.compressedSize; at += INFLATE_READ) {
      throwIfCancelled(signal, path);
      yield await src.read(dataStart + at, Math.min(INFLATE_READ, entry.compressedSize - at));
    }
  }
  async function collect(inflated: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of inflated) {
      if (length + chunk.length > out.length) {
        tooLong = true;
        return; // ends the pipeline; the inflater is destroyed
      }
      out.set(chunk, length);
      crc = crc32(chunk, crc);
      length += chunk.length;
    }
  }
  try {
    await pipeline(compressed, zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK }), collect);
  } catch (e) {
    if (e instanceof LatentError) throw e;
    // A premature close is our own early return on a member longer than declared.
    if (!tooLong) throw new LatentError('format', `member ${entry.name} cannot be inflated: ${(e as Error).message}`, path, { cause: e });
  }
  // tooLong first: the bytes that fit may be exactly the declared number
  if (tooLong || length !== entry.uncompressedSize) {
    throw new LatentError(
      'format',
      `member ${entry.name} inflates to ${tooLong ? `more than ${entry.uncompressedSize}` : `only ${length}`} bytes, but declares ${entry.uncompressedSize}`,
      path,
    );
  }
  if (crc !== entry.crc) throw new LatentError('format', `member ${entry.name} fails its CRC-32 check (corrupt file)`, path);
  return out;
}

const stripNpy = (name: string): string => name.replace(/\.npy$/i, '');

export async function readNpz(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  return withFile(path, async (src) => {
    const entries = await readCentralDirectory(src, path);
    const arrays = entries.filter((e) => /\.npy$/i.test(e.name));
    const names = arrays.map((e) => stripNpy(e.name));
    let entry: ZipEntry | undefined;
    if (options.array !== undefined) {
      const want = stripNpy(options.array);
      entry = arrays.find((e) => stripNpy(e.name) === want);
      if (!entry) {
        throw new LatentError('usage', `no array ${JSON.stringify(options.array)} in this .npz; it has: ${names.join(', ') || '(none)'}`, path);
      }
    } else if (arrays.length === 1) {
      entry = arrays[0];
    } else if (arrays.length === 0) {
      throw new LatentError('format', 'this .npz holds no .npy arrays', path);
    } else {
      throw new LatentError('usage', `this .npz holds ${arrays.length} arrays (${names.join(', ')}); choose one with --array`, path);
    }
    if (entry.flags & 1) throw new LatentError('unsupported', `member ${entry.name} is encrypted`, path);
    const limit = (options.maxValues ?? DEFAULT_MAX_VALUES) * 8 + 1024 * 1024;
    if (entry.uncompressedSize > limit) {
      throw new LatentError(
        'unsupported',
        `member ${entry.name} declares ${entry.uncompressedSize} bytes uncompressed, more than the limit of ${limit} (maxValues × 8 + 1 MB)`,
        path,
      );
    }
    if (entry.method === 8 && entry.uncompressedSize > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      // Checked before the output buffer of the declared size is allocated: a few KB declaring 4 GB
      // would otherwise allocate 4 GB whenever maxValues allows it (the default does).
      throw new LatentError(
        'format',
        `member ${entry.name} declares ${entry.uncompressedSize} bytes uncompressed, more than its ${entry.compressedSize} deflated bytes can hold`,
        path,
      );
    }
    // Local header: 30 fixed bytes + name + extra (its extra may differ from the central one).
    const local = await src.read(entry.localHeaderOffset, 30);
    const ldv = new DataView(local.buffer, local.byteOffset, local.byteLength);
    if (local.length < 30 || ldv.getUint32(0, true) !== LOCAL_SIG) {
      throw new LatentError('format', `local header of member ${entry.name} is corrupt`, path);
    }
    const dataStart = entry.localHeaderOffset + 30 + ldv.getUint16(26, true) + ldv.getUint16(28, true);
    if (dataStart + entry.compressedSize > src.size) {
      throw new LatentError('format', `file is truncated: member ${entry.name} extends past the end of the file`, path);
    }
    throwIfCancelled(options.signal, path);
    let result;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) {
        throw new LatentError('format', `stored member ${entry.name} has different compressed and uncompressed sizes`, path);
      }
      result = await readNpySource(src.window(dataStart, entry.compressedSize), path, options, `[${entry.name}] `);
    } else if (entry.method === 8) {
      const inflated = await inflateMember(src, dataStart, entry, path, options.signal);
      throwIfCancelled(options.signal, path);
      result = await readNpySource(new MemorySource(inflated), path, options, `[${entry.name}] `);
    } else {
      throw new LatentError('unsupported', `member ${entry.name} uses zip compression method ${entry.method}; only stored (0) and deflate (8) are supported`, path);
    }
    return withNonFinite(
      { matrix: result.matrix, path, format: 'npz', dtype: result.header.descr, arrayName: stripNpy(entry.name) },
      options,
      result.nonFinite,
    );
  });
}
