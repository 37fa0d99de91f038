/**
 * The one linear-algebra backend every estimator and metric goes through:
 * GEMM-shaped O(N·d²) products in ONNX Runtime, d×d decompositions in
 * ml-matrix (float64). Swapping an implementation here never touches the
 * estimators.
 */
import { matrix, transpose, type Matrix } from '../matrix';
import { symEigenvaluesTwoStage } from './bandReduction';
import { blockedCholesky, blockedPivotedCholesky } from './blockedCholesky';
import { blockedLu, inverse, upperTriangularInverse } from './blockedLu';
import { cholesky, choleskySolve, det, pinvSymSolve, pivotedCholesky, svd, symEig, symEigenvalues, multiply, topEigenpairs, type PivotedCholesky, type SymEig } from './dense';
import { OrtGemm, type OrtOptions } from './ort';
import { BLOCKED_DET_FROM, directLeastSquares, gramNullCutoff, LARGE_DIM, POLAR_WITHOUT_SVD_FROM, TWO_STAGE_EIGENVALUES_FROM } from './limits';
import { normalise, polarNewton, startVector, type PolarResult } from './polar';

const EPS = 2.220446049250313e-16;
/** CholeskyQR2's first pass: below this diagonal ratio of R, cond(A) ≳ 1e7 is beyond its reach. */
const FIRST_PASS_MIN_RATIO = 1e-7;
/** Its second pass starts from a nearly orthonormal Q: a ratio below this means the first was too inaccurate. */
const SECOND_PASS_MIN_RATIO = 1e-2;

export interface LeastSquares {
  /** d_x × d_y minimum-norm solution of X·W ≈ Y. */
  W: Matrix;
  /** Numerical rank of X used by the solve. */
  rank: number;
  /** Singular values of X, descending (from the Gram eigenvalues on the large path). */
  singularValues: Float64Array;
}

export class Linalg {
  private readonly gemm: OrtGemm;

  constructor(options: OrtOptions = {}) {
    this.gemm = new OrtGemm(options);
  }

  /** Aᵀ·B in float64 (AᵀA by symmetric blocks, OrtGemm.gram, when B is A). */
  crossprod(a: Matrix, b: Matrix): Promise<Matrix> {
    return a === b ? this.gemm.gram(a, 'float64') : this.gemm.crossprod(a, b, 'float64');
  }

  /** A·B (+ bias on every row) in float64. */
  matmul(a: Matrix, b: Matrix, bias?: ArrayLike<number>): Promise<Matrix> {
    return this.gemm.matmul(a, b, bias, 'float64');
  }

  /** A·Bᵀ in float64: similarity blocks. */
  matmulNT(a: Matrix, b: Matrix): Promise<Matrix> {
    return this.gemm.matmulNT(a, b, 'float64');
  }

  /** A·Bᵀ in float32 (inputs converted if needed). */
  matmulNT32(a: Matrix, b: Matrix): Promise<Matrix> {
    return this.gemm.matmulNT(a, b, 'float32');
  }

  /**
   * A·Bᵀ in float32 for row blocks A against one B (packed once and kept for the next
   * call). `key`'s identity stands for B's values: the same key must always mean the same B.
   */
  similarityBlock(a: Matrix, b: Matrix & { data: Float32Array }, key: object = b.data): Promise<Matrix & { data: Float32Array }> {
    return this.gemm.matmulNTFixed32(a, b, key);
  }

