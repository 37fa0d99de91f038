/** Export: the whole view as JSON, the figures as CSV, each chart as PNG or CSV. The host shows the save dialog. */
import type { ClassificationScores } from '../../../src/core/stitching';
import type { PanelView } from '../../../src/core/view';
import type { FromPanel } from '../../../src/shared/protocol';
import { toCsv, type Cell, type TableData } from './dataTable';
import { COLUMNS } from './comparison';
import { readTheme } from './theme';

export type Post = (m: FromPanel) => void;

export function slug(s: string): string {
  return s.normalize('NFKD').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-').slice(0, 80) || 'latent-translation';
}

export function exportJson(post: Post, view: PanelView, runId: string): void {
  post({ type: 'export', format: 'json', suggestedName: `${slug(runId || view.title)}.view.json`, data: JSON.stringify(view, null, 2) });
}

/**
 * One table: the headline row (and baseline), then every compared run. With a
 * stitched decoder, columns are added at the end (so the others keep their
 * place) and one row per decoder input: native (the target's own
 * embeddings), stitched (this run's translation), absolute (untranslated).
 */
export function figuresCsv(view: PanelView): string {
  const s = view.stitched;
  const extra = !s ? [] : s.kind === 'classification' ? ['decoder', 'decoderAccuracy', 'decoderMacroF1', 'decoderWeightedF1', 'agreement'] : ['decoder', 'decoderMse'];
  const withStitched = extra.length > 0 || view.comparison.some((r) => typeof r.stitchedAccuracy === 'number');
  if (withStitched && !extra.length) extra.push('decoder', 'decoderAccuracy');
  const cols = ['row', ...COLUMNS.map((c) => c.key), 'warnings', 'on', ...extra];
  const none = (): Cell[] => extra.map(() => null);
  const rows: Cell[][] = [];
  const h = view.headline;
  rows.push(['headline', view.method, view.prep, h.cosine, h.mse, h.top1, h.top5, h.mrr, h.cslsTop1, view.charts.overfit.anchors.cosine, null, view.warnings.length, view.headlineOn, ...none()]);
  if (view.baseline) {
    const b = view.baseline;
    rows.push(['baseline', 'no translation', '', b.cosine, b.mse, b.top1, b.top5, b.mrr, b.cslsTop1, null, null, null, view.headlineOn, ...none()]);
  }
  const decoderRow = (row: string, method: string, prep: string, ...values: Cell[]): Cell[] => [row, method, prep, ...COLUMNS.slice(2).map(() => null), null, 'held-out', s!.decoder, ...values];
  if (s?.kind === 'classification') {
    const scores = (sc: ClassificationScores, agreement: number | null) => [finite(sc.accuracy), finite(sc.macroF1), finite(sc.weightedF1), agreement];
    rows.push(decoderRow('decoder-native', 'target embeddings', '', ...scores(s.native, 1)));
    rows.push(decoderRow('decoder-stitched', view.method, view.prep, ...scores(s.stitched, finite(s.agreement))));
    if (s.absolute) rows.push(decoderRow('decoder-absolute', 'no translation', '', ...scores(s.absolute, null)));
  } else if (s) {
    rows.push(decoderRow('decoder-stitched', view.method, view.prep, finite(s.stitchedVsNative)));
    if (s.absoluteVsNative !== null) rows.push(decoderRow('decoder-absolute', 'no translation', '', finite(s.absoluteVsNative)));
  }
  for (const r of view.comparison) {
    const stitched: Cell[] = !extra.length ? [] : extra.map((c) => (c === 'decoderAccuracy' ? finite(r.stitchedAccuracy) : c === 'decoder' && s && typeof r.stitchedAccuracy === 'number' ? s.decoder : null));
    rows.push(['comparison', r.method, r.prep, r.cosine, r.mse, r.top1, r.top5, r.mrr, r.cslsTop1, r.anchorCosine, r.fitMs, r.warnings, view.headlineOn, ...stitched]);
  }
  return toCsv(cols, rows);
}

function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function exportCsv(post: Post, view: PanelView, runId: string): void {
  post({ type: 'export', format: 'csv', suggestedName: `${slug(runId || view.title)}.figures.csv`, data: figuresCsv(view) });
}

export function exportChartCsv(post: Post, name: string, table: TableData, runId: string): void {
  post({ type: 'export', format: 'csv', suggestedName: `${slug(runId)}.${name}.csv`, data: toCsv(table.columns, table.rows) });
}

/** The chart on the editor background (a transparent PNG is unreadable outside the theme it was drawn in). */
export function exportPng(post: Post, name: string, canvas: HTMLCanvasElement, runId: string): void {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  let data: string;
  if (ctx) {
    ctx.fillStyle = readTheme().background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    data = out.toDataURL('image/png');
  } else {
    data = canvas.toDataURL('image/png');
  }
  post({ type: 'export', format: 'png', suggestedName: `${slug(runId)}.${name}.png`, data });
}
