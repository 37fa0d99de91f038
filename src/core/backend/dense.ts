/**
 * Small dense float64 decompositions (d×d) through ml-matrix. Fine for the
 * dimensions of the bundled sample and tests; the performance issue replaces
 * what is slow at d ≥ 512 behind this same interface.
 */
import { EigenvalueDecomposition, Matrix as MlMatrix, SingularValueDecomposition, determinant } from 'ml-matrix';
import { matrix, transpose, type Matrix } from '../matrix';

export function toMl(m: Matrix): MlMatrix {
  const out = new MlMatrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.set(i, j, m.data[i * m.cols + j]);
  return out;
}

export function fromMl(m: MlMatrix): Matrix {
  const out = new Float64Array(m.rows * m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[i * m.columns + j] = m.get(i, j);
  return matrix(m.rows, m.columns, out);
}

export interface Svd {
  /** rows × k */
  U: Matrix;
  /** k singular values, descending */
  S: Float64Array;
  /** cols × k */
  V: Matrix;
}

/** Economy SVD m = U diag(S) Vᵀ with k = min(rows, cols). */
export function svd(m: Matrix): Svd {
  if (m.rows < m.cols) {
    const t = svd(transpose(m));
    return { U: t.V, S: t.S, V: t.U };
  }
  const dec = new SingularValueDecomposition(toMl(m), { autoTranspose: false });
  const k = m.cols;
  const S = Float64Array.from(dec.diagonal.slice(0, k));
  return { U: fromMl(dec.leftSingularVectors.subMatrix(0, m.rows - 1, 0, k - 1)), S, V: fromMl(dec.rightSingularVectors.subMatrix(0, m.cols - 1, 0, k - 1)) };
}

/** U·Vᵀ: the nearest (semi-)orthogonal matrix, i.e. the polar factor, from an SVD. */
export function polarFromSvd(s: Svd): Matrix {
  return multiplyABt(s.U, s.V);
}

/** A·Bᵀ in plain JS, for d×d glue where the ORT call overhead is not worth it. */
export function multiplyABt(a: Matrix, b: Matrix): Matrix {
  const n = a.rows;
  const m = b.rows;
  const k = a.cols;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a.data[i * k + t] * b.data[j * k + t];
      out[i * m + j] = s;
    }
  }
  return matrix(n, m, out);
}

/** A·B in plain JS (small matrices only). */
export function multiply(a: Matrix, b: Matrix): Matrix {
  const n = a.rows;
  const k = a.cols;
  const m = b.cols;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const v = a.data[i * k + t];
      if (v === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += v * b.data[t * m + j];
    }
  }
  return matrix(n, m, out);
}

export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns, in the same order. */
  vectors: Matrix;
}

/** Eigendecomposition of a symmetric matrix. */
export function symEig(m: Matrix): SymEig {
  const dec = new EigenvalueDecomposition(toMl(m), { assumeSymmetric: true });
  const vals = dec.realEigenvalues;
  const order = vals.map((_, i) => i).sort((a, b) => vals[b] - vals[a]);
  const V = dec.eigenvectorMatrix;
  const d = m.rows;
  const vectors = new Float64Array(d * d);
  for (let c = 0; c < d; c++) for (let r = 0; r < d; r++) vectors[r * d + c] = V.get(r, order[c]);
  return { values: Float64Array.from(order.map((i) => vals[i])), vectors: matrix(d, d, vectors) };
}

/**
 * G⁺·C for a symmetric positive semi-definite G (a Gram matrix), dropping
 * eigenvalues at or below `tol` — the minimum-norm solution of the normal
 * equations. Returns also the kept rank.
 */
export function pinvSymSolve(eig: SymEig, c: Matrix, tol: number): { solution: Matrix; rank: number } {
  const d = eig.values.length;
  const V = eig.vectors;
  // Vᵀ C, scaled row-wise by 1/λ for kept eigenvalues, then V ·
  const vtC = new Float64Array(d * c.cols);
  let rank = 0;
  for (let e = 0; e < d; e++) {
    const lambda = eig.values[e];
    if (!(lambda > tol)) continue;
    rank++;
    for (let t = 0; t < d; t++) {
      const v = V.data[t * d + e] / lambda;
      if (v === 0) continue;
      for (let j = 0; j < c.cols; j++) vtC[e * c.cols + j] += v * c.data[t * c.cols + j];
    }
  }
  return { solution: multiply(V, matrix(d, c.cols, vtC)), rank };
}

