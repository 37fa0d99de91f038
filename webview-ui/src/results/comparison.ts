/**
 * The comparison table: one row per (method, prep) run, the best value per
 * column marked, sortable by any column (click, Enter or Space on the
 * header button; aria-sort on the header cell). The no-translation
 * baseline, when there is one, sits in the footer and is not sorted.
 */
import type { ComparisonRow, Headline, PanelView } from '../../../src/core/view';
import { h, srOnly } from '../shared/dom';
import { fixed } from '../shared/format';

type Col = keyof Pick<ComparisonRow, 'method' | 'prep' | 'cosine' | 'mse' | 'top1' | 'top5' | 'mrr' | 'cslsTop1' | 'anchorCosine' | 'fitMs' | 'stitchedAccuracy'>;

export interface Column {
  key: Col;
  label: string;
  title: string;
  numeric: boolean;
  lowerBetter?: boolean;
}

/** The columns every comparison has (and the figures CSV, in this order). */
export const COLUMNS: Column[] = [
  { key: 'method', label: 'method', title: 'the map that was fitted', numeric: false },
  { key: 'prep', label: 'prep', title: 'preprocessing of both spaces', numeric: false },
  { key: 'cosine', label: 'cosine', title: 'held-out mean cosine (higher is better)', numeric: true },
  { key: 'mse', label: 'MSE', title: 'held-out mean squared error (lower is better)', numeric: true, lowerBetter: true },
  { key: 'top1', label: 'top-1', title: 'held-out top-1 retrieval (higher is better)', numeric: true },
  { key: 'top5', label: 'top-5', title: 'held-out top-5 retrieval (higher is better)', numeric: true },
  { key: 'mrr', label: 'MRR', title: 'held-out mean reciprocal rank (higher is better)', numeric: true },
  { key: 'cslsTop1', label: 'CSLS top-1', title: 'held-out top-1 with CSLS (higher is better)', numeric: true },
  { key: 'anchorCosine', label: 'anchor cosine', title: 'mean cosine on the anchors the map was fitted on', numeric: true },
  { key: 'fitMs', label: 'fit ms', title: 'time to fit, in milliseconds (lower is better)', numeric: true, lowerBetter: true },
];

export const STITCHED_COLUMN: Column = { key: 'stitchedAccuracy', label: 'stitched acc.', title: 'accuracy of the target\'s decoder on the translated held-out source embeddings (higher is better)', numeric: true };

/** Whether any run has a stitched-decoder accuracy (views written before stitching have no such field). */
export function hasStitchedColumn(view: PanelView): boolean {
  return view.comparison.some((r) => typeof r.stitchedAccuracy === 'number');
}

/** The columns of this view's comparison: the common ones, and the stitched accuracy when any run has it. */
export function columnsFor(view: PanelView): Column[] {
  return hasStitchedColumn(view) ? [...COLUMNS, STITCHED_COLUMN] : COLUMNS;
}

