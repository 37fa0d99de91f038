/**
 * A text encoder loaded from a local folder in the layout sentence-transformers and
 * transformers.js exports use:
 *
 *   tokenizer.json          Hugging Face tokenizers format (required)
 *   tokenizer_config.json   optional: model_max_length, pad_token, truncation_side
 *   config.json             optional: max_position_embeddings, hidden_size
 *   model.onnx | onnx/model.onnx | onnx/model_quantized.onnx (the last only when neither other exists)
 *
 * The model takes input_ids, attention_mask and optionally token_type_ids (int64 or int32,
 * [batch, sequence]) and gives last_hidden_state [batch, sequence, hidden] (mean- or
 * CLS-pooled here), or an already pooled output such as sentence_embedding [batch, hidden]
 * (used as it is). Nothing is ever downloaded.
 *
 * Tokenization is @huggingface/tokenizers (pure JS), which has no truncation or padding of
 * its own, so they are done here the way Hugging Face tokenizers does them: the text's tokens
 * are truncated to leave room for the special tokens the post-processor adds (right side unless
 * the tokenizer says left), and each batch is padded on the right to its longest sequence with
 * the tokenizer's pad id (padding.pad_id, else the id of pad_token / "[PAD]", else 0),
 * attention mask 0 and token type 0. Right padding keeps every real token at the position it
 * has unpadded, so padding does not change any embedding. Texts are batched longest first.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TokenizersModule from '@huggingface/tokenizers';
import { LatentError } from '../errors';
import type { Matrix } from '../matrix';
import { toLatentError } from '../io/common';
import { formatDims, OnnxModel, type FeedTensor, type TensorInfo } from './model';

type Tokenizers = typeof TokenizersModule;
type HfTokenizer = InstanceType<Tokenizers['Tokenizer']>;
let tokenizersModule: Tokenizers | undefined;

/**
 * Loaded lazily, like ONNX Runtime. The package is "type": "module" but ships a CommonJS
 * build under exports["."].node.require, which both Node's require (tsc output) and esbuild
 * (bundling the CJS CLI) pick, so a plain require works: no dynamic import() needed.
 */
function tokenizers(): Tokenizers {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  tokenizersModule ??= require('@huggingface/tokenizers') as Tokenizers;
  return tokenizersModule;
}

export type Pooling = 'mean' | 'cls';
export const POOLINGS: readonly Pooling[] = ['mean', 'cls'];

export function isPooling(s: string): s is Pooling {
  return (POOLINGS as readonly string[]).includes(s);
}

/** Model files looked for, in order; the quantized one only when none of the others exists. */
export const MODEL_FILES: readonly string[] = ['model.onnx', join('onnx', 'model.onnx')];
export const QUANTIZED_MODEL_FILE = join('onnx', 'model_quantized.onnx');
/** Outputs that are already one vector per text, preferred over pooling a hidden state. */
const POOLED_OUTPUTS = ['sentence_embedding', 'sentence_embeddings', 'text_embeds', 'embeddings'];
const HIDDEN_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'hidden_states'];
/** When neither the tokenizer nor its config says. */
export const DEFAULT_MAX_LENGTH = 512;
export const DEFAULT_TEXT_BATCH = 32;

export interface TextEncoderLoadOptions {
  /** ONNX Runtime intra-op threads (0 / absent: all cores). */
  threads?: number;
}

export interface EncodeOptions {
  /** Pooling of a per-token output: mean over the real tokens (default) or the first (CLS) token. */
  pooling?: Pooling;
  /** L2-normalize every row. */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default: see TextEncoder.defaultMaxLength). */
  maxLength?: number;
  /** Texts per model call (default 32). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Fraction of texts done, after every batch. */
  onProgress?: (fraction: number) => void;
}

export interface EncodeResult {
  /** [texts, hidden] float32. */
  embeddings: Matrix;
  /** Texts cut to maxLength tokens. */
  truncated: number;
  /** Longest sequence fed to the model (tokens, special ones included). */
  longest: number;
  maxLength: number;
}

