/**
 * Retrieval ranks, CSLS ranks and Jaccard@10 over n translated rows H and n
 * targets Y, in row blocks (never an n×n matrix in memory).
 *
 * `retrievalScreened` is the production path: each similarity block is a
 * float32 GEMM (about twice the float64 throughput), and every decision the
 * float32 value cannot settle, an entry within the rounding bound of the value
 * it is compared with, is recomputed in float64. The results are the float64
 * results, not approximations of them; `retrievalExact` (plain float64 blocks)
 * is kept as the oracle the tests compare it with.
 *
 * Rounding bound: rows are unit vectors rounded to float32 (error ≤ u·|x| per
 * entry, u = 2⁻²⁴), and a float32 dot product of length d has error
 * ≤ γ_d·Σ|a_k b_k| ≤ γ_d for unit rows, whatever the summation order (Higham,
 * Accuracy and Stability, §3.1). So |s̃ − s| ≤ d·u/(1 − d·u)·(1+u)² + 2u + u².
 */
import type { Linalg } from './backend';
import { LatentError } from './errors';
import { matrix, sliceRows, type Matrix } from './matrix';

const COS_EPS = 1e-8;
export const CSLS_K = 10;
export const JACCARD_K = 10;
/** Values per similarity block: 8 M (64 MB in float64, 32 MB in float32). */
const BLOCK_VALUES = 8_000_000;
/** Extra float32 candidates kept per top-k list, so that the exact top k is almost always among them. */
const SPARE = 10;
/** Columns a CSLS rank may score one by one (a dot product each) before its row is scored again in a GEMM. */
const CSLS_SCORED_ONE_BY_ONE = 64;
const U32 = 2 ** -24;

export interface Retrieval {
  rank: Int32Array;
  cslsRank: Int32Array;
  jaccard: number;
  /** Screened path only: how many float32 decisions were settled in float64, and top-k lists recomputed whole. */
  rechecked?: number;
  listsRecomputed?: number;
  /** Screened path only: rows whose CSLS rank needed their scores again (the others were settled by their top candidates). */
  cslsRescanned?: number;
}

export interface RetrievalOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Values per similarity block (default BLOCK_VALUES); tests make it small to cross block boundaries. */
  blockValues?: number;
}

/** |float32 score − float64 score| for unit rows of length d, with a margin for the float64 side. */
export function float32DotBound(d: number): number {
  const g = (d * U32) / (1 - d * U32);
  return (g * (1 + U32) ** 2 + 2 * U32 + U32 * U32) * 1.01 + 1e-12;
}

/**
 * |Σ fl32(a_k)·fl32(b_k) − Σ a_k·b_k| for unit rows, with the sum in float64: the inputs'
 * rounding (2u + u²), plus float64 summation error on both sides.
 */
export function roundedInputBound(d: number): number {
  return (2 * U32 + U32 * U32) * 1.01 + 4 * d * 2 ** -53 + 1e-15;
}

/**
 * Float64 sum of products of float32 rows. Four partial sums: one running sum waits on the
 * previous add at every step, four keep the multipliers busy. Any summation order stays
 * inside roundedInputBound.
 */
function dot32(a: Float32Array, ai: number, b: Float32Array, bj: number, d: number): number {
  const oa = ai * d;
  const ob = bj * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < d; t += 4) {
    s0 += a[oa + t] * b[ob + t];
    s1 += a[oa + t + 1] * b[ob + t + 1];
    s2 += a[oa + t + 2] * b[ob + t + 2];
    s3 += a[oa + t + 3] * b[ob + t + 3];
  }
  for (; t < d; t++) s0 += a[oa + t] * b[ob + t];
  return s0 + s1 + (s2 + s3);
}

/** Float64 unit rows and their float32 copies. */
function unitRows(m: Matrix): { f64: Float64Array; f32: Float32Array } {
  const d = m.cols;
  const f64 = new Float64Array(m.rows * d);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += m.data[i * d + j] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), COS_EPS);
    for (let j = 0; j < d; j++) f64[i * d + j] = m.data[i * d + j] * inv;
  }
  // the constructor converts in one native loop; Float32Array.from goes through the iterator
  return { f64, f32: new Float32Array(f64) };
}

