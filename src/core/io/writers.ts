/**
 * Writers: .npy (float32, whole or streamed), .json and .csv. All are atomic
 * and refuse to overwrite an existing file unless `force` (see atomic.ts).
 */
import { LatentError } from '../errors';
import type { Matrix } from '../matrix';
import { TempFile, writeAtomically, type WriteOptions } from './atomic';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A format 1.0 .npy header for a little-endian float32 C-order array of `shape`,
 * padded with spaces (and a final "\n") so the data starts at a multiple of 64 bytes.
 */
export function npyHeader(shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const headerLen = total - 10;
  if (headerLen > 0xffff) throw new RangeError('npy header too long for format 1.0');
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLen & 0xff, headerLen >> 8]);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/** Little-endian float32 bytes of `values` (converted from float64 if needed). */
function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  if (HOST_LE) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const out = new Uint8Array(f.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < f.length; i++) dv.setFloat32(4 * i, f[i], true);
  return out;
}

function checkMatrix(m: Matrix, path: string): void {
  if (m.data.length !== m.rows * m.cols) {
    throw new LatentError('shape', `matrix has ${m.data.length} values, expected ${m.rows} × ${m.cols}`, path);
  }
}

/** Rows per write when streaming a large matrix to disk. */
const ROWS_PER_WRITE = (cols: number): number => Math.max(1, Math.floor((4 * 1024 * 1024) / Math.max(1, cols * 4)));

/** Writes `m` as a float32, little-endian, C-order .npy (format 1.0). */
export async function writeNpy(path: string, m: Matrix, opts: WriteOptions = {}): Promise<void> {
  checkMatrix(m, path);
  await writeAtomically(path, opts, async (tmp) => {
    await tmp.write(npyHeader([m.rows, m.cols]));
    const step = ROWS_PER_WRITE(m.cols);
    for (let r = 0; r < m.rows; r += step) {
      const end = Math.min(m.rows, r + step);
      await tmp.write(float32Bytes(m.data.subarray(r * m.cols, end * m.cols)));
    }
  });
}

/** JSON.stringify replacer: typed arrays become plain arrays. */
function jsonReplacer(_key: string, v: unknown): unknown {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v;
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline). Typed arrays are written as arrays. */
export async function writeJson(path: string, value: unknown, opts: WriteOptions = {}): Promise<void> {
  const text = JSON.stringify(value, jsonReplacer, 2);
  if (text === undefined) throw new LatentError('usage', 'value cannot be written as JSON', path);
  await writeAtomically(path, opts, (tmp) => tmp.write(`${text}\n`));
}

/** Shortest decimal text that reads back as the same float32 (at most 9 significant digits). */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const f = Math.fround(v);
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(f.toPrecision(mid))) === f) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(f.toPrecision(lo)));
}