  /**
   * Minimum-norm least squares (the pseudo-inverse solution numpy's gelsd and
   * torch's gelsy give), so n < d fits are deterministic across libraries.
   * `ridge` > 0 adds λ·I to XᵀX (Tikhonov), which makes the solution unique.
   * By a direct SVD of X while that is cheap (directLeastSquares); otherwise with
   * n < d in the row space (minimumNormInRowSpace), else from XᵀX: a refined inverse
   * when it has full rank, the row space again when not (a dead or repeated column), the
   * pseudo-inverse from its eigendecomposition as the last resort.
   */
  async lstsq(
    x: Matrix,
    y: Matrix,
    options: {
      ridge?: number;
      solver?: 'auto' | 'svd' | 'gram';
      /** Xᵀ·X when the caller already has it (asked for only when the d×d path runs). */
      gram?: () => Promise<Matrix>;
      /** rowSpaceBasis(x) when the caller already has it (asked for only when n < d or X is rank-deficient). */
      rowBasis?: () => Promise<Matrix | undefined>;
    } = {},
  ): Promise<LeastSquares> {
    const n = x.rows;
    const d = x.cols;
    const ridge = options.ridge ?? 0;
    const solver = options.solver ?? 'auto';
    if (ridge === 0 && (solver === 'svd' || (solver === 'auto' && directLeastSquares(n, d)))) {
      const s = svd(x);
      const tol = EPS * Math.max(n, d) * (s.S[0] ?? 0);
      // W = V diag(1/σ) Uᵀ Y over the kept singular values
      const uty = await this.crossprod(s.U, y); // k × d_y
      let rank = 0;
      for (let e = 0; e < s.S.length; e++) {
        const keep = s.S[e] > tol;
        if (keep) rank++;
        for (let j = 0; j < uty.cols; j++) uty.data[e * uty.cols + j] = keep ? uty.data[e * uty.cols + j] / s.S[e] : 0;
      }
      return { W: multiply(s.V, uty), rank, singularValues: s.S };
    }
    if (ridge === 0 && solver === 'auto' && n < d) {
      const wide = await this.minimumNormInRowSpace(x, y, await (options.rowBasis?.() ?? this.rowSpaceBasis(x)));
      if (wide) return wide;
    }
    const shared = options.gram ? await options.gram() : undefined;
    const gram = shared ? matrix(d, d, Float64Array.from(shared.data)) : await this.crossprod(x, x);
    if (ridge > 0) for (let i = 0; i < d; i++) gram.data[i * d + i] += ridge;
    const c = await this.crossprod(x, y);
    if (solver === 'auto') {
      const values = await this.symEigenvalues(gram);
      const tol = gramNullCutoff(values[0] ?? 0, n, d);
      if (values[d - 1] > tol) {
        const singularValues = Float64Array.from(values, (l) => Math.sqrt(Math.max(l - ridge, 0)));
        return { W: await this.solveFullRank(gram, c), rank: d, singularValues };
      }
      if (ridge === 0 && n >= d) {
        // a dead or repeated column: the minimum-norm solution in the row space, not a d×d
        // eigendecomposition in JS (ml-matrix: 1.35 s at d = 512, ~10 s at 1024)
        const basis = await (options.rowBasis?.() ?? this.rowSpaceBasis(x, async () => gram));
        const inRowSpace = await this.minimumNormInRowSpace(x, y, basis);
        if (inRowSpace) return inRowSpace;
      }
    }
    const eig: SymEig = symEig(gram);
    const tol = gramNullCutoff(eig.values[0] ?? 0, n, d);
    const { solution, rank } = pinvSymSolve(eig, c, tol);
    const singularValues = Float64Array.from(eig.values, (l) => Math.sqrt(Math.max(l - ridge, 0)));
    return { W: solution, rank, singularValues };
  }

  /**
   * Minimum-norm least squares for fewer rows than columns, or a rank-deficient X, without
   * a d×d decomposition: with Q an orthonormal basis of X's row space (rowSpaceBasis) the
   * solution lies in span(Q), so W = Q·z with z the full-rank least-squares solution of
   * (X·Q)·z ≈ Y (r×r normal equations, refined). X's singular values are those of X·Q.
   * Undefined without a basis (the caller uses the eigendecomposition path).
   */
  private async minimumNormInRowSpace(x: Matrix, y: Matrix, q: Matrix | undefined): Promise<LeastSquares | undefined> {
    if (!q) return undefined;
    const a = await this.matmul(x, q); // n × r
    const gram = await this.crossprod(a, a);
    const z = await this.solveFullRank(gram, await this.crossprod(a, y));
    const r = q.cols;
    const values = await this.symEigenvalues(gram);
    const singularValues = new Float64Array(Math.min(x.rows, x.cols));
    for (let k = 0; k < r; k++) singularValues[k] = Math.sqrt(Math.max(values[k], 0));
    return { W: await this.matmul(q, z), rank: r, singularValues };
  }

  /**
   * G⁻¹·C for a full-rank symmetric G, with one step of iterative refinement
   * (W += G⁻¹(C − G·W)), which brings the error from cond·ε to about ε at the
   * cost of three more GEMMs.
   */
  private async solveFullRank(g: Matrix, c: Matrix): Promise<Matrix> {
    const gi = await inverse(g, this.gemm);
    const w = await this.matmul(gi, c);
    const gw = await this.matmul(g, w);
    const r = matrix(c.rows, c.cols, Float64Array.from(c.data, (v, i) => v - gw.data[i]));
    const dw = await this.matmul(gi, r);
    for (let i = 0; i < w.data.length; i++) w.data[i] += dw.data[i];
    return w;
  }

