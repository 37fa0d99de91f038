/**
 * The worst held-out pairs (largest residuals) as a keyboard-navigable
 * grid: Tab into it, arrows move between rows, Enter/Space or a click
 * selects the pair (aria-selected), which the PCA chart then highlights.
 */
import type { PanelView } from '../../../src/core/view';
import { h } from '../shared/dom';
import { fixed } from '../shared/format';
import type { Selection } from './selection';

export function renderWorstPairs(view: PanelView, selection: Selection): HTMLElement[] {
  const worst = view.charts.residuals.worst;
  if (!worst.length) return [];
  const pcaKeys = new Set(view.charts.pca?.keys ?? []);
  const hasLabels = worst.some((w) => w.label !== undefined);
  const table = h('table', { id: 'worst-pairs', class: 'data-table worst', role: 'grid', 'aria-labelledby': 'worst-heading', 'aria-describedby': 'worst-help' });
  table.append(h('thead', null, h('tr', null,
    h('th', { scope: 'col' }, 'key'),
    hasLabels ? h('th', { scope: 'col' }, 'label') : null,
    h('th', { scope: 'col', class: 'num' }, 'cosine'),
    h('th', { scope: 'col', class: 'num' }, 'residual'),
    h('th', { scope: 'col', class: 'num' }, 'rank'),
  )));
  const body = h('tbody');
  const rows = worst.map((w, i) => {
    const tr = h('tr', { 'data-key': w.key, tabindex: i === 0 ? 0 : -1, 'aria-selected': 'false', 'data-in-pca': pcaKeys.has(w.key) ? 'true' : 'false' },
      h('td', { 'data-col': 'key' }, w.key),
      hasLabels ? h('td', { 'data-col': 'label' }, w.label ?? '') : null,
      h('td', { 'data-col': 'cosine', 'data-value': String(w.cosine), class: 'num' }, fixed(w.cosine)),
      h('td', { 'data-col': 'residual', 'data-value': String(w.residual), class: 'num' }, fixed(w.residual)),
      h('td', { 'data-col': 'rank', 'data-value': String(w.rank), class: 'num' }, String(w.rank)),
    );
    tr.addEventListener('click', () => selection.set(w.key, 'table'));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        selection.set(w.key, 'table');
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp' || e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        const j = e.key === 'Home' ? 0 : e.key === 'End' ? rows.length - 1 : Math.min(rows.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)));
        focusRow(j);
      }
    });
    return tr;
  });
  const focusRow = (j: number) => {
    rows.forEach((r, k) => r.setAttribute('tabindex', k === j ? '0' : '-1'));
    rows[j].focus();
  };
  body.append(...rows);
  table.append(body);

  const details = h('p', { id: 'pair-details', class: 'pair-details muted', 'aria-live': 'polite' }, 'Select a pair to highlight it in the PCA chart.');
  selection.onChange((key) => {
    for (const [k, r] of rows.entries()) {
      const on = worst[k].key === key;
      r.setAttribute('aria-selected', String(on));
      if (on) r.dataset.selected = 'true';
      else delete r.dataset.selected;
      if (on) rows.forEach((x, m) => x.setAttribute('tabindex', m === k ? '0' : '-1'));
    }
    details.replaceChildren(...describe(view, key, pcaKeys));
  });

  return [
    h('h3', { id: 'worst-heading' }, `Worst ${worst.length} pairs by residual`),
    h('p', { id: 'worst-help', class: 'visually-hidden' }, 'Use the arrow keys to move between pairs and Enter or Space to select one.'),
    h('div', { class: 'table-scroll worst-scroll' }, table),
    details,
  ];
}

function describe(view: PanelView, key: string | null, pcaKeys: Set<string>): (string | Node)[] {
  if (key === null) return ['Select a pair to highlight it in the PCA chart.'];
  const w = view.charts.residuals.worst.find((x) => x.key === key);
  const pca = view.charts.pca;
  const i = pca ? pca.keys.indexOf(key) : -1;
  const label = w?.label ?? (i >= 0 ? pca?.labels?.[i] : undefined);
  const out: (string | Node)[] = ['Selected pair ', h('strong', { 'data-selected-key': key }, key)];
  if (label !== undefined) out.push(` (${label})`);
  if (w) out.push(`: cosine ${fixed(w.cosine)}, residual ${fixed(w.residual)}, rank of the true target ${w.rank}.`);
  else out.push('.');
  out.push(pcaKeys.has(key) ? ' Highlighted in the PCA chart.' : ' Not among the points sampled for the PCA chart.');
  return out;
}
