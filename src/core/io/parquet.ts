/**
 * Parquet reader, via hyparquet (pure JS) with Node's zlib for GZIP and Brotli pages,
 * fzstd (pure JS) for ZSTD, Polars' default, and lz4.ts for LZ4_RAW and LZ4 (LZO pages are
 * reported as unsupported). The embedding column's pages are decoded by parquetPages.ts when
 * they have the usual shape (equal-length lists, no nulls), by hyparquet otherwise.
 *
 * The file is accessed through an AsyncBuffer over a FileHandle, so only the
 * footer and the needed column chunks are read, one row group at a time.
 *
 * The embedding column is a list of FLOAT, DOUBLE or FLOAT16 values: a standard
 * 3-level LIST, a 2-level LIST, or a bare repeated field. Arrow's fixed_size_list
 * and large_list are stored as the same LIST in Parquet and read alike.
 * It is `options.array`, else a list-of-floats column named embedding / vector /
 * embeddings, else the only list-of-floats column. Ids come from `options.idColumn`
 * or a column named "id", labels from `options.labelColumn` or "label".
 * FLOAT and FLOAT16 give float32 rows, DOUBLE gives float64.
 */
import { brotliDecompressSync, unzipSync } from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import type { AsyncBuffer, ColumnMetaData, Compressors, FileMetaData, RowGroup, SchemaTree } from 'hyparquet';
import { LatentError } from '../errors';
import type { FloatArray } from '../matrix';
import { lz4HadoopDecompress, lz4RawDecompress } from './lz4';
import { readFloatListChunk, type Decompress, type FloatListColumn } from './parquetPages';
import { NeedMore, PAGE_DATA, PAGE_DATA_V2, PAGE_DICTIONARY, PAGE_INDEX, readPageHeader, type PageHeader } from './parquetThrift';
import { snappyDecompress } from './snappy';
import { checkFinite, checkMaxRows, checkMaxValues, DEFAULT_MAX_VALUES, describeNonFinite, throwIfCancelled, withFile, withNonFinite, type FileSource } from './common';
import type { EmbeddingTable, ReadOptions } from './types';

type Hyparquet = typeof import('hyparquet');

let hyparquet: Promise<Hyparquet> | undefined;
/** hyparquet is an ES module: loaded on first use (require(esm) on Node ≥ 20.19, bundled by esbuild). */
function loadHyparquet(path: string): Promise<Hyparquet> {
  hyparquet ??= import('hyparquet').catch((e: unknown) => {
    hyparquet = undefined;
    throw new LatentError('unsupported', `cannot load the Parquet reader (hyparquet needs Node ≥ 20.19 here): ${(e as Error).message}`, path, { cause: e });
  });
  return hyparquet;
}

function asyncBuffer(src: FileSource): AsyncBuffer {
  return {
    byteLength: src.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end === undefined ? src.size : Math.min(end, src.size);
      const bytes = await src.read(start, Math.max(0, stop - start));
      return bytes.buffer.byteLength === bytes.length && bytes.byteOffset === 0
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer);
    },
  };
}

type LeafKind = 'float' | 'double' | 'float16';

interface ColumnInfo {
  name: string;
  /** Leaf kind when this is a list of floats. */
  floatList?: LeafKind;
  /** Its levels, for the page decoder (when it is a list of floats). */
  levels?: FloatListColumn;
  /** Human description of the type, for messages. */
  type: string;
}

function leafType(node: SchemaTree): string {
  const e = node.element;
  const ann = e.logical_type?.type ?? e.converted_type;
  return ann ? `${e.type} (${ann})` : `${e.type}`;
}

function floatKind(leaf: SchemaTree): LeafKind | undefined {
  const e = leaf.element;
  if (leaf.children.length > 0) return undefined;
  if (e.type === 'FLOAT') return 'float';
  if (e.type === 'DOUBLE') return 'double';
  if (e.type === 'FIXED_LEN_BYTE_ARRAY' && e.type_length === 2 && e.logical_type?.type === 'FLOAT16') return 'float16';
  return undefined;
}

