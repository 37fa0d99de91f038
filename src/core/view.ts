/**
 * The panel's view of a run: headline figures, the comparison table and the
 * data of every chart, already summarised and sampled. The CLI writes it as
 * view.json; the extension's compute process sends the same object to the
 * results panel, which therefore never sees raw embedding files.
 */
import type { Linalg } from './backend';
import { PCA_BY_SUBSPACE_ITERATION_FROM } from './backend/limits';
import { symEig } from './backend/dense';
import { matrix, takeRows, type Matrix } from './matrix';
import { histogram, type PairMetrics, type PerPair } from './metrics';
import { samplePairs } from './pairs';
import type { Baseline, FileInfo, MethodRun, PreparedJob } from './pipeline';
import { describeInputs } from './pipeline';
import { TOOL_VERSION } from './version';
import type { Diagnostics } from './diagnostics';
import type { ClassificationStitching, ReconstructionStitching } from './stitching';
import { imageShapeOf } from './heldInputs';

export const VIEW_SCHEMA = 'latent-translator/view';
export const VIEW_VERSION = 1;

export interface Headline {
  cosine: number;
  mse: number;
  top1: number;
  top5: number;
  mrr: number;
  cslsTop1: number;
}

export interface ComparisonRow extends Headline {
  method: string;
  prep: string;
  /** Accuracy of the target decoder on translated rows (classification decoders only). */
  stitchedAccuracy: number | null;
  anchorCosine: number;
  fitMs: number;
  warnings: number;
}

export interface PairRow {
  key: string;
  label?: string;
  cosine: number;
  residual: number;
  rank: number;
}

export interface PanelView {
  schema: typeof VIEW_SCHEMA;
  version: number;
  tool: string;
  createdAt: string;
  kind: 'fit' | 'compare';
  title: string;
  inputs: ReturnType<typeof describeInputs>;
  /** The run the charts show (the only one for fit; the best by held-out cosine for compare). */
  method: string;
  prep: string;
  /** Held-out figures (anchor figures when there are no held-out pairs). */
  headline: Headline;
  headlineOn: 'held-out' | 'anchors';
  /** The same for the untranslated source, when dims match. */
  baseline: Headline | null;
  warnings: string[];
  /** The fit's diagnostics the panel shows (JSON-safe: an infinite condition number is −1, a missing det null). */
  diagnostics: Pick<Diagnostics, 'anchors' | 'sourceDim' | 'targetDim' | 'underdetermined' | 'sourceRank' | 'sourceCondition' | 'crossCovCondition' | 'procrustesDisparity'> & {
    determinant: number | null;
  };
  comparison: ComparisonRow[];
  /** Zero-shot stitching through the target's decoder, when one was given. */
  stitched:
    | ClassificationStitching
    | (Omit<ReconstructionStitching, 'perItem' | 'samples'> & {
        histogram: { edges: number[]; counts: number[] };
        /** Decoded held-out items with their keys; `imageShape` when the output is a square image (e.g. 784 = 28×28). */
        samples: {
          keys: string[];
          native: number[][];
          stitched: number[][];
          imageShape: [number, number] | null;
          /** The same items' raw inputs (--test-inputs), scaled to [0, 1] for uint8; null without them. */
          original: { file: string; rows: number[][]; imageShape: [number, number] | null } | null;
        };
      })
    | null;
  charts: {
    /** Per-pair cosine over [-1, 1] in 40 bins, translated and (when dims match) untranslated. */
    cosine: { edges: number[]; translated: number[]; baseline: number[] | null };
    /** Per-pair residual norm histogram, and the worst pairs. */
    residuals: { edges: number[]; counts: number[]; worst: PairRow[] };
    /** How many pairs have their true target at rank 1, 2–5, … */
    ranks: { buckets: string[]; plain: number[]; csls: number[] };
    /** Singular values of the anchor cross-covariance, descending. */
    singularValues: number[];
    /** Anchor (fit) vs held-out figures: a large gap means over-fitting. */
    overfit: { anchors: Headline; heldOut: Headline | null };
    /** 2-D PCA of the target space (fitted on held-out targets), with translated points. */
    pca: {
      total: number;
      sampled: number;
      explained: [number, number];
      target: [number, number][];
      translated: [number, number][];
      keys: string[];
      labels: string[] | null;
    } | null;
  };
}

