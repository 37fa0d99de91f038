/**
 * The polar factor R = U·Vᵀ of a square matrix M without an SVD: Newton steps
 * X ← ½(ζX + ζ⁻¹X⁻ᵀ) with Byers–Xu scaling (Higham, Functions of Matrices, §8.6,
 * 8.9) until ‖I − XᵀX‖₂ < 0.8, then Newton–Schulz steps X ← ½X(3I − XᵀX), which are
 * pure GEMMs (a Newton step's inverse, an LU with its substitutions, costs about
 * two Newton–Schulz steps). Every O(d³) step runs in ONNX Runtime in float64;
 * ml-matrix's SVD takes 22 s at d = 1024 where this takes about a second
 * (docs: perf-baseline.md §4). Equal to the SVD's U·Vᵀ to ~1e-11.
 */
import { matrix, type Matrix } from '../matrix';
import { inverse } from './blockedLu';
import type { LuState } from './dense';
import type { OrtGemm } from './ort';

/** Above this estimated condition number (‖M‖_F·‖M⁻¹‖_F) the polar factor is not unique enough for Newton: use the SVD. */
const MAX_CONDITION = 1e11;
/** Switch from Newton to Newton–Schulz once ‖I − XᵀX‖₂ is estimated below this (NS converges below 1). */
const SWITCH_TO_SCHULZ = 0.8;
const MAX_STEPS = 60;
/** ‖I − XᵀX‖_F below which one more Newton–Schulz step leaves an orthogonality error of ~¾·1e-16. */
const LAST_SCHULZ_STEP_BELOW = 1e-8;

export interface PolarResult {
  R: Matrix;
  /**
   * det(R) = sign(det(M)) (M = R·H with H positive definite), from the first Newton step's LU
   * where that LU is ours (d ≥ 512); undefined otherwise.
   */
  determinantSign?: 1 | -1;
  newtonSteps: number;
  schulzSteps: number;
}

/** The polar factor, or undefined when M is too close to singular for the iteration (the caller uses an SVD). */
export async function polarNewton(m: Matrix, gemm: OrtGemm, switchAt = SWITCH_TO_SCHULZ): Promise<PolarResult | undefined> {
  const d = m.rows;
  if (m.cols !== d || d === 0) return undefined;
  let x = matrix(d, d, Float64Array.from(m.data));
  let newtonSteps = 0;
  let schulzSteps = 0;
  let schulz = false;
  let lastChange = Infinity;
  let upper = 1;
  const first: LuState = { sign: 0, logAbs: 0 };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (schulz) {
      const { y, offIdentity, change } = await gemm.schulzStep(x);
      schulzSteps++;
      if (!(change < lastChange || change < 1e-3)) {
        // Newton–Schulz is diverging or stalling (the norm estimate was low): back to Newton from the last good X
        schulz = false;
        lastChange = Infinity;
        continue;
      }
      x = y;
      lastChange = change;
      // ‖I − XᵀX‖_F (before the step) bounds the 2-norm, which a step maps to about ¾ of its
      // square: below LAST_SCHULZ_STEP_BELOW the new X is orthogonal to rounding, so stop
      // instead of taking one more step only to see that it changes nothing
      if (offIdentity < LAST_SCHULZ_STEP_BELOW || change < 1e-14) break;
      continue;
    }
    const xi = await inverse(x, gemm, newtonSteps === 0 ? first : undefined);
    const nx = frobenius(x.data);
    const ni = frobenius(xi.data);
    // ‖M‖_F·‖M⁻¹‖_F bounds the condition number from above
    if (!Number.isFinite(ni) || nx * ni > MAX_CONDITION * Math.sqrt(d)) return undefined;
    // Byers–Xu scaling: ζ₀ = 1/√(σ_max·σ_min) from estimates of ‖X‖₂ and ‖X⁻¹‖₂ maps the
    // singular values to [1/√κ, √κ], a Newton step maps those into [1, u] with
    // u = (√κ + 1/√κ)/2, and from then on ζ = 1/√u is optimal for [1, u], with no norms.
    // κ = 5·10⁴: u = 116, 5.4, 1.38, 1.013 (4 Newton steps), where (1,∞)-norm estimates of
    // ζ (Higham, Functions of Matrices, §8.6) took 5. An estimate too low only costs steps.
    let zeta: number;
    if (newtonSteps === 0) {
      const alpha = await spectralNorm(x, gemm);
      const beta = await spectralNorm(xi, gemm);
      zeta = Math.sqrt(beta / alpha);
      upper = (Math.sqrt(alpha * beta) + 1 / Math.sqrt(alpha * beta)) / 2;
    } else {
      zeta = 1 / Math.sqrt(upper);
      upper = (Math.sqrt(upper) + 1 / Math.sqrt(upper)) / 2;
    }
    x = newtonStep(x, xi, zeta);
    newtonSteps++;
    // Newton–Schulz converges once ‖I − XᵀX‖₂ < 1 and costs two GEMMs a step against an
    // inverse for Newton, so switch early: once the range [1, u] the scaling predicts gives
    // ‖I − XᵀX‖₂ = u² − 1 below the threshold, and an estimate of it confirms
    if (upper * upper - 1 < switchAt) schulz = (await distanceFromIdentity(x, gemm)) < switchAt;
  }
  return { R: x, newtonSteps, schulzSteps, determinantSign: first.sign === 1 || first.sign === -1 ? first.sign : undefined };
}