/**
 * Determinant by LU with partial pivoting on a row-major copy: contiguous
 * inner loops, (1/3)·d³ flops, about 10× ml-matrix's LU at d = 1024.
 */
export function det(m: Matrix): number {
  const n = m.rows;
  if (n !== m.cols) return determinant(toMl(m));
  const lu: LuState = { sign: 1, logAbs: 0 };
  if (!factorLeaf(Float64Array.from(m.data), n, 0, n, lu)) return 0;
  // accumulated in logs so that large d cannot overflow or underflow on the way
  return lu.sign * Math.exp(lu.logAbs);
}

/** The determinant so far of an LU factorisation: sign and log|det|. */
export interface LuState {
  sign: number;
  logAbs: number;
}

/**
 * Gaussian elimination with partial pivoting of columns [c0, c1) of the row-major n×n `a`
 * over rows c0…n−1, updating only those columns (blockedLu.ts's leaves; c0 = 0, c1 = n is the
 * plain LU, which det uses). Row swaps move whole rows and are recorded in `perm` (row i of
 * the factored matrix is row perm[i] of the original); false at a zero pivot.
 * The columns are eliminated on a column-major copy: in place, a leaf's column is n doubles
 * apart in every row (at d = 4096 its 32 sweeps touched 4096 pages each, 1.2 s of a 2.9 s
 * LU), and on a row-major copy the inner loop runs along a row of at most 32 entries; here
 * the pivot search and every update run down a whole contiguous column. Row swaps are
 * applied to the rest of each row (to the left, L's columns; to the right, what the GEMMs
 * update next) as found.
 */
