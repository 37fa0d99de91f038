/** What "Inspect Embedding File" shows: shape, dtype, norms, non-finite count, variance spectrum. */
import { readEmbeddings } from './io';
import type { ReadOptions } from './io/types';
import { quantile } from './metrics';

export interface Inspection {
  path: string;
  format: string;
  dtype: string;
  rows: number;
  dims: number;
  arrayName?: string;
  hasIds: boolean;
  hasLabels: boolean;
  nonFinite: number;
  norms: { mean: number; min: number; max: number; median: number; zero: number };
  /** Per-dimension variance, descending, at most 256 values. */
  varianceSpectrum: number[];
  /** Share of the total per-dimension variance held by the top 1, 10 and 50 dimensions. */
  explained: { top1: number; top10: number; top50: number };
  /** Mean and std (ddof 1) of the first 8 dimensions. */
  columns: { mean: number; std: number }[];
}

export async function inspectFile(path: string, options: Pick<ReadOptions, 'array' | 'signal' | 'maxRows'> = {}): Promise<Inspection> {
  const t = await readEmbeddings(path, { ...options, allowNonFinite: true });
  const { rows, cols, data } = t.matrix;
  const norms = new Float64Array(rows);
  const mean = new Float64Array(cols);
  const m2 = new Float64Array(cols);
  const count = new Float64Array(cols);
  let nonFinite = 0;
  let zero = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      s += v * v;
      // Welford: stable per-column mean and variance in one pass
      count[j]++;
      const delta = v - mean[j];
      mean[j] += delta / count[j];
      m2[j] += delta * (v - mean[j]);
    }
    norms[i] = Math.sqrt(s);
    if (s === 0) zero++;
  }
  const variance = Array.from(m2, (v, j) => (count[j] > 1 ? v / (count[j] - 1) : 0));
  const sorted = [...variance].sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0) || 1;
  const top = (k: number) => sorted.slice(0, k).reduce((a, b) => a + b, 0) / total;
  let nmin = Infinity;
  let nmax = -Infinity;
  let nsum = 0;
  for (const v of norms) {
    nmin = Math.min(nmin, v);
    nmax = Math.max(nmax, v);
    nsum += v;
  }
  return {
    path: t.path,
    format: t.format,
    dtype: t.dtype,
    rows,
    dims: cols,
    arrayName: t.arrayName,
    hasIds: !!t.ids,
    hasLabels: !!t.labels,
    nonFinite: t.nonFinite ?? nonFinite,
    norms: { mean: rows ? nsum / rows : 0, min: rows ? nmin : 0, max: rows ? nmax : 0, median: quantile(norms, 0.5), zero },
    varianceSpectrum: sorted.slice(0, 256),
    explained: { top1: top(1), top10: top(10), top50: top(50) },
    columns: Array.from({ length: Math.min(8, cols) }, (_, j) => ({ mean: mean[j], std: Math.sqrt(variance[j]) })),
  };
}