export interface Tokenized {
  ids: number[];
  typeIds: number[];
  tokens: string[];
  /** Tokens the text had before truncation (special tokens included). */
  fullLength: number;
}

interface ModelIo {
  ids: TensorInfo;
  mask?: TensorInfo;
  types?: TensorInfo;
  output: TensorInfo;
  /** The output is one vector per text (no pooling). */
  pooled: boolean;
}

export class TextEncoder {
  private released = false;

  private constructor(
    /** The folder given to load(). */
    readonly folder: string,
    /** The ONNX file used (see modelFiles). */
    readonly modelFile: string,
    private readonly model: OnnxModel,
    private readonly tokenizer: HfTokenizer,
    private readonly io: ModelIo,
    /** Pad id used for input_ids. */
    readonly padId: number,
    /** Tokens per text when encode() is given no maxLength. */
    readonly defaultMaxLength: number,
    /** Where defaultMaxLength comes from, for messages. */
    readonly maxLengthSource: string,
    /** max_position_embeddings of config.json, when given. */
    readonly maxPositions: number | undefined,
    private readonly truncateLeft: boolean,
    /** Special tokens the post-processor adds to one text. */
    readonly specialTokens: number,
    /** Decisions taken while loading (which model file, …), one line each. */
    readonly notes: string[],
  ) {}

  /**
   * Loads the tokenizer and the model of a text encoder folder. Errors are LatentErrors naming
   * the folder (or the file in it): 'io' for a missing folder, tokenizer.json or model file,
   * 'format' for an unreadable or invalid tokenizer.json / tokenizer_config.json / config.json,
   * 'unsupported' for a model that does not take input_ids / give a hidden state.
   */
  static async load(folder: string, options: TextEncoderLoadOptions = {}): Promise<TextEncoder> {
    const kind = await pathKind(folder);
    if (kind === 'missing') throw new LatentError('io', 'cannot read the text encoder folder: no such file or directory', folder);
    if (kind === 'file') {
      throw new LatentError('usage', 'a text encoder is a folder (tokenizer.json and model.onnx or onnx/model.onnx), not a file', folder);
    }
    const tokenizerPath = join(folder, 'tokenizer.json');
    if ((await pathKind(tokenizerPath)) !== 'file') {
      throw new LatentError(
        'io',
        'the text encoder folder has no tokenizer.json (a Hugging Face tokenizers file, as sentence-transformers and transformers.js exports have; nothing is downloaded)',
        folder,
      );
    }
    const notes: string[] = [];
    const { file: modelFile, quantized } = await findModelFile(folder);
    if (quantized) notes.push(`using ${modelFile}: the folder has no model.onnx or onnx/model.onnx, only this quantized model`);

    const tokenizerJson = await readJsonObject(tokenizerPath, true);
    const tokenizerConfig = (await readJsonObject(join(folder, 'tokenizer_config.json'), false)) ?? {};
    const modelConfig = (await readJsonObject(join(folder, 'config.json'), false)) ?? {};
    let tokenizer: HfTokenizer;
    try {
      tokenizer = new (tokenizers().Tokenizer)(tokenizerJson!, tokenizerConfig);
    } catch (e) {
      throw new LatentError('format', `cannot load the tokenizer: ${e instanceof Error ? e.message : String(e)}`, tokenizerPath, { cause: e });
    }
    const specialTokens = postProcess(tokenizer, []).tokens.length;

    const padding = asObject(tokenizerJson!.padding);
    const truncation = asObject(tokenizerJson!.truncation);
    const padId = pickPadId(tokenizer, padding, tokenizerConfig);
    const truncateLeft =
      (typeof truncation?.direction === 'string' && truncation.direction.toLowerCase() === 'left') ||
      (truncation === undefined && tokenizerConfig.truncation_side === 'left');

    const maxPositions = positiveInt(modelConfig.max_position_embeddings);
    let defaultMaxLength: number;
    let maxLengthSource: string;
    const truncMax = positiveInt(truncation?.max_length);
    const configMax = positiveInt(tokenizerConfig.model_max_length);
    if (truncMax !== undefined) {
      defaultMaxLength = truncMax;
      maxLengthSource = 'the truncation of tokenizer.json';
    } else if (configMax !== undefined && configMax <= 1_000_000) {
      // transformers writes a huge sentinel (1e30) when a tokenizer has no limit.
      defaultMaxLength = configMax;
      maxLengthSource = 'model_max_length of tokenizer_config.json';
    } else {
      defaultMaxLength = DEFAULT_MAX_LENGTH;
      maxLengthSource = 'the default';
    }
    if (maxPositions !== undefined && defaultMaxLength > maxPositions) {
      defaultMaxLength = maxPositions;
      maxLengthSource = 'max_position_embeddings of config.json';
    }
    if (defaultMaxLength <= specialTokens) defaultMaxLength = specialTokens + 1;

    const model = await OnnxModel.load(modelFile, { threads: options.threads });
    let io: ModelIo;
    try {
      io = planModelIo(model);
    } catch (e) {
      await model.release();
      throw e;
    }
    return new TextEncoder(folder, modelFile, model, tokenizer, io, padId, defaultMaxLength, maxLengthSource, maxPositions, truncateLeft, specialTokens, notes);
  }