export function factorLeaf(a: Float64Array, n: number, c0: number, c1: number, det: LuState, perm?: Int32Array): boolean {
  const w = c1 - c0;
  const m = n - c0;
  const p = new Float64Array(m * w);
  for (let i = 0; i < m; i++) {
    const row = (c0 + i) * n + c0;
    for (let j = 0; j < w; j++) p[j * m + i] = a[row + j];
  }
  let ok = true;
  for (let k = 0; k < w && ok; k++) {
    const ck = k * m;
    let piv = k;
    let best = Math.abs(p[ck + k]);
    for (let i = k + 1; i < m; i++) {
      const v = Math.abs(p[ck + i]);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    const pv = p[ck + piv];
    if (pv === 0) {
      ok = false;
      break;
    }
    if (piv !== k) {
      det.sign = -det.sign;
      if (perm) [perm[c0 + k], perm[c0 + piv]] = [perm[c0 + piv], perm[c0 + k]];
      for (let j = 0; j < w; j++) {
        const t = p[j * m + k];
        p[j * m + k] = p[j * m + piv];
        p[j * m + piv] = t;
      }
      swapRange(a, (c0 + k) * n, (c0 + piv) * n, c0);
      swapRange(a, (c0 + k) * n + c1, (c0 + piv) * n + c1, n - c1);
    }
    if (pv < 0) det.sign = -det.sign;
    det.logAbs += Math.log(Math.abs(pv));
    for (let i = k + 1; i < m; i++) p[ck + i] /= pv;
    // four columns per sweep: each multiplier is loaded once for four updates (9.8 vs 17 ms
    // for the leaves of a 1024² LU)
    let j = k + 1;
    for (; j + 3 < w; j += 4) {
      const q0 = j * m;
      const q1 = q0 + m;
      const q2 = q1 + m;
      const q3 = q2 + m;
      const u0 = p[q0 + k];
      const u1 = p[q1 + k];
      const u2 = p[q2 + k];
      const u3 = p[q3 + k];
      for (let i = k + 1; i < m; i++) {
        const l = p[ck + i];
        p[q0 + i] -= l * u0;
        p[q1 + i] -= l * u1;
        p[q2 + i] -= l * u2;
        p[q3 + i] -= l * u3;
      }
    }
    for (; j < w; j++) {
      const cj = j * m;
      const u = p[cj + k];
      for (let i = k + 1; i < m; i++) p[cj + i] -= p[ck + i] * u;
    }
  }
  for (let i = 0; i < m; i++) {
    const row = (c0 + i) * n + c0;
    for (let j = 0; j < w; j++) a[row + j] = p[j * m + i];
  }
  return ok;
}

function swapRange(a: Float64Array, from: number, to: number, length: number): void {
  for (let j = 0; j < length; j++) {
    const t = a[from + j];
    a[from + j] = a[to + j];
    a[to + j] = t;
  }
}


/**
 * Eigenvalues only (descending) of a symmetric matrix: Householder reduction to
 * tridiagonal form on the lower triangle, then implicit QL. No eigenvector
 * accumulation, and each step's rank-2 update is fused with the next step's
 * matrix-vector product, so the trailing matrix is swept once per step instead
 * of twice (the reduction is bound by memory traffic in JS). About (4/3)·d³
 * flops; what diagnostics (condition numbers, spectra) need at d ≥ 256.
 */
export function symEigenvalues(m: Matrix): Float64Array {
  const n = m.rows;
  const a = Float64Array.from(m.data);
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  let p = new Float64Array(n);
  let pNext = new Float64Array(n);
  const vNext = new Float64Array(n);
  let pReady = false;
  for (let k = 0; k < n - 2; k++) {
    diag[k] = a[k * n + k];
    const alpha = householder(a, n, k, v);
    off[k] = alpha.alpha;
    if (!alpha.nontrivial) {
      pReady = false;
      continue;
    }
    if (!pReady) symmetricMatVec(a, n, k + 1, v, p);
    let kk = 0;
    for (let i = k + 1; i < n; i++) kk += v[i] * p[i];
    for (let i = k + 1; i < n; i++) w[i] = 2 * (p[i] - kk * v[i]);
    // A22 ← A22 − v·wᵀ − w·vᵀ; column k+1 first, since the next reflection is built from it
    for (let i = k + 1; i < n; i++) a[i * n + k + 1] -= v[i] * w[k + 1] + w[i] * v[k + 1];
    const next = k + 1 < n - 2 ? householder(a, n, k + 1, vNext) : { alpha: 0, nontrivial: false };
    pNext.fill(0, k + 2, n);
    for (let i = k + 2; i < n; i++) {
      const row = i * n;
      const vi = v[i];
      const wi = w[i];
      const ui = vNext[i];
      let sum = 0;
      for (let j = k + 2; j < i; j++) {
        const aij = a[row + j] - (vi * w[j] + wi * v[j]);
        a[row + j] = aij;
        sum += aij * vNext[j];
        pNext[j] += aij * ui;
      }
      const aii = a[row + i] - 2 * vi * wi;
      a[row + i] = aii;
      pNext[i] += sum + aii * ui;
    }
    // the next step rebuilds the same reflection from the updated column and reuses this product
    [p, pNext] = [pNext, p];
    pReady = next.nontrivial;
  }
  if (n >= 2) {
    diag[n - 2] = a[(n - 2) * n + n - 2];
    off[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) diag[n - 1] = a[(n - 1) * n + n - 1];
  return tridiagonalEigenvalues(diag, off);
}

/** The Householder vector (unit, in v[k+1..]) that zeroes column k below its sub-diagonal. */
function householder(a: Float64Array, n: number, k: number, v: Float64Array): { alpha: number; nontrivial: boolean } {
  let norm2 = 0;
  for (let i = k + 1; i < n; i++) norm2 += a[i * n + k] * a[i * n + k];
  const x0 = a[(k + 1) * n + k];
  const alpha = norm2 === 0 ? 0 : -Math.sign(x0 || 1) * Math.sqrt(norm2);
  v.fill(0, 0, k + 1);
  for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
  v[k + 1] -= alpha;
  let vn2 = 0;
  for (let i = k + 1; i < n; i++) vn2 += v[i] * v[i];
  if (vn2 === 0) return { alpha, nontrivial: false };
  const inv = 1 / Math.sqrt(vn2);
  for (let i = k + 1; i < n; i++) v[i] *= inv;
  return { alpha, nontrivial: true };
}

/** p[from..] = A[from.., from..]·v from the lower triangle of a (row-major n×n). */
function symmetricMatVec(a: Float64Array, n: number, from: number, v: Float64Array, p: Float64Array): void {
  p.fill(0, from, n);
  for (let i = from; i < n; i++) {
    const row = i * n;
    const vi = v[i];
    let sum = 0;
    for (let j = from; j < i; j++) {
      const aij = a[row + j];
      sum += aij * v[j];
      p[j] += aij * vi;
    }
    p[i] += sum + a[row + i] * vi;
  }
}

/** Implicit QL with Wilkinson shifts on a symmetric tridiagonal matrix (diagonal d, sub-diagonal e[0..n-2]). */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let mIdx = l;
      for (; mIdx < n - 1; mIdx++) {
        const dd = Math.abs(d[mIdx]) + Math.abs(d[mIdx + 1]);
        if (Math.abs(e[mIdx]) <= 2.220446049250313e-16 * dd) break;
      }
      if (mIdx === l) break;
      if (iter > 60) break; // no convergence: keep the current approximation
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypot(g, 1);
      g = d[mIdx] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let pp = 0;
      let i = mIdx - 1;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= pp;
          e[mIdx] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - pp;
        r = (d[i] - g) * s + 2 * c * b;
        pp = s * r;
        d[i + 1] = g + pp;
        g = c * r - b;
        f = 0;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= pp;
      e[l] = g;
      e[mIdx] = 0;
    }
  }
  return Float64Array.from(d).sort().reverse();
}

