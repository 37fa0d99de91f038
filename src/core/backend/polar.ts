/**
 * The polar factor R = U·Vᵀ of a square matrix M without an SVD: scaled Newton
 * steps X ← ½(ζX + ζ⁻¹X⁻ᵀ) (Higham, Functions of Matrices, §8.6) while X is
 * far from orthogonal, then Newton–Schulz steps X ← ½X(3I − XᵀX), which are
 * pure GEMMs. Every O(d³) step runs in ONNX Runtime in float64; ml-matrix's
 * SVD takes 22 s at d = 1024 where this takes about a second
 * (docs: perf-baseline.md §4). Equal to the SVD's U·Vᵀ to ~1e-11.
 */
import { matrix, transpose, type Matrix } from '../matrix';
import type { OrtGemm } from './ort';

/** Above this estimated condition number (‖M‖_F·‖M⁻¹‖_F) the polar factor is not unique enough for Newton: use the SVD. */
const MAX_CONDITION = 1e11;
/** Switch from Newton to Newton–Schulz once a step changes X by less than this (relative, Frobenius). */
const SWITCH_TO_SCHULZ = 0.05;
const MAX_STEPS = 60;

export interface PolarResult {
  R: Matrix;
  newtonSteps: number;
  schulzSteps: number;
}

/** The polar factor, or undefined when M is too close to singular for the iteration (the caller uses an SVD). */
export async function polarNewton(m: Matrix, gemm: OrtGemm): Promise<PolarResult | undefined> {
  const d = m.rows;
  if (m.cols !== d || d === 0) return undefined;
  let x = matrix(d, d, Float64Array.from(m.data));
  let newtonSteps = 0;
  let schulzSteps = 0;
  let newton = true;
  for (let step = 0; step < MAX_STEPS; step++) {
    let next: Matrix;
    if (newton) {
      const xi = await gemm.inverse(x);
      const nx = frobenius(x.data);
      const ni = frobenius(xi.data);
      if (!Number.isFinite(ni) || nx * ni > MAX_CONDITION * Math.sqrt(d)) return undefined;
      const zeta = Math.sqrt(ni / nx);
      const xit = transpose(xi);
      const out = new Float64Array(d * d);
      for (let t = 0; t < out.length; t++) out[t] = 0.5 * (zeta * x.data[t] + xit.data[t] / zeta);
      next = matrix(d, d, out);
      newtonSteps++;
    } else {
      const g = await gemm.crossprod(x, x, 'float64');
      for (let t = 0; t < g.data.length; t++) g.data[t] = -0.5 * g.data[t];
      for (let i = 0; i < d; i++) g.data[i * d + i] += 1.5;
      next = await gemm.matmul(x, g, undefined, 'float64');
      schulzSteps++;
    }
    const change = relativeChange(next.data, x.data);
    x = next;
    if (newton && change < SWITCH_TO_SCHULZ) newton = false;
    else if (!newton && change < 1e-14) break;
  }
  return { R: x, newtonSteps, schulzSteps };
}

function frobenius(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += a[i] * a[i];
  }
  return norm > 0 ? Math.sqrt(diff / norm) : 0;
}
