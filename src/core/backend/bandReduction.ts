/**
 * Eigenvalues of a large symmetric matrix by a two-stage reduction to tridiagonal form, as
 * LAPACK (dsytrd_sy2sb + dsytrd_sb2st), PLASMA and ELPA do, so that the O(d³) work runs as
 * GEMMs in ONNX Runtime on every core instead of as memory-bound JS sweeps (dense.ts's
 * one-stage symEigenvalues moves the whole trailing matrix through JS once per column).
 *
 * 1. Dense → symmetric band of half-bandwidth b (reduceToBand). Per panel of b columns, a
 *    Householder QR in JS of the part below the band, in compact WY form Q = I − V·T·Vᵀ, and
 *    the two-sided update of the trailing matrix, A ← Qᵀ·A·Q = A − V·Wᵀ − W·Vᵀ with
 *    X = A·V·T and W = X − ½·V·(Tᵀ·Vᵀ·X). The updates of a group of panels are applied to
 *    the trailing matrix together, in one GEMM.
 *    ORT: about 2.2·d³ flops (d = 1024 … 4096, b = 32): 0.7·d³ for the products X, 1.1·d³
 *    for the group updates, 0.35·d³ for applying a group's pending updates to each panel's
 *    products. Plain GEMMs, not symmetric ones: LAPACK's symm/syr2k need (4/3)·d³ in all.
 *    JS: about (3/2)·d²·b (the panels' QR and Vᵀ·V).
 * 2. Band → tridiagonal in JS by bulge chasing (bandToTridiagonal; Schwarz, Lang,
 *    Murata–Horikoshi): for each column a reflector of length ≤ b zeroes it below the
 *    sub-diagonal, which fills a b×b bulge below the band; a reflector on the next b rows
 *    zeroes the bulge's first column and fills the next block down, and so on to the end.
 *    About 6·d²·b flops, and no back-transformation since only eigenvalues are wanted.
 * 3. Implicit QL on the tridiagonal matrix (dense.ts), O(d²).
 *
 * b trades the JS work (∝ b) against the GEMMs' shapes (an inner or outer dimension of b:
 * MLAS is slow below ~32) and the number of panels; see BANDWIDTH.
 */
import { matrix, type Matrix } from '../matrix';
import { symEigenvalues, tridiagonalEigenvalues } from './dense';
import type { OrtGemm } from './ort';

/**
 * Half-bandwidth of the intermediate band matrix. Measured (2 cores, best of 2–3): at
 * d = 1024, b = 24/32/40/48 took 289/243/261/309 ms; at 2048, 1312/1342/1285/1460 ms; at
 * 4096, b = 32 6.5 s and b = 40 6.8 s (earlier, with 1.5× slower JS kernels, 24 and 32 tied).
 */
export const BANDWIDTH = 32;

/**
 * Updates of the whole trailing matrix per reduction (see reduceToBand): panels are grouped
 * d/(TRAILING_UPDATES·b) at a time, so that the group grows with d.
 */
const TRAILING_UPDATES = 8;

/** Panels per group at dimension n and half-bandwidth b. */
function panelsPerGroup(n: number, b: number): number {
  return Math.max(1, Math.round(n / (TRAILING_UPDATES * b)));
}

/**
 * Eigenvalues (descending) of a symmetric matrix from its lower triangle, like symEigenvalues,
 * by the two-stage reduction. `b` is the half-bandwidth; matrices that already are a band of
 * it (d ≤ b + 1) go to the one-stage reduction.
 */
export async function symEigenvaluesTwoStage(m: Matrix, gemm: OrtGemm, b = BANDWIDTH, group = panelsPerGroup(m.rows, b)): Promise<Float64Array> {
  const n = m.rows;
  if (n <= b + 1) return symEigenvalues(m);
  // the GEMMs read both triangles; the lower one is the contract (as in symEigenvalues)
  const s = lowerSymmetric(m);
  const scale = safeScale(s);
  if (scale !== 1) for (let i = 0; i < s.length; i++) s[i] *= scale;
  // Lower band with room for the bulges of stage 2, which reach 2b − 1 below the diagonal.
  const lw = 2 * b;
  const band = new Float64Array(n * lw + n);
  await reduceToBand(s, n, gemm, b, group, band, lw);
  bandToTridiagonal(band, n, b, lw);
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = band[i * lw + i + lw];
  for (let i = 0; i + 1 < n; i++) off[i] = band[(i + 1) * lw + i + lw];
  const values = tridiagonalEigenvalues(diag, off);
  if (scale !== 1) for (let i = 0; i < n; i++) values[i] /= scale;
  return values;
}