  /** Name of the model output used, and whether it is already pooled (one vector per text). */
  get output(): { name: string; pooled: boolean; dims: (number | string)[] } {
    return { name: this.io.output.name, pooled: this.io.pooled, dims: this.io.output.dims };
  }

  /** Model inputs fed: input_ids, and attention_mask / token_type_ids when the model takes them. */
  get inputs(): string[] {
    return [this.io.ids, this.io.mask, this.io.types].filter((t): t is TensorInfo => t !== undefined).map((t) => t.name);
  }

  /** Checks a maxLength option; returns the one to use. */
  resolveMaxLength(maxLength: number | undefined): number {
    if (maxLength === undefined) return this.defaultMaxLength;
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new LatentError('usage', `max length must be a positive integer, got ${maxLength}`);
    if (maxLength <= this.specialTokens) {
      throw new LatentError('usage', `max length ${maxLength} leaves no room for text: the tokenizer adds ${this.specialTokens} special tokens to every text`, this.folder);
    }
    if (this.maxPositions !== undefined && maxLength > this.maxPositions) {
      throw new LatentError('usage', `max length ${maxLength} is more than the model's ${this.maxPositions} positions (max_position_embeddings in config.json)`, this.folder);
    }
    return maxLength;
  }

  /** Tokens and ids of one text as fed to the model: special tokens added, truncated to maxLength. */
  tokenize(text: string, maxLength?: number): Tokenized {
    const max = this.resolveMaxLength(maxLength);
    let content: { ids: number[]; tokens: string[] };
    try {
      content = this.tokenizer.encode(text, { add_special_tokens: false });
    } catch (e) {
      throw new LatentError('format', `the tokenizer failed on a text: ${e instanceof Error ? e.message : String(e)}`, this.folder, { cause: e });
    }
    const room = max - this.specialTokens;
    const fullLength = content.ids.length + this.specialTokens;
    let keep = [...content.ids.keys()];
    if (keep.length > room) keep = this.truncateLeft ? keep.slice(keep.length - room) : keep.slice(0, room);
    // The post-processor inserts special tokens around markers that stand for the kept tokens.
    const markers = keep.map((k) => `\u0000lt-token-${k}`);
    const byMarker = new Map(markers.map((m, i) => [m, keep[i]]));
    const processed = postProcess(this.tokenizer, markers);
    const ids: number[] = [];
    const tokens: string[] = [];
    for (const t of processed.tokens) {
      const k = byMarker.get(t);
      if (k !== undefined) {
        ids.push(content.ids[k]);
        tokens.push(content.tokens[k]);
      } else {
        const id = this.tokenizer.token_to_id(t);
        if (id === undefined) throw new LatentError('format', `the post-processor adds the token ${JSON.stringify(t)}, which is not in the vocabulary`, this.folder);
        ids.push(id);
        tokens.push(t);
      }
    }
    const typeIds = processed.token_type_ids && processed.token_type_ids.length === ids.length ? processed.token_type_ids : new Array<number>(ids.length).fill(0);
    return { ids, typeIds, tokens, fullLength };
  }

