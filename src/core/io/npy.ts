/**
 * NumPy .npy reader (format versions 1.0, 2.0, 3.0), whole-file and streaming.
 *
 * Layout: magic "\x93NUMPY", major, minor, header length (uint16 LE in 1.0,
 * uint32 LE in 2.0/3.0), then a Python dict literal (latin-1; UTF-8 in 3.0)
 * with keys descr, fortran_order, shape, then the raw data.
 * The header is parsed by a small tokenizer (pyliteral.ts), never evaluated;
 * object ('O') arrays are refused because they are pickles.
 */
import { LatentError } from '../errors';
import type { FloatArray, Matrix } from '../matrix';
import { checkFinite, checkMaxRows, checkMaxValues, FileSource, formatShape, toLatentError, type ByteSource } from './common';
import { readDense } from './dense';
import { allocateFor, decodeInto, needsFloat64, storedAsDecoded, type ElementType } from './dtype';
import { parsePyLiteral, PyDict, PyLiteralError, PyTuple } from './pyliteral';
import type { ReadOptions } from './types';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy refuses headers above 10 kB by default; we allow more but not absurd sizes. */
const MAX_HEADER_BYTES = 1024 * 1024;

export interface NpyHeader {
  version: string;
  /** Byte offset of the data. */
  dataOffset: number;
  descr: string;
  type: ElementType;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses a dtype descr such as "<f4", ">i2", "|u1", "|b1". */
export function parseDescr(descr: string, file: string): ElementType {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) throw new LatentError('unsupported', `dtype ${JSON.stringify(descr)} is not supported`, file);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText || '0');
  const littleEndian = order !== '>'; // '=' is native; every platform Node runs on is little-endian
  if (kind === 'O') {
    throw new LatentError('unsupported', 'pickled object arrays are not supported (dtype O); save a numeric array', file);
  }
  const ok =
    (kind === 'f' && (size === 2 || size === 4 || size === 8)) ||
    ((kind === 'i' || kind === 'u') && (size === 1 || size === 2 || size === 4 || size === 8)) ||
    (kind === 'b' && size === 1);
  if (!ok) {
    const what: Record<string, string> = { c: 'complex', U: 'unicode string', S: 'byte string', V: 'void/structured', M: 'datetime', m: 'timedelta' };
    const desc = what[kind] ? `${what[kind]} dtype` : 'dtype';
    throw new LatentError('unsupported', `${desc} ${descr} is not supported; expected float16/32/64, integers or bool`, file);
  }
  return { kind: kind as ElementType['kind'], size: size as ElementType['size'], littleEndian, name: descr };
}

/** Reads and validates the header (magic, version, dict). Does not check the shape's dimensionality. */
export async function readNpyHeader(source: ByteSource, file: string): Promise<NpyHeader> {
  if (source.size === 0) throw new LatentError('format', 'file is empty', file);
  const pre = await source.read(0, 12);
  if (pre.length < 10 || MAGIC.some((b, i) => pre[i] !== b)) {
    throw new LatentError('format', 'not a .npy file (the magic bytes "\\x93NUMPY" are missing)', file);
  }
  const major = pre[6];
  const minor = pre[7];
  const version = `${major}.${minor}`;
  if (major < 1 || major > 3) throw new LatentError('unsupported', `.npy format version ${version} is not supported (1.0, 2.0, 3.0 are)`, file);
  let headerLength: number;
  let prefix: number;
  if (major === 1) {
    headerLength = pre[8] | (pre[9] << 8);
    prefix = 10;
  } else {
    if (pre.length < 12) throw new LatentError('format', 'file is truncated inside the header', file);
    headerLength = (pre[8] | (pre[9] << 8) | (pre[10] << 16)) + pre[11] * 2 ** 24;
    prefix = 12;
  }
  if (headerLength > MAX_HEADER_BYTES) throw new LatentError('format', `header length ${headerLength} is implausibly large`, file);
  if (prefix + headerLength > source.size) {
    throw new LatentError('format', `file is truncated inside the header (header says ${headerLength} bytes, file has ${source.size - prefix})`, file);
  }
  const headerBytes = await source.read(prefix, headerLength);
  const text = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let dict;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralError) throw new LatentError('format', `cannot parse the .npy header: ${e.message}`, file);
    throw e;
  }
  if (!(dict instanceof PyDict)) throw new LatentError('format', 'the .npy header is not a dict', file);
  const descr = dict.entries.get('descr');
  const fortran = dict.entries.get('fortran_order');
  const shapeValue = dict.entries.get('shape');
  if (descr === undefined || fortran === undefined || shapeValue === undefined) {
    throw new LatentError('format', "the .npy header lacks one of 'descr', 'fortran_order', 'shape'", file);
  }
  if (typeof descr !== 'string') {
    throw new LatentError('unsupported', 'structured (record) dtypes are not supported; save a plain numeric array', file);
  }
  if (typeof fortran !== 'boolean') throw new LatentError('format', "'fortran_order' in the .npy header is not True/False", file);
  if (!(shapeValue instanceof PyTuple) || !shapeValue.items.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new LatentError('format', "'shape' in the .npy header is not a tuple of non-negative integers", file);
  }
  const type = parseDescr(descr, file);
  return { version, dataOffset: prefix + headerLength, descr, type, fortranOrder: fortran, shape: shapeValue.items as number[] };
}