/** The float64 dot product every exact decision uses (the same four partial sums as dot32). */
function dot(a: Float64Array, ai: number, b: Float64Array, bj: number, d: number): number {
  const oa = ai * d;
  const ob = bj * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < d; t += 4) {
    s0 += a[oa + t] * b[ob + t];
    s1 += a[oa + t + 1] * b[ob + t + 1];
    s2 += a[oa + t + 2] * b[ob + t + 2];
    s3 += a[oa + t + 3] * b[ob + t + 3];
  }
  for (; t < d; t++) s0 += a[oa + t] * b[ob + t];
  return s0 + s1 + (s2 + s3);
}

/** Each target matrix's own top-k neighbour lists, keyed by its values (matrices are never mutated after loading). */
const targetNeighbourCache = new WeakMap<ArrayLike<number>, number[][]>();

export async function retrievalScreened(h: Matrix, y: Matrix, la: Linalg, options: RetrievalOptions = {}): Promise<Retrieval> {
  const n = h.rows;
  const d = h.cols;
  const H = unitRows(h);
  const Y = unitRows(y);
  const eps = float32DotBound(d);
  const block = Math.max(1, Math.floor((options.blockValues ?? BLOCK_VALUES) / n));
  const k = Math.min(CSLS_K, n);
  const kj = Math.min(JACCARD_K, n);
  const blocks = Math.ceil(n / block);
  let done = 0;
  const progress = () => options.onProgress?.(++done / (3 * blocks));
  let rechecked = 0;
  const exact = (i: number, j: number) => {
    rechecked++;
    return dot(H.f64, i, Y.f64, j, d);
  };
  // A cheaper second stage: the float32 rows with float64 sums are within `delta` of the exact
  // value (rounding of the inputs only), 500× tighter than the GEMM's bound, from half the bytes.
  const delta = roundedInputBound(d);
  const near = (i: number, j: number) => dot32(H.f32, i, Y.f32, j, d);
  const h32 = matrix(n, d, H.f32);
  const y32 = { rows: n, cols: d, data: Y.f32 };

  // Pass 1: plain ranks; float32 candidates for r_H(y_j) (per column) and for h_i's target neighbours (per row).
  const rank = new Int32Array(n);
  const selfExact = new Float64Array(n);
  const selfNearAll = new Float64Array(n);
  const colCand = new Candidates(n, k + SPARE);
  const rowCand = new Candidates(n, kj + SPARE);
  const colMin = colCand.minView();
  for (let start = 0; start < n; start += block) {
    checkAbort(options.signal);
    const s = (await la.similarityBlock(sliceRows(h32, start, start + block), y32, y.data)).data;
    for (let r = 0; r * n < s.length; r++) {
      const i = start + r;
      const o = r * n;
      const self = exact(i, i);
      const selfNear = near(i, i);
      selfExact[i] = self;
      selfNearAll[i] = selfNear;
      const hi = s[o + i] + 2 * eps;
      const lo = s[o + i] - 2 * eps;
      const undecided = (j: number) => {
        const m = near(i, j);
        return m > selfNear + 2 * delta || (m > selfNear - 2 * delta && exact(i, j) > self);
      };
      rank[i] = 1 + scanRankRow(s, o, n, i, lo, hi, undecided, colCand, colMin, rowCand);
    }
    progress();
  }
  // r_H(y_j): mean of the k largest exact cos(h_i, y_j) over i.
  const bounds = { eps, delta };
  const rH = colCand.exactTopMeans(k, bounds, { near: (j, i) => near(i, j), exact: (j, i) => exact(i, j), exactList: (j) => Array.from({ length: n }, (_, i) => exact(i, j)) });
  const hNeighbours = rowCand.exactTopIndices(kj, bounds, { near, exact, exactList: (i) => Array.from({ length: n }, (_, j) => exact(i, j)) });

  // Pass 2: CSLS ranks. r_Y(h_i) is constant along row i and cancels, so only r_H(y_j) enters.
  // Row i's kept candidates (its largest float32 scores) often settle it without a second
  // GEMM: every other j has s_ij ≤ θ = the smallest kept + eps, so only a j with
  // 2θ − r_H(y_j) above i's own CSLS score can beat it. When few columns have so small an
  // r_H, those few are scored one by one; otherwise the row is scored again in a GEMM.
  const cslsRank = new Int32Array(n);
  const byRH = Int32Array.from({ length: n }, (_, j) => j).sort((a, b) => rH[a] - rH[b]);
  const rHSorted = Float64Array.from(byRH, (j) => rH[j]);
  const beatsSelf = (i: number, j: number, c: number, self: number, selfNear: number): boolean => {
    if (c <= self - 4 * eps || j === i) return false;
    if (c > self + 4 * eps) return true;
    const m = 2 * near(i, j) - rH[j];
    return m > selfNear + 4 * delta || (m > selfNear - 4 * delta && 2 * exact(i, j) - rH[j] > self);
  };
  const rescan: number[] = [];
  for (let i = 0; i < n; i++) {
    const self = 2 * selfExact[i] - rH[i];
    const kept = rowCand.kept(i);
    // the columns j outside the kept list that could beat i: r_H(y_j) < 2θ − self
    const open = kept.complete ? 0 : countBelow(rHSorted, 2 * (kept.values[kept.values.length - 1] + eps) - self);
    if (open > CSLS_SCORED_ONE_BY_ONE) {
      rescan.push(i);
      continue;
    }
    const selfNear = 2 * selfNearAll[i] - rH[i];
    let beats = 0;
    for (let t = 0; t < kept.values.length; t++) {
      const j = kept.indices[t];
      if (beatsSelf(i, j, 2 * kept.values[t] - rH[j], self, selfNear)) beats++;
    }
    for (let t = 0; t < open; t++) {
      const j = byRH[t];
      if (!kept.indices.includes(j) && beatsSelf(i, j, 2 * near(i, j) - rH[j], self, selfNear)) beats++;
    }
    cslsRank[i] = 1 + beats;
  }
  const rescanBlock = new Float32Array(Math.min(block, rescan.length) * d);
  for (let start = 0; start < rescan.length; start += block) {
    checkAbort(options.signal);
    const rows = rescan.slice(start, start + block);
    for (let r = 0; r < rows.length; r++) rescanBlock.set(H.f32.subarray(rows[r] * d, (rows[r] + 1) * d), r * d);
    const s = (await la.similarityBlock({ rows: rows.length, cols: d, data: rescanBlock.subarray(0, rows.length * d) }, y32, y.data)).data;
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const o = r * n;
      const self = 2 * selfExact[i] - rH[i];
      const selfNear = 2 * selfNearAll[i] - rH[i];
      cslsRank[i] = 1 + scanCslsRow(s, o, n, rH, self - 4 * eps, self + 4 * eps, (j, c) => beatsSelf(i, j, c, self, selfNear));
    }
    options.onProgress?.((1 + (start + rows.length) / rescan.length) / 3);
  }
  done = 2 * blocks;

  // Pass 3: the targets' own neighbourhoods, for Jaccard (the same targets are scored against
  // their translations and against the untranslated baseline: computed once per target matrix).
  let yNeighbours = targetNeighbourCache.get(y.data);
  let yRecomputed = 0;
  if (!yNeighbours) {
    // Y·Yᵀ is symmetric: each row block is scored against itself and the rows after it only,
    // and every score beyond the block is offered to both rows (half the GEMM and the scan).
    const yCand = new Candidates(n, kj + SPARE);
    const yMin = yCand.minView();
    const exactYY = (i: number, j: number) => dot(Y.f64, i, Y.f64, j, d);
    for (let start = 0; start < n; start += block) {
      checkAbort(options.signal);
      const end = Math.min(start + block, n);
      const width = n - start;
      const s = (await la.matmulNT32(sliceRows(y32, start, end), sliceRows(y32, start, n))).data;
      for (let r = 0; r < end - start; r++) {
        const i = start + r;
        const o = r * width;
        let rowMin = yCand.min(i);
        for (let c = 0; c < width; c++) {
          const v = s[o + c];
          if (v > rowMin) rowMin = yCand.offer(i, v, start + c);
          if (start + c >= end && v > yMin[start + c]) yCand.offer(start + c, v, i);
        }
      }
      progress();
    }
    const nearYY = (i: number, j: number) => dot32(Y.f32, i, Y.f32, j, d);
    yNeighbours = yCand.exactTopIndices(kj, bounds, { near: nearYY, exact: exactYY, exactList: (i) => Array.from({ length: n }, (_, j) => exactYY(i, j)) });
    yRecomputed = yCand.recomputed;
    targetNeighbourCache.set(y.data, yNeighbours);
  }
  options.onProgress?.(1);
  const listsRecomputed = colCand.recomputed + rowCand.recomputed + yRecomputed;
  return { rank, cslsRank, jaccard: jaccardMean(hNeighbours, yNeighbours, n), rechecked, listsRecomputed, cslsRescanned: rescan.length };
}

