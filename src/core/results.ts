/** The versioned JSON documents `fit` and `compare` write (result.json, compare.json). */
import type { Diagnostics } from './diagnostics';
import type { PairMetrics } from './metrics';
import type { StitchingResult } from './stitching';
import { COMPARE_SCHEMA, describeInputs, RESULT_SCHEMA, RESULT_VERSION, type Baseline, type MethodRun, type PreparedJob } from './pipeline';
import { TOOL_VERSION } from './version';

export interface ResultJson {
  schema: typeof RESULT_SCHEMA;
  version: number;
  tool: { name: string; version: string };
  createdAt: string;
  inputs: ReturnType<typeof describeInputs>;
  options: { method: string; prep: string; ridge?: number; seed?: number };
  diagnostics: Diagnostics;
  /** Held-out pairs: translated source vs. true target (null when there are none). */
  heldOut: PairMetrics | null;
  /** The same figures on the anchors: far better than held-out means over-fitting. */
  anchors: PairMetrics;
  /** Untranslated source vs. target, when the dimensions match; null otherwise. */
  baseline: { heldOut: PairMetrics | null; anchors: PairMetrics } | null;
  /** Zero-shot stitching through the target decoder (--decoder), or null. */
  stitched: StitchingResult | null;
  warnings: string[];
  timings: Record<string, number>;
  outputs: Record<string, string>;
}

export function fitResult(job: PreparedJob, run: MethodRun, baseline: Baseline | undefined, seed: number | undefined, outputs: Record<string, string>): ResultJson {
  return {
    schema: RESULT_SCHEMA,
    version: RESULT_VERSION,
    tool: { name: 'latent-translator', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    inputs: describeInputs(job),
    options: { method: run.method, prep: run.prep, ridge: run.translator.ridge, seed: job.anchors.mode === 'sampled' ? seed : undefined },
    diagnostics: run.diagnostics,
    heldOut: run.heldOut ?? null,
    anchors: run.anchors,
    baseline: baseline ? { heldOut: baseline.heldOut ?? null, anchors: baseline.anchors } : null,
    stitched: run.stitching ?? null,
    warnings: [...job.warnings, ...run.diagnostics.warnings],
    timings: { ...job.timings, ...run.timings },
    outputs,
  };
}

export interface CompareRow {
  method: string;
  prep: string;
  heldOut: PairMetrics | null;
  anchors: PairMetrics;
  diagnostics: Diagnostics;
  stitched: StitchingResult | null;
  fitMs: number;
}

export interface CompareJson {
  schema: typeof COMPARE_SCHEMA;
  version: number;
  tool: { name: string; version: string };
  createdAt: string;
  inputs: ReturnType<typeof describeInputs>;
  rows: CompareRow[];
  baseline: { heldOut: PairMetrics | null; anchors: PairMetrics } | null;
  /** Best row per headline figure (by held-out figures when there are held-out pairs). */
  best: Record<string, { method: string; prep: string; value: number }>;
  warnings: string[];
}

/** Figures where larger is better, and smaller is better, for marking the best rows. */
export const HIGHER_IS_BETTER = ['cosine', 'top1', 'top5', 'mrr'] as const;
export const LOWER_IS_BETTER = ['mse'] as const;

export function compareResult(job: PreparedJob, runs: MethodRun[], baseline: Baseline | undefined): CompareJson {
  const rows: CompareRow[] = runs.map((r) => ({
    method: r.method,
    prep: r.prep,
    heldOut: r.heldOut ?? null,
    anchors: r.anchors,
    diagnostics: r.diagnostics,
    stitched: r.stitching ?? null,
    fitMs: r.timings[Object.keys(r.timings).find((k) => k.startsWith('fit')) ?? ''] ?? 0,
  }));
  const best: CompareJson['best'] = {};
  const figure = (row: CompareRow) => row.heldOut ?? row.anchors;
  for (const key of [...HIGHER_IS_BETTER, ...LOWER_IS_BETTER]) {
    const lower = (LOWER_IS_BETTER as readonly string[]).includes(key);
    let bestRow: CompareRow | undefined;
    for (const row of rows) {
      const v = figure(row)[key];
      if (!Number.isFinite(v)) continue;
      if (!bestRow || (lower ? v < figure(bestRow)[key] : v > figure(bestRow)[key])) bestRow = row;
    }
    if (bestRow) best[key] = { method: bestRow.method, prep: bestRow.prep, value: figure(bestRow)[key] };
  }
  const warnings = [...job.warnings];
  for (const r of runs) for (const w of r.diagnostics.warnings) if (!warnings.includes(w)) warnings.push(w);
  return {
    schema: COMPARE_SCHEMA,
    version: RESULT_VERSION,
    tool: { name: 'latent-translator', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    inputs: describeInputs(job),
    rows,
    baseline: baseline ? { heldOut: baseline.heldOut ?? null, anchors: baseline.anchors } : null,
    best,
    warnings,
  };
}