  /** Embeddings of `texts`, [texts, hidden] float32. */
  async encode(texts: readonly string[], options: EncodeOptions = {}): Promise<Matrix> {
    return (await this.encodeWithInfo(texts, options)).embeddings;
  }

  /** encode(), with how many texts were truncated and the longest sequence. */
  async encodeWithInfo(texts: readonly string[], options: EncodeOptions = {}): Promise<EncodeResult> {
    if (this.released) throw new LatentError('usage', 'the text encoder was released', this.folder);
    const pooling = options.pooling ?? 'mean';
    if (!isPooling(pooling)) throw new LatentError('usage', `pooling must be one of ${POOLINGS.join(', ')}, got "${String(pooling)}"`);
    const maxLength = this.resolveMaxLength(options.maxLength);
    const batchSize = options.batchSize ?? DEFAULT_TEXT_BATCH;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new LatentError('usage', `batch size must be a positive integer, got ${batchSize}`);
    const n = texts.length;
    const encoded: Tokenized[] = [];
    let truncated = 0;
    let longest = 0;
    for (let i = 0; i < n; i++) {
      if (i % 256 === 0) throwIfCancelled(options.signal);
      const t = this.tokenize(texts[i], maxLength);
      if (t.fullLength > maxLength) truncated++;
      longest = Math.max(longest, t.ids.length);
      encoded.push(t);
    }
    // Longest first: batches of similar lengths need little padding, and a batch too large for
    // memory fails at once.
    const order = [...encoded.keys()].sort((a, b) => encoded[b].ids.length - encoded[a].ids.length || a - b);
    let result: Float32Array | undefined;
    let hidden = 0;
    if (n === 0) {
      const h = this.io.output.dims[this.io.output.dims.length - 1];
      return { embeddings: { rows: 0, cols: typeof h === 'number' ? h : 0, data: new Float32Array(0) }, truncated, longest, maxLength };
    }
    for (let start = 0; start < n; start += batchSize) {
      throwIfCancelled(options.signal);
      const rows = order.slice(start, start + batchSize);
      const pooled = await this.runBatch(rows.map((r) => encoded[r]), pooling);
      if (!result) {
        hidden = pooled.cols;
        result = new Float32Array(n * hidden);
      } else if (pooled.cols !== hidden) {
        throw new LatentError('shape', `output "${this.io.output.name}" changes width between batches: ${hidden} then ${pooled.cols}`, this.modelFile);
      }
      for (let k = 0; k < rows.length; k++) {
        const row = pooled.data.subarray(k * hidden, (k + 1) * hidden);
        if (options.normalize) normalizeInPlace(row);
        result.set(row, rows[k] * hidden);
      }
      options.onProgress?.(Math.min(n, start + batchSize) / n);
    }
    return { embeddings: { rows: n, cols: hidden, data: result! }, truncated, longest, maxLength };
  }

