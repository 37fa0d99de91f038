/**
 * A user-supplied ONNX model (an encoder, a classifier head, a decoder) run with
 * ONNX Runtime on the CPU, in batches along the first (batch) axis.
 *
 * Names, element types and shapes come from the session's inputMetadata /
 * outputMetadata (onnxruntime-common ≥ 1.21), which already leave out
 * initializers listed as graph inputs. Every failure is a LatentError naming the
 * model file: unreadable file, not an ONNX model, an op ONNX Runtime cannot run,
 * an input that does not fit the declared shape.
 */
import { stat } from 'node:fs/promises';
import type * as OrtModule from 'onnxruntime-node';
import { EXPORT_MODEL, refusePickle } from '../io/pickle';
import { LatentError } from '../errors';
import { toLatentError } from '../io/common';
import { halfToNumber } from '../io/float16';

import { ort } from '../backend/ort';

export interface TensorInfo {
  name: string;
  /** Element type as ONNX Runtime names it ("float32", "int64", …); "non-tensor" for sequences and maps. */
  type: string;
  /** Declared shape; symbolic dims as strings (e.g. "batch"). Empty when the model declares no shape. */
  dims: (number | string)[];
}

export interface ModelInfo {
  path: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface RunOptions {
  /** Output to return; default: the only output (an error lists them when there are several). */
  outputName?: string;
  /** Rows per ONNX Runtime call; default about 16 MB of input (see defaultBatchSize). Ignored when the model fixes the batch dim. */
  batchSize?: number;
  /** Checked before every batch: LatentError('cancelled'). */
  signal?: AbortSignal;
  /** Fraction of rows done, after every batch. */
  onProgress?: (fraction: number) => void;
}

export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** A named input of runFeeds: integer token ids and masks, or float values. */
export type FeedTensor =
  | { type: 'int64'; data: BigInt64Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] }
  | { type: 'float32'; data: Float32Array; dims: number[] };

/** Input bytes per batch when no batch size is given. */
export const DEFAULT_BATCH_BYTES = 16 * 1024 * 1024;

/** Rows per batch that make about 16 MB of float32 input for rows of `rowElements` values. */
export function defaultBatchSize(rowElements: number): number {
  return Math.max(1, Math.floor(DEFAULT_BATCH_BYTES / (4 * Math.max(1, rowElements))));
}

/** "[batch, 1, 28, 28]" */
export function formatDims(dims: readonly (number | string)[]): string {
  return `[${dims.join(', ')}]`;
}

const SUPPORTED_INPUT_TYPES = ['float32', 'float64'];
const NUMERIC_OUTPUT_TYPES = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

export class OnnxModel {
  private released = false;

  private constructor(
    private readonly session: OrtModule.InferenceSession,
    readonly info: ModelInfo,
  ) {}