/**
 * ‖I − XᵀX‖₂, estimated by power iteration (20 steps of Xᵀ·(X·v) − v, without forming XᵀX)
 * with a 25% margin: the Frobenius norm would grow with √d and keep Newton running long after
 * Newton–Schulz would converge. A low estimate is caught by the divergence guard.
 */
async function distanceFromIdentity(x: Matrix, gemm: OrtGemm): Promise<number> {
  let v = startVector(x.rows);
  let lambda = 0;
  for (let it = 0; it < 20; it++) {
    normalise(v.data);
    const w = await gemm.crossprod(x, await gemm.matmul(x, v, undefined, 'float64'), 'float64');
    for (let i = 0; i < w.data.length; i++) w.data[i] -= v.data[i];
    lambda = Math.sqrt(sumOfSquares(w.data));
    v = w;
  }
  return 1.25 * lambda;
}

/**
 * ‖A‖₂ from below, by power iteration on AᵀA (10 steps of A·v and Aᵀ·w). The products run in
 * ORT (~0.5 ms each at d = 1024; in JS they were 2.5 ms, 0.1 s a polar factor).
 */
async function spectralNorm(a: Matrix, gemm: OrtGemm): Promise<number> {
  let v = startVector(a.rows);
  let estimate = 0;
  for (let it = 0; it < 10; it++) {
    normalise(v.data);
    const w = await gemm.matmul(a, v, undefined, 'float64');
    estimate = Math.sqrt(sumOfSquares(w.data));
    v = await gemm.crossprod(a, w, 'float64');
  }
  return estimate;
}

/** A fixed start vector with no special direction (d×1). */
function startVector(d: number): Matrix {
  return matrix(d, 1, Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13));
}

function sumOfSquares(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

function normalise(v: Float64Array | Float32Array): void {
  const norm = Math.sqrt(sumOfSquares(v)) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}

/** ½(ζ·X + X⁻ᵀ/ζ), the transpose read in 32×32 tiles. */
function newtonStep(x: Matrix, xi: Matrix, zeta: number): Matrix {
  const d = x.rows;
  const out = new Float64Array(d * d);
  const a = 0.5 * zeta;
  const b = 0.5 / zeta;
  for (let i0 = 0; i0 < d; i0 += 32) {
    const i1 = Math.min(i0 + 32, d);
    for (let j0 = 0; j0 < d; j0 += 32) {
      const j1 = Math.min(j0 + 32, d);
      for (let i = i0; i < i1; i++) {
        const row = i * d;
        for (let j = j0; j < j1; j++) out[row + j] = a * x.data[row + j] + b * xi.data[j * d + i];
      }
    }
  }
  return matrix(d, d, out);
}

function frobenius(a: ArrayLike<number>): number {
  return Math.sqrt(sumOfSquares(a));
}
