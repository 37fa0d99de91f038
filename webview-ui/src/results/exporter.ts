/** Export: the whole view as JSON, the figures as CSV, each chart as PNG or CSV. The host shows the save dialog. */
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

/** One table: the headline row (and baseline), then every compared run. */
export function figuresCsv(view: PanelView): string {
  const cols = ['row', ...COLUMNS.map((c) => c.key), 'warnings', 'on'];
  const rows: Cell[][] = [];
  const h = view.headline;
  rows.push(['headline', view.method, view.prep, h.cosine, h.mse, h.top1, h.top5, h.mrr, h.cslsTop1, view.charts.overfit.anchors.cosine, null, view.warnings.length, view.headlineOn]);
  if (view.baseline) {
    const b = view.baseline;
    rows.push(['baseline', 'no translation', '', b.cosine, b.mse, b.top1, b.top5, b.mrr, b.cslsTop1, null, null, null, view.headlineOn]);
  }
  for (const r of view.comparison) {
    rows.push(['comparison', r.method, r.prep, r.cosine, r.mse, r.top1, r.top5, r.mrr, r.cslsTop1, r.anchorCosine, r.fitMs, r.warnings, view.headlineOn]);
  }
  return toCsv(cols, rows);
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
