/**
 * ONNX Runtime implementation of the O(N·d²) products. ml-matrix is 50–140×
 * slower than NumPy on these (docs: perf-baseline.md); ORT's MLAS GEMM is
 * within 1.2–1.8×. Each graph is built once per (op, dtype) with symbolic
 * dims, so one session serves every shape.
 */
import type * as OrtModule from 'onnxruntime-node';
import { matrix, type Matrix } from '../matrix';
import { onnx } from 'onnx-proto';
import { modelBytes, node, valueInfo, type OrtFloat } from './onnxGraph';

type Ort = typeof OrtModule;
let ortModule: Ort | undefined;

/** Loaded lazily: the native binding costs ~70 ms and the CLI's --help should not pay it. */
export function ort(): Ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require('onnxruntime-node') as Ort;
  return ortModule;
}

export interface OrtOptions {
  /** intraOpNumThreads; 0 lets ORT use every core. */
  threads?: number;
}

type GraphKind = 'gemmTN' | 'gemmNT' | 'gemmNN' | 'gemmNNBias' | 'inverse';

/** Sessions with a fixed right-hand side kept at once (a job scores against two target matrices). */
const FIXED_SESSIONS = 2;
/** Above this B travels with every call instead (a model's protobuf is capped at 2 GB, and ORT keeps two copies). */
const FIXED_MAX_BYTES = 512 * 2 ** 20;

export class OrtGemm {
  private readonly sessions = new Map<string, Promise<OrtModule.InferenceSession>>();
  /** A·Bᵀ sessions with B an initializer, by a key standing for B's values; in least-recently-used order. */
  private readonly fixedB = new Map<object, Promise<OrtModule.InferenceSession>>();

  constructor(private readonly options: OrtOptions = {}) {}

