/**
 * Embeds a file of model inputs (e.g. images) with an ONNX encoder and writes the
 * [N, d] outputs as a float32 .npy: the step that produces an embedding space from
 * raw data.
 *
 * A C-order .npy input of any rank is streamed: rows (first axis) are read, decoded,
 * scaled and run chunk by chunk, and the output is appended to a temporary file that
 * is moved into place only when every row is done (NpyStreamWriter), so a failure or
 * cancellation leaves nothing behind. Other formats (.npz, .safetensors, …) go through
 * readEmbeddings and must hold a 2-D matrix.
 *
 * When `model` is a folder it is a text encoder (tokenizer.json + model.onnx, see
 * textEncoder.ts) and `input` a file of texts (.txt, .jsonl, .csv; see textInput.ts): the
 * texts are embedded chunk by chunk into the same streamed .npy.
 */
import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { LatentError } from '../errors';
import type { FloatArray } from '../matrix';
import { atomicWriteFile, NpyStreamWriter, readEmbeddings } from '../io';
import { checkWritable } from '../io/atomic';
import { checkFinite, FileSource, formatShape, toLatentError } from '../io/common';
import { readDense } from '../io/dense';
import { allocateFor, decodeInto } from '../io/dtype';
import { check2D, readNpyHeader } from '../io/npy';
import { formatDims, OnnxModel, type TensorInfo } from './model';
import { TextEncoder, type Pooling } from './textEncoder';
import { readTexts } from './textInput';

export interface EmbedOptions {
  /** The .onnx model (one float input with a batch axis first), or a text encoder folder. */
  model: string;
  /**
   * Model inputs: a .npy of any rank (rows on the first axis), or a 2-D matrix in any readable
   * format; for a text encoder folder, texts in a .txt / .jsonl / .csv.
   */
  input: string;
  /** The output .npy (float32, [rows, d]). */
  out: string;
  /** Model output to write; default: the only one. */
  outputName?: string;
  /** Rows per ONNX Runtime call (default: about 16 MB of input). */
  batchSize?: number;
  /** Multiplier applied to the input values; default 1/255 for uint8 input, else 1. */
  scale?: number;
  /** .npz member / .safetensors tensor / json or parquet field of the input. */
  inputArray?: string;
  /** Replace an existing `out`. */
  force?: boolean;
  /** ONNX Runtime intra-op threads (0 / absent: all cores). */
  threads?: number;
  signal?: AbortSignal;
  /** Fraction of rows embedded. */
  onProgress?: (fraction: number) => void;
  /** One line per decision taken on the user's behalf (scale, reshape, flattening), as it is taken. */
  onMessage?: (text: string) => void;
  // Text encoders (`model` a folder) only:
  /** Pooling of the per-token output: 'mean' (default) or 'cls'. */
  pooling?: Pooling;
  /** L2-normalize every embedding. */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default: the tokenizer's, else 512). */
  maxLength?: number;
  /** Field (.jsonl) / column (.csv) holding the texts; default "text". */
  textField?: string;
  /** Also write the row ids, one per line: the input's ids, or the line numbers of the texts when it has none. */
  idsOut?: string;
}

/** What a text encoder run did (EmbedResult.text). */
export interface TextEmbedInfo {
  /** The ONNX file of the folder that was used. */
  modelFile: string;
  /** 'model' when the model's output is already pooled (e.g. sentence_embedding). */
  pooling: Pooling | 'model';
  normalized: boolean;
  maxLength: number;
  /** Texts cut to maxLength tokens. */
  truncated: number;
  /** Blank lines skipped in the input. */
  skippedBlank: number;
  /** Where the ids were written, and whether they are the input's ids or line numbers. */
  idsOut?: string;
  idsFrom?: 'input' | 'lines';
}

export interface EmbedResult {
  /** Rows written. */
  rows: number;
  /** Values per output row (the output is flattened to 2-D when the model's has more axes). */
  dims: number;
  out: string;
  /** Shape and storage dtype of the input as read. */
  inputShape: number[];
  inputDtype: string;
  /** Scale applied to the input values. */
  scale: number;
  /** Shape fed to the model ([rows, …row shape]). */
  modelInputShape: number[];
  /** Name of the model output written. */
  outputName: string;
  /** The same lines as passed to onMessage. */
  notes: string[];
  /** Set when the model is a text encoder folder. */
  text?: TextEmbedInfo;
}

