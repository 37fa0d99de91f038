/**
 * Parquet reader, via hyparquet (pure JS; uncompressed and Snappy pages only;
 * GZIP / ZSTD / Brotli / LZ4 pages need hyparquet-compressors, which is not a
 * dependency, and are reported as unsupported).
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
import type { AsyncBuffer, FileMetaData, SchemaTree } from 'hyparquet';
import { LatentError } from '../errors';
import type { FloatArray } from '../matrix';
import { checkMaxValues, describeNonFinite, throwIfCancelled, withFile, withNonFinite, type FileSource } from './common';
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
      return { name, floatList: floatKind(leaf), type: `list<${leafType(leaf)}>` };
    }
    return { name, type: 'list of groups' };
  }
  if (e.repetition_type === 'REPEATED' && node.children.length === 0) {
    return { name, floatList: floatKind(node), type: `repeated ${leafType(node)}` };
  }
  if (node.children.length > 0) return { name, type: e.converted_type === 'MAP' || e.logical_type?.type === 'MAP' ? 'map' : 'struct' };
  return { name, type: leafType(node) };
}

const EMBEDDING_NAMES = ['embedding', 'vector', 'embeddings'];

function wrap(e: unknown, path: string): LatentError {
  if (e instanceof LatentError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/unsupported compression codec/i.test(msg)) {
    return new LatentError('unsupported', `${msg} (only uncompressed and Snappy Parquet files can be read; rewrite with compression="snappy")`, path, { cause: e });
  }
  return new LatentError('format', `cannot read Parquet: ${msg}`, path, { cause: e });
}

export async function readParquet(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  const hp = await loadHyparquet(path);
  return withFile(path, async (src) => {
    if (src.size === 0) throw new LatentError('format', 'file is empty', path);
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
    const wanted = [emb.name, idName, labelName].filter((c): c is string => c !== undefined);
    const ids: string[] = [];
    const labels: string[] = [];
    let out: FloatArray | undefined;
    let cols = -1;
    let row = 0;
    let nonFinite = 0;
    const toText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));

    let groupStart = 0;
    for (const rg of metadata.row_groups) {
      throwIfCancelled(options.signal, path);
      const groupRows = Number(rg.num_rows);
      if (groupRows === 0) continue;
      let objects: Record<string, unknown>[];
      try {
        objects = await hp.parquetReadObjects({ file, metadata, columns: wanted, rowStart: groupStart, rowEnd: groupStart + groupRows });
      } catch (e) {
        throw wrap(e, path);
      }
      groupStart += groupRows;
      for (const obj of objects) {
        const vec = obj[emb.name] as ArrayLike<unknown> | null | undefined;
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
        if (idName !== undefined) ids.push(toText(obj[idName]));
        if (labelName !== undefined) labels.push(toText(obj[labelName]));
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
