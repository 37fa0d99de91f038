/**
 * The "Stitched decoder" section: which decoder was fed what, its figures
 * (native, stitched, absolute), charts, and either the confusion matrix as
 * an accessible heat-map table (classification) or decoded samples drawn
 * as small grayscale images (reconstruction).
 */
import type { PanelView } from '../../../src/core/view';
import type { ClassificationScores, ClassificationStitching } from '../../../src/core/stitching';
import { h, icon, srOnly } from '../shared/dom';
import { compact, count, fixed } from '../shared/format';
import { ChartSection, type ChartSectionHandlers } from './charts/section';
import { classLabels, INPUTS, num, reconstructionSpec, recallSpec, stitchedBarsSpec, type InputKey, type Reconstruction } from './charts/stitched';
import type { Cell, TableData } from './dataTable';

export interface StitchedPart {
  el: HTMLElement;
  sections: ChartSection[];
}

const SCALE = 3;

export function renderStitched(view: PanelView, handlers: ChartSectionHandlers): StitchedPart | null {
  const s = view.stitched;
  if (!s) return null;
  const classification = s.kind === 'classification';
  const sections = classification
    ? [new ChartSection(stitchedBarsSpec(s), handlers), new ChartSection(recallSpec(s), handlers)]
    : [new ChartSection(reconstructionSpec(s), handlers)];
  const grid = h('div', { class: 'charts stitched-charts' }, ...sections.map((x) => x.el));
  if (classification) grid.append(confusionSection(s, handlers));
  else grid.append(samplesSection(s));
  const el = h(
    'section',
    { id: 'stitched', class: 'stitched', 'data-kind': s.kind, 'aria-labelledby': 'stitched-heading' },
    h('div', { class: 'section-header' }, h('h2', { id: 'stitched-heading' }, 'Stitched decoder')),
    about(view, s),
    classification ? classificationFigures(s) : reconstructionFigures(s),
    grid,
  );
  return { el, sections };
}

function about(view: PanelView, s: NonNullable<PanelView['stitched']>): HTMLElement {
  const n = s.kind === 'classification' ? s.stitched.count : s.count;
  const dims = `the source (${view.diagnostics.sourceDim}-d) and target (${view.diagnostics.targetDim}-d) dimensions differ, so the untranslated source cannot be fed to the decoder`;
  const hasAbsolute = s.kind === 'classification' ? s.absolute !== null : s.absoluteVsNative !== null;
  const what = s.kind === 'classification' ? `a classifier over ${s.classes} classes (labelled 0–${s.classes - 1})` : `a decoder with ${count(s.outputDim)} outputs${s.samples.imageShape ? ` (a ${s.samples.imageShape[0]}×${s.samples.imageShape[1]} image)` : ''}`;
  const p = h(
    'p',
    { id: 'stitched-about' },
    'The target space\'s decoder ',
    h('span', { class: 'file', 'data-decoder': '' }, s.decoder),
    `, ${what}, was run on the ${count(n)} held-out items with `,
    h('strong', null, 'native'), ' input (the target\'s own embeddings, the reference), ',
    h('strong', null, 'stitched'), ` input (the source embeddings translated by this run's map, ${view.method} / ${view.prep}) and `,
    h('strong', null, 'absolute'), ' input ',
    hasAbsolute ? '(the untranslated source embeddings: the paper\'s near-chance baseline).' : h('span', { 'data-absolute-missing': '' }, `(not available: ${dims}).`),
  );
  if (s.kind === 'reconstruction') p.append(' Reconstructions are scored by their mean squared difference from the native output: lower is better.');
  return p;
}

/** A figure element: exact value in data-value (none when it is missing). */
function figure(stitched: string, metric: string, v: number | null | undefined, text = fixed(num(v))): HTMLElement {
  const value = num(v);
  return h('span', { class: 'stitched-value', 'data-stitched': stitched, 'data-metric': metric, 'data-value': value === null ? null : String(value) }, text);
}

function card(id: string, label: string, sub: string, ...content: (Node | string | null)[]): HTMLElement {
  return h(
    'div',
    { class: 'figure-card stitched-card', role: 'group', 'aria-labelledby': `${id}-label`, 'data-card': id },
    h('div', { class: 'figure-label', id: `${id}-label` }, h('span', { class: 'card-title' }, label), h('span', { class: 'card-sub' }, sub)),
    ...content,
  );
}

const SUBS: Record<InputKey, string> = {
  native: 'target\'s own embeddings',
  stitched: 'translated source',
  absolute: 'untranslated source',
};