/**
 * A power of two (so scaling is exact) that brings the largest |entry| near 1 when it is so
 * large or small that the reflectors' sums of squares could overflow or underflow; else 1.
 */
function safeScale(s: Float64Array): number {
  let max = 0;
  for (let i = 0; i < s.length; i++) max = Math.max(max, Math.abs(s[i]));
  if (!(max > 0) || !Number.isFinite(max) || (max > 2 ** -400 && max < 2 ** 400)) return 1;
  return 2 ** -Math.round(Math.log2(max));
}

/*
 * Band storage: element (i, j) of the lower triangle, i − lw ≤ j ≤ i, at band[i·lw + j + lw],
 * so that a row's entries are contiguous (every inner loop below runs along a row).
 */

/**
 * Stage 1: writes the band of half-bandwidth b orthogonally similar to the symmetric n×n
 * `a` (row-major, both triangles; overwritten) into `band`.
 *
 * Panels go in groups of `group`: within a group the trailing matrix S stays as it was at
 * the group's start and the panels' two-sided updates accumulate as U·Zᵀ (U = [V₀ W₀ V₁ W₁ …],
 * Z = [W₀ V₀ W₁ V₁ …]), applied to the products each panel needs and, at the group's end, to
 * S in one GEMM (LAPACK's dlatrd does the same within dsytrd). A new S costs a pass through
 * ORT and back, and a fresh array of that size (page faults: about 0.1 s per 134 MB here),
 * so once per group instead of once per panel; the final GEMM also gets an inner dimension
 * of 2·group·b instead of 2·b.
 */
async function reduceToBand(a: Float64Array, n: number, gemm: OrtGemm, b: number, group: number, band: Float64Array, lw: number): Promise<void> {
  let s = a;
  let size = n; // s is the trailing matrix A[k0:, k0:], contiguous
  let k0 = 0;
  const tau = new Float64Array(b);
  const w = new Float64Array(b);
  // Uᵀ and Zᵀ of the pending updates, k×size row-major in a prefix (rows are added, size shrinks per group)
  const ut = new Float64Array(2 * group * b * n);
  const zt = new Float64Array(2 * group * b * n);
  while (size >= b + 2) {
    // panel i needs size − i·b ≥ b + 2 (something below its band)
    const panels = Math.min(group, Math.floor((size - 2) / b));
    ut.fill(0, 0, 2 * panels * b * size);
    zt.fill(0, 0, 2 * panels * b * size);
    // columns o..o+b−1, rows o.. of the updated matrix, for the current panel offset o
    let cols: Float64Array = new Float64Array(size * b);
    for (let i = 0; i < size; i++) cols.set(s.subarray(i * size, i * size + b), i * b);
    for (let p = 0; p < panels; p++) {
      const o = p * b;
      const rows = size - o - b;
      const g = k0 + o; // global index of the panel's first column
      // the diagonal block is final: later reflectors act on rows and columns ≥ g + b
      for (let i = 0; i < b; i++) for (let c = 0; c <= i; c++) band[(g + i) * lw + g + c + lw] = cols[i * b + c];
      const panel = cols.subarray(b * b, (b + rows) * b);
      panelQr(panel, rows, b, tau, w);
      // R lies inside the band (row g+b+i, column g+c with i ≤ c); below it the panel is now zero
      for (let i = 0; i < Math.min(b, rows); i++) {
        for (let c = i; c < b; c++) band[(g + b + i) * lw + g + c + lw] = panel[i * b + c];
      }
      const v = reflectorBasis(panel, rows, b, tau);
      const t = triangularFactor(gram(v.data as Float64Array, rows, b), tau, b);
      const k = 2 * p * b;
      const pending = k > 0 ? { ut: matrix(k, size, ut.subarray(0, k * size)), zt: matrix(k, size, zt.subarray(0, k * size)) } : undefined;
      const r = matrix(rows, size, s.subarray((o + b) * size, size * size));
      const { w: wm, next } = await gemm.bandPanel(r, v, t, pending);
      // U gains [V W] and Z gains [W V], on rows o+b.. (Uᵀ, Zᵀ: b new rows each, columns o+b..)
      appendTransposed(ut, k, size, o + b, v.data as Float64Array, wm.data as Float64Array, rows, b);
      appendTransposed(zt, k, size, o + b, wm.data as Float64Array, v.data as Float64Array, rows, b);
      cols = next.data as Float64Array;
    }
    const done = panels * b;
    const k = 2 * done;
    // S[done:, done:] moved to the front of s (in place: each row moves forward), so that ORT
    // gets it as a plain matrix
    const rest = size - done;
    for (let i = 0; i < rest; i++) s.copyWithin(i * rest, (done + i) * size + done, (done + i) * size + size);
    const trailing = matrix(rest, rest, s.subarray(0, rest * rest));
    s = (await gemm.bandTrailing(trailing, matrix(k, size, ut.subarray(0, k * size)), matrix(k, size, zt.subarray(0, k * size)))).data as Float64Array;
    size = rest;
    k0 += done;
  }
  for (let i = 0; i < size; i++) for (let c = 0; c <= i; c++) band[(k0 + i) * lw + k0 + c + lw] = s[i * size + c];
}