/** RFC 4180 quoting: quote when the text holds a comma, quote, CR or LF, or leading/trailing space. */
export function csvField(s: string): string {
  if (/[",\r\n]/.test(s) || s !== s.trim()) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

export interface CsvWriteOptions extends WriteOptions {
  /** Row ids, written as the first column ("id"). */
  ids?: string[];
  /** Row labels, written after the ids ("label"). */
  labels?: string[];
  /** Write a header line (id, label, d0, d1, ...). Default true. */
  header?: boolean;
}

/**
 * Writes `m` as CSV, one row per line ("\n" line ends). float32 matrices get the
 * shortest text that round-trips through float32; float64 ones the shortest that
 * round-trips through float64.
 */
export async function writeCsv(path: string, m: Matrix, opts: CsvWriteOptions = {}): Promise<void> {
  checkMatrix(m, path);
  const { ids, labels } = opts;
  if (ids && ids.length !== m.rows) throw new LatentError('ids', `${ids.length} ids for ${m.rows} rows`, path);
  if (labels && labels.length !== m.rows) throw new LatentError('shape', `${labels.length} labels for ${m.rows} rows`, path);
  const fmt = m.data instanceof Float32Array ? formatFloat32 : (v: number) => String(v);
  await writeAtomically(path, opts, async (tmp) => {
    let chunk = '';
    if (opts.header ?? true) {
      const names: string[] = [];
      if (ids) names.push('id');
      if (labels) names.push('label');
      for (let j = 0; j < m.cols; j++) names.push(`d${j}`);
      chunk += `${names.join(',')}\n`;
    }
    for (let i = 0; i < m.rows; i++) {
      const cells: string[] = [];
      if (ids) cells.push(csvField(ids[i]));
      if (labels) cells.push(csvField(labels[i]));
      const base = i * m.cols;
      for (let j = 0; j < m.cols; j++) cells.push(fmt(m.data[base + j]));
      chunk += `${cells.join(',')}\n`;
      if (chunk.length > 1 << 20) {
        await tmp.write(chunk);
        chunk = '';
      }
    }
    if (chunk) await tmp.write(chunk);
  });
}

/**
 * Writes a float32 .npy of known shape chunk by chunk with bounded memory:
 *
 *     const w = await NpyStreamWriter.create(path, { rows, cols, force });
 *     try { for (...) await w.append(chunk); await w.commit(); } catch (e) { await w.abort(); throw e; }
 *
 * The header is written up front for the final shape; commit() checks that exactly
 * `rows` rows were appended, fsyncs and renames. Any failure in append() or commit()
 * removes the temporary file; abort() is idempotent.
 */
/** A streamed output is flushed to disk in the background every this many bytes. */
const FLUSH_EVERY_BYTES = 256 * 2 ** 20;

export class NpyStreamWriter {
  private written = 0;
  private unflushed = 0;
  private inflight: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly rows: number,
    readonly cols: number,
    private readonly tmp: TempFile,
    private readonly flushEveryBytes: number,
  ) {}

  /**
   * `flushEveryBytes`: start a background flush to disk after this many bytes (default 256 MiB;
   * only when the page cache is used). `direct` (default true): write with O_DIRECT where
   * available (TempFileOptions.direct).
   */
  static async create(path: string, opts: { rows: number; cols: number; force?: boolean; flushEveryBytes?: number; direct?: boolean }): Promise<NpyStreamWriter> {
    const { rows, cols } = opts;
    if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
      throw new LatentError('shape', `invalid shape (${rows}, ${cols})`, path);
    }
    const tmp = await TempFile.create(path, { force: opts.force, direct: opts.direct ?? true });
    try {
      await tmp.write(npyHeader([rows, cols]));
    } catch (e) {
      await tmp.abort();
      throw e;
    }
    return new NpyStreamWriter(path, rows, cols, tmp, opts.flushEveryBytes ?? FLUSH_EVERY_BYTES);
  }

  /** Rows appended so far (including appends still being written). */
  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Appends the rows of `m` (converted to float32). Must have `cols` columns and not exceed
   * `rows` in total. Await it; calls made without awaiting still write in call order,
   * and commit() waits for them.
   */
  async append(m: Matrix): Promise<void> {
    let write: Promise<void>;
    try {
      if (!this.tmp.isOpen) throw new LatentError('io', 'cannot append: the writer is already committed or aborted', this.path);
      if (m.cols !== this.cols) {
        throw new LatentError('shape', `cannot append a chunk of ${m.cols} columns to an array of ${this.cols}`, this.path);
      }
      checkMatrix(m, this.path);
      if (this.written + m.rows > this.rows) {
        throw new LatentError('shape', `appending ${m.rows} rows would make ${this.written + m.rows}, more than the declared ${this.rows}`, this.path);
      }
      // Rows and file position are reserved before the first await (see TempFile.write).
      this.written += m.rows;
      write = this.tmp.write(float32Bytes(m.data));
      this.unflushed += m.data.length * 4;
      if (this.unflushed >= this.flushEveryBytes) {
        this.unflushed = 0;
        // after this chunk is written: the disk works while the next chunks are computed
        const tmp = this.tmp;
        void write.then(() => tmp.flushInBackground(), () => undefined);
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.inflight = this.inflight.then(() => settled);
    try {
      await write;
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Waits for pending appends, checks the row count, fsyncs and moves the file into place. */
  async commit(): Promise<void> {
    await this.inflight;
    if (this.tmp.isOpen && this.written !== this.rows) {
      await this.abort();
      throw new LatentError('shape', `wrote ${this.written} rows, but the header declares ${this.rows}`, this.path);
    }
    await this.tmp.commit();
  }

  /** Removes the temporary file; nothing is left behind. */
  async abort(): Promise<void> {
    await this.tmp.abort();
  }
}
