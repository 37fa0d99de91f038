/**
 * A fitted Translator as one self-contained ONNX graph (float32):
 *
 *   source_embedding [batch, d_x]
 *     → Sub(mean) → Div(scale)                         source pre-processing
 *     → Mul·ReduceSum·Sqrt·Max(1e-12)·Div               row L2 normalisation (l2, center+l2)
 *     → MatMul(W) → Mul(s) → Add(bias)                  the map
 *     → Mul(meanNorm)                                   L2 re-scaling (l2, center+l2)
 *     → Mul(target scale) → Add(target mean)            de-normalisation
 *   target_embedding [batch, d_y]
 *
 * Nodes that would be identities (no mean, no scale, s = 1, zero bias…) are left out.
 * Every constant is a float32 initializer: the graph follows `translate()` (float64)
 * to about 1e-5 relative. The row norm uses ReduceSum with `axes` as an input, whose
 * signature is the same from opset 13 to the latest, so the graph can be stitched
 * into models of any newer opset (stitch.ts) without changing meaning.
 */
import { onnx } from 'onnx-proto';
import { LatentError } from '../errors';
import type { Translator } from '../translator';
import { TOOL_VERSION } from '../version';

export interface TranslatorOnnxOptions {
  /** ai.onnx opset of the graph (13–21, default 17). */
  opset?: number;
  /** Graph input name (default "source_embedding"). */
  inputName?: string;
  /** Graph output name (default "target_embedding"). */
  outputName?: string;
  /** Element type of the graph: float32 only. */
  dtype?: 'float32';
}

export const DEFAULT_TRANSLATOR_OPSET = 17;
export const MIN_TRANSLATOR_OPSET = 13;
export const MAX_TRANSLATOR_OPSET = 21;
export const DEFAULT_INPUT_NAME = 'source_embedding';
export const DEFAULT_OUTPUT_NAME = 'target_embedding';
/** Symbolic name of the batch dimension. */
export const BATCH_DIM = 'batch';

/** What the float32 graph promises relative to the float64 core, stored in the model metadata. */
export const ONNX_PRECISION_NOTE =
  'float32 graph; matches latent-translator translate() (float64) to about 1e-5 relative: |diff| <= 1e-5 * (1 + |value|)';

const NORM_EPS = 1e-12;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** The lowest IR version that can carry a given ai.onnx opset (onnx/docs/Versioning.md). */
export function irVersionForOpset(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  return 8;
}

/**
 * Builds the ONNX model of `t` and returns its serialized bytes (a ModelProto).
 * Throws LatentError('usage') for bad options, ('shape') for an inconsistent
 * translator and ('value') for a value that does not fit float32.
 */