function describeColumn(node: SchemaTree): ColumnInfo {
  const e = node.element;
  const name = e.name;
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST';
  if (isList && node.children.length === 1) {
    const repeated = node.children[0];
    // 3-level: group (LIST) > repeated group list > element; 2-level: group (LIST) > repeated element.
    const leaf = repeated.children.length === 1 ? repeated.children[0] : repeated.children.length === 0 ? repeated : undefined;
    if (leaf && leaf.children.length === 0) {
      const path = leaf === repeated ? [node, leaf] : [node, repeated, leaf];
      return { name, floatList: floatKind(leaf), levels: listLevels(path, floatKind(leaf)), type: `list<${leafType(leaf)}>` };
    }
    return { name, type: 'list of groups' };
  }
  if (e.repetition_type === 'REPEATED' && node.children.length === 0) {
    return { name, floatList: floatKind(node), levels: listLevels([node], floatKind(node)), type: `repeated ${leafType(node)}` };
  }
  if (node.children.length > 0) return { name, type: e.converted_type === 'MAP' || e.logical_type?.type === 'MAP' ? 'map' : 'struct' };
  return { name, type: leafType(node) };
}

/** A column's definition and repetition levels from the nodes on its path (below the root). */
function listLevels(path: SchemaTree[], leaf: LeafKind | undefined): FloatListColumn | undefined {
  if (!leaf) return undefined;
  const count = (r: string) => path.filter((n) => n.element.repetition_type === r).length;
  return { leaf, maxDefinition: path.length - count('REQUIRED'), maxRepetition: count('REPEATED') };
}

// ---- decompression

/**
 * Page decompressors, for hyparquet and the page decoder: GZIP and Brotli through Node's zlib
 * (Node 20 has no Zstandard), ZSTD through fzstd, Snappy in snappy.ts (faster than hyparquet's own),
 * LZ4_RAW and the older LZ4 in lz4.ts (hyparquet has neither).
 */
const COMPRESSORS: Compressors = {
  SNAPPY: (input, size) => {
    const out = new Uint8Array(size);
    snappyDecompress(input, out);
    return out;
  },
  // bounded by the page's declared size: a small page that inflates to gigabytes fails early
  GZIP: (input, size) => unzipSync(input, { maxOutputLength: Math.max(1, size) }),
  BROTLI: (input, size) => brotliDecompressSync(input, { maxOutputLength: Math.max(1, size) }),
  ZSTD: zstdDecompress,
  LZ4_RAW: lz4RawDecompress,
  LZ4: lz4HadoopDecompress,
};

/**
 * A ZSTD page into exactly `size` bytes, block by block: fzstd's one-call form into a given
 * buffer stops silently where the buffer ends, and without one grows as far as the data says.
 */
function zstdDecompress(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  const stream = new ZstdStream((block) => {
    if (at + block.length > size) throw new Error(`a ZSTD page inflates to more than the ${size} bytes it declares`);
    out.set(block, at);
    at += block.length;
  });
  stream.push(input, true);
  if (at !== size) throw new Error(`a ZSTD page inflates to ${at} bytes, not the ${size} it declares`);
  return out;
}

export const decompress: Decompress = (codec, input, size) => COMPRESSORS[codec as keyof Compressors]?.(input, size);

/**
 * One row group's embedding column through the page decoder (parquetPages.ts), whose pages hold
 * `slots` values (level entries) as their headers say: its values, or undefined when the chunk
 * is not of the shape that decoder reads, or (after the first group) its rows are not
 * `into.cols` long, so hyparquet reads it and names what is wrong. After the first group the
 * values go straight into the result (`into`). `beforeRead` throws when reading is cancelled.
 */
async function readEmbeddingChunk(
  src: FileSource,
  chunks: RowGroup['columns'],
  emb: ColumnInfo,
  rows: number,
  slots: number,
  into: { values: FloatArray; offset: number; cols: number } | undefined,
  beforeRead: () => void,
) {
  const meta = chunks.find((c) => c.meta_data?.path_in_schema[0] === emb.name)?.meta_data;
  if (!meta || !emb.levels || (into && slots !== rows * into.cols)) return undefined;
  // the chunk's extent and its pages' value count (bounded by maxValues) were checked by checkPages
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const extent = { start, length: Number(meta.total_compressed_size), totalValues: slots, rows, codec: meta.codec };
  return readFloatListChunk(src, extent, emb.levels, decompress, { into, beforeRead });
}

// ---- page-header pre-scan

