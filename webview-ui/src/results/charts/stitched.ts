/**
 * Charts of the stitched decoder: accuracy and macro-F1 of the three decoder
 * inputs (native, stitched, absolute), per-class recall (native vs stitched)
 * and, for reconstruction decoders, the per-item MSE histogram.
 */
import type { PanelView } from '../../../../src/core/view';
import type { ClassificationStitching } from '../../../../src/core/stitching';
import { compact, count, fixed } from '../../shared/format';
import { withAlpha, type ChartTheme } from '../theme';
import type { ChartSpec } from './section';
import { axis, baseOptions } from './setup';

export type Stitched = NonNullable<PanelView['stitched']>;
export type Reconstruction = Exclude<Stitched, ClassificationStitching>;

/** The three decoder inputs, in the order they are shown everywhere. */
export const INPUTS = [
  { key: 'native', label: 'native', long: 'native (target embeddings)' },
  { key: 'stitched', label: 'stitched', long: 'stitched (translated source)' },
  { key: 'absolute', label: 'absolute', long: 'absolute (untranslated source)' },
] as const;

export type InputKey = (typeof INPUTS)[number]['key'];

/** Series colours: native green (the reference), stitched blue (this run, as elsewhere), absolute orange (the baseline, as elsewhere). */
export function inputColour(t: ChartTheme, k: InputKey): string {
  return k === 'native' ? t.tertiary : k === 'stitched' ? t.primary : t.secondary;
}

/** Finite number or null (JSON turns NaN into null). */
export function num(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function classLabels(s: ClassificationStitching): string[] {
  return Array.from({ length: s.classes }, (_, i) => String(i));
}

export function stitchedBarsSpec(s: ClassificationStitching): ChartSpec {
  const inputs = INPUTS.filter((i) => s[i.key] !== null);
  const chance = s.classes > 0 ? 1 / s.classes : null;
  const st = s.stitched;
  return {
    name: 'stitched',
    heading: 'Decoder accuracy by input',
    headingLevel: 3,
    note: [
      `Accuracy and macro-F1 of ${s.decoder} on ${count(st.count)} held-out items, for each input. Higher is better; chance is about ${fixed(chance, 2)} (${s.classes} classes).`,
      s.absolute ? '' : ' No absolute bars: the source and target dimensions differ.',
    ],
    ariaLabel: `Grouped bar chart of decoder accuracy and macro-F1: native ${fixed(s.native.accuracy)}, stitched ${fixed(st.accuracy)}${s.absolute ? `, absolute ${fixed(s.absolute.accuracy)}` : ''} accuracy. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: {
        labels: ['accuracy', 'macro-F1'],
        datasets: inputs.map((i) => {
          const sc = s[i.key]!;
          const c = inputColour(t, i.key);
          return { label: i.long, data: [num(sc.accuracy), num(sc.macroF1)], backgroundColor: withAlpha(c, 0.75), borderColor: c, borderWidth: 1 };
        }),
      },
      options: {
        ...baseOptions(t),
        scales: {
          x: axis(t, '', { title: { display: false } }),
          y: axis(t, 'score (0 to 1)', { min: 0, max: 1 }),
        },
      },
    }),
    table: () => ({
      caption: `Decoder scores by input (${count(st.count)} items, ${s.classes} classes)`,
      columns: ['decoder input', 'accuracy', 'macro-F1', 'weighted-F1'],
      rows: INPUTS.map((i) => {
        const sc = s[i.key];
        return [i.long, num(sc?.accuracy), num(sc?.macroF1), num(sc?.weightedF1)];
      }),
    }),
  };
}

export function recallSpec(s: ClassificationStitching): ChartSpec {
  const labels = classLabels(s);
  const nat = s.native.perClassRecall.map(num);
  const sti = s.stitched.perClassRecall.map(num);
  const drops = labels.map((_, i) => (nat[i] !== null && sti[i] !== null ? nat[i]! - sti[i]! : -Infinity));
  const worst = drops.indexOf(Math.max(...drops));
  return {
    name: 'recall',
    heading: 'Per-class recall',
    headingLevel: 3,
    note: [
      'Share of each true class the decoder gets right, with the target\'s own embeddings (native) and with translated source embeddings (stitched).',
      worst >= 0 && Number.isFinite(drops[worst]) && drops[worst] > 0 ? ` The largest drop is class ${labels[worst]} (${fixed(nat[worst])} → ${fixed(sti[worst])}).` : '',
    ],
    ariaLabel: `Bar chart of per-class recall for ${labels.length} classes, native versus stitched. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'native', data: nat, backgroundColor: withAlpha(inputColour(t, 'native'), 0.75), borderColor: inputColour(t, 'native'), borderWidth: 1 },
          { label: 'stitched', data: sti, backgroundColor: withAlpha(inputColour(t, 'stitched'), 0.75), borderColor: inputColour(t, 'stitched'), borderWidth: 1 },
        ],
      },
      options: {
        ...baseOptions(t),
        scales: {
          x: axis(t, 'true class'),
          y: axis(t, 'recall', { min: 0, max: 1 }),
        },
      },
    }),
    table: () => ({
      caption: 'Per-class recall, native and stitched',
      columns: ['class', 'native', 'stitched', 'stitched − native'],
      rows: labels.map((l, i) => [l, nat[i], sti[i], nat[i] !== null && sti[i] !== null ? sti[i]! - nat[i]! : null]),
    }),
  };
}

export function reconstructionSpec(s: Reconstruction): ChartSpec {
  const { edges, counts } = s.histogram;
  const labels = counts.map((_, i) => `${compact(edges[i], 3)} – ${compact(edges[i + 1], 3)}`);
  const step = Math.max(1, Math.round(labels.length / 8));
  const total = counts.reduce((a, b) => a + b, 0);
  return {
    name: 'reconstruction',
    heading: 'Per-item reconstruction error',
    headingLevel: 3,
    wide: true,
    height: 220,
    note: [`MSE between the decoder's output for the stitched input and for the native input, per held-out item (${count(total)} items; mean ${compact(s.stitchedVsNative)}; lower is better).`],
    ariaLabel: `Histogram of per-item MSE between stitched and native decoder outputs over ${total} items, from 0 to ${compact(edges[edges.length - 1])}; mean ${compact(s.stitchedVsNative)}. Use "Show table" for the values.`,
    config: (t) => ({
      type: 'bar',
      data: { labels, datasets: [{ label: 'items', data: counts, backgroundColor: withAlpha(t.primary, 0.75), borderColor: t.primary, borderWidth: 1 }] },
      options: {
        ...baseOptions(t),
        plugins: { ...baseOptions(t).plugins, legend: { display: false } },
        datasets: { bar: { barPercentage: 1, categoryPercentage: 0.95 } },
        scales: {
          x: axis(t, 'MSE(stitched output, native output)', { ticks: { color: t.muted, autoSkip: false, maxRotation: 0, callback: (_v: unknown, i: number) => (i % step === 0 ? labels[i].split(' – ')[0] : '') } }),
          y: axis(t, 'items', { beginAtZero: true }),
        },
      },
    }),
    table: () => ({
      caption: 'Per-item MSE histogram (stitched vs native decoder output)',
      columns: ['MSE bin', 'from', 'to', 'items'],
      rows: counts.map((n, i) => [labels[i], edges[i], edges[i + 1], n]),
    }),
  };
}
