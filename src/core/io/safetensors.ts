/**
 * .safetensors reader: an 8-byte little-endian header length N, N bytes of JSON
 * ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }),
 * then the little-endian tensor data; offsets are relative to the end of the header.
 */
import { LatentError } from '../errors';
import { checkMaxRows, checkMaxValues, formatShape, withFile, withNonFinite } from './common';
import { readDense } from './dense';
import type { ElementType } from './dtype';
import type { EmbeddingTable, ReadOptions } from './types';

const MAX_HEADER = 100 * 1024 * 1024;

const DTYPES: Record<string, Omit<ElementType, 'name' | 'littleEndian'>> = {
  F16: { kind: 'f', size: 2 },
  BF16: { kind: 'bf', size: 2 },
  F32: { kind: 'f', size: 4 },
  F64: { kind: 'f', size: 8 },
  I8: { kind: 'i', size: 1 },
  I16: { kind: 'i', size: 2 },
  I32: { kind: 'i', size: 4 },
  I64: { kind: 'i', size: 8 },
  U8: { kind: 'u', size: 1 },
  U16: { kind: 'u', size: 2 },
  U32: { kind: 'u', size: 4 },
  U64: { kind: 'u', size: 8 },
  BOOL: { kind: 'b', size: 1 },
};

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function isTensorInfo(v: unknown): v is TensorInfo {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return (
    typeof t.dtype === 'string' &&
    Array.isArray(t.shape) &&
    t.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) &&
    Array.isArray(t.data_offsets) &&
    t.data_offsets.length === 2 &&
    t.data_offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
  );
}

export async function readSafetensors(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  return withFile(path, async (src) => {
    if (src.size === 0) throw new LatentError('format', 'file is empty', path);
    if (src.size < 8) throw new LatentError('format', 'file is truncated: shorter than the 8-byte header length', path);
    const lenBytes = await src.read(0, 8);
    const headerLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
    if (headerLen > BigInt(MAX_HEADER)) {
      throw new LatentError('format', `header length ${headerLen} is more than 100 MB; this is not a valid .safetensors file`, path);
    }
    const n = Number(headerLen);
    if (n > src.size - 8) {
      throw new LatentError('format', `file is truncated: header length is ${n} bytes, file has ${src.size - 8} after the length`, path);
    }
    const text = new TextDecoder('utf-8').decode(await src.read(8, n));
    let header: unknown;
    try {
      header = JSON.parse(text);
    } catch (e) {
      throw new LatentError('format', `the header is not valid JSON: ${(e as Error).message}`, path);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new LatentError('format', 'the header is not a JSON object', path);
    }
    const dataStart = 8 + n;
    const dataSize = src.size - dataStart;
    const tensors = new Map<string, TensorInfo>();
    for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      if (!isTensorInfo(info)) throw new LatentError('format', `tensor ${JSON.stringify(name)} has a malformed header entry`, path);
      const [begin, end] = info.data_offsets;
      if (begin > end || end > dataSize) {
        throw new LatentError(
          'format',
          `data_offsets [${begin}, ${end}] of tensor ${JSON.stringify(name)} lie outside the file (its data section has ${dataSize} bytes)`,
          path,
        );
      }
      tensors.set(name, info);
    }
    // Tensors may not share bytes (the safetensors format forbids it, as does its reference
    // reader): overlapping data_offsets mean a corrupt or hand-crafted header.
    const ranges = [...tensors].filter(([, t]) => t.data_offsets[1] > t.data_offsets[0]).sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0]);
    for (let k = 1; k < ranges.length; k++) {
      const [prevName, prev] = ranges[k - 1];
      const [name, t] = ranges[k];
      if (t.data_offsets[0] < prev.data_offsets[1]) {
        throw new LatentError(
          'format',
          `data_offsets of tensors ${JSON.stringify(prevName)} [${prev.data_offsets.join(', ')}] and ${JSON.stringify(name)} [${t.data_offsets.join(', ')}] overlap`,
          path,
        );
      }
    }
    const names = [...tensors.keys()];
    let name: string;
    if (options.array !== undefined) {
      if (!tensors.has(options.array)) {
        throw new LatentError('usage', `no tensor ${JSON.stringify(options.array)} in this file; it has: ${names.join(', ') || '(none)'}`, path);
      }
      name = options.array;
    } else if (names.length === 1) {
      name = names[0];
    } else if (names.length === 0) {
      throw new LatentError('format', 'this .safetensors file holds no tensors', path);
    } else {
      throw new LatentError('usage', `this file holds ${names.length} tensors (${names.join(', ')}); choose one with --array`, path);
    }
    const info = tensors.get(name)!;
    const dt = DTYPES[info.dtype];
    if (!dt) {
      throw new LatentError('unsupported', `tensor ${JSON.stringify(name)} has dtype ${info.dtype}; supported: ${Object.keys(DTYPES).join(', ')}`, path);
    }
    const type: ElementType = { ...dt, littleEndian: true, name: info.dtype };
    if (info.shape.length !== 2) {
      throw new LatentError('shape', `tensor ${JSON.stringify(name)}: expected a 2-D array, got shape ${formatShape(info.shape)}`, path);
    }
    const [rows, cols] = info.shape;
    if (rows === 0 || cols === 0) {
      throw new LatentError('shape', `tensor ${JSON.stringify(name)} has shape ${formatShape(info.shape)}: it holds no vectors`, path);
    }
    checkMaxValues(rows, cols, options.maxValues, path);
    checkMaxRows(rows, options.maxRows, path);
    const [begin, end] = info.data_offsets;
    const need = rows * cols * type.size;
    if (end - begin !== need) {
      throw new LatentError(
        'format',
        `tensor ${JSON.stringify(name)}: shape ${formatShape(info.shape)} ${info.dtype} needs ${need} bytes, data_offsets [${begin}, ${end}] span ${end - begin}`,
        path,
      );
    }
    const { matrix, nonFinite } = await readDense(src, { offset: dataStart + begin, rows, cols, type, fortranOrder: false }, path, options);
    return withNonFinite({ matrix, path, format: 'safetensors', dtype: info.dtype, arrayName: name }, options, nonFinite);
  });
}
