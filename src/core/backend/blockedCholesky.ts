/**
 * Cholesky factorisation in panels of rows, as LAPACK's dpotrf: each panel's diagonal block
 * in JS, the rest of its rows R₁₂ = R₁₁⁻ᵀ·G₁₂ and the trailing update G₂₂ −= R₁₂ᵀ·R₁₂ (all
 * but b³/2 of each panel's work) as ORT GEMMs on both cores. dense.ts's cholesky does all of
 * it in JS, row by row; CholeskyQR2 of a row-space basis with n ≈ 1000 columns (fewer
 * anchors than dimensions) runs it twice a fit.
 */
import { matrix, type Matrix } from '../matrix';
import { upperInverse } from './blockedLu';
import { cholesky, leadingColumns, pivotRows, type PivotedCholesky } from './dense';
import type { OrtGemm } from './ort';

/** Rows per panel: the JS work is b³/2 a panel, the GEMMs' inner dimension is b. */
const PANEL = 96;

/** Upper triangular R with G = RᵀR (from G's upper triangle), or undefined when G is not positive definite in float64. */
export async function blockedCholesky(g: Matrix, gemm: OrtGemm, panel = PANEL): Promise<Matrix | undefined> {
  const n = g.rows;
  const a = Float64Array.from(g.data);
  for (let k0 = 0; k0 < n; k0 += panel) {
    const k1 = Math.min(k0 + panel, n);
    const b = k1 - k0;
    // the diagonal block (earlier panels' contributions already subtracted by the GEMMs)
    const g11 = new Float64Array(b * b);
    for (let i = 0; i < b; i++) g11.set(a.subarray((k0 + i) * n + k0 + i, (k0 + i) * n + k1), i * b + i);
    const factor = cholesky(matrix(b, b, g11));
    if (!factor) return undefined;
    const r11 = factor.data as Float64Array;
    for (let i = 0; i < b; i++) a.set(r11.subarray(i * b + i, (i + 1) * b), (k0 + i) * n + k0 + i);
    const rest = n - k1;
    if (rest === 0) break;
    // R₁₂ = R₁₁⁻ᵀ·G₁₂: the small diagonal block inverted explicitly, as in a blocked
    // substitution (blockedLu.ts does the same with its blocks of up to 96 rows)
    const g12 = new Float64Array(b * rest);
    for (let i = 0; i < b; i++) g12.set(a.subarray((k0 + i) * n + k1, (k0 + i + 1) * n), i * rest);
    const r12 = await gemm.crossprod(upperInverse(r11, b, 0, b), matrix(b, rest, g12));
    for (let i = 0; i < b; i++) a.set(r12.data.subarray(i * rest, (i + 1) * rest), (k0 + i) * n + k1);
    const update = await gemm.crossprod(r12, r12);
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
    // the panel's columns of L over the m rows of w, column-major: each pivot's column is
    // w's column less a combination of them, swept down whole columns four at a time
    // (row by row, the inner loop ran over at most `panel` entries)
    const cols = new Float64Array(Math.min(panel, n - k0) * m);
    const s = new Float64Array(m);
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
      l[p * n + k] = lkk;
      s.set(w.subarray(pc * m, pc * m + m)); // row pc of w is its column (symmetric)
      let t = 0;
      for (; t + 3 < kk; t += 4) {
        const c0 = t * m;
        const c1 = c0 + m;
        const c2 = c1 + m;
        const c3 = c2 + m;
        const f0 = cols[c0 + pc];
        const f1 = cols[c1 + pc];
        const f2 = cols[c2 + pc];
        const f3 = cols[c3 + pc];
        for (let a = 0; a < m; a++) s[a] -= cols[c0 + a] * f0 + cols[c1 + a] * f1 + cols[c2 + a] * f2 + cols[c3 + a] * f3;
      }
      for (; t < kk; t++) {
        const c0 = t * m;
        const f0 = cols[c0 + pc];
        for (let a = 0; a < m; a++) s[a] -= cols[c0 + a] * f0;
      }
      const ck = kk * m;
      for (let a = 0; a < m; a++) {
        const i = idx[a];
        if (chosen[i]) continue;
        const v = s[a] / lkk;
        cols[ck + a] = v;
        l[i * n + k] = v;
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
    // where each remaining row sits in w (increasing: rest keeps idx's order)
    const position = new Int32Array(n);
    for (let a = 0; a < m; a++) position[idx[a]] = a;
    const at = rest.map((i) => position[i]);
    const next = new Float64Array(mr * mr);
    const u = update.data;
    for (let a = 0; a < mr; a++) {
      const from = at[a] * m;
      const row = a * mr;
      for (let c = 0; c < mr; c++) next[row + c] = w[from + at[c]] - u[row + c];
    }
    w = next;
    idx = rest;
    m = mr;
  }
  return { pivots: Int32Array.from(pivots), L: pivotRows(l, n, pivots), allRows: () => leadingColumns(l, n, pivots.length) };
}
