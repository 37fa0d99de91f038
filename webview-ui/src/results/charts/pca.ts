/**
 * PCA of the held-out targets with the translated points projected on the
 * same axes; a segment joins each translated point to its target (drawn by
 * a small plugin: one path, cheap for thousands of pairs). The selected pair
 * is drawn on top in the highlight colour.
 */
import type { Chart, ChartEvent, Plugin } from 'chart.js';
import type { PanelView } from '../../../../src/core/view';
import { h } from '../../shared/dom';
import type { Selection } from '../selection';
import { withAlpha, type ChartTheme } from '../theme';
import type { ChartSpec } from './section';
import { axis, baseOptions } from './setup';

type Pca = NonNullable<PanelView['charts']['pca']>;
interface Pt { x: number; y: number }

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function pcaSpec(view: PanelView, selection: Selection): ChartSpec | null {
  const p = view.charts.pca;
  if (!p || !p.target.length) return null;
  const index = new Map(p.keys.map((k, i) => [k, i]));
  const target: Pt[] = p.target.map(([x, y]) => ({ x, y }));
  const translated: Pt[] = p.translated.map(([x, y]) => ({ x, y }));
  const name = (i: number) => (p.labels ? `${p.keys[i]} (${p.labels[i]})` : p.keys[i]);
  let theme: ChartTheme | null = null;

  const segments: Plugin<'scatter'> = {
    id: 'ltResidualSegments',
    beforeDatasetsDraw(chart) {
      if (!theme) return;
      const { ctx, chartArea, scales } = chart;
      const sx = scales.x;
      const sy = scales.y;
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
      ctx.clip();
      ctx.beginPath();
      for (let i = 0; i < target.length; i++) {
        ctx.moveTo(sx.getPixelForValue(translated[i].x), sy.getPixelForValue(translated[i].y));
        ctx.lineTo(sx.getPixelForValue(target[i].x), sy.getPixelForValue(target[i].y));
      }
      ctx.strokeStyle = withAlpha(theme.segment, theme.highContrast ? 0.5 : 0.28);
      ctx.lineWidth = 0.75;
      ctx.stroke();
      ctx.restore();
    },
    afterDatasetsDraw(chart) {
      const i = selection.key === null ? undefined : index.get(selection.key);
      if (!theme || i === undefined) return;
      const { ctx, scales } = chart;
      ctx.save();
      ctx.beginPath();
      ctx.moveTo(scales.x.getPixelForValue(translated[i].x), scales.y.getPixelForValue(translated[i].y));
      ctx.lineTo(scales.x.getPixelForValue(target[i].x), scales.y.getPixelForValue(target[i].y));
      ctx.strokeStyle = theme.highlight;
      ctx.lineWidth = 2.5;
      ctx.stroke();
      ctx.restore();
    },
  };

  const selectedPoints = (): Pt[] => {
    const i = selection.key === null ? undefined : index.get(selection.key);
    return i === undefined ? [] : [target[i], translated[i]];
  };

  const sampledNote = p.sampled < p.total
    ? h('p', { id: 'pca-sampled', class: 'sampled-note' }, `showing ${p.sampled} of ${p.total} held-out pairs (sampled)`)
    : null;

  return {
    name: 'pca',
    heading: 'PCA of the target space',
    note: [
      `The held-out targets projected on their first two principal axes (${pct(p.explained[0] + p.explained[1])} of the variance), with the translated points on the same axes. Each thin line joins a translated point to its true target: short lines mean a good translation.`,
    ],
    ariaLabel: `Scatter plot of ${p.sampled} target points and their ${p.sampled} translated points on the first two principal axes (PC1 ${pct(p.explained[0])}, PC2 ${pct(p.explained[1])} of the variance), with a segment from each translated point to its target. Use "Show table" for the coordinates.`,
    height: 420,
    wide: true,
    extra: sampledNote ? [sampledNote] : [],
    config: (t) => {
      theme = t;
      return {
        type: 'scatter',
        data: {
          datasets: [
            { label: 'target', data: target, backgroundColor: withAlpha(t.tertiary, 0.75), borderColor: t.tertiary, borderWidth: 0, pointRadius: 2.2, pointHoverRadius: 4 },
            { label: 'translated', data: translated, backgroundColor: withAlpha(t.primary, 0.75), borderColor: t.primary, borderWidth: 0, pointRadius: 2.2, pointHoverRadius: 4 },
            { label: 'selected pair', order: -1, data: selectedPoints(), backgroundColor: t.highlight, borderColor: t.foreground, borderWidth: 1.5, pointRadius: 6, pointHoverRadius: 7 },
          ],
        },
        options: {
          ...baseOptions(t),
          scales: {
            x: axis(t, `PC1 (${pct(p.explained[0])} of variance)`, { type: 'linear' }),
            y: axis(t, `PC2 (${pct(p.explained[1])} of variance)`, { type: 'linear' }),
          },
          plugins: {
            ...baseOptions(t).plugins,
            legend: {
              labels: {
                ...baseOptions(t).plugins.legend.labels,
                sort: (a: { datasetIndex?: number }, b: { datasetIndex?: number }) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
                filter: (item: { datasetIndex?: number }) => item.datasetIndex !== 2 || (selection.key !== null && index.has(selection.key)),
              },
            },
            tooltip: {
              ...baseOptions(t).plugins.tooltip,
              callbacks: {
                label: (c: { datasetIndex: number; dataIndex: number }) => {
                  if (c.datasetIndex === 2) return `selected: ${selection.key ?? ''}`;
                  return `${c.datasetIndex === 0 ? 'target' : 'translated'} ${name(c.dataIndex)}`;
                },
              },
            },
          },
          onClick: (e: ChartEvent, _els: unknown, chart: Chart) => {
            const hit = chart.getElementsAtEventForMode(e as unknown as Event, 'nearest', { intersect: true }, false).find((x) => x.datasetIndex < 2);
            if (hit) selection.set(p.keys[hit.index], 'pca');
          },
        },
        plugins: [segments as unknown as Plugin],
      };
    },
    afterDraw: (chart) => {
      chart.canvas.dataset.selectedKey = selection.key !== null && index.has(selection.key) ? selection.key : '';
    },
    table: () => ({
      caption: `PCA coordinates of ${p.sampled} held-out pairs`,
      columns: ['key', 'label', 'target PC1', 'target PC2', 'translated PC1', 'translated PC2'],
      rows: p.keys.map((k, i) => [k, p.labels ? p.labels[i] : '', p.target[i][0], p.target[i][1], p.translated[i][0], p.translated[i][1]]),
    }),
  };
}

/** Redraws the selected pair without rebuilding the chart. */
export function showSelection(chart: Chart, view: PanelView, key: string | null): boolean {
  const p: Pca | null = view.charts.pca;
  if (!p) return false;
  const i = key === null ? -1 : p.keys.indexOf(key);
  chart.data.datasets[2].data = i < 0 ? [] : [{ x: p.target[i][0], y: p.target[i][1] }, { x: p.translated[i][0], y: p.translated[i][1] }];
  chart.update('none');
  chart.canvas.dataset.selectedKey = i < 0 ? '' : p.keys[i];
  return i >= 0;
}

