/**
 * Decodes the pages of a Parquet list-of-floats column chunk straight into one typed array, for
 * the shape embedding files have: every row a list of the same length, no null lists, no null
 * elements. Hand-written because measured speed demanded it: hyparquet assembles a JS array per
 * row (and a JS number per value) before we copy it, and reading 100 000 × 768 float32 took
 * 6.9 s (more than half of it in garbage collection, in a `node --cpu-prof` profile); this takes
 * 0.36 s (`npm run bench -- --suite io --io-only parquet`). The levels are checked run by run, never materialised, PLAIN
 * values are copied as bytes, and the chunk is read a window at a time into one buffer.
 *
 * Anything else (other encodings, codecs the caller cannot decompress, nulls, empty or ragged
 * lists, a row count that does not divide) returns undefined, and the caller reads the chunk with
 * hyparquet, which names what is wrong. The page layout follows the Parquet format spec
 * (apache/parquet-format: Encodings.md, README "Data Pages").
 */
import type { FloatArray } from '../matrix';
import { halfToNumber } from './float16';
import type { ByteSource } from './common';
import { NeedMore, PAGE_DATA, PAGE_DATA_V2, PAGE_DICTIONARY, PAGE_INDEX, readPageHeader, type PageHeader } from './parquetThrift';
import { snappyDecompress } from './snappy';

export type FloatLeaf = 'float' | 'double' | 'float16';

export interface FloatListColumn {
  leaf: FloatLeaf;
  /** Nodes on the column's path that are not REQUIRED: the level of a present element. */
  maxDefinition: number;
  /** Nodes on the path that are REPEATED: only 1 (a plain list) is read here. */
  maxRepetition: number;
}

/** `size` bytes decompressed from `input` by `codec` (hyparquet's codec name, other than Snappy), or undefined when the codec is not at hand. */
export type Decompress = (codec: string, input: Uint8Array, size: number) => Uint8Array | undefined;

// Encoding (parquet.thrift)
const PLAIN = 0;
const PLAIN_DICTIONARY = 2;
const RLE = 3;
const RLE_DICTIONARY = 8;
const BYTE_STREAM_SPLIT = 9;

const BYTES: Record<FloatLeaf, number> = { float: 4, double: 8, float16: 2 };


/** The page header at the start of `bytes`, or undefined when a field this decoder needs is missing or invalid; NeedMore when it runs past them. */
function pageHeader(bytes: Uint8Array): PageHeader | undefined {
  let page: PageHeader;
  try {
    page = readPageHeader(bytes);
  } catch (e) {
    if (e instanceof NeedMore || !(e instanceof RangeError)) throw e;
    return undefined;
  }
  const needed =
    page.type === PAGE_DATA
      ? [page.numValues, page.encoding, page.definitionEncoding, page.repetitionEncoding]
      : page.type === PAGE_DATA_V2
        ? [page.numValues, page.numNulls, page.encoding, page.definitionLength, page.repetitionLength]
        : page.type === PAGE_DICTIONARY
          ? [page.numValues, page.encoding]
          : [];
  return [page.compressedSize, page.uncompressedSize, ...needed].some(Number.isNaN) ? undefined : page;
}

/** Receives the runs of an RLE / bit-packed hybrid stream; false stops the decoding. */
interface RunSink {
  repeat(value: number, n: number): boolean;
  packed(values: Uint32Array, n: number): boolean;
}

let scratch = new Uint32Array(4096);

/**
 * Decodes `count` values of bit width `width` (≤ 24) from an RLE / bit-packed hybrid stream in
 * bytes [pos, end) into `sink`. Returns false on a malformed or short stream, or when the sink refuses.
 */
