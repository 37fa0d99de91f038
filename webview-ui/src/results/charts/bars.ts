/** Retrieval ranks, singular values and the anchors-vs-held-out (over-fitting) chart. */
import type { Headline, PanelView } from '../../../../src/core/view';
import { compact, fixed } from '../../shared/format';
import { withAlpha } from '../theme';
import type { ChartSpec } from './section';
import { axis, baseOptions } from './setup';

export function ranksSpec(view: PanelView): ChartSpec | null {
  const r = view.charts.ranks;
  if (!r.plain.length) return null;
  const n = r.plain.reduce((a, b) => a + b, 0);
  return {
    name: 'ranks',
    heading: 'Retrieval ranks',
    note: [`Where each pair's true target ranks among all ${n} targets when searched with its translated source: plain cosine nearest neighbours vs CSLS (which corrects for hub targets). More pairs at rank 1 is better.`],
    ariaLabel: `Bar chart of retrieval rank buckets for ${n} pairs, plain versus CSLS: rank 1 has ${r.plain[0]} plain and ${r.csls[0]} CSLS. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: {
        labels: r.buckets,
        datasets: [
          { label: 'plain cosine', data: r.plain, backgroundColor: withAlpha(t.primary, 0.8), borderColor: t.primary, borderWidth: 1 },
          { label: 'CSLS', data: r.csls, backgroundColor: withAlpha(t.tertiary, 0.7), borderColor: t.tertiary, borderWidth: 1 },
        ],
      },
      options: { ...baseOptions(t), scales: { x: axis(t, 'rank of the true target'), y: axis(t, 'pairs', { beginAtZero: true }) } },
    }),
    table: () => ({ caption: 'Retrieval rank buckets', columns: ['rank', 'plain', 'CSLS'], rows: r.buckets.map((b, i) => [b, r.plain[i], r.csls[i]]) }),
  };
}

export function singularSpec(view: PanelView): ChartSpec | null {
  const sv = view.charts.singularValues;
  if (!sv.length) return null;
  const positive = sv.filter((v) => v > 0);
  const cond = view.diagnostics.crossCovCondition;
  return {
    name: 'singular',
    heading: 'Singular values of the anchor cross-covariance',
    note: [
      `${sv.length} singular values, largest first, on a log scale. A long flat tail is healthy; a sudden drop means some directions are barely determined by the anchors`,
      cond > 0 ? ` (condition number ${compact(cond)}).` : '.',
      positive.length < sv.length ? ` ${sv.length - positive.length} zero values are not drawn.` : '',
    ],
    ariaLabel: `Line chart of ${sv.length} singular values on a log scale, from ${compact(sv[0])} down to ${compact(sv[sv.length - 1])}. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'line',
      data: {
        labels: sv.map((_, i) => String(i + 1)),
        datasets: [{
          label: 'singular value',
          data: sv.map((v) => (v > 0 ? v : null)),
          borderColor: t.primary,
          backgroundColor: t.primary,
          pointRadius: sv.length > 80 ? 0 : 2,
          borderWidth: t.highContrast ? 2.5 : 1.5,
          spanGaps: false,
        }],
      },
      options: {
        ...baseOptions(t),
        plugins: { ...baseOptions(t).plugins, legend: { display: false } },
        scales: {
          x: axis(t, 'index', { ticks: { color: t.muted, autoSkip: true, maxTicksLimit: 16, maxRotation: 0 } }),
          y: axis(t, 'singular value (log)', { type: 'logarithmic', ticks: { color: t.muted, callback: (v: number | string) => logTick(Number(v)) } }),
        },
      },
    }),
    table: () => ({ caption: 'Singular values, descending', columns: ['index', 'singular value'], rows: sv.map((v, i) => [String(i + 1), { text: compact(v, 6), value: v }]) }),
  };
}

function logTick(v: number): string {
  const e = Math.log10(v);
  return Math.abs(e - Math.round(e)) < 1e-9 ? compact(v, 2) : '';
}

const FIGS: [keyof Headline, string][] = [
  ['cosine', 'cosine'],
  ['top1', 'top-1'],
  ['top5', 'top-5'],
  ['mrr', 'MRR'],
  ['cslsTop1', 'CSLS top-1'],
  ['mse', 'MSE'],
];

export function overfitSpec(view: PanelView): ChartSpec {
  const { anchors, heldOut } = view.charts.overfit;
  const gap = heldOut ? anchors.cosine - heldOut.cosine : null;
  const nullMse = (h: Headline) => FIGS.map(([k]) => (k === 'mse' ? null : h[k]));
  const onlyMse = (h: Headline) => FIGS.map(([k]) => (k === 'mse' ? h.mse : null));
  return {
    name: 'overfit',
    heading: heldOut ? 'Anchors vs held-out' : 'Anchor figures',
    note: heldOut
      ? [`The fit's figures on its own anchors next to the held-out pairs. A large drop (cosine gap ${fixed(gap)}) means over-fitting. MSE (lower is better) has its own scale on the right axis; the other figures use the left axis, 0 to 1.`]
      : ['No held-out pairs: only the anchor figures are known, and they are optimistic. MSE (lower is better) uses the right axis.'],
    ariaLabel: `Grouped bar chart of anchor versus held-out figures: cosine ${fixed(anchors.cosine)} on anchors${heldOut ? ` and ${fixed(heldOut.cosine)} held out` : ''}. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: {
        labels: FIGS.map(([, l]) => l),
        datasets: [
          { label: 'anchors (fit)', data: nullMse(anchors), backgroundColor: withAlpha(t.secondary, 0.75), borderColor: t.secondary, borderWidth: 1, yAxisID: 'y' },
          ...(heldOut ? [{ label: 'held-out', data: nullMse(heldOut), backgroundColor: withAlpha(t.primary, 0.8), borderColor: t.primary, borderWidth: 1, yAxisID: 'y' }] : []),
          { label: 'anchors (fit) MSE', data: onlyMse(anchors), backgroundColor: withAlpha(t.secondary, 0.35), borderColor: t.secondary, borderWidth: 1, yAxisID: 'y2' },
          ...(heldOut ? [{ label: 'held-out MSE', data: onlyMse(heldOut), backgroundColor: withAlpha(t.primary, 0.4), borderColor: t.primary, borderWidth: 1, yAxisID: 'y2' }] : []),
        ],
      },
      options: {
        ...baseOptions(t),
        skipNull: true,
        plugins: {
          ...baseOptions(t).plugins,
          legend: { labels: { color: t.foreground, boxWidth: 14, filter: (item: { text: string }) => !item.text.endsWith('MSE') } },
        },
        scales: {
          x: axis(t, '', { title: { display: false } }),
          y: axis(t, 'cosine, top-k, MRR', { min: 0, max: 1, position: 'left' }),
          y2: axis(t, 'MSE (lower is better)', { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } }),
        },
      },
    }),
    table: () => ({
      caption: 'Anchor vs held-out figures',
      columns: ['figure', 'anchors', ...(heldOut ? ['held-out', 'gap (anchors − held-out)'] : [])],
      rows: FIGS.map(([k, l]) => [l, anchors[k], ...(heldOut ? [heldOut[k], anchors[k] - heldOut[k]] : [])]),
    }),
  };
}