/** Rows k..k+b−1 of the row-major `t` (row length `size`) ← xᵀ, rows k+b..k+2b−1 ← yᵀ, from column `from` on (x, y: rows×b). */
function appendTransposed(t: Float64Array, k: number, size: number, from: number, x: Float64Array, y: Float64Array, rows: number, b: number): void {
  for (let c = 0; c < b; c++) {
    const tx = (k + c) * size + from;
    const ty = (k + b + c) * size + from;
    for (let i = 0; i < rows; i++) {
      t[tx + i] = x[i * b + c];
      t[ty + i] = y[i * b + c];
    }
  }
}

/** A full copy of a square matrix with its strict upper triangle replaced by the lower one (in tiles, for the cache). */
function lowerSymmetric(m: Matrix): Float64Array {
  const n = m.rows;
  const s = Float64Array.from(m.data);
  const tile = 32;
  for (let i0 = 0; i0 < n; i0 += tile) {
    for (let j0 = 0; j0 <= i0; j0 += tile) {
      const i1 = Math.min(i0 + tile, n);
      const j1 = Math.min(j0 + tile, n);
      for (let i = i0; i < i1; i++) for (let j = j0; j < Math.min(j1, i); j++) s[j * n + i] = s[i * n + j];
    }
  }
  return s;
}

/**
 * Householder QR of a row-major rows×b panel in place, LAPACK's dgeqr2 layout: R on and above
 * the diagonal, each reflector's tail (its head is 1) below it, τ in `tau` (0 where nothing
 * needed zeroing, the reflector then being the identity).
 */
