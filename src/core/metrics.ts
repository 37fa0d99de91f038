/**
 * Alignment metrics between translated rows H and their true targets Y (both
 * n×d, raw target space). Every similarity product is blocked: no n×n matrix
 * is ever held in memory.
 *
 * Definitions (method.md §2, MUSE for CSLS, relreps for Jaccard):
 * - cosine_i = h_i·y_i / max(‖h_i‖‖y_i‖, 1e-8)            (torch cosine_similarity)
 * - mse = mean over all n·d entries of (h − y)²; relativeError = ‖H − Y‖_F / ‖Y‖_F
 * - rank_i = 1 + #{j : cos(h_i, y_j) > cos(h_i, y_i)} (ties do not count against the pair,
 *   method.md §1.9.7); topK = mean[rank ≤ K]; mrr = mean 1/rank (blocked, in retrieval.ts)
 * - CSLS(h_i, y_j) = 2cos(h_i, y_j) − r_Y(h_i) − r_H(y_j), r = mean cos to the 10 nearest
 * - jaccard@10 = mean_i |kNN_Y(h_i) ∩ kNN_Y(y_i)| / |∪|, neighbours among the targets Y
 * - linear CKA = ‖XcᵀYc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F)
 */
import type { Linalg } from './backend';
import { LatentError } from './errors';
import { matrix, type Matrix } from './matrix';
import { retrievalScreened } from './retrieval';

const COS_EPS = 1e-8;

export interface Summary {
  mean: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export interface RetrievalScores {
  top1: number;
  top5: number;
  top10: number;
  mrr: number;
  meanRank: number;
}

export interface PairMetrics extends RetrievalScores {
  count: number;
  /** Mean cosine between translated and true target rows. */
  cosine: number;
  cosineMedian: number;
  mse: number;
  relativeError: number;
  residualNorm: Summary;
  csls: RetrievalScores;
  jaccard10: number;
  /** Linear CKA between the compared rows (translated vs. target). */
  cka: number;
  /** Histogram of per-pair cosine over [-1, 1] in 40 bins. */
  cosineHistogram: number[];
}

export interface PerPair {
  cosine: Float64Array;
  residualNorm: Float64Array;
  rank: Int32Array;
  cslsRank: Int32Array;
}

export interface MetricsOptions {
  signal?: AbortSignal;
  /** Skip the O(n²·d) retrieval, CSLS and Jaccard passes (e.g. for huge sets); they are reported as NaN. */
  skipRetrieval?: boolean;
  onProgress?: (fraction: number) => void;
}

export async function pairMetrics(h: Matrix, y: Matrix, la: Linalg, options: MetricsOptions = {}): Promise<{ metrics: PairMetrics; perPair: PerPair }> {
  if (h.rows !== y.rows || h.cols !== y.cols) {
    throw new LatentError('shape', `cannot compare ${h.rows}×${h.cols} translated rows with ${y.rows}×${y.cols} targets`);
  }
  const n = h.rows;
  if (n === 0) throw new LatentError('anchors', 'no pairs to evaluate');
  const d = h.cols;
  const cosine = new Float64Array(n);
  const residualNorm = new Float64Array(n);
  let sq = 0;
  let ySq = 0;
  for (let i = 0; i < n; i++) {
    let dot = 0;
    let hh = 0;
    let yy = 0;
    let rr = 0;
    for (let j = 0; j < d; j++) {
      const a = h.data[i * d + j];
      const b = y.data[i * d + j];
      dot += a * b;
      hh += a * a;
      yy += b * b;
      rr += (a - b) * (a - b);
    }
    cosine[i] = dot / Math.max(Math.sqrt(hh) * Math.sqrt(yy), COS_EPS);
    residualNorm[i] = Math.sqrt(rr);
    sq += rr;
    ySq += yy;
  }
  const retrieval = options.skipRetrieval
    ? undefined
    : await retrievalScreened(h, y, la, options);
  const nanScores: RetrievalScores = { top1: NaN, top5: NaN, top10: NaN, mrr: NaN, meanRank: NaN };
  const rank = retrieval?.rank ?? new Int32Array(n);
  const cslsRank = retrieval?.cslsRank ?? new Int32Array(n);
  const metrics: PairMetrics = {
    count: n,
    cosine: mean(cosine),
    cosineMedian: quantile(cosine, 0.5),
    mse: sq / (n * d),
    relativeError: ySq > 0 ? Math.sqrt(sq / ySq) : NaN,
    residualNorm: summarise(residualNorm),
    ...(retrieval ? rankScores(retrieval.rank) : nanScores),
    csls: retrieval ? rankScores(retrieval.cslsRank) : nanScores,
    jaccard10: retrieval?.jaccard ?? NaN,
    cka: await linearCka(h, y, la),
    cosineHistogram: histogram(cosine, -1, 1, 40),
  };
  return { metrics, perPair: { cosine, residualNorm, rank, cslsRank } };
}

export function rankScores(rank: Int32Array): RetrievalScores {
  const n = rank.length;
  let t1 = 0;
  let t5 = 0;
  let t10 = 0;
  let rr = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = rank[i];
    if (r <= 1) t1++;
    if (r <= 5) t5++;
    if (r <= 10) t10++;
    rr += 1 / r;
    sum += r;
  }
  return { top1: t1 / n, top5: t5 / n, top10: t10 / n, mrr: rr / n, meanRank: sum / n };
}

/** ‖YcᵀYc‖_F of each target matrix: the same targets are scored against several translations and the baseline. */
const selfSimilarityNorm = new WeakMap<ArrayLike<number>, number>();

/** Linear CKA (Kornblith et al. 2019) with column centring, via d×d cross-products. */
export async function linearCka(x: Matrix, y: Matrix, la: Linalg): Promise<number> {
  const xc = centreColumns(x);
  const yc = centreColumns(y);
  const xy = frob2((await la.crossprod(xc, yc)).data);
  const xx = Math.sqrt(frob2((await la.crossprod(xc, xc)).data));
  let yy = selfSimilarityNorm.get(y.data);
  if (yy === undefined) {
    yy = Math.sqrt(frob2((await la.crossprod(yc, yc)).data));
    selfSimilarityNorm.set(y.data, yy);
  }
  return xx > 0 && yy > 0 ? xy / (xx * yy) : NaN;
}

function centreColumns(m: Matrix): Matrix {
  const d = m.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) mean[j] += m.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= m.rows;
  const out = new Float64Array(m.rows * d);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = m.data[i * d + j] - mean[j];
  return matrix(m.rows, d, out);
}

function frob2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length ? s / a.length : NaN;
}

/** Linear-interpolated quantile (numpy's default). */
export function quantile(a: ArrayLike<number>, q: number): number {
  if (a.length === 0) return NaN;
  const s = Float64Array.from(a).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function summarise(a: ArrayLike<number>): Summary {
  const s = Float64Array.from(a).sort();
  const q = (p: number) => quantile(s, p);
  return { mean: mean(s), median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0], max: s[s.length - 1] };
}

export function histogram(a: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (let i = 0; i < a.length; i++) {
    const b = Math.floor(((a[i] - lo) / (hi - lo)) * bins);
    out[Math.min(bins - 1, Math.max(0, b))]++;
  }
  return out;
}
