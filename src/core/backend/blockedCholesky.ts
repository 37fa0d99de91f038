/**
 * Cholesky factorisation in panels of rows: each panel (its diagonal block and the rows of R
 * to its right) in JS, the trailing update G₂₂ −= R₁₂ᵀ·R₁₂, most of the n³/3 work, as an ORT
 * GEMM on both cores. dense.ts's cholesky does all of it in JS, row by row; CholeskyQR2 of a
 * row-space basis with n ≈ 1000 columns (fewer anchors than dimensions) runs it four times a fit.
 */
import { matrix, type Matrix } from '../matrix';
import { pivotRows, type PivotedCholesky } from './dense';
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

/**
 * pivotedCholesky (dense.ts) blocked like LAPACK's dpstrf: within a panel of `panel` pivots,
 * each pivot's column of L is formed in JS against the panel's earlier columns only, and once
 * per panel the remaining rows' Schur complement is updated by one ORT GEMM (m×m from m×b)
 * and compacted to those rows. The JS work falls from n·r²/2 to about n·r·b/2 multiply-adds:
 * for the row-space basis of 1 000 anchors it is 0.15–0.3 s per call unblocked.
 */
export async function blockedPivotedCholesky(g: Matrix, relTol: number, gemm: OrtGemm, panel = PANEL): Promise<PivotedCholesky> {
  const n = g.rows;
  // Schur complement of the rows still unchosen, compacted: w is m×m over original rows idx
  let m = n;
  let idx = Int32Array.from({ length: n }, (_, i) => i);
  let w = Float64Array.from(g.data);
  const residual = new Float64Array(n);
  let top = 0;
  for (let i = 0; i < n; i++) {
    residual[i] = w[i * n + i];
    top = Math.max(top, residual[i]);
  }
  // row i of L (by original index), columns in pivot order
  const l = new Float64Array(n * n);
  const pivots: number[] = [];
  const chosen = new Uint8Array(n);
  let done = !(top > 0);
  while (!done && pivots.length < n) {
    const k0 = pivots.length;
    for (let kk = 0; kk < panel && pivots.length < n; kk++) {
      const k = pivots.length;
      let pc = -1;
      for (let a = 0; a < m; a++) if (!chosen[idx[a]] && (pc < 0 || residual[idx[a]] > residual[idx[pc]])) pc = a;
      const p = pc < 0 ? -1 : idx[pc];
      if (p < 0 || !(residual[p] > relTol * top)) {
        done = true;
        break;
      }
      const lkk = Math.sqrt(residual[p]);
      chosen[p] = 1;
      pivots.push(p);
      const pr = p * n;
      l[pr + k] = lkk;
      const wp = pc * m; // row pc of w is its column (symmetric)
      for (let a = 0; a < m; a++) {
        const i = idx[a];
        if (chosen[i]) continue;
        const ir = i * n;
        let s = w[wp + a];
        for (let t = k0; t < k; t++) s -= l[ir + t] * l[pr + t];
        const v = s / lkk;
        l[ir + k] = v;
        residual[i] -= v * v;
      }
    }
    const b = pivots.length - k0;
    const rest = Int32Array.from(Array.prototype.filter.call(idx, (i: number) => !chosen[i]) as number[]);
    if (done || rest.length === 0 || b === 0) break;
    // the trailing update: the panel's columns of L for the rows left, P·Pᵀ subtracted
    const mr = rest.length;
    const p = new Float64Array(mr * b);
    for (let a = 0; a < mr; a++) p.set(l.subarray(rest[a] * n + k0, rest[a] * n + k0 + b), a * b);
    const update = await gemm.matmulNT(matrix(mr, b, p), matrix(mr, b, p), 'float64');
    const position = new Int32Array(n);
    for (let a = 0; a < m; a++) position[idx[a]] = a;
    const next = new Float64Array(mr * mr);
    for (let a = 0; a < mr; a++) {
      const from = position[rest[a]] * m;
      for (let c = 0; c < mr; c++) next[a * mr + c] = w[from + position[rest[c]]] - update.data[a * mr + c];
    }
    w = next;
    idx = rest;
    m = mr;
  }
  return { pivots: Int32Array.from(pivots), L: pivotRows(l, n, pivots) };
}