function panelQr(p: Float64Array, rows: number, b: number, tau: Float64Array, w: Float64Array): void {
  tau.fill(0);
  for (let c = 0; c < Math.min(b, rows - 1); c++) {
    let sigma = 0;
    for (let i = c + 1; i < rows; i++) sigma += p[i * b + c] * p[i * b + c];
    if (sigma === 0) continue;
    const alpha = p[c * b + c];
    const beta = alpha > 0 ? -Math.sqrt(alpha * alpha + sigma) : Math.sqrt(alpha * alpha + sigma);
    const t = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = c + 1; i < rows; i++) p[i * b + c] *= scale;
    p[c * b + c] = beta;
    tau[c] = t;
    // columns c+1.. ← (I − τ·v·vᵀ)·columns, by rows (four at a time): w = τ·vᵀ·P, then P −= v·wᵀ
    for (let j = c + 1; j < b; j++) w[j] = p[c * b + j];
    let i = c + 1;
    for (; i + 3 < rows; i += 4) {
      const r0 = i * b;
      const r1 = r0 + b;
      const r2 = r1 + b;
      const r3 = r2 + b;
      const v0 = p[r0 + c];
      const v1 = p[r1 + c];
      const v2 = p[r2 + c];
      const v3 = p[r3 + c];
      for (let j = c + 1; j < b; j++) w[j] += v0 * p[r0 + j] + v1 * p[r1 + j] + v2 * p[r2 + j] + v3 * p[r3 + j];
    }
    for (; i < rows; i++) {
      const r0 = i * b;
      const v0 = p[r0 + c];
      for (let j = c + 1; j < b; j++) w[j] += v0 * p[r0 + j];
    }
    for (let j = c + 1; j < b; j++) {
      w[j] *= t;
      p[c * b + j] -= w[j];
    }
    for (i = c + 1; i + 3 < rows; i += 4) {
      const r0 = i * b;
      const r1 = r0 + b;
      const r2 = r1 + b;
      const r3 = r2 + b;
      const v0 = p[r0 + c];
      const v1 = p[r1 + c];
      const v2 = p[r2 + c];
      const v3 = p[r3 + c];
      for (let j = c + 1; j < b; j++) {
        const wj = w[j];
        p[r0 + j] -= v0 * wj;
        p[r1 + j] -= v1 * wj;
        p[r2 + j] -= v2 * wj;
        p[r3 + j] -= v3 * wj;
      }
    }
    for (; i < rows; i++) {
      const r0 = i * b;
      const v0 = p[r0 + c];
      for (let j = c + 1; j < b; j++) p[r0 + j] -= v0 * w[j];
    }
  }
}

/** V (rows×b): the reflectors of panelQr as unit lower-trapezoidal columns, zero where τ = 0. */
function reflectorBasis(p: Float64Array, rows: number, b: number, tau: Float64Array): Matrix {
  const v = new Float64Array(rows * b);
  for (let c = 0; c < b; c++) {
    if (tau[c] === 0) continue;
    v[c * b + c] = 1;
    for (let i = c + 1; i < rows; i++) v[i * b + c] = p[i * b + c];
  }
  return matrix(rows, b, v);
}

/**
 * Vᵀ·V (b×b) for V from reflectorBasis (unit lower trapezoidal, rows×b); in JS because one
 * more ORT session in the loop costs more than its rows·b²/2 multiply-adds.
 */
function gram(v: Float64Array, rows: number, b: number): Float64Array {
  const g = new Float64Array(b * b);
  // column against four columns at a time, sums in registers; V[i][c] = 0 above row c
  for (let c = 0; c < b; c++) {
    let d = c;
    for (; d + 3 < b; d += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = c; i < rows; i++) {
        const row = i * b;
        const vc = v[row + c];
        s0 += vc * v[row + d];
        s1 += vc * v[row + d + 1];
        s2 += vc * v[row + d + 2];
        s3 += vc * v[row + d + 3];
      }
      g[c * b + d] = g[d * b + c] = s0;
      g[c * b + d + 1] = g[(d + 1) * b + c] = s1;
      g[c * b + d + 2] = g[(d + 2) * b + c] = s2;
      g[c * b + d + 3] = g[(d + 3) * b + c] = s3;
    }
    for (; d < b; d++) {
      let s0 = 0;
      for (let i = c; i < rows; i++) s0 += v[i * b + c] * v[i * b + d];
      g[c * b + d] = g[d * b + c] = s0;
    }
  }
  return g;
}

/**
 * The upper triangular T of H₀·H₁·…·H_{b−1} = I − V·T·Vᵀ (LAPACK's dlarft, forward,
 * columnwise) from G = Vᵀ·V: T[c][c] = τ_c, T[0:c, c] = −τ_c·T[0:c, 0:c]·G[0:c, c].
 */
function triangularFactor(g: ArrayLike<number>, tau: Float64Array, b: number): Matrix {
  const t = new Float64Array(b * b);
  for (let c = 0; c < b; c++) {
    t[c * b + c] = tau[c];
    if (tau[c] === 0) continue;
    for (let i = 0; i < c; i++) {
      let z = 0;
      for (let k = i; k < c; k++) z += t[i * b + k] * g[k * b + c];
      t[i * b + c] = -tau[c] * z;
    }
  }
  return matrix(b, b, t);
}