/** √(x² + y²): the plain formula where it can neither overflow nor underflow, else Math.hypot (which is several times slower in V8). */
function hypot(x: number, y: number): number {
  const s = x * x + y * y;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(x, y);
}

/**
 * The k leading eigenpairs of a symmetric positive semi-definite matrix by
 * subspace iteration with Rayleigh–Ritz (a few dozen d²·(k+6) products), for
 * the PCA chart at large d where a full eigendecomposition costs seconds.
 * `product` computes m·Q (Linalg passes ORT's GEMM: 0.9 ms against JS's 25 ms at
 * d = 1024, k + 6 = 8 columns).
 */
export async function topEigenpairs(
  m: Matrix,
  k: number,
  product: (m: Matrix, q: Matrix) => Matrix | Promise<Matrix> = multiply,
  maxIterations = 200,
): Promise<SymEig> {
  const d = m.rows;
  const p = Math.min(d, k + 6);
  // deterministic start: a spread of coordinate mixtures
  let q: Float64Array = new Float64Array(d * p);
  for (let i = 0; i < d; i++) for (let c = 0; c < p; c++) q[i * p + c] = Math.sin((i + 1) * (c + 1) * 0.7548776662466927) + (i % p === c ? 1 : 0);
  orthonormalColumns(q, d, p);
  let values: Float64Array = new Float64Array(p);
  let ritz: SymEig = { values, vectors: matrix(p, p) };
  let basis = q; // the basis the current Ritz vectors refer to
  for (let it = 0; it < maxIterations; it++) {
    const z = (await product(m, matrix(d, p, q))).data as Float64Array;
    // Rayleigh–Ritz: small p×p problem qᵀ·m·q
    const small = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += q[i * p + a] * z[i * p + b];
      small[a * p + b] = s;
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) small[a * p + b] = small[b * p + a] = 0.5 * (small[a * p + b] + small[b * p + a]);
    ritz = symEig(matrix(p, p, small));
    basis = q;
    let change = 0;
    // each value relative to itself: the second axis must converge too, not just the first
    for (let c = 0; c < k; c++) change = Math.max(change, Math.abs(ritz.values[c] - values[c]) / Math.max(Math.abs(ritz.values[c]), 1e-300));
    values = ritz.values;
    orthonormalColumns(z, d, p);
    q = z;
    if (it > 2 && change < 1e-14) break;
  }
  // eigenvectors: q rotated by the Ritz vectors
  const vectors = multiply(matrix(d, p, basis), ritz.vectors);
  const out = new Float64Array(d * k);
  for (let i = 0; i < d; i++) for (let c = 0; c < k; c++) out[i * k + c] = vectors.data[i * p + c];
  return { values: values.slice(0, k), vectors: matrix(d, k, out) };
}

/** Modified Gram–Schmidt on the p columns of a row-major d×p array, in place. */
export function orthonormalColumns(a: Float64Array, d: number, p: number): void {
  for (let c = 0; c < p; c++) {
    for (let prev = 0; prev < c; prev++) {
      let dotp = 0;
      for (let i = 0; i < d; i++) dotp += a[i * p + c] * a[i * p + prev];
      for (let i = 0; i < d; i++) a[i * p + c] -= dotp * a[i * p + prev];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += a[i * p + c] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < d; i++) a[i * p + c] /= norm;
  }
}

/**
 * Upper-triangular C with CᵀC = G for a symmetric positive definite G (row-major
 * Cholesky), or undefined when a pivot is not positive (G not numerically PD).
 */