function decodeHybrid(b: Uint8Array, pos: number, end: number, width: number, count: number, sink: RunSink): boolean {
  if (width > 24) return false;
  const valueBytes = (width + 7) >> 3;
  const mask = (1 << width) - 1;
  let left = count;
  while (left > 0) {
    // the run header, a ULEB128 varint
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end || shift > 28) return false;
      const x = b[pos++];
      header += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) break;
    }
    if (header & 1) {
      // bit-packed: (header >> 1) groups of 8 values, LSB first
      const values = Math.floor(header / 2) * 8;
      if (values === 0 || pos + (values / 8) * width > end) return false;
      const n = Math.min(values, left);
      if (scratch.length < n) scratch = new Uint32Array(Math.max(n, scratch.length * 2));
      let acc = 0;
      let bits = 0;
      let p = pos;
      for (let i = 0; i < n; i++) {
        while (bits < width) {
          acc |= b[p++] << bits;
          bits += 8;
        }
        scratch[i] = acc & mask;
        acc >>>= width;
        bits -= width;
      }
      pos += (values / 8) * width;
      if (!sink.packed(scratch, n)) return false;
      left -= n;
    } else {
      const run = Math.floor(header / 2);
      if (run === 0 || pos + valueBytes > end) return false;
      let value = 0;
      for (let k = 0; k < valueBytes; k++) value |= b[pos + k] << (8 * k);
      pos += valueBytes;
      const n = Math.min(run, left);
      if (!sink.repeat(value, n)) return false;
      left -= n;
    }
  }
  return true;
}

/** Definition levels: every one must say "element present". */
class AllPresent implements RunSink {
  constructor(private readonly level: number) {}
  repeat(value: number): boolean {
    return value === this.level;
  }
  packed(values: Uint32Array, n: number): boolean {
    for (let i = 0; i < n; i++) if (values[i] !== this.level) return false;
    return true;
  }
}

/** Repetition levels: 0 (a new row) exactly at every `cols`-th value of the chunk, 1 elsewhere. */
class EqualRows implements RunSink {
  /** Index of the next value in the chunk. */
  at = 0;
  constructor(private readonly cols: number) {}
  repeat(value: number, n: number): boolean {
    const offset = this.at % this.cols;
    if (value === 0 ? !(this.cols === 1 || (n === 1 && offset === 0)) : value !== 1 || offset === 0 || offset + n > this.cols) return false;
    this.at += n;
    return true;
  }
  packed(values: Uint32Array, n: number): boolean {
    let offset = this.at % this.cols;
    for (let i = 0; i < n; i++) {
      if (values[i] !== (offset === 0 ? 0 : 1)) return false;
      if (++offset === this.cols) offset = 0;
    }
    this.at += n;
    return true;
  }
}

/** Dictionary indices: the dictionary's values written to out[at…]. */
class FromDictionary implements RunSink {
  constructor(
    private readonly dictionary: FloatArray,
    private readonly out: FloatArray,
    public at: number,
  ) {}
  repeat(index: number, n: number): boolean {
    if (index >= this.dictionary.length) return false;
    this.out.fill(this.dictionary[index], this.at, this.at + n);
    this.at += n;
    return true;
  }
  packed(indices: Uint32Array, n: number): boolean {
    const dict = this.dictionary;
    const size = dict.length;
    const out = this.out;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const index = indices[i];
      if (index >= size) return false;
      out[at++] = dict[index];
    }
    this.at = at;
    return true;
  }
}

/** Writes `n` PLAIN values from b[pos…] to out[at…]; false when the page is too short. */
function plainValues(b: Uint8Array, pos: number, end: number, leaf: FloatLeaf, n: number, out: FloatArray, at: number): boolean {
  const size = BYTES[leaf];
  if (pos + n * size > end) return false;
  if (leaf === 'float16') {
    for (let i = 0; i < n; i++) out[at + i] = halfToNumber(b[pos + 2 * i] | (b[pos + 2 * i + 1] << 8));
  } else {
    // little-endian bytes, as Parquet stores them and every platform Node runs on holds them
    new Uint8Array(out.buffer, out.byteOffset + at * size, n * size).set(b.subarray(pos, pos + n * size));
  }
  return true;
}

/** BYTE_STREAM_SPLIT: byte k of value i is at pos + k·n + i. */
function splitValues(b: Uint8Array, pos: number, end: number, leaf: FloatLeaf, n: number, out: FloatArray, at: number): boolean {
  const size = BYTES[leaf];
  if (pos + n * size > end) return false;
  if (leaf === 'float16') {
    for (let i = 0; i < n; i++) out[at + i] = halfToNumber(b[pos + i] | (b[pos + n + i] << 8));
    return true;
  }
  const bytes = new Uint8Array(out.buffer, out.byteOffset + at * size, n * size);
  for (let k = 0; k < size; k++) {
    const stream = pos + k * n;
    for (let i = 0; i < n; i++) bytes[i * size + k] = b[stream + i];
  }
  return true;
}

function bitWidth(maxLevel: number): number {
  return 32 - Math.clz32(maxLevel);
}