/**
 * Stage 2: reduces the symmetric band (half-bandwidth b, lower storage of width lw ≥ 2b − 1)
 * to tridiagonal form in place by bulge chasing with Householder reflectors.
 *
 * Sweep j: reflector H₀ on rows/columns P = [j+1, j+b] zeroes column j below j+1 and is
 * applied two-sided to A[P, P]. Then for each next block Q = [p1+1, p1+b] down the band:
 * (a) the previous reflector from the right to A[Q, P] (the rows below P that reach into P:
 *     it fills this b×b block, the bulge); (b) a reflector on Q from column P's first column
 *     of it, A[Q, p0]; (c) that reflector from the left to the rest of the bulge,
 *     A[Q, p0+1..p1]; (d) two-sided to A[Q, Q]. Every entry a reflector can reach is in one of
 *     these blocks: columns left of P are finished (tridiagonal) or zero in rows Q, rows below
 *     Q do not reach into P, and the bulge columns left over after (c) (up to 2b − 1 below the
 *     diagonal) are the next sweep's to zero, when they are again in its blocks.
 */
function bandToTridiagonal(a: Float64Array, n: number, b: number, lw: number): void {
  let v = new Float64Array(b);
  let vPrev = new Float64Array(b);
  const d = new Float64Array(b);
  const w = new Float64Array(b);
  for (let j = 0; j < n - 2; j++) {
    let p0 = j + 1;
    let p1 = Math.min(j + b, n - 1);
    let tauPrev = columnReflector(a, lw, j, p0, p1, vPrev);
    if (tauPrev !== 0) twoSided(a, lw, p0, p1, vPrev, tauPrev, w);
    for (let q0 = p1 + 1; q0 < n; q0 += b) {
      const q1 = Math.min(q0 + b - 1, n - 1);
      // Column p0 in rows Q holds the new bulge and what the previous sweep left there, so
      // this runs even after an identity reflector.
      const tau = chaseStep(a, lw, q0, q1, p0, p1, vPrev, tauPrev, v, d, w);
      if (tau !== 0) twoSided(a, lw, q0, q1, v, tau, w);
      [v, vPrev] = [vPrev, v];
      tauPrev = tau;
      p0 = q0;
      p1 = q1;
    }
  }
}

/**
 * The reflector I − τ·v·vᵀ (v[0] = 1, dlarfg) that maps column `col`, rows r0..r1, onto its
 * first row; writes the result (β, 0, …) in place and returns τ (0: nothing to zero).
 */
function columnReflector(a: Float64Array, lw: number, col: number, r0: number, r1: number, v: Float64Array): number {
  let sigma = 0;
  for (let i = r0 + 1; i <= r1; i++) {
    const x = a[i * lw + col + lw];
    sigma += x * x;
  }
  if (sigma === 0) return 0;
  const alpha = a[r0 * lw + col + lw];
  const beta = alpha > 0 ? -Math.sqrt(alpha * alpha + sigma) : Math.sqrt(alpha * alpha + sigma);
  const scale = 1 / (alpha - beta);
  v[0] = 1;
  for (let i = r0 + 1; i <= r1; i++) {
    const k = i * lw + col + lw;
    v[i - r0] = a[k] * scale;
    a[k] = 0;
  }
  a[r0 * lw + col + lw] = beta;
  return (beta - alpha) / beta;
}

/**
 * Steps (a)–(c) of the chase on the bulge block B = A[Q, P] (rows q0..q1, columns p0..p1):
 * B ← B·(I − τp·vp·vpᵀ), then the reflector I − τ·v·vᵀ on Q (into v, τ returned) that
 * zeroes B's first column below its first row, and B ← (I − τ·v·vᵀ)·B. Three passes over
 * B instead of four: the row products d = τp·B·vp, then B − d·vpᵀ written back while
 * w = vᵀ·(B − d·vpᵀ) accumulates, then B −= τ·v·wᵀ; two rows at a time so that each load
 * of vp, w serves both.
 */
