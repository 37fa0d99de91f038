/** The three CLI commands on top of core: each returns an exit code. */
import * as path from 'node:path';
import { Linalg } from '../core/backend';
import { LatentError } from '../core/errors';
import { NpyStreamWriter, openNpy, readEmbeddings, writeCsv, writeJson, writeNpy } from '../core/io';
import { checkFinite } from '../core/io/common';
import { sliceRows, toFloat32, type FloatArray, type Matrix } from '../core/matrix';
import type { MethodName } from '../core/methods';
import { checkOutputs } from '../core/outputs';
import { runJob } from '../core/jobs';
import type { InputOptions } from '../core/pipeline';
import type { PrepName } from '../core/prep';
import type { ProgressListener } from '../core/progress';
import type { CompareJson, ResultJson } from '../core/results';
import { readTranslator } from '../core/onnx/exportFiles';
import { TranslatorSession } from '../core/onnx/translatorSession';
import { translate, type Translator } from '../core/translator';
import { num, renderTable } from './table';

export interface FitCommand extends InputOptions {
  method: MethodName;
  prep: PrepName;
  ridge?: number;
  out: string;
  force: boolean;
  json: boolean;
}

export async function runFit(o: FitCommand): Promise<number> {
  const { result } = await runJob({ ...o, methods: [o.method], preps: [o.prep] });
  process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : fitReport(result as ResultJson, o.out));
  return 0;
}

export interface CompareCommand extends InputOptions {
  methods: MethodName[];
  preps: PrepName[];
  ridge?: number;
  out?: string;
  force: boolean;
  json: boolean;
}

export async function runCompare(o: CompareCommand): Promise<number> {
  const { result } = await runJob(o);
  process.stdout.write(o.json ? JSON.stringify(result, null, 2) + '\n' : compareReport(result as CompareJson));
  return 0;
}

export interface TranslateCommand {
  translator: string;
  input: string;
  inputArray?: string;
  out: string;
  chunkRows?: number;
  threads?: number;
  /** Streamed .npy only: translate in float64 instead of the fused float32 graph. */
  float64?: boolean;
  force: boolean;
  signal?: AbortSignal;
  onEvent?: ProgressListener;
}

/**
 * Input bytes per chunk when streaming: bounded memory whatever the file size. Not 32 MiB:
 * ORT's binding copies every output into a new ArrayBuffer, and at glibc's largest mmap
 * threshold (32 MiB) each copy lands in fresh pages faulted in one by one; a few MiB come from
 * the reused heap (`npm run bench -- --suite translate` times ORT's MatMul at both sizes).
 */
const CHUNK_BYTES = 4 * 1024 * 1024;

export async function runTranslate(o: TranslateCommand): Promise<number> {
  const ext = path.extname(o.out).toLowerCase();
  if (!['.npy', '.csv', '.json'].includes(ext)) throw new LatentError('usage', `--out must end in .npy, .csv or .json, got "${o.out}"`);
  await checkOutputs(path.dirname(o.out), [path.basename(o.out)], o.force);
  const t = await readTranslator(o.translator);
  const la = new Linalg({ threads: o.threads });
  try {
    if (ext === '.npy' && path.extname(o.input).toLowerCase() === '.npy' && !o.inputArray) {
      await translateStreaming(o, t, la);
    } else {
      const table = await readEmbeddings(o.input, { array: o.inputArray, signal: o.signal });
      const y = await translateChunks(table.matrix, o, t, la);
      if (ext === '.npy') await writeNpy(o.out, y, { force: o.force });
      else if (ext === '.csv') await writeCsv(o.out, y, { ids: table.ids, force: o.force });
      else await writeJson(o.out, { ids: table.ids, embeddings: toRowsArray(y) }, { force: o.force });
      process.stderr.write(`translated ${y.rows} rows (${t.sourceDim} → ${t.targetDim} dims) into ${o.out}\n`);
    }
  } finally {
    await la.dispose();
  }
  return 0;
}

