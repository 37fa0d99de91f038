/**
 * Element types of the binary array formats (.npy, .npz, .safetensors) and the
 * decoding of raw bytes into float32 / float64 rows.
 *
 * Output precision: float32 when the storage converts to float32 exactly
 * (f2, bf16, f4, b1 and integers of at most 16 bits), float64 otherwise
 * (f8, 32- and 64-bit integers). 64-bit integers beyond ±2^53 are rounded to
 * the nearest float64; they do not occur in embeddings or index lists.
 */
import type { FloatArray } from '../matrix';
import { bfloat16ToNumber, halfToNumber } from './float16';

export type ElementKind = 'f' | 'bf' | 'i' | 'u' | 'b';

export interface ElementType {
  readonly kind: ElementKind;
  readonly size: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
  /** The name as written in the file, e.g. "<f4" or "BF16". */
  readonly name: string;
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** True when the decoded values need float64 to be exact. */
export function needsFloat64(t: ElementType): boolean {
  return (t.kind === 'f' && t.size === 8) || ((t.kind === 'i' || t.kind === 'u') && t.size >= 4);
}

export function allocateFor(t: ElementType, n: number): FloatArray {
  return needsFloat64(t) ? new Float64Array(n) : new Float32Array(n);
}

/** True when the file's bytes are already the values allocateFor holds (native-order float32 / float64): read them in place. */
export function storedAsDecoded(t: ElementType): boolean {
  return HOST_LE && t.littleEndian && t.kind === 'f' && (t.size === 4 || t.size === 8);
}

type TypedCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayLike<number> };

function viewCtor(t: ElementType): TypedCtor | undefined {
  if (t.size > 1 && (!t.littleEndian || !HOST_LE)) return undefined;
  switch (`${t.kind}${t.size}`) {
    case 'f4':
      return Float32Array;
    case 'f8':
      return Float64Array;
    case 'i1':
      return Int8Array;
    case 'u1':
    case 'b1':
      return Uint8Array;
    case 'i2':
      return Int16Array;
    case 'u2':
      return Uint16Array;
    case 'i4':
      return Int32Array;
    case 'u4':
      return Uint32Array;
    default:
      return undefined;
  }
}

/**
 * Decodes `bytes` (a whole number of elements) into `out` starting at `outOffset`.
 * Booleans become 0 / 1.
 */
export function decodeInto(bytes: Uint8Array, t: ElementType, out: FloatArray, outOffset: number): void {
  const n = Math.floor(bytes.length / t.size);
  const Ctor = viewCtor(t);
  if (Ctor && t.kind !== 'b') {
    let src = bytes;
    if (src.byteOffset % t.size !== 0) src = src.slice(0, n * t.size);
    out.set(new Ctor(src.buffer, src.byteOffset, n), outOffset);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.littleEndian;
  switch (`${t.kind}${t.size}`) {
    case 'b1':
      for (let k = 0; k < n; k++) out[outOffset + k] = bytes[k] !== 0 ? 1 : 0;
      return;
    case 'f2':
      for (let k = 0; k < n; k++) out[outOffset + k] = halfToNumber(dv.getUint16(2 * k, le));
      return;
    case 'bf2':
      for (let k = 0; k < n; k++) out[outOffset + k] = bfloat16ToNumber(dv.getUint16(2 * k, le));
      return;
    case 'f4':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getFloat32(4 * k, le);
      return;
    case 'f8':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getFloat64(8 * k, le);
      return;
    case 'i2':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getInt16(2 * k, le);
      return;
    case 'u2':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getUint16(2 * k, le);
      return;
    case 'i4':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getInt32(4 * k, le);
      return;
    case 'u4':
      for (let k = 0; k < n; k++) out[outOffset + k] = dv.getUint32(4 * k, le);
      return;
    case 'i8':
      for (let k = 0; k < n; k++) out[outOffset + k] = Number(dv.getBigInt64(8 * k, le));
      return;
    case 'u8':
      for (let k = 0; k < n; k++) out[outOffset + k] = Number(dv.getBigUint64(8 * k, le));
      return;
    default:
      throw new Error(`no decoder for ${t.name}`);
  }
}
