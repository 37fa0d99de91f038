/**
 * The polar factor R = U·Vᵀ of a square matrix M without an SVD: Newton steps
 * X ← ½(ζX + ζ⁻¹X⁻ᵀ) with Byers–Xu scaling (Higham, Functions of Matrices, §8.6, 8.9),
 * then scaled Newton–Schulz steps X ← ½Y(3I − YᵀY), Y = αX (Chen & Chow 2014), which are
 * pure GEMMs. Newton's steps shrink the singular values' range fastest (κ = 5·10⁴: to
 * 1.013 in 4), Newton–Schulz steps are cheaper (a Newton step's inverse, an LU with its
 * substitutions, costs about two of them at d ≤ 1536 on 2 cores), so the switch comes when
 * the range the scaling predicts makes the rest cheaper in Newton–Schulz steps. Every O(d³)
 * step runs in ONNX Runtime in float64; ml-matrix's SVD takes 22 s at d = 1024 where this
 * takes under a second (docs: perf-baseline.md §4). Equal to the SVD's U·Vᵀ to ~1e-11.
 */
import { matrix, type Matrix } from '../matrix';
import { mulberry32 } from '../pairs';
import { inverse } from './blockedLu';
import type { LuState } from './dense';
import type { OrtGemm } from './ort';

/** Above this estimated condition number (‖M‖_F·‖M⁻¹‖_F) the polar factor is not unique enough for Newton: use the SVD. */
const MAX_CONDITION = 1e11;
/**
 * Newton–Schulz steps start only once the predicted σ_min/σ_max is at least this: the first
 * scaled step then still maps a σ_max up to 32% above its prediction into (0, 1] (α·σ < √3;
 * beyond √3 a singular value changes sign and the iteration converges to another orthogonal
 * factor, which freeDirections.polarSpectrum detects).
 */
const MIN_SCHULZ_LOWER = 0.5;
const MAX_STEPS = 60;
/** ‖I − XᵀX‖_F below which one more Newton–Schulz step leaves an orthogonality error of ~¾·1e-16. */
const LAST_SCHULZ_STEP_BELOW = 1e-8;

export interface PolarResult {
  /**
   * The polar factor; in the rare case that every power iteration misses a top singular
   * direction (one orthogonal to startVector), possibly another orthogonal factor, which
   * polarSpectrum (freeDirections.ts) rejects.
   */
  R: Matrix;
  /**
   * det(R) = sign(det(M)) (M = R·H with H positive definite), from the first Newton step's LU
   * where that LU is ours (d ≥ 512); undefined otherwise.
   */
  determinantSign?: 1 | -1;
  newtonSteps: number;
  schulzSteps: number;
}

export interface PolarOptions {
  /**
   * A Newton step's time in Newton–Schulz steps; by default newtonStepCost(d). Only where the
   * switch comes depends on it (tests force either end with 0 and 100), never the result's accuracy.
   */
  newtonCost?: number;
}

/**
 * A Newton step (inverse, scaling, the ½(ζX + ζ⁻¹X⁻ᵀ) pass) over a Newton–Schulz step (the
 * fused graph), measured with both at d = 384 … 4096 on 2 cores: 1.9–3.7 up to 1536, 1.35 at
 * 2048, 1.07 at 3072 and 4096, where the LU's GEMMs are as efficient as the step's.
 */
function newtonStepCost(d: number): number {
  return d <= 1536 ? 2 : d <= 2048 ? 1.35 : 1.1;
}

