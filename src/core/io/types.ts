import type { Matrix } from '../matrix';

/** What every reader returns: the vectors plus whatever per-row metadata the file carries. */
export interface EmbeddingTable {
  /** Row-major vectors. float32 when the file stores ≤ 32-bit floats, float64 otherwise. */
  readonly matrix: Matrix;
  /** Row ids (words, id column, object ids) when the file has them. */
  readonly ids?: string[];
  /** Row labels (label column, metadata.tsv) when the file has them. */
  readonly labels?: string[];
  /** Absolute or user-given path the table came from. */
  readonly path: string;
  /** Format name, e.g. "npy", "csv", "word2vec-bin". */
  readonly format: string;
  /** Storage dtype as found in the file, e.g. "<f4", "F16", "float". */
  readonly dtype: string;
  /** Name of the array / tensor / column the vectors were taken from, when the format has names. */
  readonly arrayName?: string;
  /** Count of NaN / ±Inf values; set only when read with `allowNonFinite` (0 when there are none). */
  readonly nonFinite?: number;
}

export interface ReadOptions {
  /** .npz member, .safetensors tensor, or .parquet/.jsonl/.json embedding field/column. */
  array?: string;
  /** Column (name or 0-based index) holding row ids in csv/tsv/parquet; field name in json/jsonl. */
  idColumn?: string;
  /** Column (name or 0-based index) or field holding labels. */
  labelColumn?: string;
  /** csv/tsv: whether the first line is a header. Default: detected (a first row with non-numeric cells). */
  header?: boolean;
  /** A metadata.tsv (TensorFlow Embedding Projector) giving labels/ids for each row of a vectors.tsv. */
  metadata?: string;
  /** Abort signal: readers check it between chunks. */
  signal?: AbortSignal;
  /** Upper bound on values (rows × dims) to load; larger files are refused. Default 2^31 - 1. */
  maxValues?: number;
  /**
   * Upper bound on rows; larger files are refused with LatentError('limit'). Formats whose header
   * declares the row count (npy, npz members, safetensors, word2vec with a header, parquet) are
   * refused before any value is read; text formats as soon as the limit is passed. Default: none.
   */
  maxRows?: number;
  /** Keep NaN/Inf values instead of refusing the file (for inspection); the table then reports how many it has. */
  allowNonFinite?: boolean;
}