export interface ViewOptions {
  /** Points drawn in the PCA chart (sampled, seeded); figures are computed on all pairs. */
  maxPoints?: number;
  seed?: number;
  title?: string;
}

const RANK_BUCKETS: [string, number, number][] = [
  ['1', 1, 1],
  ['2–5', 2, 5],
  ['6–10', 6, 10],
  ['11–50', 11, 50],
  ['51–100', 51, 100],
  ['> 100', 101, Infinity],
];

export function headline(m: PairMetrics): Headline {
  return { cosine: m.cosine, mse: m.mse, top1: m.top1, top5: m.top5, mrr: m.mrr, cslsTop1: m.csls.top1 };
}

export function bestRun(runs: MethodRun[]): MethodRun {
  let best = runs[0];
  for (const r of runs) if ((r.heldOut ?? r.anchors).cosine > (best.heldOut ?? best.anchors).cosine) best = r;
  return best;
}

export async function buildView(job: PreparedJob, runs: MethodRun[], baseline: Baseline | undefined, la: Linalg, o: ViewOptions = {}): Promise<PanelView> {
  const run = bestRun(runs);
  const held = run.heldOut;
  const pp = run.heldOutPerPair;
  const maxPoints = o.maxPoints ?? 2000;
  return {
    schema: VIEW_SCHEMA,
    version: VIEW_VERSION,
    tool: TOOL_VERSION,
    createdAt: new Date().toISOString(),
    kind: runs.length > 1 ? 'compare' : 'fit',
    title: o.title ?? `${name(job.source)} → ${name(job.target)}`,
    inputs: describeInputs(job),
    method: run.method,
    prep: run.prep,
    headline: headline(held ?? run.anchors),
    headlineOn: held ? 'held-out' : 'anchors',
    baseline: baseline ? headline(baseline.heldOut ?? baseline.anchors) : null,
    warnings: [...new Set([...job.warnings, ...run.diagnostics.warnings])],
    diagnostics: {
      anchors: run.diagnostics.anchors,
      sourceDim: run.diagnostics.sourceDim,
      targetDim: run.diagnostics.targetDim,
      underdetermined: run.diagnostics.underdetermined,
      sourceRank: run.diagnostics.sourceRank,
      sourceCondition: finiteOr(run.diagnostics.sourceCondition),
      crossCovCondition: finiteOr(run.diagnostics.crossCovCondition),
      procrustesDisparity: run.diagnostics.procrustesDisparity,
      determinant: run.diagnostics.determinant ?? null,
    },
    comparison: runs.map((r) => ({
      method: r.method,
      prep: r.prep,
      ...headline(r.heldOut ?? r.anchors),
      stitchedAccuracy: r.stitching?.kind === 'classification' ? r.stitching.stitched.accuracy : null,
      anchorCosine: r.anchors.cosine,
      fitMs: Object.entries(r.timings).find(([k]) => k.startsWith('fit'))?.[1] ?? 0,
      warnings: r.diagnostics.warnings.length,
    })),
    stitched: stitchedView(job, run),
    charts: {
      cosine: {
        edges: edges(-1, 1, 40),
        translated: pp ? histogram(pp.cosine, -1, 1, 40) : [],
        baseline: baseline?.heldOutPerPair ? histogram(baseline.heldOutPerPair.cosine, -1, 1, 40) : null,
      },
      residuals: residualChart(job, pp),
      ranks: {
        buckets: RANK_BUCKETS.map((b) => b[0]),
        plain: pp ? bucketCounts(pp.rank) : [],
        csls: pp ? bucketCounts(pp.cslsRank) : [],
      },
      singularValues: run.diagnostics.crossCovSingularValues,
      overfit: { anchors: headline(run.anchors), heldOut: held ? headline(held) : null },
      pca: job.heldY.rows >= 3 ? await pcaChart(job, run.translated, la, maxPoints, o.seed ?? 0) : null,
    },
  };
}

