/**
 * Applies a translator with the same one-graph ONNX model `export` writes
 * (pre-processing, map and de-normalisation fused, float32), so streaming
 * `translate` runs at ONNX Runtime's own MatMul speed instead of float64 GEMM
 * plus JS passes over every value. Precision: ONNX_PRECISION_NOTE (~1e-5
 * relative); `translate --float64` keeps the float64 path.
 */
import type * as OrtModule from 'onnxruntime-node';
import { ort } from '../backend/ort';
import { matrix, type Matrix } from '../matrix';
import type { Translator } from '../translator';
import { DEFAULT_INPUT_NAME, DEFAULT_OUTPUT_NAME, translatorToOnnx } from './exportTranslator';

export class TranslatorSession {
  private constructor(
    private readonly session: OrtModule.InferenceSession,
    private readonly targetDim: number,
  ) {}

  static async create(t: Translator, threads = 0): Promise<TranslatorSession> {
    const session = await ort().InferenceSession.create(translatorToOnnx(t), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new TranslatorSession(session, t.targetDim);
  }

  /** Raw source rows → raw target rows, float32. */
  async run(x: Matrix): Promise<Matrix> {
    const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
    const { Tensor } = ort();
    const out = await this.session.run({ [DEFAULT_INPUT_NAME]: new Tensor('float32', data, [x.rows, x.cols]) });
    const y = out[DEFAULT_OUTPUT_NAME];
    const values = y.data as Float32Array;
    y.dispose?.();
    return matrix(x.rows, this.targetDim, values);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