  /**
   * Thin QR of a tall full-rank A (m×n, m ≥ n) by CholeskyQR2 (Fukaya et al. 2014): twice
   * R = chol(AᵀA), Q = A·R⁻¹, every O(m·n²) step a GEMM in ORT, and from LARGE_DIM columns
   * the O(n³) ones too (blockedCholesky, upperTriangularInverse). Orthogonality to machine
   * precision while cond(A) ≲ 1e7; undefined when the Gram matrix is not positive definite
   * in float64 (the caller uses an SVD).
   */
  async choleskyQr2(a: Matrix): Promise<{ Q: Matrix; R: Matrix } | undefined> {
    // cond(A) beyond CholeskyQR2's reach, or a first pass too inaccurate for the second to repair
    const first = await this.choleskyQrPass(a, FIRST_PASS_MIN_RATIO);
    const second = first && (await this.choleskyQrPass(first.Q, SECOND_PASS_MIN_RATIO));
    if (!first || !second) return undefined;
    const c = second.R;
    return { Q: second.Q, R: c.rows >= LARGE_DIM ? await this.matmul(c, first.R) : multiply(c, first.R) };
  }

  /** Upper triangular R with G = RᵀR, blocked (ORT trailing updates) from LARGE_DIM on; undefined when G is not positive definite. */
  private cholesky(g: Matrix): Promise<Matrix | undefined> {
    return g.rows >= LARGE_DIM ? blockedCholesky(g, this.gemm) : Promise.resolve(cholesky(g));
  }

  /** Pivoted Cholesky of a positive semi-definite G (dense.ts pivotedCholesky), blocked from LARGE_DIM on. */
  private pivotedCholesky(g: Matrix, relTol: number): Promise<PivotedCholesky> {
    return g.rows >= LARGE_DIM ? blockedPivotedCholesky(g, relTol, this.gemm) : Promise.resolve(pivotedCholesky(g, relTol));
  }

  /** One CholeskyQR pass: R = chol(AᵀA), Q = A·R⁻¹; undefined when R's diagonal ratio falls below `minRatio`. */
  private async choleskyQrPass(a: Matrix, minRatio: number): Promise<{ Q: Matrix; R: Matrix } | undefined> {
    const gram = await this.crossprod(a, a);
    const c = await this.cholesky(gram);
    if (!c || diagonalRatio(c) < minRatio) return undefined;
    return { Q: await this.matmul(a, await upperTriangularInverse(c, this.gemm)), R: c };
  }

  /**
   * det(m) by LU with partial pivoting. From `blockedFrom` on blocked (blockedLu.ts), the
   * trailing updates (2/3 of the O(d³) work) as ORT GEMMs: 67 ms instead of 0.73 s at
   * d = 1024, 2.0 s instead of 49 s at 4096 (`--suite lu`, bench/results/lu.json).
   */
  async det(m: Matrix, blockedFrom = BLOCKED_DET_FROM): Promise<number> {
    const n = m.rows;
    if (n !== m.cols || n < blockedFrom) return det(m);
    const f = await blockedLu(m, this.gemm);
    // accumulated in logs so that large d cannot overflow or underflow on the way
    return f ? f.det.sign * Math.exp(f.det.logAbs) : 0;
  }

  /**
   * An orthonormal basis (c×r) of the row space of A (n×c). Wide (n < c): the rows A_p a
   * pivoted Cholesky of A·Aᵀ = Pᵀ·L·Lᵀ·P picks (rank-revealing, so centred rows, which sum to
   * zero, give r = n − 1). L is then the Cholesky factor of A_p·A_pᵀ, so A_pᵀ·L⁻ᵀ is already
   * CholeskyQR's first pass; a second pass restores orthogonality to rounding. Tall: see
   * tallRowSpaceBasis (`gram`: AᵀA when the caller has it). Undefined when A is zero or the
   * factor is too ill-conditioned for CholeskyQR2.
   */
  async rowSpaceBasis(a: Matrix, gram?: () => Promise<Matrix>): Promise<Matrix | undefined> {
    if (a.rows >= a.cols) return this.tallRowSpaceBasis(a, gram);
    const c = a.cols;
    const g = await this.matmulNT(a, a);
    const tol = 4 * EPS * Math.max(a.rows, c);
    const { pivots, L } = await this.pivotedCholesky(g, tol);
    const r = pivots.length;
    if (r === 0 || diagonalRatio(L) < FIRST_PASS_MIN_RATIO) return undefined;
    const rows = new Float64Array(r * c);
    for (let k = 0; k < r; k++) rows.set(a.data.subarray(pivots[k] * c, (pivots[k] + 1) * c), k * c);
    // A_pᵀ·(Lᵀ)⁻¹, Lᵀ upper triangular
    const first = await this.crossprod(matrix(r, c, rows), await upperTriangularInverse(transpose(L), this.gemm));
    return (await this.choleskyQrPass(first, SECOND_PASS_MIN_RATIO))?.Q;
  }