function classificationFigures(s: ClassificationStitching): HTMLElement {
  const grid = h('div', { class: 'figures stitched-figures' });
  for (const i of INPUTS) {
    const sc: ClassificationScores | null = s[i.key];
    const id = `stitched-${i.key}`;
    const title = i.key[0].toUpperCase() + i.key.slice(1);
    if (!sc) {
      grid.append(card(id, title, SUBS[i.key], h('div', { class: 'figure-value muted' }, '–'), h('div', { class: 'figure-baseline muted' }, 'not available: dimensions differ')));
      continue;
    }
    const delta = i.key === 'native' ? null : num(sc.accuracy) !== null && num(s.native.accuracy) !== null ? sc.accuracy - s.native.accuracy : null;
    grid.append(card(
      id,
      title,
      SUBS[i.key],
      h('div', { class: 'figure-value' }, figure(i.key, 'accuracy', sc.accuracy), h('span', { class: 'unit muted' }, ' accuracy')),
      h('div', { class: 'figure-baseline muted' }, 'macro-F1 ', figure(i.key, 'macroF1', sc.macroF1)),
      delta === null ? null : h('div', { class: 'figure-baseline muted', 'data-delta': i.key }, `${delta >= 0 ? '+' : '−'}${fixed(Math.abs(delta))} vs native`),
    ));
  }
  grid.append(card(
    'stitched-agreement',
    'Agreement',
    'same class as native',
    h('div', { class: 'figure-value' }, h('span', { class: 'stitched-value', 'data-stitched-agreement': '', 'data-value': num(s.agreement) === null ? null : String(s.agreement) }, fixed(num(s.agreement)))),
    h('div', { class: 'figure-baseline muted' }, 'share of items where both inputs get the same class'),
  ));
  return grid;
}

function reconstructionFigures(s: Reconstruction): HTMLElement {
  const grid = h('div', { class: 'figures stitched-figures' });
  grid.append(
    card('stitched-recon', 'Stitched vs native', 'MSE of decoder outputs', h('div', { class: 'figure-value' }, figure('reconstruction', 'stitchedVsNative', s.stitchedVsNative, compact(num(s.stitchedVsNative)))), h('div', { class: 'figure-baseline muted' }, `mean over ${count(s.count)} items; lower is better`)),
    card(
      'stitched-recon-absolute',
      'Absolute vs native',
      'MSE, untranslated source',
      h('div', { class: `figure-value${s.absoluteVsNative === null ? ' muted' : ''}` }, figure('reconstruction', 'absoluteVsNative', s.absoluteVsNative, compact(num(s.absoluteVsNative)))),
      h('div', { class: 'figure-baseline muted' }, s.absoluteVsNative === null ? 'not available: dimensions differ' : 'the no-translation baseline'),
    ),
  );
  return grid;
}

// ---------------------------------------------------------------- confusion