function chaseStep(
  a: Float64Array,
  lw: number,
  q0: number,
  q1: number,
  p0: number,
  p1: number,
  vp: Float64Array,
  tauP: number,
  v: Float64Array,
  d: Float64Array,
  w: Float64Array,
): number {
  const nq = q1 - q0 + 1;
  const np = p1 - p0 + 1;
  const base = q0 * lw + p0 + lw; // B[i][c] = a[base + i·lw + c]
  if (tauP !== 0) {
    let i = 0;
    for (; i + 3 < nq; i += 4) {
      const r0 = base + i * lw;
      const r1 = r0 + lw;
      const r2 = r1 + lw;
      const r3 = r2 + lw;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < np; c++) {
        const vc = vp[c];
        s0 += a[r0 + c] * vc;
        s1 += a[r1 + c] * vc;
        s2 += a[r2 + c] * vc;
        s3 += a[r3 + c] * vc;
      }
      d[i] = tauP * s0;
      d[i + 1] = tauP * s1;
      d[i + 2] = tauP * s2;
      d[i + 3] = tauP * s3;
    }
    for (; i < nq; i++) {
      const row = base + i * lw;
      let s = 0;
      for (let c = 0; c < np; c++) s += a[row + c] * vp[c];
      d[i] = tauP * s;
    }
  } else d.fill(0, 0, nq);
  // B's first column after the right reflector (vp[0] = 1)
  let sigma = 0;
  for (let i = 1; i < nq; i++) {
    const x = a[base + i * lw] - d[i];
    sigma += x * x;
  }
  if (sigma === 0) {
    // nothing to zero: B ← B·Hp alone
    if (tauP !== 0) {
      for (let i = 0; i < nq; i++) {
        const row = base + i * lw;
        const di = d[i];
        for (let c = 0; c < np; c++) a[row + c] -= di * vp[c];
      }
    }
    return 0;
  }
  const alpha = a[base] - d[0];
  const beta = alpha > 0 ? -Math.sqrt(alpha * alpha + sigma) : Math.sqrt(alpha * alpha + sigma);
  const scale = 1 / (alpha - beta);
  const tau = (beta - alpha) / beta;
  v[0] = 1;
  for (let i = 1; i < nq; i++) v[i] = (a[base + i * lw] - d[i]) * scale;
  a[base] = beta;
  for (let i = 1; i < nq; i++) a[base + i * lw] = 0;
  // columns 1..np−1: B − d·vpᵀ, and w = vᵀ·(B − d·vpᵀ); four rows at a time
  w.fill(0, 0, np);
  let i = 0;
  for (; i + 3 < nq; i += 4) {
    const r0 = base + i * lw;
    const r1 = r0 + lw;
    const r2 = r1 + lw;
    const r3 = r2 + lw;
    const d0 = d[i];
    const d1 = d[i + 1];
    const d2 = d[i + 2];
    const d3 = d[i + 3];
    const v0 = v[i];
    const v1 = v[i + 1];
    const v2 = v[i + 2];
    const v3 = v[i + 3];
    for (let c = 1; c < np; c++) {
      const vc = vp[c];
      const x0 = a[r0 + c] - d0 * vc;
      const x1 = a[r1 + c] - d1 * vc;
      const x2 = a[r2 + c] - d2 * vc;
      const x3 = a[r3 + c] - d3 * vc;
      a[r0 + c] = x0;
      a[r1 + c] = x1;
      a[r2 + c] = x2;
      a[r3 + c] = x3;
      w[c] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3;
    }
  }
  for (; i < nq; i++) {
    const r0 = base + i * lw;
    const d0 = d[i];
    const v0 = v[i];
    for (let c = 1; c < np; c++) {
      const x0 = a[r0 + c] - d0 * vp[c];
      a[r0 + c] = x0;
      w[c] += v0 * x0;
    }
  }
  // B −= τ·v·wᵀ
  for (i = 0; i + 3 < nq; i += 4) {
    const r0 = base + i * lw;
    const r1 = r0 + lw;
    const r2 = r1 + lw;
    const r3 = r2 + lw;
    const t0 = tau * v[i];
    const t1 = tau * v[i + 1];
    const t2 = tau * v[i + 2];
    const t3 = tau * v[i + 3];
    for (let c = 1; c < np; c++) {
      const wc = w[c];
      a[r0 + c] -= t0 * wc;
      a[r1 + c] -= t1 * wc;
      a[r2 + c] -= t2 * wc;
      a[r3 + c] -= t3 * wc;
    }
  }
  for (; i < nq; i++) {
    const r0 = base + i * lw;
    const t0 = tau * v[i];
    for (let c = 1; c < np; c++) a[r0 + c] -= t0 * w[c];
  }
  return tau;
}

