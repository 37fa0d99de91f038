/** The two histograms: per-pair cosine (translated vs no translation) and residual norms. */
import type { PanelView } from '../../../../src/core/view';
import { fixed } from '../../shared/format';
import { withAlpha } from '../theme';
import type { ChartSpec } from './section';
import { axis, baseOptions } from './setup';

function binLabels(edges: number[], digits: number): string[] {
  return edges.slice(0, -1).map((lo, i) => `${fixed(lo, digits)} – ${fixed(edges[i + 1], digits)}`);
}

function tickEvery(n: number, wanted: number) {
  const step = Math.max(1, Math.round(n / wanted));
  return (labels: string[]) => (_v: unknown, i: number) => (i % step === 0 ? labels[i].split(' – ')[0] : '');
}

/** Cosine histogram; only bins from the first non-empty one on (most pairs sit near 1). */
export function cosineSpec(view: PanelView): ChartSpec | null {
  const c = view.charts.cosine;
  if (!c.translated.length) return null;
  const base = c.baseline;
  let first = 0;
  while (first < c.translated.length - 1 && c.translated[first] === 0 && (!base || base[first] === 0)) first++;
  first = Math.max(0, first - 1);
  const edges = c.edges.slice(first);
  const translated = c.translated.slice(first);
  const baseline = base ? base.slice(first) : null;
  const labels = binLabels(edges, 2);
  const total = c.translated.reduce((a, b) => a + b, 0);
  return {
    name: 'cosine',
    heading: 'Per-pair cosine similarity',
    note: [
      `Cosine between each translated ${view.headlineOn === 'held-out' ? 'held-out' : 'anchor'} source vector and its true target (${total} pairs; higher is better).`,
      baseline ? ' The “no translation” series compares the untranslated source with the target directly.' : ' No baseline: source and target dimensions differ.',
      first > 0 ? ` Empty bins below ${fixed(edges[0], 2)} are not drawn.` : '',
    ],
    ariaLabel: `Histogram of per-pair cosine similarity, ${baseline ? 'translated versus no translation' : 'translated'}; mean cosine ${fixed(view.headline.cosine)}. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: `Translated (${view.method})`, data: translated, backgroundColor: withAlpha(t.primary, 0.75), borderColor: t.primary, borderWidth: 1 },
          ...(baseline ? [{ label: 'No translation', data: baseline, backgroundColor: withAlpha(t.secondary, 0.6), borderColor: t.secondary, borderWidth: 1 }] : []),
        ],
      },
      options: {
        ...baseOptions(t),
        datasets: { bar: { barPercentage: 1, categoryPercentage: 0.9 } },
        scales: {
          x: axis(t, 'cosine(translated source, target)', { ticks: { color: t.muted, autoSkip: false, maxRotation: 0, callback: tickEvery(labels.length, 10)(labels) } }),
          y: axis(t, 'pairs', { beginAtZero: true }),
        },
      },
    }),
    table: () => ({
      caption: `Per-pair cosine histogram (${c.edges.length - 1} bins over [−1, 1])`,
      columns: ['bin', 'translated', ...(base ? ['no translation'] : [])],
      rows: c.translated.map((n, i) => [`${fixed(c.edges[i], 2)} – ${fixed(c.edges[i + 1], 2)}`, n, ...(base ? [base[i]] : [])]),
    }),
  };
}

export function residualSpec(view: PanelView, worst: Node[]): ChartSpec | null {
  const r = view.charts.residuals;
  if (!r.counts.length) return null;
  const labels = binLabels(r.edges, 2);
  return {
    name: 'residuals',
    heading: 'Residuals',
    note: [`Norm of (translated − target) for each held-out pair; the worst ${r.worst.length} pairs are listed with it. Select one to see it in the PCA chart.`],
    ariaLabel: `Histogram of residual norms over ${r.counts.reduce((a, b) => a + b, 0)} pairs, from 0 to ${fixed(r.edges[r.edges.length - 1], 2)}. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: { labels, datasets: [{ label: 'pairs', data: r.counts, backgroundColor: withAlpha(t.primary, 0.75), borderColor: t.primary, borderWidth: 1 }] },
      options: {
        ...baseOptions(t),
        plugins: { ...baseOptions(t).plugins, legend: { display: false } },
        datasets: { bar: { barPercentage: 1, categoryPercentage: 0.95 } },
        scales: {
          x: axis(t, '‖translated − target‖', { ticks: { color: t.muted, autoSkip: false, maxRotation: 0, callback: tickEvery(labels.length, 8)(labels) } }),
          y: axis(t, 'pairs', { beginAtZero: true }),
        },
      },
    }),
    table: () => ({
      caption: 'Residual norm histogram',
      columns: ['residual norm', 'pairs'],
      rows: r.counts.map((n, i) => [labels[i], n]),
    }),
    extra: worst,
    wide: true,
    split: true,
  };
}
