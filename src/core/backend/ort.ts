/**
 * ONNX Runtime implementation of the O(N·d²) products. ml-matrix is 50–140×
 * slower than NumPy on these (docs: perf-baseline.md); ORT's MLAS GEMM is
 * within 1.2–1.8×. Each graph is built once per (op, dtype) with symbolic
 * dims, so one session serves every shape.
 */
import type * as OrtModule from 'onnxruntime-node';
import { matrix, type Matrix } from '../matrix';
import { onnx } from 'onnx-proto';
import { int64Initializer, modelBytes, node, valueInfo, type OrtFloat } from './onnxGraph';

type Ort = typeof OrtModule;
let ortModule: Ort | undefined;

/**
 * Session option: each session has its own thread pool, whose workers otherwise spin for a while
 * after a run, holding a core that the next session's run or the JS between runs needs (runs
 * are long, waking is cheap).
 */
export const WORKERS_DO_NOT_SPIN = { session: { intra_op: { allow_spinning: '0' } } };

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

type GraphKind = 'gemmTN' | 'gemmNT' | 'gemmNN' | 'gemmNNBias' | 'inverse' | 'bandPanel' | 'bandPanelPending' | 'bandTrailing' | 'gram' | 'schulzStep';

/**
 * Columns from which gram() splits XᵀX into blocks (n ≤ 2d only, see there). Measured ad hoc,
 * median of 7 (2 cores, float64): d = n = 1024: 41 → 33 ms; 2048: 322 → 267 ms; 4096: 2.47 →
 * 2.28 s (one more level: 35 ms, 234 ms, 2.14 s); n = 10 000, d = 1024: 373 → 311 ms.
 */
