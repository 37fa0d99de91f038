/**
 * LU with partial pivoting, recursively by halves of columns: leaves of LEAF columns in JS,
 * every O(d³) update an ORT GEMM (both cores), for the determinant and the inverse of large
 * matrices. ORT's own Inverse is single-threaded (15.7 s at d = 4096, once per Newton step of
 * the polar factor) and it has no float64 determinant.
 */
import { matrix, type Matrix } from '../matrix';
import { factorLeaf, type LuState } from './dense';
import type { OrtGemm } from './ort';

/** Rows of the diagonal blocks inverted explicitly in the substitutions (small, so well conditioned). */
const BLOCK = 96;

export interface BlockedLu {
  /** L (unit, below the diagonal) and U in one row-major n×n array: P·A = L·U. */
  lu: Float64Array;
  /** Row i of P·A is row perm[i] of A. */
  perm: Int32Array;
  det: LuState;
}

/** Factors A, or undefined at an exactly zero pivot (A singular). */
export async function blockedLu(m: Matrix, gemm: OrtGemm): Promise<BlockedLu | undefined> {
  const n = m.rows;
  const a = Float64Array.from(m.data);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const det: LuState = { sign: 1, logAbs: 0 };
  return (await factorColumns(a, n, 0, n, det, perm, gemm)) ? { lu: a, perm, det } : undefined;
}

/** Columns below which a recursion leaf is factored in JS (factorLeaf). */
const LEAF = 32;

/**
 * Recursive LU (Toledo 1997) of columns [c0, c1) over rows c0…n−1: the left half, then
 * U₁₂ = L₁₁⁻¹·A₁₂ and A₂₂ −= L₂₁·U₁₂ as GEMMs, then the right half. Each level touches the
 * trailing matrix once, where panels of fixed width touched it once per panel (43 times at
 * d = 4096), and nearly all the work is in a few large GEMMs.
 */
async function factorColumns(a: Float64Array, n: number, c0: number, c1: number, det: LuState, perm: Int32Array, gemm: OrtGemm): Promise<boolean> {
  const w = c1 - c0;
  if (w <= LEAF) return factorLeaf(a, n, c0, c1, det, perm);
  const mid = c0 + halfWidth(w);
  if (!(await factorColumns(a, n, c0, mid, det, perm, gemm))) return false;
  const u12 = await solveUnitLower(a, n, c0, mid, block(a, n, c0, mid, mid, c1), gemm);
  const right = c1 - mid;
  for (let i = c0; i < mid; i++) a.set(u12.data.subarray((i - c0) * right, (i - c0 + 1) * right), i * n + mid);
  const prod = await gemm.matmul(block(a, n, mid, n, c0, mid), u12);
  for (let i = mid; i < n; i++) {
    const ri = i * n + mid;
    const pi = (i - mid) * right;
    for (let j = 0; j < right; j++) a[ri + j] -= prod.data[pi + j];
  }
  return factorColumns(a, n, mid, c1, det, perm, gemm);
}

/** The first half of w rows or columns: a multiple of 32 where that still splits. */
function halfWidth(w: number): number {
  return w > 64 ? Math.ceil(w / 2 / 32) * 32 : Math.ceil(w / 2);
}

/**
 * L⁻¹·B for the unit lower triangle L of the diagonal block [r0, r1) of a row-major n×n array
 * (its diagonal and upper part ignored), by halves: X₁ = L_a⁻¹·B₁, X₂ = L_c⁻¹·(B₂ − L_b·X₁),
 * the products as GEMMs and only blocks of up to BLOCK rows inverted explicitly, as in a
 * blocked substitution (the explicit inverse of a large triangle is not backward stable).
 */
