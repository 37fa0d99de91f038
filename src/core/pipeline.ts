/**
 * The fit → translate → evaluate job behind `fit` and `compare` (and, later,
 * the extension's compute process). Everything here is pure core: no I/O
 * other than reading the inputs; writing outputs is the caller's (outputs.ts).
 */
import { Linalg } from './backend';
import { LatentError } from './errors';
import { readEmbeddings, readList } from './io';
import type { EmbeddingTable, ReadOptions } from './io/types';
import { takeRows, type Matrix } from './matrix';
import { pairMetrics, type PairMetrics, type PerPair } from './metrics';
import { METHOD_DESCRIPTIONS, type MethodName } from './methods';
import { complement, pairById, pairByIndex, samplePairs, selectFromList, type JoinMode, type Pairing } from './pairs';
import type { PrepName } from './prep';
import { timed, type ProgressListener } from './progress';
import { fitTranslator, prepareAnchors, translate, type Translator } from './translator';
import type { Diagnostics } from './diagnostics';
import { openDecoder } from './decoder';
import type { StitchingResult } from './stitching';
import { loadHeldInputs, type HeldInputs } from './heldInputs';

export const RESULT_SCHEMA = 'latent-translator/result';
export const COMPARE_SCHEMA = 'latent-translator/compare';
export const RESULT_VERSION = 1;
export const DEFAULT_SEED = 0;

export interface InputOptions {
  source: string;
  target: string;
  sourceArray?: string;
  targetArray?: string;
  idColumn?: string;
  labelColumn?: string;
  sourceMetadata?: string;
  targetMetadata?: string;
  /** One label per source row (text/json/npy list), used to name pairs in reports. */
  labels?: string;
  /** Anchor list: row indices or ids. */
  anchors?: string;
  anchorCount?: number;
  /** Anchors to sample when neither --anchors nor anchorCount is given (capped at half the pairs). */
  defaultAnchorCount?: number;
  seed?: number;
  /** How rows are paired; 'auto': by id when the anchor/test lists hold ids, else by index. */
  join?: JoinMode | 'auto';
  /** Held-out list (indices or ids of the same files). */
  test?: string;
  /** Separate held-out files, parallel by row. */
  testSource?: string;
  testTarget?: string;
  /** The target space's decoder (ONNX): scores zero-shot stitching on the held-out pairs. */
  decoder?: string;
  /** Class index per held-out pair (or per source row), for a classification decoder. */
  testLabels?: string;
  /** Raw model inputs (any rank, rows first) per held-out pair or per source row: the originals drawn beside decoded samples. */
  testInputs?: string;
  /** Refuse embedding files with more rows than this (ReadOptions.maxRows); default: no limit. */
  maxRows?: number;
  threads?: number;
  signal?: AbortSignal;
  onEvent?: ProgressListener;
}

export interface FileInfo {
  path: string;
  format: string;
  dtype: string;
  rows: number;
  dims: number;
  array?: string;
  hasIds: boolean;
}

/** Loaded inputs, paired and split; shared by every method a job fits. */
export interface PreparedJob {
  source: FileInfo;
  target: FileInfo;
  join: JoinMode;
  anchors: { mode: 'file' | 'sampled'; file?: string; seed?: number; count: number; requested?: number; unmatched: string[] };
  heldOut: { mode: 'complement' | 'file' | 'separate'; file?: string; count: number; unmatched: string[] };
  missingIds: { sourceOnly: number; targetOnly: number; examples: string[] };
  anchorX: Matrix;
  anchorY: Matrix;
  heldX: Matrix;
  heldY: Matrix;
  heldKeys: string[];
  heldLabels?: string[];
  /** Raw values of --test-labels, in held-out order. */
  heldClassLabels?: { values: string[]; file: string };
  /** The first held-out items' raw inputs (--test-inputs). */
  heldInputs?: HeldInputs;
  warnings: string[];
  timings: Record<string, number>;
}