export function translatorToOnnx(t: Translator, opts: TranslatorOnnxOptions = {}): Uint8Array {
  const opset = opts.opset ?? DEFAULT_TRANSLATOR_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_TRANSLATOR_OPSET || opset > MAX_TRANSLATOR_OPSET) {
    throw new LatentError('usage', `ONNX opset must be an integer from ${MIN_TRANSLATOR_OPSET} to ${MAX_TRANSLATOR_OPSET}, got ${String(opts.opset)}`);
  }
  if ((opts.dtype ?? 'float32') !== 'float32') throw new LatentError('usage', `ONNX export supports dtype float32 only, got "${String(opts.dtype)}"`);
  const inputName = opts.inputName ?? DEFAULT_INPUT_NAME;
  const outputName = opts.outputName ?? DEFAULT_OUTPUT_NAME;
  if (!inputName || !outputName) throw new LatentError('usage', 'ONNX input and output names must not be empty');
  if (inputName === outputName) throw new LatentError('usage', `ONNX input and output names must differ (both "${inputName}")`);
  checkTranslator(t);

  const dx = t.sourceDim;
  const dy = t.targetDim;
  const l2 = t.prep === 'l2' || t.prep === 'center+l2';
  const g = new GraphBuilder(inputName);

  // ---- source pre-processing: xs = (x - mean) / scale ----
  const src = t.sourcePrep;
  if (src.mean && !allEqual(src.mean, 0)) {
    g.op('Sub', [g.cur, g.vector('source_mean', src.mean)], 'centred', 'source pre-processing: subtract the source anchor mean');
  }
  if (src.scale && !allEqual(src.scale, 1)) {
    g.op('Div', [g.cur, g.vector('source_scale', src.scale)], 'standardised', 'source pre-processing: divide by the source anchor std (ddof 1)');
  }
  if (l2) {
    const x = g.cur;
    const sq = g.op('Mul', [x, x], 'squared', 'L2 normalisation: squares');
    const sum = g.op('ReduceSum', [sq, g.int64s('l2_axes', [1])], 'sum_squares', 'L2 normalisation: row sums of squares', { keepdims: 1 });
    const norm = g.op('Sqrt', [sum], 'row_norm', 'L2 normalisation: row norms [batch, 1]');
    const clamped = g.op('Max', [norm, g.scalar('norm_eps', NORM_EPS)], 'row_norm_clamped', 'L2 normalisation: max(norm, 1e-12) keeps zero rows at zero');
    g.op('Div', [x, clamped], 'unit_rows', 'L2 normalisation: rows divided by their norm');
  }

  // ---- the map: y = (xs · W) · s + bias ----
  g.op('MatMul', [g.cur, g.tensor('W', [dx, dy], t.map.W.data)], 'mapped', `the ${t.method} map W (${dx} × ${dy})`);
  if (t.map.scale !== undefined && t.map.scale !== 1) {
    g.op('Mul', [g.cur, g.scalar('map_scale', t.map.scale)], 'scaled', 'the isotropic scale s of the map');
  }
  if (t.map.bias && !allEqual(t.map.bias, 0)) {
    g.op('Add', [g.cur, g.vector('map_bias', t.map.bias)], 'biased', 'the bias of the map');
  }

  // ---- target de-normalisation: y = y · meanNorm · scale + mean ----
  const tgt = t.targetPrep;
  if (l2 && tgt.meanNorm !== undefined && tgt.meanNorm !== 1) {
    g.op('Mul', [g.cur, g.scalar('target_mean_norm', tgt.meanNorm)], 'renormed', 'L2 re-scaling: times the mean norm of the target anchors');
  }
  if (tgt.scale && !allEqual(tgt.scale, 1)) {
    g.op('Mul', [g.cur, g.vector('target_scale', tgt.scale)], 'destandardised', 'de-normalisation: times the target anchor std');
  }
  if (tgt.mean && !allEqual(tgt.mean, 0)) {
    g.op('Add', [g.cur, g.vector('target_mean', tgt.mean)], 'decentred', 'de-normalisation: plus the target anchor mean');
  }
  g.renameLast(outputName);
  const internal = new Set([...g.initializers.map((i) => i.name), ...g.nodes.slice(0, -1).flatMap((n) => n.output ?? [])]);
  for (const name of [inputName, outputName]) {
    if (internal.has(name)) throw new LatentError('usage', `ONNX input/output name "${name}" is used inside the translator graph; choose another name`);
  }

  const formula =
    'xs = (x - source_mean) / source_scale; ' +
    (l2 ? 'xs /= max(|xs|, 1e-12); ' : '') +
    'y = (xs @ W) * s + bias; ' +
    (l2 ? 'y *= target_mean_norm; ' : '') +
    'y = y * target_scale + target_mean (absent constants are identities and have no node)';

  const metadata: Record<string, string> = {
    method: t.method,
    prep: t.prep,
    source_dim: String(dx),
    target_dim: String(dy),
    anchor_count: String(t.anchorCount),
    tool_version: TOOL_VERSION,
    input: inputName,
    output: outputName,
    precision: ONNX_PRECISION_NOTE,
    formula,
  };
  if (t.ridge !== undefined) metadata.ridge = String(t.ridge);
  if (t.map.scale !== undefined) metadata.map_scale = String(t.map.scale);
  if (t.map.determinant !== undefined) metadata.determinant = String(t.map.determinant);

  const model = onnx.ModelProto.create({
    irVersion: irVersionForOpset(opset),
    producerName: 'latent-translator',
    producerVersion: TOOL_VERSION,
    domain: 'latent-translator',
    modelVersion: 1,
    docString:
      `Latent space translation ${dx} → ${dy} (${t.method}, prep ${t.prep}, ${t.anchorCount} anchors), ` +
      `exported by latent-translator ${TOOL_VERSION}. Input "${inputName}" float32 [${BATCH_DIM}, ${dx}] (raw source embeddings), ` +
      `output "${outputName}" float32 [${BATCH_DIM}, ${dy}] (raw target embeddings). ${ONNX_PRECISION_NOTE}.`,
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'latent_translator',
      docString: formula,
      node: g.nodes,
      initializer: g.initializers,
      input: [floatValueInfo(inputName, [BATCH_DIM, dx], 'raw source embeddings')],
      output: [floatValueInfo(outputName, [BATCH_DIM, dy], 'raw target embeddings')],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- helpers ----

function checkTranslator(t: Translator): void {
  const dx = t.sourceDim;
  const dy = t.targetDim;
  const bad = (what: string) => new LatentError('shape', `cannot export the translator: ${what}`);
  if (!Number.isInteger(dx) || !Number.isInteger(dy) || dx < 1 || dy < 1) throw bad(`dimensions ${dx} → ${dy} are not positive integers`);
  if (t.map.W.rows !== dx || t.map.W.cols !== dy || t.map.W.data.length !== dx * dy) {
    throw bad(`W is ${t.map.W.rows}×${t.map.W.cols} but the translator maps ${dx} → ${dy}`);
  }
  const len = (v: ArrayLike<number> | undefined, n: number, what: string) => {
    if (v && v.length !== n) throw bad(`${what} has ${v.length} values, expected ${n}`);
  };
  len(t.sourcePrep.mean, dx, 'the source mean');
  len(t.sourcePrep.scale, dx, 'the source scale');
  len(t.targetPrep.mean, dy, 'the target mean');
  len(t.targetPrep.scale, dy, 'the target scale');
  len(t.map.bias, dy, 'the bias');
}

function allEqual(v: ArrayLike<number>, x: number): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== x) return false;
  return true;
}