export function cholesky(g: Matrix): Matrix | undefined {
  const n = g.rows;
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let diag = g.data[i * n + i];
    for (let k = 0; k < i; k++) diag -= c[k * n + i] * c[k * n + i];
    if (!(diag > 0)) return undefined;
    const cii = Math.sqrt(diag);
    c[i * n + i] = cii;
    // row i of C from row i of G minus the contributions of the rows above
    const row = new Float64Array(n - i - 1);
    for (let j = i + 1; j < n; j++) row[j - i - 1] = g.data[i * n + j];
    for (let k = 0; k < i; k++) {
      const cki = c[k * n + i];
      if (cki === 0) continue;
      const base = k * n;
      for (let j = i + 1; j < n; j++) row[j - i - 1] -= cki * c[base + j];
    }
    for (let j = i + 1; j < n; j++) c[i * n + j] = row[j - i - 1] / cii;
  }
  return matrix(n, n, c);
}

/** x with CᵀC·x = b for an upper triangular C (a Cholesky factor, row-major): two triangular solves of d² each. */
export function choleskySolve(c: Matrix, b: ArrayLike<number>): Float64Array {
  const n = c.rows;
  const cd = c.data;
  const y = Float64Array.from(b);
  // Cᵀ·y = b a column of Cᵀ (a row of C) at a time, so that C is read contiguously
  for (let k = 0; k < n; k++) {
    const yk = (y[k] /= cd[k * n + k]);
    if (yk === 0) continue;
    const row = k * n;
    for (let j = k + 1; j < n; j++) y[j] -= cd[row + j] * yk;
  }
  // C·x = y in place: y[j] for j > i already holds x[j]
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    let s = y[i];
    for (let j = i + 1; j < n; j++) s -= cd[row + j] * y[j];
    y[i] = s / cd[row + i];
  }
  return y;
}

/** G[p, p] = L·Lᵀ for the first `pivots.length` pivots p of a pivoted Cholesky factorisation. */
export interface PivotedCholesky {
  pivots: Int32Array;
  /** r×r lower triangular, rows and columns in pivot order. */
  L: Matrix;
  /** n×r, every row of the factor by original index (L's rows among them): G = F·Fᵀ up to the stopping tolerance. */
  allRows(): Matrix;
}

/**
 * Cholesky factorisation with complete (diagonal) pivoting of a symmetric positive
 * semi-definite G, stopped when the largest remaining Schur-complement diagonal falls to
 * relTol × G's largest diagonal: for G = X·Xᵀ the pivots index rows of X that span its row
 * space, and L is the Cholesky factor of their Gram matrix. Left-looking, row-major, all in
 * JS: about n·r²/2 multiply-adds for rank r (blockedCholesky.ts has the blocked one).
 */
export function pivotedCholesky(g: Matrix, relTol: number): PivotedCholesky {
  const n = g.rows;
  const residual = new Float64Array(n);
  let top = 0;
  for (let i = 0; i < n; i++) {
    residual[i] = g.data[i * n + i];
    top = Math.max(top, residual[i]);
  }
  const chosen = new Uint8Array(n);
  const pivots: number[] = [];
  // row i of L (by original index), columns in pivot order
  const l = new Float64Array(n * n);
  for (let k = 0; k < n && top > 0; k++) {
    let p = -1;
    for (let i = 0; i < n; i++) if (!chosen[i] && (p < 0 || residual[i] > residual[p])) p = i;
    if (p < 0 || !(residual[p] > relTol * top)) break;
    const lkk = Math.sqrt(residual[p]);
    chosen[p] = 1;
    pivots.push(p);
    const pr = p * n;
    l[pr + k] = lkk;
    for (let i = 0; i < n; i++) {
      if (chosen[i]) continue;
      const ir = i * n;
      let s = g.data[ir + p];
      for (let t = 0; t < k; t++) s -= l[ir + t] * l[pr + t];
      const v = s / lkk;
      l[ir + k] = v;
      residual[i] -= v * v;
    }
  }
  return { pivots: Int32Array.from(pivots), L: pivotRows(l, n, pivots), allRows: () => leadingColumns(l, n, pivots.length) };
}

/** The first r columns of the n×n row-major `l`. */
export function leadingColumns(l: Float64Array, n: number, r: number): Matrix {
  const out = new Float64Array(n * r);
  for (let i = 0; i < n; i++) out.set(l.subarray(i * n, i * n + r), i * r);
  return matrix(n, r, out);
}

/** The r×r lower triangle of L in pivot order, from L's rows kept by original index (stride `stride`). */
export function pivotRows(l: Float64Array, stride: number, pivots: ArrayLike<number>): Matrix {
  const r = pivots.length;
  const out = new Float64Array(r * r);
  for (let k = 0; k < r; k++) out.set(l.subarray(pivots[k] * stride, pivots[k] * stride + k + 1), k * r);
  return matrix(r, r, out);
}
