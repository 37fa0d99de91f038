/** Plain, accessible data tables (caption, header cells with scope, exact values in data-value). */
import { h } from '../shared/dom';

export type Cell = string | number | null | { text: string; value?: number | string | null };

export interface TableData {
  caption: string;
  columns: string[];
  rows: Cell[][];
}

export function cellText(c: Cell, digits = 4): string {
  if (c === null) return '–';
  if (typeof c === 'number') return Number.isInteger(c) ? String(c) : c.toFixed(digits);
  if (typeof c === 'string') return c;
  return c.text;
}

export function cellValue(c: Cell): string | null {
  if (c === null) return null;
  if (typeof c === 'number') return String(c);
  if (typeof c === 'string') return null;
  return c.value === undefined || c.value === null ? null : String(c.value);
}

function isNumeric(c: Cell | undefined): boolean {
  return typeof c === 'number' || (c !== null && typeof c === 'object' && typeof c.value === 'number');
}

export function dataTable(d: TableData, attrs: Record<string, string>): HTMLTableElement {
  const table = h('table', { class: 'data-table', ...attrs });
  table.append(
    h('caption', null, d.caption),
    h('thead', null, h('tr', null, d.columns.map((c, i) => h('th', { scope: 'col', class: i > 0 && d.rows.length && isNumeric(d.rows[0][i]) ? 'num' : null }, c)))),
  );
  const body = h('tbody');
  for (const row of d.rows) {
    const tr = h('tr');
    row.forEach((c, i) => {
      const numeric = isNumeric(c);
      tr.append(h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, 'data-value': cellValue(c), class: numeric ? 'num' : null }, cellText(c)));
    });
    body.append(tr);
  }
  table.append(body);
  return table;
}

/** RFC 4180 CSV; text cells that a spreadsheet would run as a formula are quoted with a leading apostrophe. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const esc = (c: Cell): string => {
    if (c === null) return '';
    if (typeof c === 'number') return Number.isFinite(c) ? String(c) : '';
    let s: string;
    if (typeof c === 'string') s = c;
    else if (c.value !== undefined && c.value !== null) return typeof c.value === 'number' ? String(c.value) : esc(c.value);
    else s = c.text;
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map((c) => esc(c)), ...rows.map((r) => r.map(esc))].map((r) => r.join(',')).join('\r\n') + '\r\n';
}