  /**
   * The row space of a tall A (n ≥ c) with a dead or repeated column (rank r < c): a pivoted
   * Cholesky of the c×c Gram matrix AᵀA = F·Fᵀ (to its stopping tolerance, c×r F) gives
   * range(F) = range(AᵀA) = A's row space, and CholeskyQR2 of F an orthonormal basis of it.
   * cond(F) = cond(A) on that space, so this reaches as far as CholeskyQR2 does (~1e7).
   */
  private async tallRowSpaceBasis(a: Matrix, gram?: () => Promise<Matrix>): Promise<Matrix | undefined> {
    const g = gram ? await gram() : await this.crossprod(a, a);
    const tol = 4 * EPS * Math.max(a.rows, a.cols);
    const factor = await this.pivotedCholesky(g, tol);
    if (factor.pivots.length === 0 || diagonalRatio(factor.L) < FIRST_PASS_MIN_RATIO) return undefined;
    return (await this.choleskyQr2(factor.allRows()))?.Q;
  }

  /**
   * Eigenvalues (descending) of a symmetric matrix, from its lower triangle. From
   * TWO_STAGE_EIGENVALUES_FROM on by the two-stage reduction (bandReduction.ts: the O(d³)
   * work as ORT GEMMs, then bulge chasing in JS), below by dense.ts's one-stage reduction.
   */
  async symEigenvalues(m: Matrix): Promise<Float64Array> {
    return m.rows >= TWO_STAGE_EIGENVALUES_FROM ? symEigenvaluesTwoStage(m, this.gemm) : symEigenvalues(m);
  }

  /** The k leading eigenpairs of a symmetric positive semi-definite matrix (dense.ts topEigenpairs), its products in ORT. */
  topEigenpairs(m: Matrix, k: number): Promise<SymEig> {
    return topEigenpairs(m, k, (a, q) => this.matmul(a, q));
  }

  /**
   * The unit eigenvector of a symmetric positive semi-definite H (both triangles) for its
   * smallest eigenvalue, given H's eigenvalues (descending): inverse iteration with a Cholesky
   * factor of H − μI, μ just below that eigenvalue, so that each step shrinks the other
   * eigenvectors' share by (λ_min − μ)/(λ_next − μ) or less. Within a (nearly) repeated smallest
   * eigenvalue it returns some unit vector of that eigenspace. Undefined when the factorisation
   * fails (the eigenvalues do not belong to H).
   */
  async smallestEigenvector(h: Matrix, values: ArrayLike<number>): Promise<Float64Array | undefined> {
    const d = h.rows;
    if (d === 0) return undefined;
    const top = Math.max(values[0], 0);
    const low = values[d - 1];
    const gap = d > 1 ? values[d - 2] - low : top;
    // below λ_min by more than its rounding error (≲ 1e-13·λ_max at d = 4096), and by little against the gap
    const delta = Math.max(EIGENVECTOR_SHIFT * gap, 1e-12 * top, Number.MIN_VALUE);
    const shifted = Float64Array.from(h.data);
    for (let i = 0; i < d; i++) shifted[i * d + i] -= low - delta;
    const c = await this.cholesky(matrix(d, d, shifted));
    if (!c) return undefined;
    let v: Float64Array = Float64Array.from(startVector(d).data);
    normalise(v);
    for (let step = 0; step < MAX_INVERSE_ITERATIONS; step++) {
      const z = choleskySolve(c, v);
      normalise(z);
      let dot = 0;
      for (let i = 0; i < d; i++) dot += z[i] * v[i];
      let change = 0;
      for (let i = 0; i < d; i++) {
        if (dot < 0) z[i] = -z[i];
        change = Math.max(change, Math.abs(z[i] - v[i]));
      }
      v = z;
      if (change <= 1e-14) break;
    }
    return v;
  }

  /** The polar factor of a square matrix by ORT Newton iterations, or undefined when it is too ill-conditioned (use an SVD). */
  polar(m: Matrix): Promise<PolarResult | undefined> {
    return polarNewton(m, this.gemm);
  }

  dispose(): Promise<void> {
    return this.gemm.dispose();
  }
}

/** μ = λ_min − EIGENVECTOR_SHIFT·gap in smallestEigenvector: each step divides the error by about 1/EIGENVECTOR_SHIFT. */
const EIGENVECTOR_SHIFT = 1e-3;
/** Enough for a gap down to ~1e-10·λ_max (the shift is then bound by 1e-12·λ_max: a factor ≤ 1e-2 a step). */
const MAX_INVERSE_ITERATIONS = 50;

/** min/max of |diagonal| of a triangular factor R: an upper bound on 1/cond(R), so a small value proves ill-conditioning. */
function diagonalRatio(c: Matrix): number {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < c.rows; i++) {
    const v = Math.abs(c.data[i * c.cols + i]);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi > 0 ? lo / hi : 0;
}

export { svd, symEig, symEigenvalues, multiply, matrix, directLeastSquares, LARGE_DIM, POLAR_WITHOUT_SVD_FROM };