export async function prepareJob(o: InputOptions): Promise<PreparedJob> {
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.onEvent?.({ kind: 'warning', message });
  };
  const read = (path: string, array: string | undefined, metadata: string | undefined, step: string) =>
    timed(step, timings, o.onEvent, () =>
      readEmbeddings(path, { array, idColumn: o.idColumn, labelColumn: o.labelColumn, metadata, maxRows: o.maxRows, signal: o.signal } satisfies ReadOptions),
    );
  const source = await read(o.source, o.sourceArray, o.sourceMetadata, 'read source');
  const target = await read(o.target, o.targetArray, o.targetMetadata, 'read target');
  const anchorList = o.anchors ? { ...(await readList(o.anchors)), file: o.anchors } : undefined;
  const testList = o.test ? { ...(await readList(o.test)), file: o.test } : undefined;
  if (o.test && (o.testSource || o.testTarget)) throw new LatentError('usage', 'give either --test or --test-source/--test-target, not both');
  if (!!o.testSource !== !!o.testTarget) throw new LatentError('usage', '--test-source and --test-target go together');

  let join: JoinMode;
  if (o.join && o.join !== 'auto') join = o.join;
  else if ((anchorList && !anchorList.indices) || (testList && !testList.indices)) join = 'id';
  // Files of different lengths that both carry ids can only be paired by id.
  else join = source.matrix.rows !== target.matrix.rows && source.ids && target.ids ? 'id' : 'index';
  const pairing: Pairing = join === 'id' ? pairById(source, target) : pairByIndex(source, target);
  const { sourceOnly, targetOnly } = pairing.missing;
  if (sourceOnly.length || targetOnly.length) {
    warn(
      `${sourceOnly.length} source ids are not in the target and ${targetOnly.length} target ids are not in the source; ` +
        `they are left out (e.g. ${[...sourceOnly.slice(0, 3), ...targetOnly.slice(0, 3)].map((s) => JSON.stringify(s)).join(', ')})`,
    );
  }
  const pairCount = pairing.sourceRows.length;
  const seed = o.seed ?? DEFAULT_SEED;

  // Anchors
  let anchorPairs: Int32Array;
  let anchorInfo: PreparedJob['anchors'];
  if (anchorList) {
    const sel = selectFromList(anchorList, pairing, 'anchor', o.anchorCount);
    if (sel.unmatched.length) {
      warn(`${sel.unmatched.length} anchor ids are missing from the paired rows: ${sel.unmatched.slice(0, 5).map((s) => JSON.stringify(s)).join(', ')}${sel.unmatched.length > 5 ? ', …' : ''}`);
    }
    if (o.anchorCount !== undefined && sel.pairs.length < o.anchorCount) {
      throw new LatentError('anchors', `only ${sel.pairs.length} of the ${o.anchorCount} requested anchors were found in both files (${sel.unmatched.length} ids missing)`, anchorList.file);
    }
    anchorPairs = sel.pairs;
    anchorInfo = { mode: 'file', file: o.anchors, count: sel.pairs.length, requested: o.anchorCount, unmatched: sel.unmatched };
  } else {
    const hasSeparateTest = !!o.testSource;
    const cap = hasSeparateTest ? pairCount : Math.floor(pairCount / 2);
    const k = o.anchorCount ?? Math.min(cap, o.defaultAnchorCount ?? 10_000);
    if (k > pairCount) throw new LatentError('anchors', `--anchor-count ${k} is more than the ${pairCount} paired rows`);
    const exclude = testList ? new Set(selectFromList(testList, pairing, 'held-out').pairs) : undefined;
    anchorPairs = samplePairs(pairCount, k, seed, exclude);
    anchorInfo = { mode: 'sampled', seed, count: k, requested: o.anchorCount, unmatched: [] };
  }
  if (anchorPairs.length < 2) throw new LatentError('anchors', `at least 2 anchors are needed, got ${anchorPairs.length}`);

  // Held-out pairs
  let heldX: Matrix;
  let heldY: Matrix;
  let heldKeys: string[];
  let heldLabels: string[] | undefined;
  let heldSourceRows: number[] | undefined;
  let heldInfo: PreparedJob['heldOut'];
  const labelsOf = await loadLabels(o.labels, source);
  if (o.testSource && o.testTarget) {
    const ts = await read(o.testSource, o.sourceArray, undefined, 'read test source');
    const tt = await read(o.testTarget, o.targetArray, undefined, 'read test target');
    const tp = join === 'id' && ts.ids && tt.ids ? pairById(ts, tt) : pairByIndex(ts, tt);
    checkDims(ts, source);
    checkDims(tt, target);
    heldX = takeRows(ts.matrix, tp.sourceRows);
    heldY = takeRows(tt.matrix, tp.targetRows);
    heldKeys = tp.keys;
    heldLabels = ts.labels ? Array.from(tp.sourceRows, (r) => ts.labels![r]) : undefined;
    heldInfo = { mode: 'separate', file: `${o.testSource} + ${o.testTarget}`, count: tp.keys.length, unmatched: [] };
  } else {
    let heldPairs: Int32Array;
    let unmatched: string[] = [];
    if (testList) {
      const sel = selectFromList(testList, pairing, 'held-out');
      unmatched = sel.unmatched;
      if (unmatched.length) warn(`${unmatched.length} held-out ids are missing from the paired rows: ${unmatched.slice(0, 5).map((s) => JSON.stringify(s)).join(', ')}`);
      const anchorSet = new Set(anchorPairs);
      const overlap = Array.from(sel.pairs).filter((p) => anchorSet.has(p)).length;
      if (overlap) warn(`${overlap} held-out pairs are also anchors: their held-out figures are not a fair test`);
      heldPairs = sel.pairs;
      heldInfo = { mode: 'file', file: o.test, count: heldPairs.length, unmatched };
    } else {
      heldPairs = complement(pairCount, anchorPairs);
      heldInfo = { mode: 'complement', count: heldPairs.length, unmatched };
    }
    heldX = takeRows(source.matrix, Array.from(heldPairs, (p) => pairing.sourceRows[p]));
    heldY = takeRows(target.matrix, Array.from(heldPairs, (p) => pairing.targetRows[p]));
    heldKeys = Array.from(heldPairs, (p) => pairing.keys[p]);
    heldLabels = labelsOf ? Array.from(heldPairs, (p) => labelsOf[pairing.sourceRows[p]]) : undefined;
    heldSourceRows = Array.from(heldPairs, (p) => pairing.sourceRows[p]);
  }
  const heldClassLabels = o.testLabels ? await loadTestLabels(o.testLabels, heldX.rows, source.matrix.rows, heldSourceRows) : undefined;
  if (heldClassLabels && !o.decoder) warn('--test-labels is only used with --decoder');
  const heldInputs = o.testInputs ? await loadHeldInputs(o.testInputs, heldX.rows, source.matrix.rows, heldSourceRows, o.signal) : undefined;
  if (heldInputs && (!o.decoder || o.testLabels)) warn('--test-inputs is only shown with a reconstruction decoder (--decoder without --test-labels)');
  if (heldX.rows === 0) warn('no held-out pairs: only anchor (training) figures are reported, which overstate quality');

  const anchorX = takeRows(source.matrix, Array.from(anchorPairs, (p) => pairing.sourceRows[p]));
  const anchorY = takeRows(target.matrix, Array.from(anchorPairs, (p) => pairing.targetRows[p]));
  const dx = source.matrix.cols;
  const dy = target.matrix.cols;
  if (anchorPairs.length < Math.min(dx, dy)) {
    warn(`${anchorPairs.length} anchors for ${dx}→${dy} dimensions: fewer anchors than dimensions, the map is not unique`);
  }
  return {
    source: info(source),
    target: info(target),
    join,
    anchors: anchorInfo,
    heldOut: heldInfo,
    missingIds: { sourceOnly: sourceOnly.length, targetOnly: targetOnly.length, examples: [...sourceOnly.slice(0, 5), ...targetOnly.slice(0, 5)] },
    anchorX,
    anchorY,
    heldX,
    heldY,
    heldKeys,
    heldLabels,
    heldClassLabels,
    heldInputs,
    warnings,
    timings,
  };
}

