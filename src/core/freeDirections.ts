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
 *
 * A singular M with enough anchors (a dead or repeated dimension on one side) leaves
 * the same kind of freedom, on M's null spaces instead (singularFreeDirections).
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
  return fromBases(await sourceBasis, await la.rowSpaceBasis(ys), Math.max(xs.cols, ys.cols), la);
}

/**
 * The same for a singular M (d_x × d_y) with as many anchors as dimensions or more, where a
 * dead or repeated dimension on either side leaves M rank-deficient and Newton cannot
 * converge: the free directions are then M's null spaces, the complements of range(M) and
 * range(Mᵀ), with bases from rowSpaceBasis of Mᵀ and M (pivoted Cholesky of their Gram
 * matrices, so singular values below ~1e-6·σ_max count as zero: their directions' share of
 * ⟨W, M⟩ is below that). Undefined when M has full rank or the two ranks disagree.
 */
export async function singularFreeDirections(m: Matrix, la: Linalg): Promise<FreeDirections | undefined> {
  return fromBases(await la.rowSpaceBasis(transpose(m)), await la.rowSpaceBasis(m), Math.max(m.rows, m.cols), la);
}

/** F = (I − QxQxᵀ)(I − QyQyᵀ) in the zero-padded d×d space from orthonormal bases of the two sides' spaces. */
async function fromBases(sourceBasis: Matrix | undefined, targetBasis: Matrix | undefined, d: number, la: Linalg): Promise<FreeDirections | undefined> {
  const qx = padRows(sourceBasis, d);
  const qy = padRows(targetBasis, d);
  // equal ranks, and below d: otherwise nothing is free and F = 0
  if (!qx || !qy || qx.cols !== qy.cols || qx.cols === d) return undefined;
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
  const h = await symmetricFactor(r, m, la);
  const d = h.rows;
  const values = await la.symEigenvalues(h);
  // the true factor leaves only rounding below zero (~ε·κ·σ_max); a flipped direction leaves −σ
  if (d > 0 && values[d - 1] < -NEGATIVE_EIGENVALUE_TOLERANCE * Math.abs(values[0])) return undefined;
  for (let k = 0; k < d; k++) values[k] = Math.max(values[k], 0);
  return values;
}

/** H = Rᵀ·m for m's polar factor R, symmetrised (it is symmetric up to the factor's rounding). */
export async function symmetricFactor(r: Matrix, m: Matrix, la: Linalg): Promise<Matrix> {
  const h = await la.crossprod(r, m);
  const t = transpose(h).data;
  for (let k = 0; k < t.length; k++) t[k] = 0.5 * (t[k] + h.data[k]);
  return matrix(h.rows, h.cols, t);
}

/** Relative size of a negative eigenvalue of H that rounding cannot explain (the Newton iteration stops at κ = 1e11). */
const NEGATIVE_EIGENVALUE_TOLERANCE = 1e-4;