/** The polar factor, or undefined when M is too close to singular for the iteration (the caller uses an SVD). */
export async function polarNewton(m: Matrix, gemm: OrtGemm, options: PolarOptions = {}): Promise<PolarResult | undefined> {
  const d = m.rows;
  if (m.cols !== d || d === 0) return undefined;
  const newtonCost = options.newtonCost ?? newtonStepCost(d);
  let x = matrix(d, d, Float64Array.from(m.data));
  let newtonSteps = 0;
  let schulzSteps = 0;
  let schulz = false;
  let lastChange = Infinity;
  // Newton: the singular values of X lie in [1, upper] (predicted); Newton–Schulz: those of
  // scale·X in [lower, 1], and the next step's input is α(lower)·scale·X
  let upper = 1;
  let lower = 1;
  let scale = 1;
  // whether the next Newton step estimates ζ from ‖X‖₂ and ‖X⁻¹‖₂ (the first, and after a fallback)
  let estimate = true;
  const first: LuState = { sign: 0, logAbs: 0 };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (schulz) {
      const { y, offIdentity, change } = await gemm.schulzStep(scaled(x, scale * schulzScale(lower)));
      schulzSteps++;
      if (!(change < lastChange || change < 1e-3)) {
        // diverging or stalling (the range was predicted wrong): back to Newton from the last good X
        schulz = false;
        lastChange = Infinity;
        estimate = true;
        continue;
      }
      x = y;
      scale = 1;
      lower = nextSchulzLower(lower);
      lastChange = change;
      // ‖I − YᵀY‖_F (Y the step's input) bounds the 2-norm, which a step maps to about ¾ of
      // its square: below LAST_SCHULZ_STEP_BELOW the new X is orthogonal to rounding, so stop
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
    // κ = 5·10⁴: u = 116, 5.4, 1.38, 1.013, where (1,∞)-norm estimates of ζ (Higham,
    // Functions of Matrices, §8.6) took a step more. An estimate too low only costs steps.
    let zeta: number;
    if (estimate) {
      const alpha = await spectralNorm(x, gemm);
      const beta = await spectralNorm(xi, gemm);
      zeta = Math.sqrt(beta / alpha);
      upper = newtonUpper(alpha * beta);
      estimate = false;
    } else {
      zeta = 1 / Math.sqrt(upper);
      upper = newtonUpper(upper);
    }
    x = newtonStep(x, xi, zeta);
    newtonSteps++;
    if (1 / upper >= MIN_SCHULZ_LOWER && schulzStepsFrom(1 / upper, d) <= newtonCost + remainingCost(newtonUpper(upper), d, newtonCost)) {
      // Newton maps every singular value to ≥ 1, so only the top of the range is a
      // prediction: check it against a power-iteration estimate of ‖X‖₂ (from below)
      const top = Math.max(upper, 1.02 * (await spectralNorm(x, gemm)));
      upper = top;
      if (1 / top >= MIN_SCHULZ_LOWER) {
        schulz = true;
        scale = 1 / top;
        lower = 1 / top;
      }
    }
  }
  return { R: x, newtonSteps, schulzSteps, determinantSign: first.sign === 1 || first.sign === -1 ? first.sign : undefined };
}

/** The top u of the range [1, u] a scaled Newton step maps singular values with σ_max/σ_min = s into. */
function newtonUpper(s: number): number {
  return (Math.sqrt(s) + 1 / Math.sqrt(s)) / 2;
}

/**
 * α for a Newton–Schulz step on singular values in [ℓ, 1]: g(y) = y(3 − y²)/2 then maps
 * αℓ and α to the same value and [ℓ, 1] into [g(αℓ), 1] (Chen & Chow 2014: α² = 3/(1 + ℓ + ℓ²)).
 * For small ℓ the bottom grows 2.6× a step instead of 1.5×; at ℓ = 1, α = 1.
 */
function schulzScale(lower: number): number {
  return Math.sqrt(3 / (1 + lower + lower * lower));
}

function nextSchulzLower(lower: number): number {
  const y = schulzScale(lower) * lower;
  return Math.min(1, (y * (3 - y * y)) / 2);
}

/**
 * Scaled Newton–Schulz steps from [ℓ, 1] to the last one (whose input's ‖I − YᵀY‖_F, at most
 * √d·max|1 − α²σ²|, is below LAST_SCHULZ_STEP_BELOW).
 */
function schulzStepsFrom(lower: number, d: number): number {
  let steps = 0;
  while (steps < MAX_STEPS) {
    const a = schulzScale(lower);
    const off = Math.sqrt(d) * Math.max(Math.abs(1 - a * a * lower * lower), a * a - 1);
    steps++;
    if (off < LAST_SCHULZ_STEP_BELOW) break;
    lower = nextSchulzLower(lower);
  }
  return steps;
}

/** Cost, in Newton–Schulz steps, from a predicted Newton range [1, u] to the end, switching at the cheapest point. */
function remainingCost(u: number, d: number, newtonCost: number): number {
  const now = 1 / u >= MIN_SCHULZ_LOWER ? schulzStepsFrom(1 / u, d) : Infinity;
  // Newton converges quadratically: within rounding of 1 nothing is left to compare
  if (u - 1 < 1e-15) return now;
  return Math.min(now, newtonCost + remainingCost(newtonUpper(u), d, newtonCost));
}

/** c·X, or X itself when c = 1 (a plain loop: Float64Array.from with a map function took 0.2 s at 1024²). */
function scaled(x: Matrix, c: number): Matrix {
  if (c === 1) return x;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = c * x.data[i];
  return matrix(x.rows, x.cols, out);
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

/**
 * The power iterations' start (d×1): pseudo-random signs and sizes from a fixed seed, so that
 * no structured data is orthogonal to it (a periodic pattern could be, and a top singular
 * direction it misses would be missed by every estimate), and results stay reproducible.
 */
export function startVector(d: number): Matrix {
  const random = mulberry32(0x9e3779b9);
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = random() - 0.5;
  return matrix(d, 1, v);
}

function sumOfSquares(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** v / ‖v‖ in place (a zero v stays zero). */
export function normalise(v: Float64Array | Float32Array): void {
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