/** Test labels given per held-out pair, or per source row (then picked for the held-out rows). */
async function loadTestLabels(file: string, heldCount: number, sourceRows: number, heldSourceRows?: number[]): Promise<{ values: string[]; file: string }> {
  const { values } = await readList(file);
  if (values.length === heldCount) return { values, file };
  if (heldSourceRows && values.length === sourceRows) return { values: heldSourceRows.map((r) => values[r]), file };
  throw new LatentError(
    'shape',
    `has ${values.length} labels; expected one per held-out pair (${heldCount})${heldSourceRows ? ` or one per source row (${sourceRows})` : ''}`,
    file,
  );
}

async function loadLabels(path: string | undefined, source: EmbeddingTable): Promise<string[] | undefined> {
  if (!path) return source.labels;
  const list = await readList(path);
  if (list.values.length !== source.matrix.rows) {
    throw new LatentError('shape', `labels file has ${list.values.length} entries but the source has ${source.matrix.rows} rows`, path);
  }
  return list.values;
}

function checkDims(t: EmbeddingTable, like: EmbeddingTable): void {
  if (t.matrix.cols !== like.matrix.cols) {
    throw new LatentError('shape', `has ${t.matrix.cols} dimensions but ${like.path} has ${like.matrix.cols}`, t.path);
  }
}

