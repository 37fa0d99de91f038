/**
 * The one linear-algebra backend every estimator and metric goes through:
 * GEMM-shaped O(N·d²) products in ONNX Runtime, d×d decompositions in
 * ml-matrix (float64). Swapping an implementation here never touches the
 * estimators.
 */
import { matrix, type Matrix } from '../matrix';
import { cholesky, det, pinvSymSolve, svd, symEig, symEigenvalues, multiply, type SymEig } from './dense';
import { OrtGemm, type OrtOptions } from './ort';
import { DIRECT_LSTSQ_MAX_VALUES, LARGE_DIM } from './limits';
import { polarNewton, type PolarResult } from './polar';

const EPS = 2.220446049250313e-16;
/** Columns per panel of the blocked determinant: wide enough for the GEMMs, narrow enough for the JS panel work. */
const DET_BLOCK = 96;

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

  /** Aᵀ·B in float64. */
  crossprod(a: Matrix, b: Matrix): Promise<Matrix> {
    return this.gemm.crossprod(a, b, 'float64');
  }

  /** A·B (+ bias on every row) in float64. */
  matmul(a: Matrix, b: Matrix, bias?: ArrayLike<number>): Promise<Matrix> {
    return this.gemm.matmul(a, b, bias, 'float64');
  }

  /** A·Bᵀ in float64: similarity blocks. */
  matmulNT(a: Matrix, b: Matrix): Promise<Matrix> {
    return this.gemm.matmulNT(a, b, 'float64');
  }

  /** A·Bᵀ in float32 (inputs converted if needed): screened similarity blocks. */
  matmulNT32(a: Matrix, b: Matrix): Promise<Matrix> {
    return this.gemm.matmulNT(a, b, 'float32');
  }

  /**
   * Minimum-norm least squares (the pseudo-inverse solution numpy's gelsd and
   * torch's gelsy give), so n < d fits are deterministic across libraries.
   * `ridge` > 0 adds λ·I to XᵀX (Tikhonov), which makes the solution unique.
   */
  async lstsq(x: Matrix, y: Matrix, options: { ridge?: number; solver?: 'auto' | 'svd' | 'gram'; gram?: Promise<Matrix> } = {}): Promise<LeastSquares> {
    const n = x.rows;
    const d = x.cols;
    const ridge = options.ridge ?? 0;
    const solver = options.solver ?? 'auto';
    if (ridge === 0 && (solver === 'svd' || (solver === 'auto' && n * d <= DIRECT_LSTSQ_MAX_VALUES))) {
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
    const shared = options.gram ? await options.gram : undefined;
    const gram = shared ? matrix(d, d, Float64Array.from(shared.data)) : await this.crossprod(x, x);
    if (ridge > 0) for (let i = 0; i < d; i++) gram.data[i * d + i] += ridge;
    const c = await this.crossprod(x, y);
    if (d >= LARGE_DIM && solver === 'auto') {
      const values = symEigenvalues(gram);
      const tol = Math.max(values[0] ?? 0, 0) * Math.max(n, d) * EPS * 4;
      if (values[d - 1] > tol) {
        const singularValues = Float64Array.from(values, (l) => Math.sqrt(Math.max(l - ridge, 0)));
        return { W: await this.solveFullRank(gram, c), rank: d, singularValues };
      }
    }
    const eig: SymEig = symEig(gram);
    const lmax = Math.max(eig.values[0] ?? 0, 0);
    // Eigenvalues of a Gram matrix carry absolute error ~ eps·λmax, so the cutoff is on λ, not λ².
    const tol = lmax * Math.max(n, d) * EPS * 4;
    const { solution, rank } = pinvSymSolve(eig, c, tol);
    const singularValues = Float64Array.from(eig.values, (l) => Math.sqrt(Math.max(l - ridge, 0)));
    return { W: solution, rank, singularValues };
  }

  /**
   * G⁻¹·C for a full-rank symmetric G, with one step of iterative refinement
   * (W += G⁻¹(C − G·W)), which brings the error from cond·ε to about ε at the
   * cost of three more GEMMs.
   */
  private async solveFullRank(g: Matrix, c: Matrix): Promise<Matrix> {
    const gi = await this.gemm.inverse(g);
    const w = await this.matmul(gi, c);
    const gw = await this.matmul(g, w);
    const r = matrix(c.rows, c.cols, Float64Array.from(c.data, (v, i) => v - gw.data[i]));
    const dw = await this.matmul(gi, r);
    for (let i = 0; i < w.data.length; i++) w.data[i] += dw.data[i];
    return w;
  }

  /**
   * Thin QR of a tall full-rank A (m×n, m ≥ n) by CholeskyQR2 (Fukaya et al. 2014): twice
   * R = chol(AᵀA), Q = A·R⁻¹, every O(m·n²) step a GEMM in ORT. Orthogonality to machine
   * precision while cond(A) ≲ 1e7; undefined when the Gram matrix is not positive definite
   * in float64 (the caller uses an SVD).
   */
  async choleskyQr2(a: Matrix): Promise<{ Q: Matrix; R: Matrix } | undefined> {
    let q = a;
    let r: Matrix | undefined;
    for (let pass = 0; pass < 2; pass++) {
      const c = cholesky(await this.crossprod(q, q));
      // cond(A) beyond CholeskyQR2's reach, or a first pass too inaccurate for the second to repair
      if (!c || diagonalRatio(c) < (pass === 0 ? 1e-7 : 1e-2)) return undefined;
      q = await this.matmul(q, await this.gemm.inverse(c));
      r = r ? multiply(c, r) : c;
    }
    return { Q: q, R: r! };
  }

  /**
   * det(m) by LU with partial pivoting. From `blockedFrom` on blocked: panels of DET_BLOCK
   * columns in JS, the trailing updates (2/3 of the O(d³) work) as ORT GEMMs: 0.3 s
   * instead of 1.6 s at d = 1024, 7.7 s instead of 54 s at 4096 (slower below ~500).
   */
  async det(m: Matrix, blockedFrom = 512): Promise<number> {
    const n = m.rows;
    if (n !== m.cols || n < blockedFrom) return det(m);
    const a = Float64Array.from(m.data);
    let sign = 1;
    let logAbs = 0;
    for (let k0 = 0; k0 < n; k0 += DET_BLOCK) {
      const end = Math.min(k0 + DET_BLOCK, n);
      for (let k = k0; k < end; k++) {
        let piv = k;
        for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[piv * n + k])) piv = i;
        const pv = a[piv * n + k];
        if (pv === 0) return 0;
        if (piv !== k) {
          sign = -sign;
          // whole rows: the L columns already computed, and the columns still to update
          const rk = k * n;
          const rp = piv * n;
          for (let j = 0; j < n; j++) {
            const t = a[rk + j];
            a[rk + j] = a[rp + j];
            a[rp + j] = t;
          }
        }
        if (pv < 0) sign = -sign;
        logAbs += Math.log(Math.abs(pv));
        for (let i = k + 1; i < n; i++) {
          const ri = i * n;
          const f = a[ri + k] / pv;
          a[ri + k] = f;
          for (let j = k + 1; j < end; j++) a[ri + j] -= f * a[k * n + j];
        }
      }
      const rest = n - end;
      if (rest === 0) break;
      const width = end - k0;
      // U12 = L11⁻¹·A12 (unit lower triangular forward substitution)
      for (let k = k0; k < end; k++) {
        for (let i = k + 1; i < end; i++) {
          const f = a[i * n + k];
          if (f === 0) continue;
          for (let j = end; j < n; j++) a[i * n + j] -= f * a[k * n + j];
        }
      }
      // A22 −= L21·U12
      const l21 = new Float64Array(rest * width);
      for (let i = 0; i < rest; i++) for (let t = 0; t < width; t++) l21[i * width + t] = a[(end + i) * n + k0 + t];
      const u12 = new Float64Array(width * rest);
      for (let t = 0; t < width; t++) u12.set(a.subarray((k0 + t) * n + end, (k0 + t + 1) * n), t * rest);
      const prod = await this.matmul(matrix(rest, width, l21), matrix(width, rest, u12));
      for (let i = 0; i < rest; i++) {
        const ri = (end + i) * n + end;
        const pi = i * rest;
        for (let j = 0; j < rest; j++) a[ri + j] -= prod.data[pi + j];
      }
    }
    // accumulated in logs so that large d cannot overflow or underflow on the way
    return sign * Math.exp(logAbs);
  }

  /** The polar factor of a square matrix by ORT Newton iterations, or undefined when it is too ill-conditioned (use an SVD). */
  polar(m: Matrix): Promise<PolarResult | undefined> {
    return polarNewton(m, this.gemm);
  }

  dispose(): Promise<void> {
    return this.gemm.dispose();
  }
}

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

export { svd, symEig, symEigenvalues, multiply, matrix, DIRECT_LSTSQ_MAX_VALUES, LARGE_DIM };