/** The best value of each numeric column (higher is better except MSE and fit time). */
export function bestValues(rows: ComparisonRow[], columns: Column[] = COLUMNS): Partial<Record<Col, number>> {
  const best: Partial<Record<Col, number>> = {};
  for (const c of columns) {
    if (!c.numeric) continue;
    const vals = rows.map((r) => r[c.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (vals.length) best[c.key] = c.lowerBetter ? Math.min(...vals) : Math.max(...vals);
  }
  return best;
}

function cellText(key: Col, v: number | string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  return key === 'fitMs' ? v.toFixed(1) : fixed(v);
}

export function renderComparison(view: PanelView): HTMLElement {
  const rows = view.comparison;
  // with a single run every value would be 'best': mark nothing
  const columns = columnsFor(view);
  const best = rows.length > 1 ? bestValues(rows, columns) : {};
  const table = h('table', { id: 'comparison-table', class: 'data-table comparison' });
  const note = view.headlineOn === 'held-out' ? 'held-out figures' : 'anchor figures (no held-out pairs)';
  table.append(h('caption', null, rows.length === 1 ? `The run: ${note}.` : `${rows.length} runs: ${note}. The best value of each column is marked; select a column header to sort.`));

  const headRow = h('tr');
  const headers: HTMLTableCellElement[] = [];
  for (const c of columns) {
    const btn = h('button', { type: 'button', class: 'sort', title: `${c.title}. Sort by ${c.label}` }, c.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }));
    const th = h('th', { scope: 'col', 'data-col': c.key, 'aria-sort': 'none', class: c.numeric ? 'num' : null }, btn);
    headers.push(th);
    headRow.append(th);
  }
  table.append(h('thead', null, headRow));

  const body = h('tbody');
  const trs = rows.map((r, index) => {
    const current = r.method === view.method && r.prep === view.prep;
    const tr = h('tr', { 'data-method': r.method, 'data-prep': r.prep, 'data-index': index, 'data-current': current ? 'true' : null });
    for (const c of columns) {
      const v = r[c.key] ?? null;
      const isBest = c.numeric && best[c.key] !== undefined && best[c.key] === v;
      const text = cellText(c.key, v);
      const td = h(c.key === 'method' ? 'th' : 'td', {
        'data-col': c.key,
        'data-value': v === null ? null : String(v),
        scope: c.key === 'method' ? 'row' : null,
        class: [c.numeric ? 'num' : '', isBest ? 'best' : ''].join(' ').trim() || null,
        'aria-label': isBest ? `${text}, best ${c.label}` : null,
        'data-best': isBest ? 'true' : null,
      }, text);
      if (isBest) td.append(srOnly(' (best)'));
      if (c.key === 'method') {
        if (current && rows.length > 1) td.append(h('span', { class: 'current-marker', title: 'the charts below show this run' }, ' ◆'), srOnly(' (shown in the charts)'));
        if (r.warnings > 0) td.append(h('span', { class: 'warn-count', title: `${r.warnings} warning${r.warnings === 1 ? '' : 's'} for this run` }, ` ⚠${r.warnings}`), srOnly(` (${r.warnings} warning${r.warnings === 1 ? '' : 's'})`));
      }
      tr.append(td);
    }
    return tr;
  });
  body.append(...trs);
  table.append(body);

  if (view.baseline) table.append(baselineFooter(view.baseline, columns, absoluteAccuracy(view)));

  let sortCol: Col | null = null;
  let dir: 1 | -1 = 1;
  const sortBy = (col: Col) => {
    const spec = columns.find((c) => c.key === col)!;
    if (sortCol === col) dir = dir === 1 ? -1 : 1;
    else dir = spec.numeric && !spec.lowerBetter ? -1 : 1; // best first
    sortCol = col;
    const sorted = [...trs].sort((a, b) => {
      const ra = rows[Number(a.dataset.index)];
      const rb = rows[Number(b.dataset.index)];
      const va = ra[col] ?? null;
      const vb = rb[col] ?? null;
      // runs without a value sort last in either direction
      if (va === null || vb === null) return (va === null ? 1 : 0) - (vb === null ? 1 : 0) || Number(a.dataset.index) - Number(b.dataset.index);
      const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return cmp * dir || Number(a.dataset.index) - Number(b.dataset.index);
    });
    body.append(...sorted);
    headers.forEach((th, i) => {
      const on = columns[i].key === col;
      th.setAttribute('aria-sort', on ? (dir === 1 ? 'ascending' : 'descending') : 'none');
      th.querySelector('.sort-indicator')!.textContent = on ? (dir === 1 ? ' ▲' : ' ▼') : '';
    });
  };
  headers.forEach((th, i) => th.addEventListener('click', () => sortBy(columns[i].key)));

  return h(
    'section',
    { class: 'comparison-section', 'aria-labelledby': 'comparison-heading' },
    h('div', { class: 'section-header' }, h('h2', { id: 'comparison-heading' }, rows.length > 1 ? 'Comparison' : 'Run')),
    h('div', { class: 'table-scroll' }, table),
  );
}

/** The untranslated source through the target's classifier, when the view has it. */
export function absoluteAccuracy(view: PanelView): number | null {
  const s = view.stitched;
  return s?.kind === 'classification' && s.absolute && Number.isFinite(s.absolute.accuracy) ? s.absolute.accuracy : null;
}

function baselineFooter(b: Headline, columns: Column[], absolute: number | null): HTMLElement {
  const tr = h('tr', { 'data-baseline-row': 'true', class: 'baseline-row' });
  for (const c of columns) {
    const v = c.key === 'method' ? 'no translation' : c.key === 'prep' ? '–' : c.key === 'stitchedAccuracy' ? absolute : c.key in b ? b[c.key as keyof Headline] : null;
    tr.append(h(c.key === 'method' ? 'th' : 'td', { 'data-col': c.key, scope: c.key === 'method' ? 'row' : null, 'data-value': typeof v === 'number' ? String(v) : null, class: c.numeric ? 'num' : null }, v === null ? '–' : cellText(c.key, v)));
  }
  return h('tfoot', null, tr);
}