/** Checks that the shape is 2-D and non-empty, within maxValues, and that the data fits in the source. */
export function check2D(h: NpyHeader, sourceSize: number, file: string, maxValues?: number): [number, number] {
  if (h.shape.length !== 2) {
    const hint = h.shape.length === 1 ? ' (one vector; reshape it to (1, d) or (n, 1))' : '';
    throw new LatentError('shape', `expected a 2-D array, got shape ${formatShape(h.shape)}${hint}`, file);
  }
  const [rows, cols] = h.shape;
  if (rows === 0 || cols === 0) throw new LatentError('shape', `array has shape ${formatShape(h.shape)}: it holds no vectors`, file);
  checkMaxValues(rows, cols, maxValues, file);
  checkDataSize(h, sourceSize, file);
  return [rows, cols];
}

function checkDataSize(h: NpyHeader, sourceSize: number, file: string): void {
  const count = h.shape.reduce((a, b) => a * b, 1);
  const need = count * h.type.size;
  const have = sourceSize - h.dataOffset;
  if (have < need) {
    throw new LatentError(
      'format',
      `file is truncated: header says ${formatShape(h.shape)} ${h.descr} = ${need} bytes, file has ${have} (after the ${h.dataOffset}-byte header)`,
      file,
    );
  }
}

export interface NpyArray {
  matrix: Matrix;
  header: NpyHeader;
  /** NaN / ±Inf values kept (only with options.allowNonFinite; 0 otherwise). */
  nonFinite: number;
}

/** Reads a whole 2-D .npy from a byte source (a file, or an .npz member). */
export async function readNpySource(source: ByteSource, file: string, options: ReadOptions = {}, what = ''): Promise<NpyArray> {
  const header = await readNpyHeader(source, file);
  const [rows, cols] = check2D(header, source.size, file, options.maxValues);
  checkMaxRows(rows, options.maxRows, file);
  const { matrix, nonFinite } = await readDense(
    source,
    { offset: header.dataOffset, rows, cols, type: header.type, fortranOrder: header.fortranOrder },
    file,
    options,
    what,
  );
  return { matrix, header, nonFinite };
}

/**
 * Reads the values of a 1-D array, or of a 2-D array with one row or one column,
 * in storage order (for index lists). Shapes with more than one dimension > 1 are refused.
 */
export async function readNpyVector(source: ByteSource, file: string): Promise<{ values: ArrayLike<number>; header: NpyHeader }> {
  const header = await readNpyHeader(source, file);
  const big = header.shape.filter((d) => d !== 1);
  if (header.shape.length === 0 || header.shape.length > 2 || big.length > 1) {
    throw new LatentError('shape', `expected a 1-D array of indices, got shape ${formatShape(header.shape)}`, file);
  }
  checkDataSize(header, source.size, file);
  const n = header.shape.reduce((a, b) => a * b, 1);
  const bytes = await source.read(header.dataOffset, n * header.type.size);
  const values = allocateFor(header.type, n);
  decodeInto(bytes, header.type, values, 0);
  return { values, header };
}