/**
 * Walks the page headers of one column chunk (as hyparquet will: from the dictionary or
 * first data page, over total_compressed_size bytes) and refuses headers hyparquet cannot
 * decode safely: missing or negative sizes and counts, pages running past the chunk,
 * level lengths beyond the page, or more values than `maxValues` allows. Returns the number
 * of values (level entries) its data pages declare.
 */
async function checkPages(src: FileSource, meta: ColumnMetaData, column: string, maxSlots: number, path: string): Promise<number> {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const length = Number(meta.total_compressed_size);
  const bad = (msg: string): LatentError => new LatentError('format', `cannot read Parquet: column ${JSON.stringify(column)}: ${msg}`, path);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > src.size) {
    throw bad('its column chunk lies outside the file');
  }
  const end = start + length;
  let slots = 0;
  const valid = (v: number, what: string): number => {
    if (Number.isNaN(v)) throw bad(`page header without a valid ${what}`);
    return v;
  };
  try {
    // Headers only: each is read in a small window (grown if a header is larger), the pages are skipped.
    for (let pos = start; pos < end - 1; ) {
      let h: PageHeader | undefined;
      for (let window = 4096; h === undefined; window *= 16) {
        const bytes = await src.read(pos, Math.min(window, end - pos));
        try {
          h = readPageHeader(bytes);
        } catch (e) {
          if (!(e instanceof NeedMore) || window >= end - pos || window > MAX_PAGE_HEADER) throw e;
        }
      }
      const type = valid(h.type, 'page type');
      valid(h.uncompressedSize, 'uncompressed size');
      const size = valid(h.compressedSize, 'compressed size');
      if (pos + h.headerLength + size > end) throw bad('a page runs past the end of its column chunk');
      if (type === PAGE_DATA) {
        slots += valid(h.numValues, 'data page value count');
        valid(h.encoding, 'data page encoding');
      } else if (type === PAGE_DICTIONARY) {
        valid(h.numValues, 'dictionary size');
      } else if (type === PAGE_DATA_V2) {
        const values = valid(h.numValues, 'data page value count');
        if (valid(h.numNulls, 'null count') > values) throw bad('a page has more nulls than values');
        valid(h.numRows, 'data page row count');
        valid(h.encoding, 'data page encoding');
        if (valid(h.definitionLength, 'definition levels length') + valid(h.repetitionLength, 'repetition levels length') > size) throw bad('level lengths exceed the page');
        slots += values;
      } else if (type !== PAGE_INDEX) {
        throw bad(`unknown page type ${type}`);
      }
      if (slots > maxSlots) throw bad(`its pages hold more than ${maxSlots} values (maxValues)`);
      pos += h.headerLength + size;
    }
  } catch (e) {
    if (e instanceof RangeError) throw bad(e.message);
    throw e;
  }
  return slots;
}

/** Page headers (with statistics) are small; one larger than this is taken to be corrupt. */
const MAX_PAGE_HEADER = 16 * 1024 * 1024;

const EMBEDDING_NAMES = ['embedding', 'vector', 'embeddings'];

function wrap(e: unknown, path: string): LatentError {
  if (e instanceof LatentError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/unsupported compression codec/i.test(msg)) {
    return new LatentError('unsupported', `${msg} (only uncompressed, Snappy, GZIP, Brotli, ZSTD and LZ4 Parquet files can be read; rewrite with compression="snappy")`, path, { cause: e });
  }
  return new LatentError('format', `cannot read Parquet: ${msg}`, path, { cause: e });
}