function newArray(leaf: FloatLeaf, n: number): FloatArray {
  return leaf === 'double' ? new Float64Array(n) : new Float32Array(n);
}

/** Decodes a chunk's pages in order into one array; any page it cannot read makes `page` return false. */
class ChunkDecoder {
  readonly values: FloatArray;
  private readonly rowStarts: EqualRows;
  private readonly present: AllPresent;
  private readonly repWidth: number;
  private readonly defWidth: number;
  private dictionary: FloatArray | undefined;
  /** Values decoded so far. */
  at = 0;

  /** Values go to values[offset …]. */
  private readonly offset: number;

  constructor(
    private readonly column: FloatListColumn,
    private readonly codec: string,
    readonly cols: number,
    private readonly total: number,
    private readonly decompress: Decompress,
    into?: { values: FloatArray; offset: number },
  ) {
    this.values = into?.values ?? newArray(column.leaf, total);
    this.offset = into?.offset ?? 0;
    this.rowStarts = new EqualRows(cols);
    this.present = new AllPresent(column.maxDefinition);
    this.repWidth = bitWidth(column.maxRepetition);
    this.defWidth = bitWidth(column.maxDefinition);
  }

  /** Snappy's output, reused from page to page (each page is copied out before the next). */
  private scratch = new Uint8Array(0);

  private expand(input: Uint8Array, size: number): Uint8Array | undefined {
    if (this.codec === 'UNCOMPRESSED') return input.length === size ? input : undefined;
    try {
      if (this.codec === 'SNAPPY') {
        if (this.scratch.length < size) this.scratch = new Uint8Array(size);
        const out = this.scratch.subarray(0, size);
        snappyDecompress(input, out);
        return out;
      }
      const out = this.decompress(this.codec, input, size);
      return out && out.length === size ? out : undefined;
    } catch {
      return undefined; // corrupt data: hyparquet reads the chunk again and reports it
    }
  }

  /** One page's bytes (after its header). */
  page(page: PageHeader, raw: Uint8Array): boolean {
    const leaf = this.column.leaf;
    if (page.type === PAGE_INDEX) return true;
    if (page.type === PAGE_DICTIONARY) {
      if (page.encoding !== PLAIN && page.encoding !== PLAIN_DICTIONARY) return false;
      const b = this.expand(raw, page.uncompressedSize);
      if (!b) return false;
      this.dictionary = newArray(leaf, page.numValues);
      return plainValues(b, 0, b.length, leaf, page.numValues, this.dictionary, 0);
    }
    const n = page.numValues;
    if (this.at + n > this.total) return false;
    let b: Uint8Array | undefined;
    let pos = 0;
    if (page.type === PAGE_DATA) {
      if (page.definitionEncoding !== RLE || page.repetitionEncoding !== RLE) return false;
      b = this.expand(raw, page.uncompressedSize);
      if (!b) return false;
      // levels: a 4-byte little-endian length, then the hybrid runs; repetition first
      for (const [width, sink] of [[this.repWidth, this.rowStarts], [this.defWidth, this.present]] as const) {
        if (pos + 4 > b.length) return false;
        const length = b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24);
        if (length < 0 || pos + 4 + length > b.length || !decodeHybrid(b, pos + 4, pos + 4 + length, width, n, sink)) return false;
        pos += 4 + length;
      }
    } else if (page.type === PAGE_DATA_V2) {
      // levels first, never compressed, their lengths in the header; then the values
      const levels = page.repetitionLength + page.definitionLength;
      if (page.numNulls !== 0 || levels > raw.length || levels > page.uncompressedSize) return false;
      if (!decodeHybrid(raw, 0, page.repetitionLength, this.repWidth, n, this.rowStarts)) return false;
      if (!decodeHybrid(raw, page.repetitionLength, levels, this.defWidth, n, this.present)) return false;
      const rest = raw.subarray(levels);
      b = page.compressed ? this.expand(rest, page.uncompressedSize - levels) : rest;
      if (!b) return false;
    } else {
      return false;
    }
    const end = b.length;
    if (page.encoding === PLAIN) {
      if (!plainValues(b, pos, end, leaf, n, this.values, this.offset + this.at)) return false;
    } else if (page.encoding === BYTE_STREAM_SPLIT) {
      if (!splitValues(b, pos, end, leaf, n, this.values, this.offset + this.at)) return false;
    } else if (page.encoding === RLE_DICTIONARY || page.encoding === PLAIN_DICTIONARY) {
      if (!this.dictionary || pos >= end) return false;
      const width = b[pos];
      const sink = new FromDictionary(this.dictionary, this.values, this.offset + this.at);
      if (width === 0 ? !sink.repeat(0, n) : !decodeHybrid(b, pos + 1, end, width, n, sink)) return false;
    } else {
      return false;
    }
    this.at += n;
    return true;
  }

  /** True when the pages held exactly the declared values, in rows of `cols`. */
  complete(): boolean {
    return this.at === this.total && this.rowStarts.at === this.total;
  }
}

