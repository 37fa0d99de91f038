/**
 * Cholesky factorisation in panels of rows: each panel (its diagonal block and the rows of R
 * to its right) in JS, the trailing update G₂₂ −= R₁₂ᵀ·R₁₂, most of the n³/3 work, as an ORT
 * GEMM on both cores. dense.ts's cholesky does all of it in JS, row by row; CholeskyQR2 of a
 * row-space basis with n ≈ 1000 columns (fewer anchors than dimensions) runs it four times a fit.
 */
import { matrix, type Matrix } from '../matrix';
import type { OrtGemm } from './ort';

/** Rows per panel: the panel work is n·b²/2 in JS, the GEMMs' inner dimension is b. */
const PANEL = 96;

/** Upper triangular R with G = RᵀR (from G's upper triangle), or undefined when G is not positive definite in float64. */
export async function blockedCholesky(g: Matrix, gemm: OrtGemm, panel = PANEL): Promise<Matrix | undefined> {
  const n = g.rows;
  const a = Float64Array.from(g.data);
  for (let k0 = 0; k0 < n; k0 += panel) {
    const k1 = Math.min(k0 + panel, n);
    // rows k0…k1 of R, out to column n: earlier panels' contributions were subtracted by the GEMMs
    for (let i = k0; i < k1; i++) {
      const ri = i * n;
      for (let k = k0; k < i; k++) {
        const rki = a[k * n + i];
        if (rki === 0) continue;
        const rk = k * n;
        for (let j = i; j < n; j++) a[ri + j] -= rki * a[rk + j];
      }
      const diag = a[ri + i];
      if (!(diag > 0)) return undefined;
      const rii = Math.sqrt(diag);
      a[ri + i] = rii;
      const inv = 1 / rii;
      for (let j = i + 1; j < n; j++) a[ri + j] *= inv;
    }
    const rest = n - k1;
    if (rest === 0) break;
    const r12 = new Float64Array((k1 - k0) * rest);
    for (let i = k0; i < k1; i++) r12.set(a.subarray(i * n + k1, (i + 1) * n), (i - k0) * rest);
    const update = await gemm.crossprod(matrix(k1 - k0, rest, r12), matrix(k1 - k0, rest, r12));
    for (let i = 0; i < rest; i++) {
      const ri = (k1 + i) * n + k1;
      const ui = i * rest;
      // the upper triangle is all later panels read
      for (let j = i; j < rest; j++) a[ri + j] -= update.data[ui + j];
    }
  }
  for (let i = 1; i < n; i++) a.fill(0, i * n, i * n + i);
  return matrix(n, n, a);
}