async function translateStreaming(o: TranslateCommand, t: Translator, la: Linalg): Promise<void> {
  const src = await openNpy(o.input);
  const fused = o.float64 ? undefined : await TranslatorSession.create(t, o.threads);
  try {
    if (src.cols !== t.sourceDim) throw new LatentError('shape', `has ${src.cols} dimensions but the translator expects ${t.sourceDim}`, o.input);
    const bytesPerValue = fused ? 4 : 8;
    const chunk = o.chunkRows ?? Math.max(1, Math.floor(CHUNK_BYTES / (bytesPerValue * Math.max(src.cols, t.targetDim))));
    const writer = await NpyStreamWriter.create(o.out, { rows: src.rows, cols: t.targetDim, force: o.force });
    // the next chunk is read while this one is translated and the previous one written, into two
    // buffers used in turn (a fresh array per chunk costs more in page faults than the copy)
    const buffers: (FloatArray | undefined)[] = [undefined, undefined];
    let turn = 0;
    const read = (start: number) => {
      if (start >= src.rows) return undefined;
      const slot = turn++ % 2;
      // the fused graph checks finiteness itself (TranslatorSession.run's inputFinite)
      return awaitedLater(src.readRows(start, Math.min(chunk, src.rows - start), buffers[slot], { checkFinite: !fused }).then((m) => ((buffers[slot] = m.data), m)));
    };
    let next = read(0);
    try {
      let writing: Promise<void> = Promise.resolve();
      for (let start = 0; start < src.rows; start += chunk) {
        if (o.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
        const x = await next!;
        next = read(start + chunk);
        const y = fused ? await runFused(fused, x, start, o.input) : toFloat32(await translate(t, x, la));
        await writing;
        writing = awaitedLater(writer.append(y));
        o.onEvent?.({ kind: 'progress', step: 'translate', fraction: Math.min(1, (start + chunk) / src.rows) });
      }
      await writing;
      await writer.commit();
    } catch (e) {
      await next?.catch(() => undefined);
      await writer.abort();
      throw e;
    }
    process.stderr.write(`translated ${src.rows} rows (${t.sourceDim} → ${t.targetDim} dims) into ${o.out}${fused ? ' (float32 graph)' : ''}\n`);
  } finally {
    await fused?.release();
    await src.close();
  }
}

/**
 * Marks a promise that is awaited only after other awaits: if it fails meanwhile (a NaN in the
 * next chunk, a full disk) Node would end the process on the unhandled rejection, before the
 * writer removes its temporary file; the failure still surfaces where the promise is awaited.
 */
function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** One chunk through the fused graph; a chunk that may hold NaN or ±Inf is scanned for the exact row and column. */
async function runFused(fused: TranslatorSession, x: Matrix, firstRow: number, file: string): Promise<Matrix> {
  const { y, inputFinite } = await fused.run(x);
  if (!inputFinite) checkFinite(x.data, x.cols, firstRow, file);
  return y;
}

async function translateChunks(x: Matrix, o: TranslateCommand, t: Translator, la: Linalg): Promise<Matrix> {
  const chunk = o.chunkRows ?? Math.max(1, Math.floor(CHUNK_BYTES / (8 * Math.max(x.cols, t.targetDim))));
  const out = new Float32Array(x.rows * t.targetDim);
  for (let start = 0; start < x.rows; start += chunk) {
    if (o.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
    const y = await translate(t, sliceRows(x, start, start + chunk), la);
    out.set(y.data, start * t.targetDim);
    o.onEvent?.({ kind: 'progress', step: 'translate', fraction: Math.min(1, (start + chunk) / x.rows) });
  }
  return { rows: x.rows, cols: t.targetDim, data: out };
}

function toRowsArray(m: Matrix): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < m.rows; i++) rows.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return rows;
}

// ---- reports ----

function header(r: ResultJson | CompareJson): string {
  const i = r.inputs;
  const anchors = i.anchors.mode === 'file' ? `${i.anchors.count} anchors from ${path.basename(i.anchors.file ?? '')}` : `${i.anchors.count} sampled anchors (seed ${i.anchors.seed})`;
  return (
    `source  ${i.source.path}  (${i.source.rows} × ${i.source.dims}, ${i.source.dtype})\n` +
    `target  ${i.target.path}  (${i.target.rows} × ${i.target.dims}, ${i.target.dtype})\n` +
    `pairs   ${anchors}, ${i.heldOut.count} held-out pairs (${i.heldOut.mode}), joined by ${i.join}\n`
  );
}

