/** Title, inputs line, headline figures (with the no-translation baseline), warnings and diagnostics. */
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import type { Headline, PanelView } from '../../../src/core/view';
import { h, icon } from '../shared/dom';
import { basename, compact, count, fixed } from '../shared/format';

export const FIGURES: { key: keyof Headline; label: string; better: 'higher' | 'lower'; help: string; primary: boolean }[] = [
  { key: 'cosine', label: 'Cosine', better: 'higher', help: 'mean cosine between each translated vector and its true target', primary: true },
  { key: 'mse', label: 'MSE', better: 'lower', help: 'mean squared error between translated vectors and targets', primary: true },
  { key: 'top1', label: 'Top-1', better: 'higher', help: 'share of pairs whose nearest target is the true one', primary: true },
  { key: 'mrr', label: 'MRR', better: 'higher', help: 'mean reciprocal rank of the true target', primary: true },
  { key: 'top5', label: 'Top-5', better: 'higher', help: 'share of pairs whose true target is among the 5 nearest', primary: false },
  { key: 'cslsTop1', label: 'CSLS top-1', better: 'higher', help: 'top-1 with cross-domain similarity local scaling (less sensitive to hubs)', primary: false },
];

export function renderHeader(view: PanelView): HTMLElement {
  const i = view.inputs;
  const src = i.source;
  const tgt = i.target;
  const anchors = `${count(i.anchors.count)} anchors (${i.anchors.mode === 'file' ? `file ${basename(i.anchors.file ?? '')}` : `sampled, seed ${i.anchors.seed ?? 0}`})`;
  const heldMode = i.heldOut.mode === 'file' ? `file ${basename(i.heldOut.file ?? '')}` : i.heldOut.mode === 'separate' ? 'separate files' : 'all other pairs';
  const held = i.heldOut.count > 0 ? `${count(i.heldOut.count)} held-out pairs (${heldMode})` : 'no held-out pairs';
  const item = (name: string, ...content: (string | Node)[]) => h('span', { class: 'item', 'data-subtitle': name }, ...content);
  return h(
    'header',
    { class: 'page-header' },
    h('div', { class: 'title-row' },
      h('h1', { id: 'title' }, view.title),
      h('span', { class: 'kind-badge', 'data-kind': view.kind }, view.kind === 'compare' ? `compare · ${view.comparison.length} runs` : 'fit'),
    ),
    h(
      'p',
      { id: 'subtitle', class: 'muted' },
      item('source', h('span', { class: 'file', title: src.path }, basename(src.path)), ` (${src.dims}-d, ${count(src.rows)} rows)`),
      ' → ',
      item('target', h('span', { class: 'file', title: tgt.path }, basename(tgt.path)), ` (${tgt.dims}-d, ${count(tgt.rows)} rows)`),
      sep(),
      item('anchors', anchors),
      sep(),
      item('method', 'method ', h('strong', null, view.method), ', prep ', h('strong', null, view.prep)),
      sep(),
      item('held-out', held),
      sep(),
      item('kind', view.kind === 'compare' ? 'comparison run' : 'single fit'),
    ),
  );
}

function sep(): HTMLElement {
  return h('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ');
}

export function renderHeadline(view: PanelView): HTMLElement {
  const on = view.headlineOn === 'held-out'
    ? `Figures on ${count(view.inputs.heldOut.count)} held-out pairs (not used in the fit)${view.kind === 'compare' ? ` for the best run by held-out cosine: ${view.method} / ${view.prep}` : ''}.`
    : 'Figures on the anchors: there are no held-out pairs, so they are optimistic (the map was fitted on these very pairs).';
  const grid = h('div', { class: 'figures' });
  for (const f of FIGURES) {
    const v = view.headline[f.key];
    const b = view.baseline?.[f.key];
    grid.append(
      h(
        'div',
        { class: `figure-card${f.primary ? ' primary' : ''}`, role: 'group', 'aria-labelledby': `fig-${f.key}-label` },
        h('div', { class: 'figure-label', id: `fig-${f.key}-label`, title: f.help }, f.label, h('span', { class: 'direction muted' }, f.better === 'higher' ? ' ↑' : ' ↓'), h('span', { class: 'visually-hidden' }, `, ${f.better} is better`)),
        h('div', { class: 'figure-value', 'data-figure': f.key, 'data-value': String(v) }, fixed(v)),
        b === undefined ? null : h('div', { class: 'figure-baseline muted' }, 'no translation ', h('span', { 'data-baseline': f.key, 'data-value': String(b) }, fixed(b))),
      ),
    );
  }
  return h(
    'section',
    { class: 'headline', 'aria-labelledby': 'headline-heading' },
    h('h2', { id: 'headline-heading', class: 'visually-hidden' }, 'Headline figures'),
    h('p', { id: 'headline-on', 'data-headline-on': view.headlineOn, class: view.headlineOn === 'anchors' ? 'caution' : 'muted' }, on),
    grid,
    view.baseline ? h('p', { class: 'muted small' }, '“No translation” compares the source vectors with the targets directly (possible because both have the same dimension).') : null,
  );
}

export function renderWarnings(view: PanelView): HTMLElement | null {
  if (!view.warnings.length) return null;
  return h(
    'section',
    { id: 'warnings', class: 'warnings', role: 'region', 'aria-labelledby': 'warnings-heading' },
    h('h2', { id: 'warnings-heading' }, icon('warning'), ` ${view.warnings.length === 1 ? 'Warning' : `${view.warnings.length} warnings`}`),
    h('ul', null, view.warnings.map((w) => h('li', { 'data-warning': '' }, w))),
  );
}

export function renderDiagnostics(view: PanelView): HTMLElement {
  const d = view.diagnostics;
  const rows: [string, string, string, number | null][] = [
    ['anchors', 'Anchors vs dimensions', `${count(d.anchors)} anchors for ${d.sourceDim} source and ${d.targetDim} target dimensions${d.underdetermined ? ' — underdetermined: fewer anchors than dimensions, the map is not pinned down' : ''}`, d.anchors],
    ['sourceRank', 'Source rank (anchors)', `${d.sourceRank} of ${Math.min(d.anchors, d.sourceDim)}${d.sourceRank < Math.min(d.anchors, d.sourceDim) ? ' — rank deficient' : ''}`, d.sourceRank],
    ['sourceCondition', 'Source condition number', d.sourceCondition < 0 ? '∞ (rank 0)' : compact(d.sourceCondition), d.sourceCondition],
    ['crossCovCondition', 'Cross-covariance condition number', d.crossCovCondition < 0 ? '∞ (rank 0)' : compact(d.crossCovCondition), d.crossCovCondition],
    ['procrustesDisparity', 'Procrustes disparity', fixed(d.procrustesDisparity), d.procrustesDisparity],
    ['determinant', 'Determinant of the map', d.determinant === null ? '– (not a square orthogonal map)' : fixed(d.determinant), d.determinant],
  ];
  const dl = h('dl', { id: 'diagnostics', class: 'diagnostics' });
  for (const [key, label, text, value] of rows) {
    dl.append(h('dt', null, label), h('dd', { 'data-diagnostic': key, 'data-value': value === null ? null : String(value), class: d.underdetermined && key === 'anchors' ? 'caution' : null }, text));
  }
  const c = h('vscode-collapsible', { heading: 'Diagnostics', open: true, class: 'diagnostics-panel' }, dl);
  return c;
}