function confusionSection(s: ClassificationStitching, handlers: ChartSectionHandlers): HTMLElement {
  const labels = classLabels(s);
  const available = INPUTS.filter((i) => s[i.key] !== null);
  const table = h('table', { id: 'confusion', class: 'data-table confusion', 'data-confusion': 'stitched' });
  const caption = h('caption');
  const body = h('tbody');
  const head = h('thead', null,
    h('tr', null, h('td', { class: 'corner' }), h('th', { scope: 'colgroup', colspan: labels.length, class: 'axis-head' }, 'predicted class'), h('td', { class: 'corner' })),
    h('tr', null,
      h('th', { scope: 'col', class: 'axis-head' }, 'true class'),
      labels.map((l, j) => h('th', { scope: 'col', class: 'num', 'data-pred-head': j }, l)),
      h('th', { scope: 'col', class: 'num total' }, 'total'),
    ),
  );
  table.append(caption, head, body);

  let which: InputKey = 'stitched';
  const fill = (k: InputKey) => {
    which = k;
    const sc = s[k]!;
    const m = sc.confusion;
    const n = m.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
    table.setAttribute('data-confusion', k);
    caption.textContent = `${INPUTS.find((i) => i.key === k)!.long[0].toUpperCase()}${INPUTS.find((i) => i.key === k)!.long.slice(1)} predictions on ${count(n)} items (accuracy ${fixed(num(sc.accuracy))}): rows are true classes, columns predicted classes.`;
    top.replaceChildren(...topConfusions(m, labels));
    body.replaceChildren(...m.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      return h('tr', null,
        h('th', { scope: 'row', class: 'num' }, labels[t]),
        row.map((v, p) => {
          const share = total > 0 ? v / total : 0;
          const td = h('td', {
            'data-true': t,
            'data-pred': p,
            'data-value': v,
            class: ['num', 'heat', t === p ? 'diag' : '', v === 0 ? 'zero' : ''].filter(Boolean).join(' '),
            title: `true ${labels[t]}, predicted ${labels[p]}: ${v} of ${total} (${(share * 100).toFixed(1)}% of the row)`,
          }, String(v));
          // the shade: the share of the row, through a custom property (CSSOM, allowed by the CSP)
          td.style.setProperty('--heat', share.toFixed(4));
          return td;
        }),
        h('td', { class: 'num total', 'data-row-total': t, 'data-value': total }, String(total)),
      );
    }));
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.showConfusion === k));
  };

  const top = h('ol', { id: 'top-confusions', class: 'top-confusions' });
  const buttons = available.map((i) => {
    const b = h('button', { type: 'button', 'data-show-confusion': i.key, 'aria-pressed': 'false', title: `Show the confusion matrix of the ${i.long} predictions` }, i.label);
    b.addEventListener('click', () => fill(i.key));
    return b;
  });
  fill('stitched');

  const csv = h('button', { type: 'button', 'data-export': 'csv', 'data-chart': 'confusion', title: 'Save the confusion matrix shown as CSV' }, icon('export'), 'CSV');
  csv.addEventListener('click', () => handlers.exportCsv(`confusion-${which}`, confusionTable(s, which)));

  return h(
    'section',
    { class: 'chart-section wide confusion-section', 'data-chart-section': 'confusion', 'aria-labelledby': 'confusion-heading' },
    h('div', { class: 'section-header' },
      h('h3', { id: 'confusion-heading' }, 'Confusion matrix'),
      h('div', { class: 'actions' },
        h('div', { class: 'segmented', role: 'group', 'aria-label': 'Predictions shown in the confusion matrix' }, srOnly('Show: '), ...buttons),
        csv,
      ),
    ),
    h('p', { class: 'note muted' }, 'Each cell counts the items of a true class (row) given a predicted class (column), shaded by its share of the row; the outlined diagonal holds the correct predictions. Switch to native to compare with the target\'s own embeddings.'),
    h('div', { class: 'confusion-body' },
      h('div', { class: 'table-scroll' }, table),
      h('div', { class: 'confusion-aside' },
        h('h4', { id: 'top-confusions-heading' }, 'Most frequent confusions'),
        top,
        h('h4', null, 'Shade: share of the row'),
        shadeLegend(),
      ),
    ),
  );
}

/** The largest off-diagonal cells, as "true 4 → predicted 6: 13 (15.1% of class 4)". */
function topConfusions(m: number[][], labels: string[], k = 5): HTMLElement[] {
  const cells: { t: number; p: number; v: number; share: number }[] = [];
  m.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, p) => {
      if (t !== p && v > 0) cells.push({ t, p, v, share: total ? v / total : 0 });
    });
  });
  cells.sort((a, b) => b.v - a.v || b.share - a.share || a.t - b.t || a.p - b.p);
  if (!cells.length) return [h('li', { class: 'muted' }, 'none: every item is predicted correctly')];
  return cells.slice(0, k).map((c) => h('li', { 'data-true': c.t, 'data-pred': c.p, 'data-value': c.v },
    `true ${labels[c.t]} → predicted ${labels[c.p]}: `, h('strong', null, String(c.v)), h('span', { class: 'muted' }, ` (${(c.share * 100).toFixed(1)}% of class ${labels[c.t]})`)));
}

/** Swatches of the heat scale, with their shares in text. */
function shadeLegend(): HTMLElement {
  const steps = [0, 0.25, 0.5, 0.75, 1];
  return h('div', { class: 'shade-legend' }, steps.map((x) => {
    const sw = h('span', { class: 'swatch heat', 'aria-hidden': 'true' });
    sw.style.setProperty('--heat', String(x));
    return h('span', { class: 'shade-step' }, sw, `${x * 100}%`);
  }), h('span', { class: 'visually-hidden' }, 'from no shade at 0% to the strongest at 100%'));
}

function confusionTable(s: ClassificationStitching, k: InputKey): TableData {
  const labels = classLabels(s);
  const m = s[k]!.confusion;
  return {
    caption: `Confusion matrix (${k}): rows true class, columns predicted class`,
    columns: ['true \\ predicted', ...labels, 'total'],
    rows: m.map((row, t): Cell[] => [labels[t], ...row, row.reduce((a, b) => a + b, 0)]),
  };
}

