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

export function det(m: Matrix): number {
  return determinant(toMl(m));
}
