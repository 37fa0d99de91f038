/**
 * Pre-processing with latentis semantics (method.md §1.3–1.4): statistics come
 * from the anchors only; std uses ddof = 1 with zero stds replaced by 1; L2
 * rescales on the way back by the mean norm of the (centred/scaled) anchors.
 */
import { LatentError } from './errors';
import { matrix, type Matrix } from './matrix';

export const PREP_NAMES = ['standard', 'center', 'l2', 'center+l2', 'none'] as const;
export type PrepName = (typeof PREP_NAMES)[number];

export function isPrepName(s: string): s is PrepName {
  return (PREP_NAMES as readonly string[]).includes(s);
}

/** Fitted state: everything needed to apply and invert the pre-processing. */
export interface PrepState {
  name: PrepName;
  /** Per-dimension shift (anchor mean), when centring. */
  mean?: number[];
  /** Per-dimension scale (anchor std, ddof 1, zeros → 1), when scaling. */
  scale?: number[];
  /** Mean L2 norm of the anchors after centring/scaling, recorded before unit-normalising. */
  meanNorm?: number;
}

const EPS64 = 2.220446049250313e-16;
/** torch/sklearn `_handle_zeros`: a scale this small means a constant column, which is only centred. */
const ZERO_SCALE = 10 * EPS64;
/** F.normalize's eps: a zero row stays zero instead of becoming NaN. */
const NORM_EPS = 1e-12;

const centres = (p: PrepName) => p === 'standard' || p === 'center' || p === 'center+l2';
const scales = (p: PrepName) => p === 'standard';
const normalises = (p: PrepName) => p === 'l2' || p === 'center+l2';

/** Fits the pre-processing on anchors `a` and returns the state and the transformed anchors (float64). */
export function fitPrep(name: PrepName, a: Matrix): { state: PrepState; transformed: Matrix } {
  const n = a.rows;
  const d = a.cols;
  if ((centres(name) || scales(name)) && n < 2) {
    throw new LatentError('anchors', `'${name}' pre-processing needs at least 2 anchors, got ${n}`);
  }
  const state: PrepState = { name };
  if (centres(name)) {
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += a.data[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    state.mean = Array.from(mean);
    if (scales(name)) {
      const ss = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const v = a.data[i * d + j] - mean[j];
          ss[j] += v * v;
        }
      }
      state.scale = Array.from(ss, (s) => {
        const std = Math.sqrt(s / (n - 1));
        return std < ZERO_SCALE ? 1 : std;
      });
    }
  }
  const shifted = shiftScale(state, a);
  state.meanNorm = meanRowNorm(shifted);
  const transformed = normalises(name) ? normaliseRows(shifted) : shifted;
  return { state, transformed };
}

/** Applies fitted pre-processing to new rows (float64 result). */
export function applyPrep(state: PrepState, x: Matrix): Matrix {
  const shifted = shiftScale(state, x);
  return normalises(state.name) ? normaliseRows(shifted) : shifted;
}

/** Maps rows from the normalised space back to raw coordinates, in place when `y` is float64. */
export function invertPrep(state: PrepState, y: Matrix): Matrix {
  const d = y.cols;
  const out = y.data instanceof Float64Array ? y.data : Float64Array.from(y.data);
  const norm = normalises(state.name) ? (state.meanNorm ?? 1) : 1;
  const scale = state.scale;
  const mean = state.mean;
  for (let i = 0; i < y.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      let v = out[o + j] * norm;
      if (scale) v *= scale[j];
      if (mean) v += mean[j];
      out[o + j] = v;
    }
  }
  return matrix(y.rows, d, out);
}

function shiftScale(state: PrepState, x: Matrix): Matrix {
  const d = x.cols;
  const { mean, scale } = state;
  if (mean && mean.length !== d) {
    throw new LatentError('shape', `pre-processing was fitted on ${mean.length} dimensions, input has ${d}`);
  }
  const out = new Float64Array(x.rows * d);
  for (let i = 0; i < x.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      let v = x.data[o + j];
      if (mean) v -= mean[j];
      if (scale) v /= scale[j];
      out[o + j] = v;
    }
  }
  return matrix(x.rows, d, out);
}

function meanRowNorm(x: Matrix): number {
  if (x.rows === 0) return 1;
  let total = 0;
  for (let i = 0; i < x.rows; i++) total += rowNorm(x, i);
  return total / x.rows;
}

function rowNorm(x: Matrix, i: number): number {
  let s = 0;
  for (let j = 0; j < x.cols; j++) {
    const v = x.data[i * x.cols + j];
    s += v * v;
  }
  return Math.sqrt(s);
}

/** Row-wise unit normalisation, in place (x is always a fresh float64 matrix here). */
function normaliseRows(x: Matrix): Matrix {
  for (let i = 0; i < x.rows; i++) {
    const inv = 1 / Math.max(rowNorm(x, i), NORM_EPS);
    for (let j = 0; j < x.cols; j++) x.data[i * x.cols + j] *= inv;
  }
  return x;
}