async function solveUnitLower(a: Float64Array, n: number, r0: number, r1: number, rhs: Matrix, gemm: OrtGemm): Promise<Matrix> {
  const b = r1 - r0;
  if (b <= BLOCK) return gemm.matmul(unitLowerInverse(a, n, r0, r1), rhs);
  const mid = r0 + halfWidth(b);
  const cols = rhs.cols;
  const split = (mid - r0) * cols;
  const top = await solveUnitLower(a, n, r0, mid, matrix(mid - r0, cols, rhs.data.subarray(0, split)), gemm);
  const coupled = await gemm.matmul(block(a, n, mid, r1, r0, mid), top);
  const rest = new Float64Array((r1 - mid) * cols);
  for (let t = 0; t < rest.length; t++) rest[t] = rhs.data[split + t] - coupled.data[t];
  const bottom = await solveUnitLower(a, n, mid, r1, matrix(r1 - mid, cols, rest), gemm);
  const out = new Float64Array(b * cols);
  out.set(top.data);
  out.set(bottom.data, split);
  return matrix(b, cols, out);
}

/**
 * A⁻¹ = U⁻¹·L⁻¹·P from the blocked LU: L⁻¹ by halves (lowerInverseByHalves, n³/3 flops in
 * large GEMMs), its columns permuted, then a backward block substitution U·Z = L⁻¹·P, each
 * block row one GEMM against the rows already solved and one with the inverse of its small
 * diagonal block. Undefined when A is singular.
 */
export async function blockedInverse(m: Matrix, gemm: OrtGemm, det?: LuState): Promise<Matrix | undefined> {
  const n = m.rows;
  const f = await blockedLu(m, gemm);
  if (!f) return undefined;
  const { lu, perm } = f;
  if (det) Object.assign(det, f.det);
  // Y = L⁻¹·P: column k of L⁻¹ is column perm[k] of Y (a forward block substitution on P
  // would spend n³ flops, half of them on the zeros above L⁻¹'s diagonal)
  const linv = (await lowerInverseByHalves(lu, n, 0, n, gemm)).data;
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k <= i; k++) y[row + perm[k]] = linv[row + k];
  }
  // backward: U·Z = Y, Z written over Y (rows below r1 are already Z)
  for (let r0 = Math.floor((n - 1) / BLOCK) * BLOCK; r0 >= 0; r0 -= BLOCK) {
    const r1 = Math.min(r0 + BLOCK, n);
    const b = r1 - r0;
    const rhs = y.slice(r0 * n, r1 * n);
    if (r1 < n) {
      const solved = await gemm.matmul(block(lu, n, r0, r1, r1, n), rows(y, n, r1, n));
      for (let t = 0; t < rhs.length; t++) rhs[t] -= solved.data[t];
    }
    y.set((await gemm.matmul(upperInverse(lu, n, r0, r1), matrix(b, n, rhs))).data, r0 * n);
  }
  return matrix(n, n, y);
}

/** A copy of rows [r0, r1) × columns [c0, c1) of a row-major n×n array. */
function block(a: Float64Array, n: number, r0: number, r1: number, c0: number, c1: number): Matrix {
  const w = c1 - c0;
  const out = new Float64Array((r1 - r0) * w);
  for (let i = r0; i < r1; i++) out.set(a.subarray(i * n + c0, i * n + c1), (i - r0) * w);
  return matrix(r1 - r0, w, out);
}

/** Rows [r0, r1) of a row-major array with n columns, without copying. */
function rows(a: Float64Array, n: number, r0: number, r1: number): Matrix {
  return matrix(r1 - r0, n, a.subarray(r0 * n, r1 * n));
}

/**
 * The inverse of the unit lower triangular diagonal block [r0, r1) of L (its diagonal and
 * upper part ignored), by halves: [[A, 0], [B, C]]⁻¹ = [[A⁻¹, 0], [−C⁻¹·B·A⁻¹, C⁻¹]], blocks
 * of up to BLOCK rows by substitution in JS.
 */
async function lowerInverseByHalves(lu: Float64Array, n: number, r0: number, r1: number, gemm: OrtGemm): Promise<Matrix> {
  const b = r1 - r0;
  if (b <= BLOCK) return unitLowerInverse(lu, n, r0, r1);
  const h = halfWidth(b);
  const mid = r0 + h;
  const ai = await lowerInverseByHalves(lu, n, r0, mid, gemm);
  const ci = await lowerInverseByHalves(lu, n, mid, r1, gemm);
  const coupled = await gemm.matmul(await gemm.matmul(ci, block(lu, n, mid, r1, r0, mid)), ai);
  const out = new Float64Array(b * b);
  for (let i = 0; i < h; i++) out.set(ai.data.subarray(i * h, (i + 1) * h), i * b);
  for (let i = 0; i < b - h; i++) {
    const row = (h + i) * b;
    for (let j = 0; j < h; j++) out[row + j] = -coupled.data[i * h + j];
    out.set(ci.data.subarray(i * (b - h), (i + 1) * (b - h)), row + h);
  }
  return matrix(b, b, out);
}