  /**
   * Loads a model file. `threads` is ONNX Runtime's intra-op thread count (0 or absent: all cores).
   * Errors: LatentError('io') for a missing / unreadable file or a directory, ('format') for a
   * file that is not an ONNX model, ('unsupported') for an op ONNX Runtime cannot run.
   */
  static async load(path: string, options: { threads?: number } = {}): Promise<OnnxModel> {
    refusePickle(path, EXPORT_MODEL);
    let size: number;
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      size = st.size;
    } catch (e) {
      throw toLatentError(e, path, 'cannot read the model');
    }
    if (size === 0) throw new LatentError('format', 'not an ONNX model: the file is empty', path);
    let session: OrtModule.InferenceSession;
    try {
      // A path (not bytes), so ONNX Runtime finds external weight files next to the model.
      session = await ort().InferenceSession.create(path, {
        intraOpNumThreads: options.threads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        logSeverityLevel: 3, // errors only: no warnings about initializers listed as inputs etc. on stderr
      });
    } catch (e) {
      throw loadError(e, path);
    }
    const info: ModelInfo = {
      path,
      inputs: session.inputMetadata.map(tensorInfo),
      outputs: session.outputMetadata.map(tensorInfo),
    };
    return new OnnxModel(session, info);
  }

  /**
   * The one input the model takes, checked to be a float tensor.
   * LatentError('unsupported') for models with no or several inputs, or a non-float input.
   */
  input(): TensorInfo {
    const { inputs, path } = this.info;
    if (inputs.length !== 1) {
      const list = inputs.map((t) => `"${t.name}" ${t.type} ${formatDims(t.dims)}`).join(', ');
      throw new LatentError(
        'unsupported',
        inputs.length === 0
          ? 'the model takes no inputs; only models with exactly one input are supported'
          : `the model takes ${inputs.length} inputs (${list}); only models with exactly one input are supported`,
        path,
      );
    }
    const input = inputs[0];
    if (!SUPPORTED_INPUT_TYPES.includes(input.type)) {
      throw new LatentError(
        'unsupported',
        `input "${input.name}" has element type ${input.type}; only float inputs (float32, or float64) are supported, not integer, float16, bool or string inputs`,
        path,
      );
    }
    return input;
  }

  /** The output `name`, or the only output; LatentError('usage') listing the outputs otherwise. */
  output(name?: string): TensorInfo {
    const { outputs, path } = this.info;
    const list = outputs.map((t) => `"${t.name}" ${formatDims(t.dims)}`).join(', ');
    let out: TensorInfo | undefined;
    if (name !== undefined) {
      out = outputs.find((t) => t.name === name);
      if (!out) throw new LatentError('usage', `the model has no output "${name}"; its outputs are ${list}`, path);
    } else if (outputs.length === 1) {
      out = outputs[0];
    } else {
      throw new LatentError('usage', `the model has ${outputs.length} outputs (${list}); choose one (--output <name>)`, path);
    }
    if (!NUMERIC_OUTPUT_TYPES.includes(out.type)) {
      throw new LatentError('unsupported', `output "${out.name}" has element type ${out.type}; only numeric tensor outputs are supported`, path);
    }
    return out;
  }

  /**
   * Rows per ONNX Runtime call for rows of `rowElements` values: a batch dim the model fixes
   * wins, then `requested`, then about 16 MB of float32 input.
   */
  batchSizeFor(rowElements: number, requested?: number): number {
    const first = this.input().dims[0];
    if (typeof first === 'number' && first > 0) return first;
    if (requested !== undefined) {
      if (!Number.isSafeInteger(requested) || requested < 1) throw new LatentError('usage', `batch size must be a positive integer, got ${requested}`);
      return requested;
    }
    return defaultBatchSize(rowElements);
  }

  /**
   * Checks `dims` (first dim = rows) against the declared input: same rank, and every static
   * dim after the first equal. LatentError('shape') naming the model and both shapes.
   */
  checkInputDims(dims: readonly number[]): void {
    const input = this.input();
    const want = input.dims;
    if (want.length === 0) return; // shape not declared: ONNX Runtime checks what it can
    const fits = dims.length === want.length && want.every((d, i) => i === 0 || typeof d !== 'number' || d === dims[i]);
    if (!fits) {
      throw new LatentError('shape', `the model expects input "${input.name}" of shape ${formatDims(want)}, got ${formatDims(dims)}`, this.info.path);
    }
  }

  /**
   * Runs `input` (first dim = rows) through the model in batches and returns the chosen output,
   * its batches concatenated along the first axis. A float64 model input is fed widened values.
   * When the model fixes the batch dim to k, batches are exactly k rows (the last is zero-padded,
   * and the padding's outputs are dropped).
   */
  async run(input: TensorData, options: RunOptions = {}): Promise<TensorData> {
    if (this.released) throw new LatentError('usage', 'the model was released', this.info.path);
    const path = this.info.path;
    const spec = this.input();
    const out = this.output(options.outputName);
    const dims = input.dims;
    if (dims.length === 0 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new LatentError('shape', `input dims ${formatDims(dims)} are not a shape with a batch axis`, path);
    }
    const total = dims.reduce((a, b) => a * b, 1);
    if (input.data.length !== total) {
      throw new LatentError('shape', `input has ${input.data.length} values, but its dims ${formatDims(dims)} make ${total}`, path);
    }
    this.checkInputDims(dims);
    const rows = dims[0];
    const rowElements = dims.slice(1).reduce((a, b) => a * b, 1);
    const batch = this.batchSizeFor(rowElements, options.batchSize);
    const fixedBatch = typeof spec.dims[0] === 'number' && spec.dims[0] > 0;
    const { Tensor } = ort();

    let result: Float32Array | undefined;
    let outRowDims: number[] | undefined;
    let outRowElements = 0;
    if (rows === 0) {
      const rest = out.dims.slice(1);
      if (!rest.every((d): d is number => typeof d === 'number')) {
        throw new LatentError('shape', `the input has no rows, and output "${out.name}" ${formatDims(out.dims)} has no fixed row shape`, path);
      }
      return { data: new Float32Array(0), dims: [0, ...rest] };
    }
    for (let start = 0; start < rows; start += batch) {
      if (options.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
      const n = Math.min(batch, rows - start);
      const feedRows = fixedBatch ? batch : n;
      let values: Float32Array | Float64Array = input.data.subarray(start * rowElements, (start + n) * rowElements);
      if (feedRows !== n) {
        const padded = new Float32Array(feedRows * rowElements);
        padded.set(values);
        values = padded;
      }
      if (spec.type === 'float64') values = Float64Array.from(values);
      const feed = new Tensor(spec.type as 'float32' | 'float64', values, [feedRows, ...dims.slice(1)]);
      let y: OrtModule.Tensor;
      try {
        const res = await this.session.run({ [spec.name]: feed }, [out.name]);
        y = res[out.name];
      } catch (e) {
        throw runError(e, path);
      }
      try {
        const yDims = [...y.dims];
        if (yDims.length === 0 || yDims[0] !== feedRows) {
          throw new LatentError(
            'shape',
            `output "${out.name}" has shape ${formatDims(yDims)} for a batch of ${feedRows} rows: its first axis is not the batch axis`,
            path,
          );
        }
        const rowShape = yDims.slice(1);
        if (!outRowDims) {
          outRowDims = rowShape;
          outRowElements = rowShape.reduce((a, b) => a * b, 1);
          result = new Float32Array(rows * outRowElements);
        } else if (formatDims(rowShape) !== formatDims(outRowDims)) {
          throw new LatentError('shape', `output "${out.name}" changes shape between batches: ${formatDims(outRowDims)} then ${formatDims(rowShape)} per row`, path);
        }
        copyOutput(y, result!, start * outRowElements, n * outRowElements, path, out.name);
      } finally {
        y.dispose?.();
      }
      options.onProgress?.((start + n) / rows);
    }
    return { data: result!, dims: [rows, ...outRowDims!] };
  }

  /**
   * One ONNX Runtime call with any number of named inputs (e.g. int64 input_ids and
   * attention_mask of a text encoder): no batching and no shape planning, which is the
   * caller's. Returns the requested outputs converted to float32. ONNX Runtime's errors
   * (a missing input, a wrong element type or shape) become LatentErrors naming the model.
   */
  async runFeeds(feeds: Record<string, FeedTensor>, outputNames: readonly string[]): Promise<Record<string, TensorData>> {
    if (this.released) throw new LatentError('usage', 'the model was released', this.info.path);
    const path = this.info.path;
    for (const name of outputNames) this.output(name);
    const { Tensor } = ort();
    const ortFeeds: Record<string, OrtModule.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new Tensor(t.type, t.data, t.dims);
    let res: OrtModule.InferenceSession.ReturnType;
    try {
      res = await this.session.run(ortFeeds, [...outputNames]);
    } catch (e) {
      throw runError(e, path);
    }
    const out: Record<string, TensorData> = {};
    try {
      for (const name of outputNames) {
        const y = res[name];
        const count = y.dims.reduce((a, b) => a * b, 1);
        const data = new Float32Array(count);
        copyOutput(y, data, 0, count, path, name);
        out[name] = { data, dims: [...y.dims] };
      }
    } finally {
      for (const y of Object.values(res)) y.dispose?.();
    }
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

function tensorInfo(m: OrtModule.InferenceSession.ValueMetadata): TensorInfo {
  if (!m.isTensor) return { name: m.name, type: 'non-tensor', dims: [] };
  return { name: m.name, type: m.type, dims: [...m.shape] };
}

/** Copies `count` values of an output tensor, as float32, into `out` at `offset`. */
function copyOutput(y: OrtModule.Tensor, out: Float32Array, offset: number, count: number, path: string, name: string): void {
  const data = y.data as unknown;
  if (y.type === 'float16' && data instanceof Uint16Array) {
    const half = data;
    for (let k = 0; k < count; k++) out[offset + k] = halfToNumber(half[k]);
    return;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let k = 0; k < count; k++) out[offset + k] = Number(data[k]);
    return;
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    out.set((data as Float32Array).subarray(0, count), offset);
    return;
  }
  throw new LatentError('unsupported', `output "${name}" has element type ${y.type}; only numeric tensor outputs are supported`, path);
}

/** ONNX Runtime's message without its "Load model from … failed:" prefix and C++ source location. */
export function cleanOrtMessage(e: unknown): string {
  let msg = e instanceof Error ? e.message : String(e);
  msg = msg.replace(/^Load model from .*? failed:/s, '');
  msg = msg.replace(/^\s*\S+\.(?:cc|cpp|h):\d+\s+/, ''); // "/onnxruntime_src/…/model.cc:187 "
  msg = msg.replace(/^(?:[\w:~<>]+::)?[\w~]+\(.*?\)\s+(?=[A-Z[])/s, ''); // "onnxruntime::Model::Model(…) "
  return msg.replace(/\s+/g, ' ').trim();
}

function loadError(e: unknown, path: string): LatentError {
  const msg = cleanOrtMessage(e);
  const op = /In Node, \("[^"]*", ([^,]+), "([^"]*)", -?\d+\)/.exec(msg);
  const opName = op ? `"${op[1]}"${op[2] ? ` (domain "${op[2]}")` : ''}` : undefined;
  let m: RegExpExecArray | null;
  if ((m = /No Op registered for (\S+) with domain_version of (\d+)/.exec(msg))) {
    const domain = op?.[2] ? `domain "${op[2]}"` : 'the default ONNX domain';
    return new LatentError(
      'unsupported',
      `unsupported op "${m[1]}" (${domain}, opset ${m[2]}): ${ortName()} has no such operator`,
      path,
      { cause: e },
    );
  }
  if ((m = /No opset import for domain '([^']*)'/.exec(msg))) {
    return new LatentError(
      'unsupported',
      `unsupported op ${opName ?? `in domain "${m[1]}"`}: the model imports no opset for domain "${m[1]}" (custom operators are not supported)`,
      path,
      { cause: e },
    );
  }
  if ((m = /Could not find an implementation for (\S+)/.exec(msg))) {
    return new LatentError('unsupported', `unsupported op: ${ortName()} has no CPU kernel for ${m[1]} (${msg})`, path, { cause: e });
  }
  if (/protobuf parsing failed|does not have a graph|ModelProto does not/i.test(msg)) {
    return new LatentError('format', 'not an ONNX model (the file cannot be parsed as an ONNX protobuf)', path, { cause: e });
  }
  if (/is a directory/i.test(msg)) return new LatentError('io', 'cannot read the model: is a directory', path, { cause: e });
  if (/doesn't exist|does not exist|No such file/i.test(msg)) {
    return new LatentError('io', `cannot read the model: ${msg}`, path, { cause: e });
  }
  if (/Unsupported model IR version|opset .* is under development|Opset \d+ .*not supported|onnx version/i.test(msg)) {
    return new LatentError('unsupported', `${ortName()} cannot load this model: ${msg}`, path, { cause: e });
  }
  return new LatentError('format', `cannot load the ONNX model: ${msg}`, path, { cause: e });
}

function runError(e: unknown, path: string): LatentError {
  if (e instanceof LatentError) return e;
  const msg = cleanOrtMessage(e);
  const code = /rank|dimension|shape|broadcast/i.test(msg) ? 'shape' : 'format';
  return new LatentError(code, `running the model failed: ${msg}`, path, { cause: e });
}

function ortName(): string {
  try {
    const v = ort().env.versions.node ?? ort().env.versions.common;
    return v ? `ONNX Runtime ${v}` : 'ONNX Runtime';
  } catch {
    return 'ONNX Runtime';
  }
}