function floatValueInfo(name: string, dims: (string | number)[], docString: string): onnx.IValueInfoProto {
  return {
    name,
    docString,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Little-endian float32 bytes; refuses values that are not finite in float32. */
export function float32Bytes(values: ArrayLike<number>, what: string): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]);
    if (!Number.isFinite(v)) {
      throw new LatentError('value', `cannot export the translator: ${what}[${i}] = ${values[i]} is not a finite float32`);
    }
    view.setFloat32(i * 4, v, true);
  }
  return bytes;
}

/** Builds a linear chain of nodes: each op consumes `cur` (by convention) and becomes the new `cur`. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  cur: string;

  constructor(input: string) {
    this.cur = input;
  }

  op(opType: string, inputs: string[], output: string, docString: string, ints: Record<string, number> = {}): string {
    this.nodes.push({
      name: `${output}_${opType}`,
      opType,
      domain: '',
      input: inputs,
      output: [output],
      docString,
      attribute: Object.entries(ints).map(([name, i]) => ({ name, i, type: onnx.AttributeProto.AttributeType.INT })),
    });
    this.cur = output;
    return output;
  }

  /** The last node writes the graph output directly. */
  renameLast(name: string): void {
    const last = this.nodes[this.nodes.length - 1];
    const old = last.output![0];
    last.output = [name];
    last.name = `${name}_${last.opType}`;
    for (const n of this.nodes) n.input = n.input!.map((i) => (i === old ? name : i));
    this.cur = name;
  }

  tensor(name: string, dims: number[], values: ArrayLike<number>): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: float32Bytes(values, name) });
    return name;
  }

  vector(name: string, values: ArrayLike<number>): string {
    return this.tensor(name, [values.length], values);
  }

  scalar(name: string, value: number): string {
    return this.tensor(name, [], [value]);
  }

  int64s(name: string, values: number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: bytes });
    return name;
  }
}