function fitReport(r: ResultJson, out: string): string {
  const rows: string[][] = [];
  const add = (name: string, m: ResultJson['anchors'] | null | undefined) => {
    if (m) rows.push([name, String(m.count), num(m.cosine), num(m.mse), num(m.top1), num(m.top5), num(m.mrr), num(m.csls.top1), num(m.cka)]);
  };
  add('held-out', r.heldOut);
  add('anchors', r.anchors);
  add('baseline (no translation), held-out', r.baseline?.heldOut);
  const d = r.diagnostics;
  return (
    header(r) +
    `method  ${r.options.method}, prep ${r.options.prep}\n\n` +
    renderTable(['pairs', 'n', 'cosine', 'mse', 'top1', 'top5', 'mrr', 'csls@1', 'cka'], rows, [false, true, true, true, true, true, true, true, true]) +
    `\n\nanchor rank ${d.sourceRank}/${d.sourceDim}, cross-covariance condition ${num(d.crossCovCondition)}, Procrustes disparity ${num(d.procrustesDisparity)}` +
    (d.determinant !== undefined ? `, det ${num(d.determinant, 3)}` : '') +
    stitchedReport(r.stitched) +
    `\nwrote ${Object.values(r.outputs).map((f) => path.join(out, f)).join(', ')}\n`
  );
}

function stitchedReport(s: ResultJson['stitched']): string {
  if (!s) return '';
  const name = path.basename(s.decoder);
  if (s.kind === 'reconstruction') {
    return `\n\nstitched decoder ${name} (reconstruction): MSE of stitched vs native output ${num(s.stitchedVsNative)}` + (s.absoluteVsNative !== null ? `, untranslated ${num(s.absoluteVsNative)}` : '');
  }
  const rows = [
    ['native (target embeddings)', num(s.native.accuracy), num(s.native.macroF1)],
    ['stitched (translated source)', num(s.stitched.accuracy), num(s.stitched.macroF1)],
    ...(s.absolute ? [['absolute (untranslated source)', num(s.absolute.accuracy), num(s.absolute.macroF1)]] : []),
  ];
  return `\n\nstitched decoder ${name}, ${s.native.count} held-out pairs, ${s.classes} classes; stitched agrees with native on ${num(s.agreement)}\n` + renderTable(['decoder input', 'accuracy', 'macro F1'], rows, [false, true, true]);
}

function compareReport(r: CompareJson): string {
  const best = (key: string, row: { method: string; prep: string }) => (r.best[key] && r.best[key].method === row.method && r.best[key].prep === row.prep ? '*' : ' ');
  const multiPrep = new Set(r.rows.map((x) => x.prep)).size > 1;
  const hasStitched = r.rows.some((x) => x.stitched?.kind === 'classification');
  const rows = r.rows.map((row) => {
    const m = row.heldOut ?? row.anchors;
    return [
      row.method,
      row.prep,
      num(m.cosine) + best('cosine', row),
      num(m.mse) + best('mse', row),
      num(m.top1) + best('top1', row),
      num(m.top5) + best('top5', row),
      num(m.mrr) + best('mrr', row),
      num(m.csls.top1),
      num(row.anchors.cosine),
      String(Math.round(row.fitMs)),
      ...(hasStitched ? [row.stitched?.kind === 'classification' ? num(row.stitched.stitched.accuracy) : '–'] : []),
    ];
  });
  if (r.baseline?.heldOut ?? r.baseline?.anchors) {
    const m = (r.baseline.heldOut ?? r.baseline.anchors)!;
    const abs = r.rows[0]?.stitched?.kind === 'classification' ? r.rows[0].stitched.absolute : null;
    rows.push(['no translation', '–', num(m.cosine) + ' ', num(m.mse) + ' ', num(m.top1) + ' ', num(m.top5) + ' ', num(m.mrr) + ' ', num(m.csls.top1), num(r.baseline.anchors.cosine), '–', ...(hasStitched ? [abs ? num(abs.accuracy) : '–'] : [])]);
  }
  const which = r.rows[0]?.heldOut ? 'held-out' : 'anchor (no held-out pairs!)';
  const table = renderTable(
    ['method', 'prep', 'cosine', 'mse', 'top1', 'top5', 'mrr', 'csls@1', 'anchor cos', 'fit ms', ...(hasStitched ? ['stitched acc'] : [])],
    rows,
    [false, false, true, true, true, true, true, true, true, true, true],
  );
  const native = r.rows[0]?.stitched?.kind === 'classification' ? r.rows[0].stitched.native.accuracy : undefined;
  const bestLine = r.best.cosine ? `best held-out cosine: ${r.best.cosine.method}${multiPrep ? ` (${r.best.cosine.prep})` : ''}` : '';
  const nativeLine = native !== undefined ? `\nthe target decoder's accuracy on native target embeddings: ${num(native)}` : '';
  return `${header(r)}\n${which} figures; * marks the best in each column\n\n${table}\n\n${bestLine}${nativeLine}\n`;
}