/**
 * One row of pass 1: how many scores beat the row's own (clear ones counted, undecided ones,
 * in (lo, hi], settled by `undecided`), and the row's scores offered to the column and row
 * candidate lists. A function of its own so the hottest loop is compiled on its own.
 */
function scanRankRow(
  s: Float32Array,
  o: number,
  n: number,
  i: number,
  lo: number,
  hi: number,
  undecided: (j: number) => boolean,
  colCand: Candidates,
  colMin: Float32Array,
  rowCand: Candidates,
): number {
  let beats = 0;
  let rowMin = rowCand.min(i);
  for (let j = 0; j < n; j++) {
    const v = s[o + j];
    // counted without a branch: against unrelated targets about half the scores beat the
    // row's own, and a branch on that mispredicts half the time; only the rare undecided
    // scores, within the bound of the own one, branch
    beats += +(v > hi);
    if ((+(v > lo) & +(v <= hi)) !== 0 && j !== i && undecided(j)) beats++;
    if (v > colMin[j]) colCand.offer(j, v, i);
    if (v > rowMin) rowMin = rowCand.offer(i, v, j);
  }
  return beats;
}

/** One row of pass 2: how many CSLS scores 2·s_ij − r_H(y_j) beat the row's own (as scanRankRow). */
function scanCslsRow(s: Float32Array, o: number, n: number, rH: Float64Array, lo: number, hi: number, undecided: (j: number, c: number) => boolean): number {
  let beats = 0;
  for (let j = 0; j < n; j++) {
    const c = 2 * s[o + j] - rH[j];
    beats += +(c > hi);
    if ((+(c > lo) & +(c <= hi)) !== 0 && undecided(j, c)) beats++;
  }
  return beats;
}