  private session(kind: GraphKind, type: OrtFloat): Promise<OrtModule.InferenceSession> {
    const key = `${kind}:${type}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = ort().InferenceSession.create(buildGraph(kind, type), this.sessionOptions());
      this.sessions.set(key, s);
    }
    return s;
  }

  private sessionOptions(): OrtModule.InferenceSession.SessionOptions {
    return {
      intraOpNumThreads: this.options.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
  }

  /** Aᵀ·B for A (n×p) and B (n×q). */
  async crossprod(a: Matrix, b: Matrix, type: OrtFloat = 'float64'): Promise<Matrix> {
    return this.run('gemmTN', type, a, b);
  }

  /** A·B (+ bias broadcast over rows) for A (m×k) and B (k×q). */
  async matmul(a: Matrix, b: Matrix, bias?: ArrayLike<number>, type: OrtFloat = 'float64'): Promise<Matrix> {
    return this.run(bias ? 'gemmNNBias' : 'gemmNN', type, a, b, bias);
  }

  /** A·Bᵀ for A (m×k) and B (q×k): similarity blocks without materialising Bᵀ. */
  async matmulNT(a: Matrix, b: Matrix, type: OrtFloat = 'float64'): Promise<Matrix> {
    return this.run('gemmNT', type, a, b);
  }

  /**
   * A·Bᵀ in float32 for many A against one B (retrieval scores every row block against
   * the same targets). B goes into the graph as an initializer, so ORT packs it for its
   * GEMM kernel once instead of on every call and nothing of B crosses per call.
   */
  async matmulNTFixed32(a: Matrix, b: Matrix & { data: Float32Array }, key: object = b.data): Promise<Matrix> {
    if (a.rows === 0 || b.rows === 0 || a.cols === 0) return zeros(a.rows, b.rows, 'float32');
    if (b.data.byteLength > FIXED_MAX_BYTES) return this.matmulNT(a, b, 'float32');
    const { Tensor } = ort();
    let session = this.fixedB.get(key);
    if (session) {
      this.fixedB.delete(key);
    } else {
      session = ort().InferenceSession.create(fixedBGraph(b), this.sessionOptions());
      while (this.fixedB.size >= FIXED_SESSIONS) {
        const [oldest, evicted] = this.fixedB.entries().next().value!;
        this.fixedB.delete(oldest);
        await (await evicted).release();
      }
    }
    this.fixedB.set(key, session);
    const out = await (await session).run({ A: new Tensor('float32', asType(a.data, 'float32'), [a.rows, a.cols]) });
    const data = out.Y.data as Float32Array;
    out.Y.dispose?.();
    return matrix(a.rows, b.rows, data);
  }

  /**
   * A⁻¹ of a square matrix through ORT's com.microsoft Inverse (LU with partial
   * pivoting; single-threaded, ~0.2 s at 1024² in float64, still 15× ml-matrix).
   */
  async inverse(a: Matrix, type: OrtFloat = 'float64'): Promise<Matrix> {
    const { Tensor } = ort();
    const session = await this.session('inverse', type);
    const out = await session.run({ A: new Tensor(type, asType(a.data, type), [a.rows, a.cols]) });
    const data = out.Y.data as Float32Array | Float64Array;
    out.Y.dispose?.();
    return matrix(a.rows, a.cols, data);
  }

  private async run(kind: GraphKind, type: OrtFloat, a: Matrix, b: Matrix, bias?: ArrayLike<number>): Promise<Matrix> {
    const outRows = kind === 'gemmTN' ? a.cols : a.rows;
    const outCols = kind === 'gemmNT' ? b.rows : b.cols;
    if (outRows === 0 || outCols === 0 || a.rows === 0 || a.cols === 0) return zeros(outRows, outCols, type);
    const { Tensor } = ort();
    const feeds: Record<string, OrtModule.Tensor> = {
      A: new Tensor(type, asType(a.data, type), [a.rows, a.cols]),
      B: new Tensor(type, asType(b.data, type), [b.rows, b.cols]),
    };
    if (bias) feeds.C = new Tensor(type, asType(bias, type), [1, outCols]);
    const session = await this.session(kind, type);
    const out = await session.run(feeds);
    const y = out.Y;
    const data = y.data as Float32Array | Float64Array;
    y.dispose?.();
    return matrix(outRows, outCols, data);
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values(), ...this.fixedB.values()];
    this.sessions.clear();
    this.fixedB.clear();
    for (const s of all) await (await s).release();
  }
}

function zeros(rows: number, cols: number, type: OrtFloat): Matrix {
  return matrix(rows, cols, type === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols));
}

function asType(data: ArrayLike<number>, type: OrtFloat): Float32Array | Float64Array {
  if (type === 'float64') return data instanceof Float64Array ? data : Float64Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** Y = A·Bᵀ with B (q×k, float32) stored in the graph. */
function fixedBGraph(b: Matrix & { data: Float32Array }): Uint8Array {
  const B: onnx.ITensorProto = {
    name: 'B',
    dims: [b.rows, b.cols],
    dataType: onnx.TensorProto.DataType.FLOAT,
    // ONNX raw data is little-endian, as is every platform ORT ships for
    rawData: new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength),
  };
  return modelBytes([node('Gemm', ['A', 'B'], ['Y'], { transB: 1 })], [valueInfo('A', 'float32', ['m', b.cols])], [valueInfo('Y', 'float32', ['m', b.rows])], [B], 'similarity');
}

function buildGraph(kind: GraphKind, type: OrtFloat): Uint8Array {
  if (kind === 'inverse') {
    return modelBytes([node('Inverse', ['A'], ['Y'], {}, 'com.microsoft')], [valueInfo('A', type, ['d', 'd'])], [valueInfo('Y', type, ['d', 'd'])], [], 'inverse', [
      { domain: 'com.microsoft', version: 1 },
    ]);
  }
  const transA = kind === 'gemmTN' ? 1 : 0;
  const transB = kind === 'gemmNT' ? 1 : 0;
  const shapes: Record<Exclude<GraphKind, 'inverse'>, [string[], string[]]> = {
    gemmTN: [['n', 'p'], ['n', 'q']],
    gemmNT: [['m', 'k'], ['q', 'k']],
    gemmNN: [['m', 'k'], ['k', 'q']],
    gemmNNBias: [['m', 'k'], ['k', 'q']],
  };
  const inputs = [valueInfo('A', type, shapes[kind][0]), valueInfo('B', type, shapes[kind][1])];
  if (kind === 'gemmNNBias') inputs.push(valueInfo('C', type, [1, 'q']));
  const gemmInputs = kind === 'gemmNNBias' ? ['A', 'B', 'C'] : ['A', 'B'];
  return modelBytes(
    [node('Gemm', gemmInputs, ['Y'], { transA, transB })],
    inputs,
    [valueInfo('Y', type, [kind === 'gemmTN' ? 'p' : 'm', 'q'])],
  );
}