function stitchedView(job: PreparedJob, run: MethodRun): PanelView['stitched'] {
  const s = run.stitching;
  if (!s) return null;
  const decoder = s.decoder.split(/[\\/]/).pop() ?? s.decoder;
  if (s.kind === 'classification') return { ...s, decoder };
  const { perItem, samples, ...rest } = s;
  const hi = Math.max(...perItem, 1e-12);
  const side = Math.round(Math.sqrt(s.outputDim));
  return {
    ...rest,
    decoder,
    histogram: { edges: edges(0, hi, 30), counts: histogram(perItem, 0, hi, 30) },
    samples: {
      keys: samples.index.map((i) => job.heldKeys[i]),
      native: samples.native,
      stitched: samples.stitched,
      imageShape: side * side === s.outputDim ? [side, side] : null,
      original: job.heldInputs ? { file: baseName(job.heldInputs.file), rows: samples.index.map((i) => job.heldInputs!.rows[i]), imageShape: imageShapeOf(job.heldInputs.rowShape) } : null,
    },
  };
}

function name(f: FileInfo): string {
  return baseName(f.path);
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function finiteOr(v: number): number {
  // JSON has no Infinity: a rank-0 condition number is reported as -1
  return Number.isFinite(v) ? v : -1;
}

function edges(lo: number, hi: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

function bucketCounts(rank: Int32Array): number[] {
  const out = RANK_BUCKETS.map(() => 0);
  for (const r of rank) {
    const b = RANK_BUCKETS.findIndex(([, lo, hi]) => r >= lo && r <= hi);
    out[b]++;
  }
  return out;
}

function residualChart(job: PreparedJob, pp: PerPair | undefined): PanelView['charts']['residuals'] {
  if (!pp || pp.residualNorm.length === 0) return { edges: [], counts: [], worst: [] };
  let max = 0;
  for (const v of pp.residualNorm) max = Math.max(max, v);
  const hi = max > 0 ? max : 1;
  const order = Array.from(pp.residualNorm.keys()).sort((a, b) => pp.residualNorm[b] - pp.residualNorm[a]);
  return {
    edges: edges(0, hi, 30),
    counts: histogram(pp.residualNorm, 0, hi, 30),
    worst: order.slice(0, 20).map((i) => ({
      key: job.heldKeys[i],
      label: job.heldLabels?.[i],
      cosine: pp.cosine[i],
      residual: pp.residualNorm[i],
      rank: pp.rank[i],
    })),
  };
}

/** Projects held-out targets and their translations onto the top two principal axes of the targets. */
async function pcaChart(job: PreparedJob, translated: Matrix, la: Linalg, maxPoints: number, seed: number): Promise<NonNullable<PanelView['charts']['pca']>> {
  const y = job.heldY;
  const n = y.rows;
  const d = y.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += y.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = (m: Matrix) => {
    const out = new Float64Array(m.rows * d);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) out[i * d + j] = m.data[i * d + j] - mean[j];
    return matrix(m.rows, d, out);
  };
  const yc = centred(y);
  const cov = await la.crossprod(yc, yc);
  // two axes need only subspace iteration; a full eigendecomposition costs seconds at d ≥ 256
  const subspace = d >= PCA_BY_SUBSPACE_ITERATION_FROM;
  const eig = subspace ? await la.topEigenpairs(cov, 2) : symEig(cov);
  const cols = eig.vectors.cols;
  const axes = new Float64Array(d * 2);
  for (let j = 0; j < d; j++) {
    axes[j * 2] = eig.vectors.data[j * cols];
    axes[j * 2 + 1] = eig.vectors.data[j * cols + Math.min(1, cols - 1)];
  }
  const basis = matrix(d, 2, axes);
  let trace = 0;
  for (let j = 0; j < d; j++) trace += Math.max(cov.data[j * d + j], 0);
  const total = subspace ? trace || 1 : eig.values.reduce((a, b) => a + Math.max(b, 0), 0) || 1;
  const rows = n <= maxPoints ? Array.from({ length: n }, (_, i) => i) : Array.from(samplePairs(n, maxPoints, seed)).sort((a, b) => a - b);
  const py = await la.matmul(takeRows(yc, rows), basis);
  const ph = await la.matmul(centred(takeRows(translated, rows)), basis);
  const pts = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => [round(m.data[i * 2]), round(m.data[i * 2 + 1])] as [number, number]);
  return {
    total: n,
    sampled: rows.length,
    explained: [Math.max(eig.values[0], 0) / total, Math.max(eig.values[1] ?? 0, 0) / total],
    target: pts(py),
    translated: pts(ph),
    keys: rows.map((i) => job.heldKeys[i]),
    labels: job.heldLabels ? rows.map((i) => job.heldLabels![i]) : null,
  };
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}