function info(t: EmbeddingTable): FileInfo {
  return { path: t.path, format: t.format, dtype: t.dtype, rows: t.matrix.rows, dims: t.matrix.cols, array: t.arrayName, hasIds: !!t.ids };
}

// ---- fitting and evaluating ----

export interface MethodRun {
  method: MethodName;
  prep: PrepName;
  description: string;
  translator: Translator;
  diagnostics: Diagnostics;
  heldOut?: PairMetrics;
  anchors: PairMetrics;
  heldOutPerPair?: PerPair;
  /** Translation of the held-out source rows, in held-out order. */
  translated: Matrix;
  /** The target decoder on native, translated and untranslated held-out rows. */
  stitching?: StitchingResult;
  timings: Record<string, number>;
}

export interface Baseline {
  /** Untranslated source rows compared with their targets (dims must match). */
  heldOut?: PairMetrics;
  heldOutPerPair?: PerPair;
  anchors: PairMetrics;
}

export interface EvaluateOptions {
  methods: MethodName[];
  preps: PrepName[];
  ridge?: number;
  threads?: number;
  signal?: AbortSignal;
  onEvent?: ProgressListener;
  /** A backend to reuse (the caller disposes it); otherwise one is made for this call. */
  la?: Linalg;
  /** Target decoder (ONNX) to score stitching with. */
  decoder?: string;
}

export async function evaluateJob(job: PreparedJob, o: EvaluateOptions): Promise<{ runs: MethodRun[]; baseline?: Baseline }> {
  const la = o.la ?? new Linalg({ threads: o.threads });
  const decoder = o.decoder ? await timed('load decoder', job.timings, o.onEvent, () => openDecoder(o.decoder!, job, o.threads)) : undefined;
  try {
    const runs: MethodRun[] = [];
    for (const prep of o.preps) {
      const prepared = prepareAnchors(job.anchorX, job.anchorY, prep, la);
      for (const method of o.methods) {
        if (o.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
        const label = o.methods.length * o.preps.length > 1 ? ` (${method}, ${prep})` : '';
        const timings: Record<string, number> = {};
        const { translator, diagnostics } = await timed(`fit${label}`, timings, o.onEvent, () =>
          fitTranslator(prepared, { method, prep, ridge: o.ridge }, la),
        );
        const translated = await timed(`translate${label}`, timings, o.onEvent, () => translate(translator, job.heldX, la));
        const held = job.heldX.rows
          ? await timed(`evaluate held-out${label}`, timings, o.onEvent, () =>
              pairMetrics(translated, job.heldY, la, { signal: o.signal, onProgress: (fraction) => o.onEvent?.({ kind: 'progress', step: `evaluate held-out${label}`, fraction }) }),
            )
          : undefined;
        const anchorsTranslated = await translate(translator, job.anchorX, la);
        const anchors = await timed(`evaluate anchors${label}`, timings, o.onEvent, () => pairMetrics(anchorsTranslated, job.anchorY, la, { signal: o.signal }));
        const stitching = decoder && job.heldX.rows ? await timed(`stitch decoder${label}`, timings, o.onEvent, () => decoder.score(translated, o.signal)) : undefined;
        for (const w of diagnostics.warnings) o.onEvent?.({ kind: 'warning', message: `${method}/${prep}: ${w}` });
        runs.push({
          method,
          prep,
          description: METHOD_DESCRIPTIONS[method],
          translator,
          diagnostics,
          heldOut: held?.metrics,
          heldOutPerPair: held?.perPair,
          anchors: anchors.metrics,
          translated,
          stitching,
          timings,
        });
      }
    }
    let baseline: Baseline | undefined;
    if (job.source.dims === job.target.dims) {
      const held = job.heldX.rows ? await timed('evaluate no-translation baseline', job.timings, o.onEvent, () => pairMetrics(job.heldX, job.heldY, la, { signal: o.signal })) : undefined;
      const anchors = await pairMetrics(job.anchorX, job.anchorY, la, { signal: o.signal });
      baseline = { heldOut: held?.metrics, heldOutPerPair: held?.perPair, anchors: anchors.metrics };
    }
    return { runs, baseline };
  } finally {
    await decoder?.release();
    if (!o.la) await la.dispose();
  }
}

/** The inputs part of result.json / compare.json. */
export function describeInputs(job: PreparedJob) {
  return {
    source: job.source,
    target: job.target,
    join: job.join,
    anchors: job.anchors,
    heldOut: job.heldOut,
    missingIds: job.missingIds,
  };
}
