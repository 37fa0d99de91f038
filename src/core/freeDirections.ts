/**
 * Orthogonal maps from fewer anchors than dimensions (n < min(d_x, d_y)).
 *
 * Procrustes then fixes the map only between the anchors' row spaces S_x and
 * S_y (rank r ≤ n); on their orthogonal complements every orthogonal map fits
 * the anchors equally well. A full SVD picks one by the order its library
 * happens to give null vectors (method.md §1.5: outputs differ by up to 1.9
 * between libraries), and at d = 1024 it takes ml-matrix 20–30 s. We pick the
 * one nearest the identity on the free directions instead, the polar factor of
 * F = (I − P_x)(I − P_y) in the zero-padded space: the same on every machine.
 *
 * M = XᵀY maps S_x onto S_y and F maps the complements onto each other, so
 * polar(M + αF) = polar(M) on S_x ⊕ polar(F) on S_x^⊥ for every α > 0, and one
 * Newton polar factor of a nonsingular d×d matrix gives the whole map.
 */
import type { Linalg } from './backend';
import { matrix, padSquare, topLeftBlock, transpose, type Matrix } from './matrix';

export interface FreeDirections {
  /** (I − P_x)(I − P_y), d×d with d = max(d_x, d_y). */
  F: Matrix;
  /** Dimension of the anchors' row spaces (equal on both sides, else undefined is returned). */
  rank: number;
}

/**
 * F for the pre-processed anchors, or undefined when the two row spaces differ in dimension
 * (the caller uses an SVD). `sourceBasis`: la.rowSpaceBasis(xs), when the caller has it.
 */
export async function freeDirections(xs: Matrix, ys: Matrix, la: Linalg, sourceBasis = la.rowSpaceBasis(xs)): Promise<FreeDirections | undefined> {
  const d = Math.max(xs.cols, ys.cols);
  const qx = padRows(await sourceBasis, d);
  const qy = padRows(await la.rowSpaceBasis(ys), d);
  if (!qx || !qy || qx.cols !== qy.cols) return undefined;
  // (I − QxQxᵀ)(I − QyQyᵀ) = T − Qx·(Qxᵀ·T) with T = I − QyQyᵀ: three GEMMs of d·d·r
  const t = await la.matmulNT(qy, qy);
  const td = t.data;
  for (let k = 0; k < td.length; k++) td[k] = -td[k];
  for (let i = 0; i < d; i++) td[i * d + i] += 1;
  const proj = (await la.matmul(qx, await la.crossprod(qx, t))).data;
  for (let k = 0; k < td.length; k++) td[k] -= proj[k];
  return { F: t, rank: qx.cols };
}

/** A basis of the smaller side in the zero-padded space: zero rows appended up to d. */
function padRows(q: Matrix | undefined, d: number): Matrix | undefined {
  if (!q || q.rows === d) return q;
  const out = new Float64Array(d * q.cols);
  out.set(q.data);
  return matrix(d, q.cols, out);
}

/**
 * U·Vᵀ of m (d_x × d_y) completed by the identity-nearest map on the free
 * directions, with m's singular values; undefined when M + αF is too close
 * to singular for Newton (m has rank below r), or its factor fails polarSpectrum's check,
 * and the caller uses an SVD.
 */
export async function completedPolar(m: Matrix, free: FreeDirections, la: Linalg): Promise<{ W: Matrix; singularValues: Float64Array; determinantSign?: 1 | -1 } | undefined> {
  const d = free.F.rows;
  const padded = padSquare(m, d);
  const md = m.data;
  let norm2 = 0;
  for (let k = 0; k < md.length; k++) norm2 += md[k] * md[k];
  // any α > 0 gives the same factor; the RMS singular value of m keeps M + αF as well conditioned as m itself
  const alpha = Math.sqrt(norm2 / free.rank);
  if (!(alpha > 0) || !Number.isFinite(alpha)) return undefined;
  const pd = padded.data;
  const fd = free.F.data;
  const sum = new Float64Array(d * d);
  for (let k = 0; k < sum.length; k++) sum[k] = pd[k] + alpha * fd[k];
  const a = matrix(d, d, sum);
  const polar = await la.polar(a);
  if (!polar) return undefined;
  const singularValues = await polarSpectrum(polar.R, padded, la);
  if (!singularValues) return undefined;
  return {
    W: topLeftBlock(polar.R, m.rows, m.cols),
    singularValues: singularValues.subarray(0, Math.min(m.rows, m.cols)),
    // det(W) when W is the whole factor (equal dims)
    determinantSign: m.rows === d && m.cols === d ? polar.determinantSign : undefined,
  };
}

/**
 * m's singular values from its polar factor R: the eigenvalues of the symmetric factor
 * H = Rᵀ·m, descending. Undefined when H has a clearly negative eigenvalue: then R is an
 * orthogonal factor but not the polar one (an iteration pushed a singular value past √3 and
 * it changed sign), and the caller takes the SVD.
 */
export async function polarSpectrum(r: Matrix, m: Matrix, la: Linalg): Promise<Float64Array | undefined> {
  const h = await la.crossprod(r, m);
  const d = h.rows;
  // symmetrise: H is symmetric up to the factor's rounding
  const t = transpose(h).data;
  for (let k = 0; k < t.length; k++) t[k] = 0.5 * (t[k] + h.data[k]);
  const values = await la.symEigenvalues(matrix(d, d, t));
  // the true factor leaves only rounding below zero (~ε·κ·σ_max); a flipped direction leaves −σ
  if (d > 0 && values[d - 1] < -NEGATIVE_EIGENVALUE_TOLERANCE * Math.abs(values[0])) return undefined;
  for (let k = 0; k < d; k++) values[k] = Math.max(values[k], 0);
  return values;
}

/** Relative size of a negative eigenvalue of H that rounding cannot explain (the Newton iteration stops at κ = 1e11). */
const NEGATIVE_EIGENVALUE_TOLERANCE = 1e-4;