  /** Runs one padded batch; returns one float64 row per sequence (pooled). */
  private async runBatch(batch: Tokenized[], pooling: Pooling): Promise<{ cols: number; data: Float64Array }> {
    const b = batch.length;
    const len = Math.max(...batch.map((t) => t.ids.length));
    const ids = new Array<number>(b * len).fill(this.padId);
    const mask = new Array<number>(b * len).fill(0);
    const types = new Array<number>(b * len).fill(0);
    for (let r = 0; r < b; r++) {
      const t = batch[r];
      for (let j = 0; j < t.ids.length; j++) {
        ids[r * len + j] = t.ids[j];
        mask[r * len + j] = 1;
        types[r * len + j] = t.typeIds[j];
      }
    }
    const dims = [b, len];
    const feeds: Record<string, FeedTensor> = { [this.io.ids.name]: intTensor(this.io.ids, ids, dims) };
    if (this.io.mask) feeds[this.io.mask.name] = intTensor(this.io.mask, mask, dims);
    if (this.io.types) feeds[this.io.types.name] = intTensor(this.io.types, types, dims);
    const name = this.io.output.name;
    const y = (await this.model.runFeeds(feeds, [name]))[name];
    const path = this.modelFile;
    if (y.dims[0] !== b) throw new LatentError('shape', `output "${name}" has shape ${formatDims(y.dims)} for a batch of ${b} texts: its first axis is not the batch axis`, path);
    if (y.dims.length === 2) {
      // Already pooled (e.g. sentence_embedding).
      return { cols: y.dims[1], data: Float64Array.from(y.data) };
    }
    if (y.dims.length !== 3 || y.dims[1] !== len) {
      throw new LatentError(
        'shape',
        `output "${name}" has shape ${formatDims(y.dims)} for ${b} texts of ${len} tokens; expected [batch, sequence, hidden] or [batch, hidden]`,
        path,
      );
    }
    const h = y.dims[2];
    const out = new Float64Array(b * h);
    for (let r = 0; r < b; r++) {
      const o = r * h;
      if (pooling === 'cls') {
        // Right padding: the first token is the first real one.
        const src = r * len * h;
        for (let c = 0; c < h; c++) out[o + c] = y.data[src + c];
        continue;
      }
      let count = 0;
      for (let j = 0; j < len; j++) {
        if (mask[r * len + j] === 0) continue;
        count++;
        const src = (r * len + j) * h;
        for (let c = 0; c < h; c++) out[o + c] += y.data[src + c];
      }
      const inv = 1 / Math.max(count, 1e-9);
      for (let c = 0; c < h; c++) out[o + c] *= inv;
    }
    return { cols: h, data: out };
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.model.release();
  }
}

/** Also exported under a name that does not shadow the global TextEncoder (WHATWG encoding). */
export { TextEncoder as OnnxTextEncoder };

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LatentError('cancelled', 'cancelled');
}

function normalizeInPlace(row: Float64Array): void {
  let s = 0;
  for (let c = 0; c < row.length; c++) s += row[c] * row[c];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let c = 0; c < row.length; c++) row[c] *= inv;
}

function intTensor(spec: TensorInfo, values: number[], dims: number[]): FeedTensor {
  if (spec.type === 'int32') return { type: 'int32', data: Int32Array.from(values), dims };
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return { type: 'int64', data, dims };
}

/** The post-processor's output for one sequence with special tokens (the tokens themselves when there is none). */
function postProcess(tokenizer: HfTokenizer, tokens: string[]): { tokens: string[]; token_type_ids?: number[] } {
  const pp = tokenizer.post_processor;
  if (!pp) return { tokens };
  const r = pp(tokens, null, true);
  return { tokens: r.tokens, token_type_ids: r.token_type_ids };
}

type JsonObject = Record<string, unknown>;

