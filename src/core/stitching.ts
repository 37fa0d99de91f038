/**
 * Zero-shot stitching (the paper's headline experiment): feed the target
 * space's own decoder with (a) native target embeddings, (b) translated
 * source embeddings, (c) untranslated source embeddings when dims match,
 * and score each against the labels, plus the agreement between (b) and (a).
 * Reconstruction decoders are scored by the MSE of the stitched output
 * against the native output.
 */
import { LatentError } from './errors';
import type { Matrix } from './matrix';

export interface ClassificationScores {
  count: number;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  /** Recall of each class 0…C−1 (NaN for a class absent from the labels). */
  perClassRecall: number[];
  /** confusion[true][predicted] */
  confusion: number[][];
}

export interface ClassificationStitching {
  kind: 'classification';
  decoder: string;
  classes: number;
  native: ClassificationScores;
  stitched: ClassificationScores;
  /** Untranslated source through the target decoder (null when dims differ). */
  absolute: ClassificationScores | null;
  /** Fraction of pairs where stitched and native predictions agree. */
  agreement: number;
}

export interface ReconstructionStitching {
  kind: 'reconstruction';
  decoder: string;
  count: number;
  outputDim: number;
  /** Mean over items of the per-item MSE between stitched and native decoder outputs. */
  stitchedVsNative: number;
  /** The same for the untranslated source (when dims match): the no-translation baseline. */
  absoluteVsNative: number | null;
  /** Per-item MSE (stitched vs native), for the panel's distribution. */
  perItem: number[];
  /** A few decoded held-out items (the first ones), native and stitched, e.g. images to show side by side. */
  samples: { index: number[]; native: number[][]; stitched: number[][] };
}

export type StitchingResult = ClassificationStitching | ReconstructionStitching;

/** Row-wise argmax of logits (or probabilities). */
export function argmax(logits: Matrix): Int32Array {
  const out = new Int32Array(logits.rows);
  for (let i = 0; i < logits.rows; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < logits.cols; j++) {
      const v = logits.data[i * logits.cols + j];
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

export function classificationScores(pred: Int32Array, labels: Int32Array, classes: number): ClassificationScores {
  if (pred.length !== labels.length) throw new LatentError('shape', `${pred.length} predictions for ${labels.length} labels`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < pred.length; i++) {
    confusion[labels[i]][pred[i]]++;
    if (pred[i] === labels[i]) correct++;
  }
  const perClassRecall: number[] = [];
  let f1Sum = 0;
  let f1Classes = 0;
  let weighted = 0;
  for (let c = 0; c < classes; c++) {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < classes; r++) predicted += confusion[r][c];
    const tp = confusion[c][c];
    const recall = support > 0 ? tp / support : NaN;
    const precision = predicted > 0 ? tp / predicted : 0;
    perClassRecall.push(recall);
    // sklearn's macro F1 averages over the classes present in labels or predictions
    if (support === 0 && predicted === 0) continue;
    const r = support > 0 ? recall : 0;
    const f1 = precision + r > 0 ? (2 * precision * r) / (precision + r) : 0;
    f1Sum += f1;
    f1Classes++;
    weighted += f1 * support;
  }
  return {
    count: pred.length,
    accuracy: pred.length ? correct / pred.length : NaN,
    macroF1: f1Classes ? f1Sum / f1Classes : NaN,
    weightedF1: pred.length ? weighted / pred.length : NaN,
    perClassRecall,
    confusion,
  };
}

export function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : NaN;
}

/** Mean over rows of the per-row mean squared difference; also returns the per-row values. */
export function rowMse(a: Matrix, b: Matrix): { mean: number; perRow: Float64Array } {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new LatentError('shape', `cannot compare ${a.rows}×${a.cols} with ${b.rows}×${b.cols}`);
  const perRow = new Float64Array(a.rows);
  let total = 0;
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) {
      const d = a.data[i * a.cols + j] - b.data[i * a.cols + j];
      s += d * d;
    }
    perRow[i] = s / a.cols;
    total += perRow[i];
  }
  return { mean: a.rows ? total / a.rows : NaN, perRow };
}

/** Decoded held-out items kept for the panel (the first ones, in held-out order). */
export const DECODED_SAMPLES = 8;

/** The first `k` rows of two decoder outputs, rounded for display. */
export function decodedSamples(native: Matrix, stitched: Matrix, k = DECODED_SAMPLES): ReconstructionStitching['samples'] {
  const n = Math.min(k, native.rows);
  const rows = (m: Matrix) => Array.from({ length: n }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), (v) => Math.round(v * 1000) / 1000));
  return { index: Array.from({ length: n }, (_, i) => i), native: rows(native), stitched: rows(stitched) };
}

/** Labels as class indices 0…C−1 (integers, as .npy or one per line). */
export function labelIndices(values: string[], classes: number, file: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new LatentError('value', `label ${i + 1} is "${values[i]}": labels must be class indices 0…${classes - 1}, in the order of the decoder's outputs`, file);
    }
    out[i] = v;
  }
  return out;
}
