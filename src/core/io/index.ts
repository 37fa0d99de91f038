/**
 * Embedding file I/O: one entry point per task.
 *
 * - readEmbeddings(path, options): any supported format → EmbeddingTable, chosen by extension.
 * - readList(path): anchor / held-out lists (indices or ids).
 * - openNpy(path): chunked access to a huge .npy.
 * - writeNpy / writeJson / writeCsv / NpyStreamWriter / atomicWriteFile: atomic writers
 *   that refuse to overwrite without `force`.
 *
 * Every error is a LatentError naming the file. With `options.metadata` (a
 * TensorFlow Embedding Projector metadata.tsv), ids/labels come from that file and
 * `idColumn` / `labelColumn` refer to its columns, not to the vectors file.
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { LatentError } from '../errors';
import { throwIfCancelled, toLatentError, withFile, withNonFinite } from './common';
import { readDelimited, readProjectorMetadata } from './delimited';
import { readJson, readJsonl } from './json';
import { readList as readListImpl, type ListContents } from './lists';
import { readNpySource } from './npy';
import { readNpz } from './npz';
import { readParquet } from './parquet';
import { refusePickle } from './pickle';
import { readSafetensors } from './safetensors';
import { readWord2vecBinary, readWord2vecText } from './word2vec';
import type { EmbeddingTable, ReadOptions } from './types';

export type { EmbeddingTable, ReadOptions } from './types';
export { openNpy, type NpySource } from './npy';
export { atomicWriteFile, type WriteOptions } from './atomic';
export { writeNpy, writeJson, writeCsv, NpyStreamWriter, formatFloat32, type CsvWriteOptions } from './writers';
export type { ListContents } from './lists';

type Reader = (path: string, options: ReadOptions) => Promise<EmbeddingTable>;

const readNpyFile: Reader = (path, options) =>
  withFile(path, async (src) => {
    const { matrix, header, nonFinite } = await readNpySource(src, path, options);
    return withNonFinite({ matrix, path, format: 'npy', dtype: header.descr }, options, nonFinite);
  });

const READERS: Record<string, Reader> = {
  '.npy': readNpyFile,
  '.npz': readNpz,
  '.safetensors': readSafetensors,
  '.csv': (p, o) => readDelimited(p, o, 'csv'),
  '.tsv': (p, o) => readDelimited(p, o, 'tsv'),
  '.jsonl': (p, o) => readJsonl(p, o, 'jsonl'),
  '.ndjson': (p, o) => readJsonl(p, o, 'ndjson'),
  '.json': readJson,
  '.vec': readWord2vecText,
  '.txt': readWord2vecText,
  '.bin': readWord2vecBinary,
  '.parquet': readParquet,
};

/** File extensions readEmbeddings understands (lower case, with the dot). */
export const supportedExtensions: readonly string[] = Object.freeze(Object.keys(READERS));

async function checkFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw toLatentError(e, path);
  }
  if (st.isDirectory()) throw new LatentError('io', 'cannot read file: is a directory', path);
  if (st.size === 0) throw new LatentError('format', 'file is empty', path);
}

/**
 * Reads an embedding table; the format is chosen by the extension (case-insensitive).
 * Binary storage of ≤ 32 bits gives float32 rows, f8 / 32- and 64-bit integers float64,
 * text formats float64. Every value is checked to be finite, unless `options.allowNonFinite`:
 * then NaN / ±Inf are kept and counted in `nonFinite`.
 */
export async function readEmbeddings(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  refusePickle(path);
  const ext = extname(path).toLowerCase();
  const reader = READERS[ext];
  if (!reader) {
    throw new LatentError(
      'unsupported',
      `unsupported file type ${JSON.stringify(ext || '(no extension)')}; supported: ${supportedExtensions.join(', ')}`,
      path,
    );
  }
  throwIfCancelled(options.signal, path);
  await checkFile(path);
  const { metadata } = options;
  const own = metadata === undefined ? options : { ...options, idColumn: undefined, labelColumn: undefined };
  let table: EmbeddingTable;
  try {
    table = await reader(path, own);
  } catch (e) {
    throw toLatentError(e, path);
  }
  if (metadata === undefined) return table;
  await checkFile(metadata);
  let meta;
  try {
    meta = await readProjectorMetadata(metadata, path, table.matrix.rows, options);
  } catch (e) {
    throw toLatentError(e, metadata);
  }
  return { ...table, ids: meta.ids ?? table.ids, labels: meta.labels ?? table.labels };
}

/**
 * Reads an anchor / held-out list: .npy of integers, .json array of integers (indices)
 * or strings (ids), otherwise text with one entry per line.
 */
export async function readList(path: string): Promise<ListContents> {
  refusePickle(path);
  await checkFile(path);
  try {
    return await readListImpl(path);
  } catch (e) {
    throw toLatentError(e, path);
  }
}
