/**
 * Applies a translator in one ONNX Runtime call per chunk (float32), so
 * streaming `translate` runs near ORT's own MatMul speed instead of float64
 * GEMM plus JS passes over every value. Without an L2 step the whole
 * translation is affine, y = x·W' + b', and W', b' are folded in float64 into
 * a single Gemm (no elementwise passes over the rows); with L2 it is the graph
 * `export` writes. Precision: ONNX_PRECISION_NOTE (~1e-5 relative);
 * `translate --float64` keeps the float64 path.
 *
 * The graph also sums each input row (ROW_SUMS): a row holding NaN or ±Inf sums to a
 * non-finite value, so the streaming caller checks 1 value per row instead of every value
 * (that JS pass took 0.5–0.7 s of the main thread per 10⁶ × 768 rows, ad hoc profiles, while
 * ORT's pool waited; the ReduceSum is within the noise of the Gemm's time).
 */
import type * as OrtModule from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { allFinite } from '../io/common';
import { int64Initializer, modelBytes, node, valueInfo } from '../backend/onnxGraph';
import { ort, WORKERS_DO_NOT_SPIN } from '../backend/ort';
import { matrix, type Matrix } from '../matrix';
import type { Translator } from '../translator';
import { DEFAULT_INPUT_NAME, DEFAULT_OUTPUT_NAME, float32Bytes, translatorToOnnx } from './exportTranslator';

export class TranslatorSession {
  private constructor(
    private readonly session: OrtModule.InferenceSession,
    private readonly targetDim: number,
  ) {}

  static async create(t: Translator, threads = 0): Promise<TranslatorSession> {
    const session = await ort().InferenceSession.create(withInputRowSums(foldedGemm(t) ?? translatorToOnnx(t)), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // between two chunks' runs a spinning worker kept a core that the chunk reads and writes
      // need (1 000 000 × 768 rows, two cores, pipeline timed alternately: 11.5–11.9 s without
      // spinning, 12.0–13.6 s with; the ORT runs inside it 8.9–9.1 s against 9.2–9.8 s)
      extra: WORKERS_DO_NOT_SPIN,
    });
    return new TranslatorSession(session, t.targetDim);
  }

  /**
   * Raw source rows → raw target rows, float32. `inputFinite` is true when every row of `x`
   * sums to a finite value: then `x` holds no NaN or ±Inf. False calls for a scan of `x`,
   * which finds the bad value, or nothing when a row's sum overflowed float32.
   */
  async run(x: Matrix): Promise<{ y: Matrix; inputFinite: boolean }> {
    const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
    const { Tensor } = ort();
    const out = await this.session.run({ [DEFAULT_INPUT_NAME]: new Tensor('float32', data, [x.rows, x.cols]) });
    const y = out[DEFAULT_OUTPUT_NAME];
    const values = y.data as Float32Array;
    const inputFinite = allFinite(out[ROW_SUMS].data as Float32Array);
    y.dispose?.();
    out[ROW_SUMS].dispose?.();
    return { y: matrix(x.rows, this.targetDim, values), inputFinite };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** The extra output: the sum of each raw input row. */
const ROW_SUMS = 'input_row_sums';

/** Adds ReduceSum(input, axis 1) as a second output of a translator graph (either form). */
function withInputRowSums(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  (graph.initializer ??= []).push(int64Initializer(`${ROW_SUMS}_axes`, [1]));
  (graph.node ??= []).push(node('ReduceSum', [DEFAULT_INPUT_NAME, `${ROW_SUMS}_axes`], [ROW_SUMS], { keepdims: 0 }));
  (graph.output ??= []).push(valueInfo(ROW_SUMS, 'float32', ['batch']));
  return onnx.ModelProto.encode(proto).finish();
}

const normalises = (name: string) => name === 'l2' || name === 'center+l2';

/**
 * y = ((x − μx)/σx·W·s + b)·σy + μy as one Gemm: W'[i][j] = s·W[i][j]·σy[j]/σx[i],
 * b'[j] = (s·Σᵢ(−μx[i]/σx[i])·W[i][j] + b[j])·σy[j] + μy[j]. Undefined when a side
 * L2-normalises rows (not affine).
 */
function foldedGemm(t: Translator): Uint8Array | undefined {
  if (normalises(t.sourcePrep.name) || normalises(t.targetPrep.name)) return undefined;
  const dx = t.sourceDim;
  const dy = t.targetDim;
  const { W, bias } = t.map;
  const s = t.map.scale ?? 1;
  const mx = t.sourcePrep.mean;
  const sx = t.sourcePrep.scale;
  const my = t.targetPrep.mean;
  const sy = t.targetPrep.scale;
  const w = new Float64Array(dx * dy);
  const shift = new Float64Array(dy);
  for (let i = 0; i < dx; i++) {
    const inv = 1 / (sx?.[i] ?? 1);
    const m = mx?.[i] ?? 0;
    for (let j = 0; j < dy; j++) {
      const v = s * W.data[i * dy + j];
      w[i * dy + j] = v * inv * (sy?.[j] ?? 1);
      shift[j] -= m * inv * v;
    }
  }
  const b = Float64Array.from(shift, (v, j) => (v + (bias?.[j] ?? 0)) * (sy?.[j] ?? 1) + (my?.[j] ?? 0));
  const tensor = (name: string, dims: number[], values: Float64Array): onnx.ITensorProto => ({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: float32Bytes(values, name),
  });
  return modelBytes(
    [node('Gemm', [DEFAULT_INPUT_NAME, 'W', 'b'], [DEFAULT_OUTPUT_NAME])],
    [valueInfo(DEFAULT_INPUT_NAME, 'float32', ['batch', dx])],
    [valueInfo(DEFAULT_OUTPUT_NAME, 'float32', ['batch', dy])],
    [tensor('W', [dx, dy], w), tensor('b', [dy], b)],
    'latent-translator-folded',
  );
}