// ---------------------------------------------------------------- samples

function samplesSection(s: Reconstruction): HTMLElement {
  const { keys, native, stitched, imageShape, original } = s.samples;
  const header = h('div', { class: 'section-header' }, h('h3', { id: 'recon-samples-heading' }, 'Decoded samples'));
  const section = h('section', { class: 'chart-section recon-section', 'data-chart-section': 'recon-samples', 'aria-labelledby': 'recon-samples-heading' }, header);
  if (!imageShape || !keys.length) {
    section.append(h('p', { class: 'note muted' }, keys.length ? `The decoder's output (${count(s.outputDim)} values) is not a square image, so the decoded samples are not drawn.` : 'No decoded samples in this run.'));
    return section;
  }
  const [rows, cols] = imageShape;
  // originals are drawn only when they are images too (their own shape: e.g. 1×28×28 → 28×28)
  const originals = original?.imageShape ? { ...original, shape: original.imageShape } : null;
  const columns = originals ? 'original (the raw input), native (decoded from the target\'s own embedding) and stitched (decoded from the translated source embedding)' : 'native (decoded from the target\'s own embedding) and stitched (decoded from the translated source embedding)';
  section.append(h('p', { class: 'note muted', id: 'recon-note' }, `The first ${keys.length} held-out items: ${columns}; ${rows}×${cols} grayscale, values clamped to [0, 1], drawn ${SCALE}× larger. The MSE is of the shown (rounded) decoded values.`));
  if (original && !originals) section.append(h('p', { class: 'note muted', 'data-original-missing': '' }, `The inputs in ${original.file} are not 2-D images, so the originals are not drawn.`));
  else if (!original) section.append(h('p', { class: 'note muted', 'data-original-missing': '' }, 'Originals are not shown: give the held-out items\' raw inputs (--test-inputs, or the fit flow\'s decoder step) to see them beside the decodings.'));
  const grid = h('div', { id: 'recon-grid', class: 'recon-grid', 'data-columns': originals ? 3 : 2, role: 'list', 'aria-label': originals ? 'Held-out items: original, native and stitched' : 'Decoded samples, native and stitched' });
  keys.forEach((key, i) => {
    const mse = itemMse(native[i], stitched[i]);
    grid.append(h(
      'div',
      { class: 'recon-item', role: 'listitem', 'data-key': key, 'data-mse': mse === null ? null : String(mse) },
      h(
        'div',
        { class: 'recon-pair' },
        originals ? image('original', key, originals.rows[i], originals.shape[0], originals.shape[1]) : null,
        image('native', key, native[i], rows, cols),
        image('stitched', key, stitched[i], rows, cols),
      ),
      h('div', { class: 'recon-key' }, h('span', { class: 'muted' }, 'key '), h('span', { 'data-col': 'key' }, key), mse === null ? null : h('span', { class: 'muted' }, ` · MSE ≈ ${compact(mse, 3)}`)),
    ));
  });
  section.append(grid);
  return section;
}

function itemMse(a: number[] | undefined, b: number[] | undefined): number | null {
  if (!a || !b || a.length !== b.length || !a.length) return null;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / a.length;
}

const IMAGE_LABELS: Record<'original' | 'native' | 'stitched', string> = { original: 'Original input', native: 'Native decoding', stitched: 'Stitched decoding' };

function image(which: 'original' | 'native' | 'stitched', key: string, values: number[] | undefined, rows: number, cols: number): HTMLElement {
  const label = `${IMAGE_LABELS[which]} of item ${key} (${rows}×${cols} grayscale image)`;
  const canvas = h('canvas', { width: cols * SCALE, height: rows * SCALE, role: 'img', 'aria-label': label, 'data-recon': which, class: 'recon-image' });
  canvas.textContent = label;
  paint(canvas, values ?? [], rows, cols);
  return h('figure', { class: 'recon-figure' }, canvas, h('figcaption', { class: 'muted', 'aria-hidden': 'true' }, which));
}

/** Grayscale, values clamped to [0, 1], scaled up without smoothing. */
function paint(canvas: HTMLCanvasElement, values: number[], rows: number, cols: number): void {
  const small = document.createElement('canvas');
  small.width = cols;
  small.height = rows;
  const sctx = small.getContext('2d');
  const ctx = canvas.getContext('2d');
  if (!sctx || !ctx) return;
  const img = sctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = values[i];
    const g = Math.round(255 * (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0));
    img.data[i * 4] = g;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = g;
    img.data[i * 4 + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, cols * SCALE, rows * SCALE);
}