/**
 * A[R, R] ← H·A[R, R]·H on the lower triangle, R = r0..r1, H = I − τ·v·vᵀ: with p = A·v and
 * w = τ·p − ½·τ²·(vᵀ·p)·v, H·A·H = A − v·wᵀ − w·vᵀ. Rows four at a time, as in chaseStep,
 * their lower-triangular corner apart.
 */
function twoSided(a: Float64Array, lw: number, r0: number, r1: number, v: Float64Array, tau: number, p: Float64Array): void {
  const len = r1 - r0 + 1;
  const base = r0 * lw + r0 + lw; // A[r0+i][r0+c] = a[base + i·lw + c]
  p.fill(0, 0, len);
  // p = A·v from the lower triangle: A[r][c] (c < r) adds to p[r] and p[c]
  for (let i = 0; i < len; i += 4) {
    const rows = Math.min(4, len - i);
    if (rows === 4) {
      const row0 = base + i * lw;
      const row1 = row0 + lw;
      const row2 = row1 + lw;
      const row3 = row2 + lw;
      const v0 = v[i];
      const v1 = v[i + 1];
      const v2 = v[i + 2];
      const v3 = v[i + 3];
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < i; c++) {
        const x0 = a[row0 + c];
        const x1 = a[row1 + c];
        const x2 = a[row2 + c];
        const x3 = a[row3 + c];
        const vc = v[c];
        s0 += x0 * vc;
        s1 += x1 * vc;
        s2 += x2 * vc;
        s3 += x3 * vc;
        p[c] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3;
      }
      p[i] += s0;
      p[i + 1] += s1;
      p[i + 2] += s2;
      p[i + 3] += s3;
    } else {
      for (let k = i; k < i + rows; k++) {
        const row = base + k * lw;
        const vk = v[k];
        let sk = 0;
        for (let c = 0; c < i; c++) {
          const x = a[row + c];
          sk += x * v[c];
          p[c] += x * vk;
        }
        p[k] += sk;
      }
    }
    // the corner: rows and columns i..i+rows−1
    for (let k = i; k < i + rows; k++) {
      const row = base + k * lw;
      for (let c = i; c < k; c++) {
        const x = a[row + c];
        p[k] += x * v[c];
        p[c] += x * v[k];
      }
      p[k] += a[row + k] * v[k];
    }
  }
  let vp = 0;
  for (let k = 0; k < len; k++) vp += v[k] * p[k];
  const k2 = 0.5 * tau * tau * vp;
  for (let k = 0; k < len; k++) p[k] = tau * p[k] - k2 * v[k];
  // A −= v·wᵀ + w·vᵀ (w in p)
  for (let i = 0; i < len; i += 4) {
    const rows = Math.min(4, len - i);
    if (rows === 4) {
      const row0 = base + i * lw;
      const row1 = row0 + lw;
      const row2 = row1 + lw;
      const row3 = row2 + lw;
      const v0 = v[i];
      const v1 = v[i + 1];
      const v2 = v[i + 2];
      const v3 = v[i + 3];
      const w0 = p[i];
      const w1 = p[i + 1];
      const w2 = p[i + 2];
      const w3 = p[i + 3];
      for (let c = 0; c < i; c++) {
        const vc = v[c];
        const wc = p[c];
        a[row0 + c] -= v0 * wc + w0 * vc;
        a[row1 + c] -= v1 * wc + w1 * vc;
        a[row2 + c] -= v2 * wc + w2 * vc;
        a[row3 + c] -= v3 * wc + w3 * vc;
      }
    } else {
      for (let k = i; k < i + rows; k++) {
        const row = base + k * lw;
        const vk = v[k];
        const wk = p[k];
        for (let c = 0; c < i; c++) a[row + c] -= vk * p[c] + wk * v[c];
      }
    }
    for (let k = i; k < i + rows; k++) {
      const row = base + k * lw;
      const vk = v[k];
      const wk = p[k];
      for (let c = i; c <= k; c++) a[row + c] -= vk * p[c] + wk * v[c];
    }
  }
}
