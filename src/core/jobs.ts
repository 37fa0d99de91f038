/**
 * Whole jobs that end in a folder of outputs: what `latent-translator fit` /
 * `compare` and the extension's compute process both run.
 */
import { promises as fs } from 'node:fs';
import { Linalg } from './backend';
import { writeJson, writeNpy } from './io';
import { csvField } from './io/writers';
import { toFloat32 } from './matrix';
import type { MethodName } from './methods';
import { checkOutputs, writeOutputs, type OutputFile } from './outputs';
import { evaluateJob, prepareJob, type Baseline, type InputOptions, type MethodRun, type PreparedJob } from './pipeline';
import type { PrepName } from './prep';
import { compareResult, fitResult, type CompareJson, type ResultJson } from './results';
import { translatorToJson } from './translator';
import { bestRun, buildView, type PanelView } from './view';

export interface JobOptions extends InputOptions {
  methods: MethodName[];
  preps: PrepName[];
  ridge?: number;
  /** Output folder; compare may run without one. */
  out?: string;
  force?: boolean;
  /** Points drawn in the panel's PCA chart. */
  maxPoints?: number;
  title?: string;
}

export interface JobOutcome {
  kind: 'fit' | 'compare';
  /** result.json for a single fit; compare.json for several methods. */
  result: ResultJson | CompareJson;
  view: PanelView;
  files: string[];
}

export const FIT_FILES = { result: 'result.json', translated: 'translated.npy', translator: 'translator.json', pairs: 'pairs.csv', view: 'view.json' } as const;
export const COMPARE_FILES = { result: 'compare.json', translator: 'translator.json', view: 'view.json' } as const;

/** A single method × prep is a fit; anything more is a comparison. */
export async function runJob(o: JobOptions): Promise<JobOutcome> {
  const kind = o.methods.length * o.preps.length === 1 ? 'fit' : 'compare';
  const names = Object.values(kind === 'fit' ? FIT_FILES : COMPARE_FILES);
  if (o.out) await checkOutputs(o.out, names, !!o.force);
  const job = await prepareJob(o);
  const la = new Linalg({ threads: o.threads });
  try {
    const { runs, baseline } = await evaluateJob(job, { methods: o.methods, preps: o.preps, ridge: o.ridge, signal: o.signal, onEvent: o.onEvent, la, decoder: o.decoder, threads: o.threads });
    const view = await buildView(job, runs, baseline, la, { seed: o.seed, maxPoints: o.maxPoints, title: o.title });
    if (kind === 'fit') {
      const result = fitResult(job, runs[0], baseline, o.seed, FIT_FILES);
      const files = o.out ? await writeOutputs(o.out, fitFiles(job, runs[0], baseline, result, view), !!o.force) : [];
      return { kind, result, view, files };
    }
    const result = compareResult(job, runs, baseline);
    const best = bestRun(runs);
    const files = o.out
      ? await writeOutputs(
          o.out,
          [
            { name: COMPARE_FILES.translator, write: (p) => writeJson(p, translatorToJson(best.translator), { force: true }) },
            { name: COMPARE_FILES.view, write: (p) => writeJson(p, view, { force: true }) },
            { name: COMPARE_FILES.result, write: (p) => writeJson(p, result, { force: true }) },
          ],
          !!o.force,
        )
      : [];
    return { kind, result, view, files };
  } finally {
    await la.dispose();
  }
}

function fitFiles(job: PreparedJob, run: MethodRun, baseline: Baseline | undefined, result: ResultJson, view: PanelView): OutputFile[] {
  return [
    { name: FIT_FILES.translated, write: (p) => writeNpy(p, toFloat32(run.translated), { force: true }) },
    { name: FIT_FILES.translator, write: (p) => writeJson(p, translatorToJson(run.translator), { force: true }) },
    { name: FIT_FILES.pairs, write: (p) => fs.writeFile(p, pairsCsv(job, run, baseline?.heldOutPerPair?.cosine)) },
    { name: FIT_FILES.view, write: (p) => writeJson(p, view, { force: true }) },
    { name: FIT_FILES.result, write: (p) => writeJson(p, result, { force: true }) },
  ];
}

function pairsCsv(job: PreparedJob, run: MethodRun, baselineCosine?: Float64Array): string {
  const pp = run.heldOutPerPair;
  const lines = ['key,label,cosine,residual_norm,rank,csls_rank' + (baselineCosine ? ',baseline_cosine' : '')];
  if (pp) {
    for (let i = 0; i < job.heldKeys.length; i++) {
      const cells = [csvField(job.heldKeys[i]), csvField(job.heldLabels?.[i] ?? ''), String(pp.cosine[i]), String(pp.residualNorm[i]), String(pp.rank[i]), String(pp.cslsRank[i])];
      if (baselineCosine) cells.push(String(baselineCosine[i]));
      lines.push(cells.join(','));
    }
  }
  return lines.join('\n') + '\n';
}