/** Bytes read at a time: pages are ~1 MB, so a window holds several; memory stays bounded whatever the chunk's size. */
const WINDOW = 8 * 1024 * 1024;
/** Page headers are small; one larger than this is taken to be corrupt. */
const MAX_HEADER = 16 * 1024 * 1024;

/** Where a column chunk lies and what its metadata and page headers declare. */
export interface ChunkExtent {
  /** Its bytes: [start, start + length) of the source. */
  start: number;
  length: number;
  /** Level entries its data pages declare in all. */
  totalValues: number;
  /** Rows of its row group. */
  rows: number;
  /** hyparquet's codec name. */
  codec: string;
}

export interface ChunkReadOptions {
  /** Write the values to into.values[into.offset …] instead of a new array. */
  into?: { values: FloatArray; offset: number };
  /** Called before each read; throws to stop (cancellation). */
  beforeRead?: () => void;
  /** Bytes read at a time; only tests change it, to make pages and headers straddle reads. */
  windowBytes?: number;
}

/**
 * The rows of one column chunk as a row-major array of rows × cols values, every row's list
 * having cols values; undefined when the chunk is not of the shape this decoder reads (see the
 * top of this file). Reads the chunk a window at a time. With `into`, the values go there when
 * rows × cols fit (otherwise undefined is returned, with nothing written), and that array is
 * returned; values past what was decoded may have been written when undefined is returned.
 */
export async function readFloatListChunk(
  src: ByteSource,
  chunk: ChunkExtent,
  column: FloatListColumn,
  decompress: Decompress,
  options: ChunkReadOptions = {},
): Promise<{ cols: number; values: FloatArray } | undefined> {
  const { start, length, totalValues, rows, codec } = chunk;
  const { into, beforeRead, windowBytes = WINDOW } = options;
  if (column.maxRepetition !== 1 || column.maxDefinition < 1 || rows < 1) return undefined;
  if (!Number.isSafeInteger(totalValues) || totalValues === 0 || totalValues % rows !== 0) return undefined;
  if (into && into.offset + totalValues > into.values.length) return undefined;
  const decoder = new ChunkDecoder(column, codec, totalValues / rows, totalValues, decompress, into);
  const end = start + length;
  // one buffer, refilled: every page is decoded (copied out) before the next read
  let buffer = new Uint8Array(0);
  let window: Uint8Array = buffer;
  let windowStart = start;
  /** Bytes [from, from + n) of the file, from the window when it holds them. */
  const bytes = async (from: number, n: number): Promise<Uint8Array> => {
    if (from < windowStart || from + n > windowStart + window.length) {
      beforeRead?.();
      const size = Math.min(end - from, Math.max(n, windowBytes));
      if (src.readInto) {
        if (buffer.length < size) buffer = new Uint8Array(size);
        window = buffer.subarray(0, await src.readInto(from, buffer.subarray(0, size)));
      } else {
        window = await src.read(from, size);
      }
      windowStart = from;
    }
    return window.subarray(from - windowStart, from - windowStart + n);
  };
  for (let pos = start; pos < end - 1; ) {
    let page: PageHeader | undefined;
    for (let want = 4096; ; want *= 16) {
      const head = await bytes(pos, Math.min(want, end - pos));
      try {
        page = pageHeader(head);
        break;
      } catch (e) {
        if (!(e instanceof NeedMore) || head.length >= end - pos || want > MAX_HEADER) return undefined;
      }
    }
    if (!page) return undefined;
    const body = pos + page.headerLength;
    if (body + page.compressedSize > end) return undefined;
    if (!decoder.page(page, await bytes(body, page.compressedSize))) return undefined;
    pos = body + page.compressedSize;
  }
  return decoder.complete() ? { cols: decoder.cols, values: decoder.values } : undefined;
}