/** Input float32 bytes read and run per chunk (a whole number of batches). */
const CHUNK_BYTES = 64 * 1024 * 1024;

export async function embedFile(o: EmbedOptions): Promise<EmbedResult> {
  throwIfCancelled(o.signal);
  if (extname(o.out).toLowerCase() !== '.npy') {
    throw new LatentError('usage', 'the output must be a .npy file (float32 [rows, d])', o.out);
  }
  if (o.scale !== undefined && (!Number.isFinite(o.scale) || o.scale === 0)) {
    throw new LatentError('usage', `scale must be a finite, non-zero number, got ${o.scale}`);
  }
  if (o.batchSize !== undefined && (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1)) {
    throw new LatentError('usage', `batch size must be a positive integer, got ${o.batchSize}`);
  }
  if (await isDirectory(o.model)) return embedTexts(o);
  const textOnly = (
    [
      ['pooling', o.pooling],
      ['normalize', o.normalize || undefined],
      ['max length', o.maxLength],
      ['text field', o.textField],
      ['ids output', o.idsOut],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (textOnly.length) {
    throw new LatentError(
      'usage',
      `${textOnly.map(([k]) => k).join(', ')} only ${textOnly.length === 1 ? 'applies' : 'apply'} to a text encoder, given as a folder (tokenizer.json + model.onnx), not an .onnx file`,
      o.model,
    );
  }
  await checkWritable(o.out, o.force);
  const notes: string[] = [];
  const note = (text: string): void => {
    notes.push(text);
    o.onMessage?.(text);
  };

  const src = await openInputTensor(o.input, o.inputArray, o.signal);
  try {
    throwIfCancelled(o.signal);
    const model = await OnnxModel.load(o.model, { threads: o.threads });
    try {
      if (model.info.inputs.some((t) => t.name === 'input_ids')) {
        throw new LatentError(
          'usage',
          'this looks like a text encoder (it takes "input_ids"): give the folder holding it and its tokenizer.json as --model, and a .txt / .jsonl / .csv of texts as --input',
          o.model,
        );
      }
      const spec = model.input();
      const output = model.output(o.outputName);
      const rowShape = planRowShape(model, spec, src);
      const feedShape = [src.rows, ...rowShape];
      model.checkInputDims(feedShape);
      if (formatDims(src.shape.slice(1)) !== formatDims(rowShape)) {
        note(`reshaped the input ${formatShape(src.shape)} to ${formatDims(feedShape)} for the model's input "${spec.name}" ${formatDims(spec.dims)}`);
      }

      const uint8 = isUint8(src.dtype);
      const scale = o.scale ?? (uint8 ? 1 / 255 : 1);
      const why = o.scale !== undefined ? 'as given' : uint8 ? 'the default for uint8 input' : 'the default for non-uint8 input';
      note(
        scale === 1
          ? `left the ${dtypeName(src.dtype)} input values unscaled (scale 1, ${why})`
          : `scaled the ${dtypeName(src.dtype)} input values by ${formatScale(scale)} (${why})`,
      );

      const batch = model.batchSizeFor(src.rowElements, o.batchSize);
      if (o.batchSize !== undefined && batch !== o.batchSize) {
        note(`the model fixes the batch size to ${batch}; ignoring the requested ${o.batchSize}`);
      }
      const chunkRows = batch * Math.max(1, Math.floor(CHUNK_BYTES / (4 * src.rowElements * batch)));

      let writer: NpyStreamWriter | undefined;
      let dims = 0;
      try {
        for (let start = 0; start < src.rows; start += chunkRows) {
          throwIfCancelled(o.signal);
          const n = Math.min(chunkRows, src.rows - start);
          const values = toScaledFloat32(await src.read(start, n), scale);
          const y = await model.run(
            { data: values, dims: [n, ...rowShape] },
            {
              outputName: output.name,
              batchSize: batch,
              signal: o.signal,
              onProgress: o.onProgress && ((f) => o.onProgress!((start + f * n) / src.rows)),
            },
          );
          if (!writer) {
            dims = y.dims.slice(1).reduce((a, b) => a * b, 1);
            if (y.dims.length !== 2) {
              note(`output "${output.name}" has rows of shape ${formatDims(y.dims.slice(1))}; writing them flattened to ${dims} values`);
            }
            throwIfCancelled(o.signal);
            writer = await NpyStreamWriter.create(o.out, { rows: src.rows, cols: dims, force: o.force });
          }
          await writer.append({ rows: n, cols: dims, data: y.data });
        }
        if (!writer) throw new LatentError('shape', 'the input holds no rows', o.input); // the readers refuse empty arrays
        throwIfCancelled(o.signal);
        await writer.commit();
      } catch (e) {
        await writer?.abort();
        throw e;
      }
      return {
        rows: src.rows,
        dims,
        out: o.out,
        inputShape: src.shape,
        inputDtype: src.dtype,
        scale,
        modelInputShape: feedShape,
        outputName: output.name,
        notes,
      };
    } finally {
      await model.release();
    }
  } finally {
    await src.close();
  }
}

/** Texts per chunk embedded and appended to the output. */
const TEXT_CHUNK = 4096;

/** embedFile for a text encoder folder: texts in, [texts, hidden] float32 out. */
async function embedTexts(o: EmbedOptions): Promise<EmbedResult> {
  if (o.scale !== undefined) throw new LatentError('usage', 'a scale only applies to numeric inputs, not to the texts of a text encoder');
  if (o.inputArray !== undefined) throw new LatentError('usage', 'an input array name only applies to numeric inputs, not to the texts of a text encoder');
  if (o.outputName !== undefined) throw new LatentError('usage', 'a text encoder chooses its output itself (sentence_embedding, else last_hidden_state pooled)');
  if (o.idsOut !== undefined) {
    if (resolve(o.idsOut) === resolve(o.out)) throw new LatentError('usage', 'the ids output and the embeddings output are the same file', o.idsOut);
    await checkWritable(o.idsOut, o.force);
  }
  await checkWritable(o.out, o.force);
  const notes: string[] = [];
  const note = (text: string): void => {
    notes.push(text);
    o.onMessage?.(text);
  };
  if (/^\.(?:npy|npz|safetensors|parquet)$/i.test(extname(o.input))) {
    throw new LatentError('usage', `${o.model} is a text encoder folder: its input is a file of texts (.txt one per line, .jsonl, .csv), not numeric data`, o.input);
  }
  const input = await readTexts(o.input, { textField: o.textField, signal: o.signal });
  if (input.skippedBlank > 0) note(`skipped ${input.skippedBlank} blank line${input.skippedBlank === 1 ? '' : 's'} of ${o.input}`);
  const ids = input.ids ?? input.lines.map(String);
  if (o.idsOut !== undefined) {
    const bad = ids.findIndex((id) => /[\r\n]/.test(id));
    if (bad >= 0) throw new LatentError('ids', `line ${input.lines[bad]}: the id ${JSON.stringify(ids[bad])} holds a line break, so it cannot be written one per line`, o.input);
  }
  throwIfCancelled(o.signal);
  const encoder = await TextEncoder.load(o.model, { threads: o.threads });
  try {
    for (const n of encoder.notes) note(n);
    const maxLength = encoder.resolveMaxLength(o.maxLength);
    const out = encoder.output;
    const pooling: Pooling | 'model' = out.pooled ? 'model' : (o.pooling ?? 'mean');
    if (out.pooled && o.pooling !== undefined) note(`the model's output "${out.name}" is already one vector per text: pooling ${o.pooling} is not applied`);
    note(
      `text encoder ${encoder.modelFile}: ${encoder.inputs.join(', ')} → "${out.name}"${out.pooled ? ' (pooled by the model)' : `, ${pooling} pooling`}` +
        `${o.normalize ? ', L2-normalized' : ''}; at most ${maxLength} tokens per text${o.maxLength === undefined ? ` (${encoder.maxLengthSource})` : ''}`,
    );
    const rows = input.texts.length;
    let writer: NpyStreamWriter | undefined;
    let dims = 0;
    let truncated = 0;
    let longest = 0;
    try {
      for (let start = 0; start < rows; start += TEXT_CHUNK) {
        throwIfCancelled(o.signal);
        const n = Math.min(TEXT_CHUNK, rows - start);
        const r = await encoder.encodeWithInfo(input.texts.slice(start, start + n), {
          pooling: pooling === 'model' ? undefined : pooling,
          normalize: o.normalize,
          maxLength,
          batchSize: o.batchSize,
          signal: o.signal,
          onProgress: o.onProgress && ((f) => o.onProgress!((start + f * n) / rows)),
        });
        truncated += r.truncated;
        longest = Math.max(longest, r.longest);
        if (!writer) {
          dims = r.embeddings.cols;
          throwIfCancelled(o.signal);
          writer = await NpyStreamWriter.create(o.out, { rows, cols: dims, force: o.force });
        }
        await writer.append(r.embeddings);
      }
      throwIfCancelled(o.signal);
      await writer!.commit();
    } catch (e) {
      await writer?.abort();
      throw e;
    }
    if (truncated > 0) note(`truncated ${truncated} of ${rows} text${rows === 1 ? '' : 's'} to ${maxLength} tokens`);
    if (o.idsOut !== undefined) {
      await atomicWriteFile(o.idsOut, ids.map((id) => `${id}\n`).join(''), { force: o.force });
      note(`wrote the ${input.ids ? 'ids' : 'line numbers'} of the ${rows} texts to ${o.idsOut}${input.ids ? '' : ' (the input has no ids)'}`);
    }
    return {
      rows,
      dims,
      out: o.out,
      inputShape: [rows],
      inputDtype: 'text',
      scale: 1,
      modelInputShape: [rows, longest],
      outputName: out.name,
      notes,
      text: {
        modelFile: encoder.modelFile,
        pooling,
        normalized: !!o.normalize,
        maxLength,
        truncated,
        skippedBlank: input.skippedBlank,
        idsOut: o.idsOut,
        idsFrom: o.idsOut === undefined ? undefined : input.ids ? 'input' : 'lines',
      },
    };
  } finally {
    await encoder.release();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // OnnxModel.load reports a missing or unreadable file
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LatentError('cancelled', 'cancelled');
}

/**
 * The row shape fed to the model: the model's own row shape when it is static and holds as many
 * values as an input row (so (N, 28, 28) and (N, 784) both become [N, 1, 28, 28]); the input's
 * row shape when the model declares none or has symbolic dims after the batch axis (checked
 * against the static ones). Anything else is LatentError('shape') naming the model.
 */
function planRowShape(model: OnnxModel, spec: TensorInfo, src: InputTensor): number[] {
  const inputRow = src.shape.slice(1);
  if (spec.dims.length === 0) return inputRow;
  const wantRow = spec.dims.slice(1);
  const mismatch = (detail: string): LatentError =>
    new LatentError(
      'shape',
      `the model expects input "${spec.name}" of shape ${formatDims(spec.dims)}, got ${formatDims(src.shape)} from ${src.path}${detail}`,
      model.info.path,
    );
  if (wantRow.every((d): d is number => typeof d === 'number')) {
    const want = wantRow.reduce((a, b) => a * b, 1);
    if (want !== src.rowElements) {
      throw mismatch(` (${want} values per row expected, the input has ${src.rowElements})`);
    }
    return wantRow;
  }
  if (inputRow.length !== wantRow.length || wantRow.some((d, i) => typeof d === 'number' && d !== inputRow[i])) {
    throw mismatch(' (the model has symbolic dims after the batch axis, so the input cannot be reshaped to fit)');
  }
  return inputRow;
}

/** Rows of the input file, decoded chunk by chunk. */
export interface InputTensor {
  readonly path: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly rows: number;
  /** Values per row (product of the dims after the first). */
  readonly rowElements: number;
  /** Rows [start, start + count), row-major, checked finite. */
  read(start: number, count: number): Promise<FloatArray>;
  close(): Promise<void>;
}

export async function openInputTensor(path: string, array: string | undefined, signal: AbortSignal | undefined): Promise<InputTensor> {
  if (extname(path).toLowerCase() !== '.npy') {
    const table = await readEmbeddings(path, { array, signal });
    const { rows, cols, data } = table.matrix;
    return {
      path,
      dtype: table.dtype,
      shape: [rows, cols],
      rows,
      rowElements: cols,
      read: (start, count) => Promise.resolve(data.subarray(start * cols, (start + count) * cols)),
      close: () => Promise.resolve(),
    };
  }
  if (array !== undefined) {
    throw new LatentError('usage', 'an input array name only applies to .npz, .safetensors, json and parquet inputs, not to a .npy', path);
  }
  let src: FileSource;
  try {
    src = await FileSource.open(path);
  } catch (e) {
    throw toLatentError(e, path);
  }
  try {
    const header = await readNpyHeader(src, path);
    const { shape, type } = header;
    if (shape.length === 0) throw new LatentError('shape', 'the array is a scalar (shape ()); expected rows along a first axis', path);
    const rows = shape[0];
    const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
    if (rows === 0 || rowElements === 0) throw new LatentError('shape', `the array has shape ${formatShape(shape)}: it holds no values`, path);
    if (header.fortranOrder && shape.length > 2) {
      throw new LatentError(
        'unsupported',
        `Fortran-order arrays of more than 2 dimensions are not supported (shape ${formatShape(shape)}); save np.ascontiguousarray(a)`,
        path,
      );
    }
    // The data-size check of the 2-D readers, on the (rows, values per row) view.
    check2D({ ...header, shape: [rows, rowElements] }, src.size, path, Number.MAX_SAFE_INTEGER);
    const base = { path, dtype: header.descr, shape, rows, rowElements };
    if (header.fortranOrder && shape.length === 2) {
      // Column-major 2-D: read whole (one strided pass), then serve row slices.
      const { matrix } = await readDense(src, { offset: header.dataOffset, rows, cols: rowElements, type, fortranOrder: true }, path, { signal });
      await src.close();
      return { ...base, read: (start, count) => Promise.resolve(matrix.data.subarray(start * rowElements, (start + count) * rowElements)), close: () => Promise.resolve() };
    }
    let closed = false;
    return {
      ...base,
      async read(start, count) {
        const n = Math.min(count, rows - start);
        const len = n * rowElements * type.size;
        const out = allocateFor(type, n * rowElements);
        try {
          const bytes = await src.read(header.dataOffset + start * rowElements * type.size, len);
          if (bytes.length < len) throw new LatentError('format', 'file is truncated (it shrank while being read)', path);
          decodeInto(bytes, type, out, 0);
        } catch (e) {
          throw toLatentError(e, path);
        }
        checkFinite(out, rowElements, start, path);
        return out;
      },
      async close() {
        if (closed) return;
        closed = true;
        await src.close();
      },
    };
  } catch (e) {
    await src.close().catch(() => undefined);
    throw toLatentError(e, path);
  }
}

/**
 * float32 values × scale. A scale of 1/k for an integer k divides by k instead, which is what
 * NumPy's `x.astype(np.float32) / k` gives (a correctly rounded float32 quotient).
 */
function toScaledFloat32(values: FloatArray, scale: number): Float32Array {
  if (scale === 1) return values instanceof Float32Array ? values : Float32Array.from(values);
  const out = new Float32Array(values.length);
  const inv = 1 / scale;
  if (Number.isInteger(inv)) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] / inv;
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i] * scale;
  }
  return out;
}

export function isUint8(dtype: string): boolean {
  return /^[|<>=]?u1$/.test(dtype) || /^(?:U8|uint8)$/i.test(dtype);
}

/** "uint8" for "|u1", "float32" for "<f4"; other names as they are. */
export function dtypeName(dtype: string): string {
  const m = /^[|<>=]?([fiub])(\d)$/.exec(dtype);
  if (!m) return dtype;
  const bits = Number(m[2]) * 8;
  return { f: `float${bits}`, i: `int${bits}`, u: `uint${bits}`, b: 'bool' }[m[1]] ?? dtype;
}

/** "1/255" for reciprocals of integers, else the number. */
export function formatScale(scale: number): string {
  const inv = 1 / scale;
  return Math.abs(scale) < 1 && Number.isInteger(inv) ? `1/${inv}` : String(scale);
}