/** How many of the ascending values are below x. */
function countBelow(ascending: Float64Array, x: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ascending[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per list (a row or a column), the `size` largest float32 scores offered, in
 * offer order on ties; then the exact top k chosen among them. The exact top k
 * is provably among the candidates when the k-th exact value exceeds the
 * smallest kept float32 score by more than the bound (every score not kept is
 * at most that smallest one); otherwise the whole list is recomputed exactly.
 */
class Candidates {
  private readonly vals: Float32Array;
  private readonly idx: Int32Array;
  private readonly filled: Int32Array;
  /** vals of each list's last slot, contiguous, for a cheap reject test in the hot loop. */
  private readonly mins: Float32Array;
  /** Lists whose exact top k could not be proven from the candidates. */
  recomputed = 0;

  constructor(
    private readonly lists: number,
    private readonly size: number,
  ) {
    this.vals = new Float32Array(lists * size).fill(-Infinity);
    this.idx = new Int32Array(lists * size);
    this.filled = new Int32Array(lists);
    this.mins = new Float32Array(lists).fill(-Infinity);
  }

  minView(): Float32Array {
    return this.mins;
  }

  min(list: number): number {
    return this.mins[list];
  }

  /** A list's kept scores, largest first; `complete` when every score offered was kept. */
  kept(list: number): { values: Float32Array; indices: Int32Array; complete: boolean } {
    const o = list * this.size;
    const m = this.filled[list];
    return { values: this.vals.subarray(o, o + m), indices: this.idx.subarray(o, o + m), complete: m < this.size };
  }

  /** Inserts v (caller checked v > min) and returns the list's new minimum. */
  offer(list: number, v: number, index: number): number {
    const size = this.size;
    const o = list * size;
    let p = size - 1;
    while (p > 0 && this.vals[o + p - 1] < v) {
      this.vals[o + p] = this.vals[o + p - 1];
      this.idx[o + p] = this.idx[o + p - 1];
      p--;
    }
    this.vals[o + p] = v;
    this.idx[o + p] = index;
    if (this.filled[list] < size) this.filled[list]++;
    return (this.mins[list] = this.vals[o + size - 1]);
  }

  /**
   * The exact top k of every list as (index, value) pairs. First from the float32 scores
   * themselves (within `eps` of exact): when the k-th clears the (k+1)-th by 2·eps, no score
   * outside the first k can overtake one inside (every score not kept is at most the
   * (k+1)-th). Then from the cheap near values (float32 rows, float64 sums, within `delta`
   * of exact): when the k-th near value clears both the (k+1)-th by 2·delta and every unseen
   * score, the set is proven likewise. Either way only the members' exact values are computed
   * (if `values` is asked for). Otherwise every candidate is computed exactly, and failing
   * that the whole list.
   */
  private exactTop(
    k: number,
    bounds: { eps: number; delta: number },
    f: { near: (list: number, index: number) => number; exact: (list: number, index: number) => number; exactList: (list: number) => number[] },
    values: boolean,
  ): { index: number; value: number }[][] {
    const out: { index: number; value: number }[][] = [];
    const byValue = (a: { index: number; value: number }, b: { index: number; value: number }) => b.value - a.value || a.index - b.index;
    for (let l = 0; l < this.lists; l++) {
      const m = this.filled[l];
      const indices = Array.from(this.idx.subarray(l * this.size, l * this.size + m));
      const unseenMax = m < this.size ? -Infinity : this.vals[l * this.size + m - 1] + bounds.eps;
      if (m > k && this.vals[l * this.size + k - 1] - this.vals[l * this.size + k] > 2 * bounds.eps) {
        const top = indices.slice(0, k);
        out.push(values ? top.map((index) => ({ index, value: f.exact(l, index) })).sort(byValue) : top.map((index) => ({ index, value: NaN })));
        continue;
      }
      if (m > k) {
        const near = indices.map((index) => ({ index, value: f.near(l, index) })).sort(byValue);
        const kth = near[k - 1].value;
        if (kth - bounds.delta > unseenMax && kth - near[k].value > 2 * bounds.delta) {
          const top = near.slice(0, k);
          out.push(values ? top.map((e) => ({ index: e.index, value: f.exact(l, e.index) })).sort(byValue) : top);
          continue;
        }
      }
      const kept = indices.map((index) => ({ index, value: f.exact(l, index) })).sort(byValue);
      if (kept.length >= k && kept[k - 1].value > unseenMax) {
        out.push(kept.slice(0, k));
      } else {
        this.recomputed++;
        out.push(f.exactList(l).map((value, index) => ({ index, value })).sort(byValue).slice(0, k));
      }
    }
    return out;
  }

  /** Mean of the exact top-k values of every list. */
  exactTopMeans(k: number, bounds: { eps: number; delta: number }, f: Parameters<Candidates['exactTop']>[2]): Float64Array {
    const tops = this.exactTop(k, bounds, f, true);
    return Float64Array.from(tops, (t) => (t.length ? t.reduce((s, e) => s + e.value, 0) / t.length : 0));
  }

  /** The exact top-k index sets of every list (order within a set does not matter to Jaccard). */
  exactTopIndices(k: number, bounds: { eps: number; delta: number }, f: Parameters<Candidates['exactTop']>[2]): number[][] {
    return this.exactTop(k, bounds, f, false).map((t) => t.map((e) => e.index));
  }
}

function jaccardMean(a: number[][], b: number[][], n: number): number {
  let jac = 0;
  for (let i = 0; i < n; i++) {
    const set = new Set(a[i]);
    let inter = 0;
    for (const j of b[i]) if (set.has(j)) inter++;
    jac += inter / (set.size + b[i].length - inter);
  }
  return jac / n;
}

/**
 * The brute-force float64 computation, one dot product per pair with the same
 * dot as the screened path's rechecks (so exact ties break the same way). The
 * oracle the screened path is tested against; O(n²·d) in plain JS.
 */
export function retrievalExact(h: Matrix, y: Matrix): Retrieval {
  const n = h.rows;
  const d = h.cols;
  const H = unitRows(h).f64;
  const Y = unitRows(y).f64;
  const k = Math.min(CSLS_K, n);
  const kj = Math.min(JACCARD_K, n);
  const top = (values: number[], count: number) =>
    values
      .map((value, index) => ({ index, value }))
      .sort((a, b) => b.value - a.value || a.index - b.index)
      .slice(0, count);
  const s = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => dot(H, i, Y, j, d)));
  const rank = Int32Array.from(s, (row, i) => 1 + row.filter((v) => v > row[i]).length);
  const rH = Array.from({ length: n }, (_, j) => top(s.map((row) => row[j]), k).reduce((t, e) => t + e.value, 0) / k);
  const cslsRank = Int32Array.from(s, (row, i) => 1 + row.filter((v, j) => 2 * v - rH[j] > 2 * row[i] - rH[i]).length);
  const hNeighbours = s.map((row) => top(row, kj).map((e) => e.index));
  const yNeighbours = Array.from({ length: n }, (_, i) => top(Array.from({ length: n }, (_, j) => dot(Y, i, Y, j, d)), kj).map((e) => e.index));
  return { rank, cslsRank, jaccard: jaccardMean(hNeighbours, yNeighbours, n) };
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new LatentError('cancelled', 'cancelled');
}