/** The inverse of the unit lower triangular diagonal block [r0, r1) of L. */
function unitLowerInverse(lu: Float64Array, n: number, r0: number, r1: number): Matrix {
  const b = r1 - r0;
  const inv = new Float64Array(b * b);
  for (let j = 0; j < b; j++) {
    inv[j * b + j] = 1;
    for (let i = j + 1; i < b; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= lu[(r0 + i) * n + r0 + k] * inv[k * b + j];
      inv[i * b + j] = s;
    }
  }
  return matrix(b, b, inv);
}

/**
 * R⁻¹ for an upper triangular R (zeros below the diagonal), by halves:
 * [[A, B], [0, C]]⁻¹ = [[A⁻¹, −A⁻¹·B·C⁻¹], [0, C⁻¹]], the products as ORT GEMMs and the
 * blocks below `leaf` rows by substitution in JS. A general inverse (ORT's, one core) costs
 * about six times the flops; CholeskyQR2 needs R⁻¹ twice per basis.
 */
export async function upperTriangularInverse(r: Matrix, gemm: OrtGemm, leaf = BLOCK): Promise<Matrix> {
  const n = r.rows;
  if (n <= leaf) return upperInverse(r.data as Float64Array, n, 0, n);
  const h = halfWidth(n);
  const a = r.data as Float64Array;
  const ai = await upperTriangularInverse(block(a, n, 0, h, 0, h), gemm, leaf);
  const ci = await upperTriangularInverse(block(a, n, h, n, h, n), gemm, leaf);
  const top = await gemm.matmul(await gemm.matmul(ai, block(a, n, 0, h, h, n)), ci);
  const out = new Float64Array(n * n);
  for (let i = 0; i < h; i++) {
    out.set(ai.data.subarray(i * h, (i + 1) * h), i * n);
    for (let j = 0; j < n - h; j++) out[i * n + h + j] = -top.data[i * (n - h) + j];
  }
  for (let i = 0; i < n - h; i++) out.set(ci.data.subarray(i * (n - h), (i + 1) * (n - h)), (h + i) * n + h);
  return matrix(n, n, out);
}

/** The inverse of the upper triangular diagonal block [r0, r1) of a row-major n×n array (below the diagonal ignored). */
export function upperInverse(lu: Float64Array, n: number, r0: number, r1: number): Matrix {
  const b = r1 - r0;
  const inv = new Float64Array(b * b);
  for (let j = b - 1; j >= 0; j--) {
    inv[j * b + j] = 1 / lu[(r0 + j) * n + r0 + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s -= lu[(r0 + i) * n + r0 + k] * inv[k * b + j];
      inv[i * b + j] = s / lu[(r0 + i) * n + r0 + i];
    }
  }
  return matrix(b, b, inv);
}

/**
 * From this size on the blocked inverse is at least as fast as ORT's single-threaded Inverse
 * (`npm run bench -- --suite lu --lu-dims 448,512,768,1024,2048,4096`: 1.35× its time at 448,
 * 0.98× at 512, 0.73× at 768, 0.48× at 1024, 0.30× at 4096).
 */
const BLOCKED_INVERSE_FROM = 512;

/**
 * A⁻¹: blocked at large d, else ORT's Inverse (which also answers for a singular A, with
 * non-finite values). `det`, when given, receives A's determinant from the blocked LU (and
 * is left as it was on ORT's path, which has no determinant).
 */
export async function inverse(m: Matrix, gemm: OrtGemm, det?: LuState): Promise<Matrix> {
  if (m.rows >= BLOCKED_INVERSE_FROM) {
    const inv = await blockedInverse(m, gemm, det);
    if (inv) return inv;
  }
  return gemm.inverse(m);
}