export async function readParquet(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  const hp = await loadHyparquet(path);
  return withFile(path, async (src) => {
    if (src.size === 0) throw new LatentError('format', 'file is empty', path);
    // The magic first: hyparquet's own complaint about a short or foreign file was a bare
    // "Offset is outside the bounds of the DataView".
    const magic = (b: Uint8Array): string => String.fromCharCode(...b);
    const tail = src.size >= 12 ? magic(await src.read(src.size - 4, 4)) : '';
    if (tail === 'PARE') throw new LatentError('unsupported', 'encrypted Parquet files are not supported', path);
    if (tail !== 'PAR1') throw new LatentError('format', 'not a Parquet file (it does not end with the magic bytes "PAR1")', path);
    const file = asyncBuffer(src);
    let metadata: FileMetaData;
    try {
      metadata = await hp.parquetMetadataAsync(file);
    } catch (e) {
      throw wrap(e, path);
    }
    const columns = hp.parquetSchema(metadata).children.map(describeColumn);
    const byName = new Map(columns.map((c) => [c.name, c]));
    const floatLists = columns.filter((c) => c.floatList);
    const listing = columns.map((c) => `${c.name}: ${c.type}`).join(', ');

    let emb: ColumnInfo | undefined;
    if (options.array !== undefined) {
      emb = byName.get(options.array);
      if (!emb) throw new LatentError('usage', `no column ${JSON.stringify(options.array)}; columns are: ${listing}`, path);
    } else {
      emb = EMBEDDING_NAMES.map((n) => byName.get(n)).find((c) => c !== undefined) ?? (floatLists.length === 1 ? floatLists[0] : undefined);
      if (!emb) {
        throw new LatentError(
          floatLists.length > 1 ? 'usage' : 'format',
          floatLists.length > 1
            ? `several list-of-float columns (${floatLists.map((c) => c.name).join(', ')}); choose one with --array`
            : `no embedding column (a list of floats); columns are: ${listing}`,
          path,
        );
      }
    }
    if (!emb.floatList) {
      throw new LatentError('unsupported', `column ${JSON.stringify(emb.name)} has type ${emb.type}, expected a list of floats`, path);
    }
    /** A scalar (string / number) column; a fallback name that is nested is ignored, a requested one refused. */
    const pick = (spec: string | undefined, fallback: string, what: string): string | undefined => {
      const name = spec ?? fallback;
      const col = byName.get(name);
      if (!col || name === emb!.name) {
        if (spec !== undefined) throw new LatentError('usage', `no ${what} column ${JSON.stringify(spec)}; columns are: ${listing}`, path);
        return undefined;
      }
      if (/list|struct|map|repeated/.test(col.type)) {
        if (spec === undefined) return undefined;
        throw new LatentError('unsupported', `${what} column ${JSON.stringify(name)} has type ${col.type}, expected strings or integers`, path);
      }
      return name;
    };
    const idName = pick(options.idColumn, 'id', 'id');
    const labelName = pick(options.labelColumn, 'label', 'label');

    const totalRows = Number(metadata.num_rows);
    if (totalRows === 0) throw new LatentError('shape', 'file has no rows', path);
    // Checked before any row is read: hyparquet materialises one object per row the footer
    // declares, so an 800-byte file claiming 400 000 000 rows exhausted the heap (a fatal
    // crash, not an exception). Rows alone over maxValues are refused; the row groups must
    // add up; and every column must actually hold its group's rows (below).
    const groupSum = metadata.row_groups.reduce((a, rg) => a + Number(rg.num_rows), 0);
    if (groupSum !== totalRows) throw new LatentError('format', `metadata says ${totalRows} rows, the row groups declare ${groupSum}`, path);
    checkMaxValues(totalRows, 1, options.maxValues, path);
    checkMaxRows(totalRows, options.maxRows, path);
    const wanted = [emb.name, idName, labelName].filter((c): c is string => c !== undefined);
    const ids: string[] = [];
    const labels: string[] = [];
    let out: FloatArray | undefined;
    let cols = -1;
    let row = 0;
    let nonFinite = 0;
    const toText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

    const cancelled = () => throwIfCancelled(options.signal, path);
    let groupStart = 0;
    for (const [g, rg] of metadata.row_groups.entries()) {
      throwIfCancelled(options.signal, path);
      const groupRows = Number(rg.num_rows);
      if (groupRows === 0) continue;
      let embeddingSlots = 0;
      for (const chunk of rg.columns) {
        const meta = chunk.meta_data;
        if (meta && wanted.includes(meta.path_in_schema[0])) {
          const slots = await checkPages(src, meta, meta.path_in_schema.join('.'), (options.maxValues ?? DEFAULT_MAX_VALUES) + groupRows, path);
          if (meta.path_in_schema[0] === emb.name) embeddingSlots = slots;
        }
      }
      // The embedding column by the page decoder when it can; hyparquet reads the rest.
      const fast = await readEmbeddingChunk(src, rg.columns, emb, groupRows, embeddingSlots, out && { values: out, offset: row * cols, cols }, cancelled);
      // Column chunks as decoded (onChunk), not row objects: their length is what the pages hold.
      const chunks = new Map<string, { start: number; data: ArrayLike<unknown> }[]>();
      const columns = fast ? wanted.filter((c) => c !== emb!.name) : wanted;
      try {
        if (columns.length > 0) {
          await hp.parquetRead({
            file,
            metadata,
            columns,
            rowStart: groupStart,
            rowEnd: groupStart + groupRows,
            compressors: COMPRESSORS,
            onChunk: (c) => {
              const list = chunks.get(c.columnName) ?? [];
              list.push({ start: c.rowStart - groupStart, data: c.columnData as ArrayLike<unknown> });
              chunks.set(c.columnName, list);
            },
          });
        }
      } catch (e) {
        throw wrap(e, path);
      }
      /** The group's rows of one column, in order; refused when the pages hold fewer than declared. */
      const columnRows = (name: string): unknown[] => {
        const values: unknown[] = [];
        for (const part of (chunks.get(name) ?? []).sort((a, b) => a.start - b.start)) {
          if (part.start > values.length) break;
          for (let k = values.length - part.start; k < part.data.length && values.length < groupRows; k++) values.push(part.data[k]);
        }
        if (values.length < groupRows) {
          throw new LatentError('format', `row group ${g} declares ${groupRows} rows, but column ${JSON.stringify(name)} holds ${values.length}`, path);
        }
        return values;
      };
      const idValues = idName !== undefined ? columnRows(idName) : undefined;
      const labelValues = labelName !== undefined ? columnRows(labelName) : undefined;
      groupStart += groupRows;
      if (fast) {
        if (out === undefined) {
          cols = fast.cols;
          checkMaxValues(totalRows, cols, options.maxValues, path);
          out = emb.floatList === 'double' ? new Float64Array(totalRows * cols) : new Float32Array(totalRows * cols);
        }
        if (fast.values !== out) out.set(fast.values, row * cols);
        nonFinite += checkFinite(out.subarray(row * cols, (row + groupRows) * cols), cols, row, path, '', options.allowNonFinite);
        for (let r = 0; r < groupRows; r++) {
          if (idValues) ids.push(toText(idValues[r]));
          if (labelValues) labels.push(toText(labelValues[r]));
        }
        row += groupRows;
        continue;
      }
      const vectors = columnRows(emb.name);
      for (let r = 0; r < groupRows; r++) {
        const vec = vectors[r] as ArrayLike<unknown> | null | undefined;
        if (vec === null || vec === undefined) throw new LatentError('value', `row ${row}: ${JSON.stringify(emb.name)} is null`, path);
        if (out === undefined) {
          cols = vec.length;
          if (cols === 0) throw new LatentError('shape', `row ${row}: the embedding is empty`, path);
          checkMaxValues(totalRows, cols, options.maxValues, path);
          out = emb.floatList === 'double' ? new Float64Array(totalRows * cols) : new Float32Array(totalRows * cols);
        }
        if (vec.length !== cols) throw new LatentError('shape', `row ${row} has ${vec.length} values, expected ${cols}`, path);
        const base = row * cols;
        for (let j = 0; j < cols; j++) {
          const v = vec[j];
          if (typeof v !== 'number') throw new LatentError('value', `row ${row}, column ${j} is ${v === null ? 'null' : typeof v} (0-based)`, path);
          if (v - v !== 0) {
            if (!options.allowNonFinite) throw new LatentError('value', `row ${row}, column ${j} is ${describeNonFinite(v)} (0-based)`, path);
            nonFinite++;
          }
          out[base + j] = v;
        }
        if (idValues) ids.push(toText(idValues[r]));
        if (labelValues) labels.push(toText(labelValues[r]));
        row++;
      }
    }
    if (row !== totalRows || out === undefined) {
      throw new LatentError('format', `metadata says ${totalRows} rows, the row groups hold ${row}`, path);
    }
    const table: EmbeddingTable = {
      matrix: { rows: row, cols, data: out },
      ids: idName !== undefined ? ids : undefined,
      labels: labelName !== undefined ? labels : undefined,
      path,
      format: 'parquet',
      dtype: emb.floatList,
      arrayName: emb.name,
    };
    return withNonFinite(table, options, nonFinite);
  });
}