function asObject(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

/** Token text of a tokenizer_config.json special token: a string or {"content": …}. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const o = asObject(v);
  return typeof o?.content === 'string' ? o.content : undefined;
}

function pickPadId(tokenizer: HfTokenizer, padding: JsonObject | undefined, config: JsonObject): number {
  if (padding && typeof padding.pad_id === 'number' && Number.isSafeInteger(padding.pad_id) && padding.pad_id >= 0) return padding.pad_id;
  for (const t of [typeof padding?.pad_token === 'string' ? padding.pad_token : undefined, tokenText(config.pad_token), '[PAD]', '<pad>']) {
    if (t === undefined) continue;
    const id = tokenizer.token_to_id(t);
    if (id !== undefined) return id;
  }
  return 0;
}

async function pathKind(path: string): Promise<'file' | 'dir' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return 'missing';
    throw toLatentError(e, path);
  }
}

async function findModelFile(folder: string): Promise<{ file: string; quantized: boolean }> {
  for (const rel of MODEL_FILES) {
    const p = join(folder, rel);
    if ((await pathKind(p)) === 'file') return { file: p, quantized: false };
  }
  const q = join(folder, QUANTIZED_MODEL_FILE);
  if ((await pathKind(q)) === 'file') return { file: q, quantized: true };
  throw new LatentError('io', `the text encoder folder has no model.onnx, onnx/model.onnx or onnx/model_quantized.onnx (nothing is downloaded)`, folder);
}

/** Reads a JSON object file; undefined for a missing optional file. */
async function readJsonObject(path: string, required: boolean): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (!required && (e as { code?: string }).code === 'ENOENT') return undefined;
    throw toLatentError(e, path);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new LatentError('format', `invalid JSON: ${(e as Error).message}`, path);
  }
  const obj = asObject(doc);
  if (!obj) throw new LatentError('format', 'expected a JSON object', path);
  return obj;
}

/** Which inputs are fed and which output is read; LatentError('unsupported') naming the model otherwise. */
function planModelIo(model: OnnxModel): ModelIo {
  const { inputs, outputs, path } = model.info;
  const list = (ts: TensorInfo[]): string => ts.map((t) => `"${t.name}" ${t.type} ${formatDims(t.dims)}`).join(', ');
  const byName = (name: string): TensorInfo | undefined => inputs.find((t) => t.name === name);
  const ids = byName('input_ids');
  if (!ids) throw new LatentError('unsupported', `the model has no "input_ids" input (its inputs: ${list(inputs)}); a text encoder takes input_ids, attention_mask and optionally token_type_ids`, path);
  const mask = byName('attention_mask');
  const types = byName('token_type_ids');
  const known = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
  const other = inputs.filter((t) => !known.has(t.name));
  if (other.length) {
    throw new LatentError('unsupported', `the model takes inputs a text encoder is not given: ${list(other)} (supported: input_ids, attention_mask, token_type_ids)`, path);
  }
  for (const t of [ids, mask, types]) {
    if (t && t.type !== 'int64' && t.type !== 'int32') {
      throw new LatentError('unsupported', `input "${t.name}" has element type ${t.type}; expected int64 (or int32)`, path);
    }
  }
  let output = POOLED_OUTPUTS.map((n) => outputs.find((t) => t.name === n)).find((t) => t !== undefined);
  let pooled = output !== undefined;
  if (!output) output = HIDDEN_OUTPUTS.map((n) => outputs.find((t) => t.name === n)).find((t) => t !== undefined);
  if (!output) {
    const ranked = outputs.filter((t) => t.dims.length === 3 || t.dims.length === 2);
    if (outputs.length === 1 || ranked.length === 1) {
      output = outputs.length === 1 ? outputs[0] : ranked[0];
      pooled = output.dims.length === 2;
    } else {
      throw new LatentError(
        'unsupported',
        `cannot tell which output holds the embeddings (its outputs: ${list(outputs)}); expected last_hidden_state [batch, sequence, hidden] or sentence_embedding [batch, hidden]`,
        path,
      );
    }
  }
  if (output.type !== 'float32' && output.type !== 'float16' && output.type !== 'float64') {
    throw new LatentError('unsupported', `output "${output.name}" has element type ${output.type}; expected float32`, path);
  }
  return { ids, mask, types, output, pooled };
}