/** Streaming access to a 2-D .npy without loading it. */
export interface NpySource {
  readonly path: string;
  readonly rows: number;
  readonly cols: number;
  /** The descr from the header, e.g. "<f4". */
  readonly dtype: string;
  readonly fortranOrder: boolean;
  /** Byte offset of the data in the file. */
  readonly dataOffset: number;
  /**
   * Rows [start, start + count) as a matrix (float32 for ≤ 32-bit storage, float64 otherwise);
   * count is clipped at the last row, so the last chunk may be shorter. Checks every value is finite.
   * C order reads one contiguous byte range (native float32/float64 straight into the
   * result); Fortran order reads one strip per column. `into`, when it is the right kind
   * of array and large enough, receives the values instead of a new array (for reusing
   * buffers across chunks). `checkFinite: false` skips the finite check for a caller that makes
   * its own (streaming `translate` has its ONNX graph sum each row instead of a JS pass over
   * every value, and scans only a chunk whose sums are not finite).
   */
  readRows(start: number, count: number, into?: FloatArray, options?: { checkFinite?: boolean }): Promise<Matrix>;
  close(): Promise<void>;
}

/** Opens a .npy for chunked reading: only the header is read now. Close it when done. */
export async function openNpy(path: string): Promise<NpySource> {
  let src: FileSource;
  try {
    src = await FileSource.open(path);
  } catch (e) {
    throw toLatentError(e, path);
  }
  let header: NpyHeader;
  let rows: number;
  let cols: number;
  try {
    header = await readNpyHeader(src, path);
    [rows, cols] = check2D(header, src.size, path, Number.MAX_SAFE_INTEGER);
  } catch (e) {
    await src.close().catch(() => undefined);
    throw toLatentError(e, path);
  }
  const { type, fortranOrder, dataOffset } = header;
  let closed = false;

  async function readRows(start: number, count: number, into?: FloatArray, options: { checkFinite?: boolean } = {}): Promise<Matrix> {
    if (closed) throw new LatentError('io', 'the .npy source is closed', path);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start > rows) {
      throw new RangeError(`readRows(${start}, ${count}) is outside the ${rows} rows of ${path}`);
    }
    const n = Math.min(count, rows - start);
    const reusable = into && into instanceof (needsFloat64(type) ? Float64Array : Float32Array) && into.length >= n * cols;
    const out = reusable ? into.subarray(0, n * cols) : allocateFor(type, n * cols);
    try {
      if (!fortranOrder && storedAsDecoded(type)) {
        const target = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        if ((await src.readInto(dataOffset + start * cols * type.size, target)) < target.length) {
          throw new LatentError('format', 'file is truncated (it shrank while being read)', path);
        }
      } else if (!fortranOrder) {
        const len = n * cols * type.size;
        const bytes = await src.read(dataOffset + start * cols * type.size, len);
        if (bytes.length < len) throw new LatentError('format', 'file is truncated (it shrank while being read)', path);
        decodeInto(bytes, type, out, 0);
      } else {
        const strip = allocateFor(type, n);
        for (let j = 0; j < cols; j++) {
          const len = n * type.size;
          const bytes = await src.read(dataOffset + (j * rows + start) * type.size, len);
          if (bytes.length < len) throw new LatentError('format', 'file is truncated (it shrank while being read)', path);
          decodeInto(bytes, type, strip, 0);
          for (let i = 0; i < n; i++) out[i * cols + j] = strip[i];
        }
      }
    } catch (e) {
      throw toLatentError(e, path);
    }
    if (options.checkFinite ?? true) checkFinite(out, cols, start, path);
    return { rows: n, cols, data: out };
  }

  return {
    path,
    rows,
    cols,
    dtype: header.descr,
    fortranOrder,
    dataOffset,
    readRows,
    async close() {
      if (closed) return;
      closed = true;
      await src.close();
    },
  };
}
