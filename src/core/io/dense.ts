/**
 * Reads a dense 2-D array of fixed-size elements from a byte source in chunks,
 * into a row-major float32 / float64 matrix, checking that every value is finite
 * (or counting the ones that are not, with allowNonFinite).
 */
import { LatentError } from '../errors';
import type { Matrix } from '../matrix';
import { CHUNK_BYTES, checkFinite, MemorySource, throwIfCancelled, type ByteSource } from './common';
import { allocateFor, decodeInto, storedAsDecoded, type ElementType } from './dtype';
import type { ReadOptions } from './types';

export interface DenseLayout {
  /** Byte offset of the first element in the source. */
  offset: number;
  rows: number;
  cols: number;
  type: ElementType;
  /** Column-major storage (NumPy fortran_order). */
  fortranOrder: boolean;
}

export async function readDense(
  source: ByteSource,
  layout: DenseLayout,
  file: string,
  options: Pick<ReadOptions, 'signal' | 'allowNonFinite'> = {},
  what = '',
): Promise<{ matrix: Matrix; nonFinite: number }> {
  const { signal } = options;
  const { offset, rows, cols, type, fortranOrder } = layout;
  const total = rows * cols;
  const inPlace = viewInPlace(source, layout);
  if (inPlace) {
    if (inPlace.length < total) throw new LatentError('format', `file is truncated: expected ${total * type.size} bytes of data`, file);
    const nonFinite = checkFinite(inPlace, cols, 0, file, what, options.allowNonFinite);
    return { matrix: { rows, cols, data: inPlace }, nonFinite };
  }
  const out = allocateFor(type, total);
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / type.size));
  const scratch = fortranOrder ? allocateFor(type, Math.min(perChunk, total)) : undefined;
  for (let start = 0; start < total; start += perChunk) {
    throwIfCancelled(signal, file);
    const n = Math.min(perChunk, total - start);
    const bytes = await source.read(offset + start * type.size, n * type.size);
    if (bytes.length < n * type.size) {
      throw new LatentError('format', `file is truncated: expected ${total * type.size} bytes of data`, file);
    }
    if (!scratch) {
      decodeInto(bytes, type, out, start);
    } else {
      // Storage index k is element (k % rows, floor(k / rows)).
      decodeInto(bytes, type, scratch, 0);
      for (let q = 0; q < n; q++) {
        const k = start + q;
        const i = k % rows;
        const j = (k - i) / rows;
        out[i * cols + j] = scratch[q];
      }
    }
  }
  throwIfCancelled(signal, file);
  const nonFinite = checkFinite(out, cols, 0, file, what, options.allowNonFinite);
  return { matrix: { rows, cols, data: out }, nonFinite };
}

/**
 * The values as a view of an in-memory source's bytes, when they are already what the matrix
 * holds (C order, native float32 / float64, aligned): an inflated .npz member is not copied
 * a second time (300 MB for 100 000 × 768 float32).
 */
function viewInPlace(source: ByteSource, layout: DenseLayout): Float32Array | Float64Array | undefined {
  const { offset, rows, cols, type, fortranOrder } = layout;
  if (!(source instanceof MemorySource) || fortranOrder || !storedAsDecoded(type)) return undefined;
  const { buffer, byteOffset, byteLength } = source.bytes;
  const start = byteOffset + offset;
  if (start % type.size !== 0) return undefined;
  const length = Math.max(0, Math.min(rows * cols, Math.floor((byteLength - offset) / type.size)));
  return type.size === 4 ? new Float32Array(buffer, start, length) : new Float64Array(buffer, start, length);
}