const GRAM_SPLIT_FROM = 512;

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
      // Without an arena ORT takes each run's buffers from malloc and gives them back: each of
      // these sessions' arenas kept its own peak for the life of the process (the compute process
      // outlives jobs). Whole jobs at N = 2 000 + 2 000, d = 1024 (`npm run bench -- --suite job
      // --rows 2000`): peak RSS 683–713 → 525–573 MB in the same time.
      enableCpuMemArena: false,
      // The band reduction and the polar iteration alternate sessions, and a spinning worker of
      // the last one took a core from the next one's GEMM (on 2 cores, several times slower).
      extra: WORKERS_DO_NOT_SPIN,
    };
  }

  /** Aᵀ·B for A (n×p) and B (n×q). */
  async crossprod(a: Matrix, b: Matrix, type: OrtFloat = 'float64'): Promise<Matrix> {
    return this.run('gemmTN', type, a, b);
  }

  /**
   * AᵀA for A (n×d). From GRAM_SPLIT_FROM columns, for n ≤ 2d, by halves, two levels deep (gramNodes): the
   * diagonal blocks are Gram matrices themselves and the lower off-diagonal block is the upper
   * one transposed, so 5/8 of a full GEMM's flops. The same dot products as crossprod(a, a),
   * and exactly symmetric.
   */
  async gram(a: Matrix, type: OrtFloat = 'float64'): Promise<Matrix> {
    // the column halves are copies (n·d values a level, kept in the session's arena): for a tall
    // A they cost more memory than they save time (10 000 × 1024: +130 MB for 60 ms)
    if (a.cols < GRAM_SPLIT_FROM || a.rows > 2 * a.cols || a.rows === 0) return this.crossprod(a, a, type);
    const { Tensor } = ort();
    const session = await this.session('gram', type);
    const out = await session.run({ X: new Tensor(type, asType(a.data, type), [a.rows, a.cols]), ...gramSplits(a.cols) });
    const data = out.Y.data as Float32Array | Float64Array;
    out.Y.dispose?.();
    return matrix(a.cols, a.cols, data);
  }

  /**
   * One Newton–Schulz step of the polar iteration (polar.ts) in one run, float64:
   * Y = ½·X·(3I − XᵀX) for square X (XᵀX by gram's blocks, at every size), with
   * ‖I − XᵀX‖_F and ‖Y − X‖_F/‖Y‖_F, so that neither XᵀX nor a second copy of X crosses
   * between JS and ORT.
   */
  async schulzStep(x: Matrix): Promise<{ y: Matrix; offIdentity: number; change: number }> {
    const { Tensor } = ort();
    const d = x.rows;
    const session = await this.session('schulzStep', 'float64');
    const out = await session.run({ X: new Tensor('float64', asType(x.data, 'float64'), [d, d]), ...gramSplits(d) });
    const y = out.Y.data as Float64Array;
    const [off2, diff2, norm2] = ['Off2', 'Diff2', 'Norm2'].map((name) => Number((out[name].data as Float64Array)[0]));
    for (const t of Object.values(out)) t.dispose?.();
    return { y: matrix(d, d, y), offIdentity: Math.sqrt(off2), change: norm2 > 0 ? Math.sqrt(diff2 / norm2) : 0 };
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
  async matmulNTFixed32(a: Matrix, b: Matrix & { data: Float32Array }, key: object = b.data): Promise<Matrix & { data: Float32Array }> {
    if (a.rows === 0 || b.rows === 0 || a.cols === 0) return { rows: a.rows, cols: b.rows, data: new Float32Array(0) };
    if (b.data.byteLength > FIXED_MAX_BYTES) return (await this.matmulNT(a, b, 'float32')) as Matrix & { data: Float32Array };
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
    return { rows: a.rows, cols: b.rows, data };
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

  /**
   * One panel of the reduction of a symmetric matrix S (s×s) to band form (bandReduction.ts),
   * with the updates of the earlier panels of its group pending as U·Zᵀ (`pending`: Uᵀ and
   * Zᵀ, k×s, zero left of where each panel's rows start). With R = S[o:, :] (the m = s − o
   * rows below the panel's band, o = s − m), Q = I − V·T·Vᵀ (V m×b) and A = (S − U·Zᵀ)[o:, o:],
   * returns W = X − ½·V·(Tᵀ·Vᵀ·X), X = A·V·T, so that Qᵀ·A·Q = A − V·Wᵀ − W·Vᵀ; and `next`,
   * the first b columns of that updated A (the next panel). X comes from R times V·T padded
   * with zeros to s rows: R is a plain slice of S's rows (no copy), at the cost of the
   * products with the zero padding.
   */
  async bandPanel(r: Matrix, v: Matrix, t: Matrix, pending?: { ut: Matrix; zt: Matrix }): Promise<{ w: Matrix; next: Matrix }> {
    const { Tensor } = ort();
    const m = r.rows;
    const o = r.cols - m;
    const b = v.cols;
    const feeds: Record<string, OrtModule.Tensor> = {
      R: new Tensor('float64', asType(r.data, 'float64'), [m, r.cols]),
      V: new Tensor('float64', asType(v.data, 'float64'), [m, b]),
      T: new Tensor('float64', asType(t.data, 'float64'), [b, b]),
      pads: int64Tensor([o, 0, 0, 0]),
      lo: int64Tensor([o]),
      hi: int64Tensor([o + b]),
      end: int64Tensor([r.cols]),
      head: int64Tensor([b]),
    };
    if (pending) {
      feeds.Ut = new Tensor('float64', asType(pending.ut.data, 'float64'), [pending.ut.rows, pending.ut.cols]);
      feeds.Zt = new Tensor('float64', asType(pending.zt.data, 'float64'), [pending.zt.rows, pending.zt.cols]);
    }
    const session = await this.session(pending ? 'bandPanelPending' : 'bandPanel', 'float64');
    const out = await session.run(feeds);
    const w = out.W.data as Float64Array;
    const next = out.Next.data as Float64Array;
    out.W.dispose?.();
    out.Next.dispose?.();
    return { w: matrix(m, b, w), next: matrix(m, next.length / m, next) };
  }

  /**
   * A − U[o:]·Z[o:]ᵀ for the trailing block A = S[o:, o:] (m×m, o = s − m) of an s×s matrix,
   * from Uᵀ and Zᵀ (k×s): a group's pending band-reduction updates applied to the trailing
   * matrix in one GEMM (bandReduction.ts).
   */
  async bandTrailing(a: Matrix, ut: Matrix, zt: Matrix): Promise<Matrix> {
    const { Tensor } = ort();
    const session = await this.session('bandTrailing', 'float64');
    const out = await session.run({
      A: new Tensor('float64', asType(a.data, 'float64'), [a.rows, a.cols]),
      Ut: new Tensor('float64', asType(ut.data, 'float64'), [ut.rows, ut.cols]),
      Zt: new Tensor('float64', asType(zt.data, 'float64'), [zt.rows, zt.cols]),
      lo: int64Tensor([ut.cols - a.rows]),
      end: int64Tensor([ut.cols]),
    });
    const data = out.Y.data as Float64Array;
    out.Y.dispose?.();
    return matrix(a.rows, a.rows, data);
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
  if (kind === 'bandPanel' || kind === 'bandPanelPending') return bandPanelGraph(type, kind === 'bandPanelPending');
  if (kind === 'bandTrailing') return bandTrailingGraph(type);
  if (kind === 'gram' || kind === 'schulzStep') return gramGraph(type, kind === 'schulzStep');
  const transA = kind === 'gemmTN' ? 1 : 0;
  const transB = kind === 'gemmNT' ? 1 : 0;
  const shapes: Record<Exclude<GraphKind, 'inverse' | 'bandPanel' | 'bandPanelPending' | 'bandTrailing' | 'gram' | 'schulzStep'>, [string[], string[]]> = {
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

/** The split points of gramNodes for d columns: the halves, then each half's halves, at multiples of 32. */
function gramSplits(d: number): Record<string, OrtModule.Tensor> {
  const half = (w: number) => Math.ceil(w / 64) * 32;
  const h = half(d);
  return { h: int64Tensor([h]), h1: int64Tensor([half(h)]), h2: int64Tensor([half(d - h)]) };
}

/**
 * XᵀX from column halves X = [X₁ X₂]: [[X₁ᵀX₁, X₁ᵀX₂], [(X₁ᵀX₂)ᵀ, X₂ᵀX₂]], the diagonal
 * blocks split once more (split points: int64 inputs h, h1 and h2).
 */
function gramNodes(x: string, out: string, split: string, prefix: string, levels: number): onnx.INodeProto[] {
  if (levels === 0) return [node('Gemm', [x, x], [out], { transA: 1 })];
  const [a, b, ab, ba, top, bottom] = ['A', 'B', 'AB', 'BA', 'Top', 'Bottom'].map((n) => `${prefix}${n}`);
  return [
    node('Slice', [x, 'zero', split, 'axis1'], [a]),
    node('Slice', [x, split, 'huge', 'axis1'], [b]),
    ...gramNodes(a, `${prefix}AA`, 'h1', `${prefix}a`, levels - 1),
    ...gramNodes(b, `${prefix}BB`, 'h2', `${prefix}b`, levels - 1),
    node('Gemm', [a, b], [ab], { transA: 1 }),
    node('Transpose', [ab], [ba]),
    node('Concat', [`${prefix}AA`, ab], [top], { axis: 1 }),
    node('Concat', [ba, `${prefix}BB`], [bottom], { axis: 1 }),
    node('Concat', [top, bottom], [out], { axis: 0 }),
  ];
}

/** The graphs of OrtGemm.gram and OrtGemm.schulzStep. */
function gramGraph(type: OrtFloat, schulz: boolean): Uint8Array {
  const nodes = gramNodes('X', schulz ? 'G' : 'Y', 'h', 'g', 2);
  const outputs = [valueInfo('Y', type, schulz ? ['d', 'd'] : ['p', 'p'])];
  if (schulz) {
    nodes.push(
      // Y = 1.5·X − 0.5·X·G
      node('Gemm', ['X', 'G', 'X'], ['Y'], { alpha: { float: -0.5 }, beta: { float: 1.5 } }),
      node('EyeLike', ['G'], ['I']),
      node('Sub', ['G', 'I'], ['GI']),
      node('ReduceSumSquare', ['GI'], ['Off2'], { keepdims: 0 }),
      node('Sub', ['Y', 'X'], ['YX']),
      node('ReduceSumSquare', ['YX'], ['Diff2'], { keepdims: 0 }),
      node('ReduceSumSquare', ['Y'], ['Norm2'], { keepdims: 0 }),
    );
    outputs.push(...['Off2', 'Diff2', 'Norm2'].map((name) => valueInfo(name, type, [])));
  }
  return modelBytes(
    nodes,
    [valueInfo('X', type, schulz ? ['d', 'd'] : ['n', 'p']), ...['h', 'h1', 'h2'].map((name) => valueInfo(name, 'int64', [1]))],
    outputs,
    [int64Initializer('zero', [0]), int64Initializer('huge', [2 ** 53 - 1]), int64Initializer('axis1', [1])],
    schulz ? 'newton-schulz-step' : 'gram',
  );
}

function int64Tensor(values: number[]): OrtModule.Tensor {
  return new (ort().Tensor)('int64', BigInt64Array.from(values, BigInt), [values.length]);
}

/** The graph of OrtGemm.bandPanel; int64 inputs: pads [o, 0, 0, 0], lo [o], hi [o + b], end [s], head [b]. */
function bandPanelGraph(type: OrtFloat, pending: boolean): Uint8Array {
  const minus = { alpha: { float: -1 }, beta: { float: 1 } };
  const nodes = [
    node('MatMul', ['V', 'T'], ['Y']),
    node('Pad', ['Y', 'pads'], ['Yp']),
    node('MatMul', ['R', 'Yp'], [pending ? 'X0' : 'X']),
    // the pending updates: X −= U[o:]·(Zᵀ·[0; V·T]), and the next panel's columns −= U[o:]·Z[o:o+b]ᵀ
    ...(pending
      ? [
          node('MatMul', ['Zt', 'Yp'], ['ZtY']),
          node('Gemm', ['Ut', 'ZtY'], ['UZtY'], { transA: 1 }),
          node('Slice', ['UZtY', 'lo', 'end', 'axis0'], ['Xp']),
          node('Sub', ['X0', 'Xp'], ['X']),
          node('Slice', ['Ut', 'lo', 'end', 'axis1'], ['Us']),
          node('Slice', ['Zt', 'lo', 'hi', 'axis1'], ['Zs']),
        ]
      : []),
    node('Gemm', ['V', 'X'], ['VtX'], { transA: 1 }),
    node('Gemm', ['T', 'VtX'], ['Z'], { transA: 1 }),
    node('Gemm', ['V', 'Z', 'X'], ['W'], { alpha: { float: -0.5 }, beta: { float: 1 } }),
    node('Slice', ['R', 'lo', 'hi', 'axis1'], ['Rc']),
    ...(pending ? [node('Gemm', ['Us', 'Zs', 'Rc'], ['Rn'], { transA: 1, ...minus })] : []),
    node('Slice', ['V', 'zero', 'head', 'axis0'], ['Vb']),
    node('Slice', ['W', 'zero', 'head', 'axis0'], ['Wb']),
    node('Concat', ['V', 'W'], ['VW'], { axis: 1 }),
    node('Concat', ['Wb', 'Vb'], ['WVb'], { axis: 1 }),
    node('Gemm', ['VW', 'WVb', pending ? 'Rn' : 'Rc'], ['Next'], { transB: 1, ...minus }),
  ];
  const inputs = [
    valueInfo('R', type, ['m', 's']),
    valueInfo('V', type, ['m', 'b']),
    valueInfo('T', type, ['b', 'b']),
    ...['pads', 'lo', 'hi', 'end', 'head'].map((name) => valueInfo(name, 'int64', [name === 'pads' ? 4 : 1])),
    ...(pending ? [valueInfo('Ut', type, ['k', 's']), valueInfo('Zt', type, ['k', 's'])] : []),
  ];
  return modelBytes(
    nodes,
    inputs,
    [valueInfo('W', type, ['m', 'b']), valueInfo('Next', type, ['m', 'c'])],
    [int64Initializer('zero', [0]), int64Initializer('axis0', [0]), int64Initializer('axis1', [1])],
    pending ? 'band-panel-pending' : 'band-panel',
  );
}

/** The graph of OrtGemm.bandTrailing; int64 inputs: lo [o], end [s]. */
function bandTrailingGraph(type: OrtFloat): Uint8Array {
  return modelBytes(
    [
      node('Slice', ['Ut', 'lo', 'end', 'axis1'], ['Us']),
      node('Slice', ['Zt', 'lo', 'end', 'axis1'], ['Zs']),
      node('Gemm', ['Us', 'Zs', 'A'], ['Y'], { transA: 1, alpha: { float: -1 }, beta: { float: 1 } }),
    ],
    [valueInfo('A', type, ['m', 'm']), valueInfo('Ut', type, ['k', 's']), valueInfo('Zt', type, ['k', 's']), valueInfo('lo', 'int64', [1]), valueInfo('end', 'int64', [1])],
    [valueInfo('Y', type, ['m', 'm'])],
    [int64Initializer('axis1', [1])],
    'band-trailing',
  );
}
