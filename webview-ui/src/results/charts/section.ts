/**
 * One chart section: heading, note, canvas (role="img"), a "Show table"
 * toggle revealing the same data as an accessible table, and PNG/CSV
 * export buttons. Owns its Chart instance; recolour() redraws it with the
 * current theme.
 */
import { h, icon } from '../../shared/dom';
import { dataTable, type TableData } from '../dataTable';
import { readTheme, type ChartTheme } from '../theme';
import { applyDefaults, Chart, type AnyConfig } from './setup';

export interface ChartSpec {
  name: string;
  heading: string;
  /** What the chart shows, said on screen. */
  note: (string | Node)[];
  ariaLabel: string;
  config(theme: ChartTheme): AnyConfig;
  table(): TableData;
  /** Content after the canvas (e.g. the worst pairs). */
  extra?: Node[];
  /** Spans the whole width of the charts grid. */
  wide?: boolean;
  /** Puts the extra content beside the canvas rather than below (on wide screens). */
  split?: boolean;
  /** The heading's level (2 unless the section sits inside another section). */
  headingLevel?: 2 | 3;
  /** Canvas height in CSS pixels. */
  height?: number;
  /** Called after each (re)draw. */
  afterDraw?(chart: Chart): void;
}

export interface ChartSectionHandlers {
  exportPng(name: string, canvas: HTMLCanvasElement): void;
  exportCsv(name: string, table: TableData): void;
}

export class ChartSection {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  chart: Chart | null = null;
  private readonly tableData: TableData;

  constructor(readonly spec: ChartSpec, handlers: ChartSectionHandlers) {
    const id = `chart-${spec.name}`;
    this.tableData = spec.table();
    this.canvas = h('canvas', { 'data-chart': spec.name, role: 'img', 'aria-label': spec.ariaLabel });
    this.canvas.textContent = spec.ariaLabel;
    // the table is built on first use: the PCA one has thousands of cells
    const tableWrap = h('div', { class: 'chart-table-wrap', id: `${id}-table`, hidden: true });
    const toggle = h('button', { type: 'button', 'data-toggle-table': spec.name, 'aria-expanded': 'false', 'aria-controls': `${id}-table` }, icon('table'), h('span', { class: 'label' }, 'Show table'));
    toggle.addEventListener('click', () => {
      const show = tableWrap.hidden;
      if (show && !tableWrap.firstChild) tableWrap.append(dataTable(this.tableData, { 'data-chart-table': spec.name }));
      tableWrap.hidden = !show;
      toggle.setAttribute('aria-expanded', String(show));
      toggle.querySelector('.label')!.textContent = show ? 'Hide table' : 'Show table';
    });
    const png = h('button', { type: 'button', 'data-export': 'png', 'data-chart': spec.name, title: `Save the ${spec.heading} chart as a PNG image` }, icon('file-media'), 'Export PNG');
    png.addEventListener('click', () => handlers.exportPng(spec.name, this.canvas));
    const csv = h('button', { type: 'button', 'data-export': 'csv', 'data-chart': spec.name, title: `Save the data of the ${spec.heading} chart as CSV` }, icon('export'), 'CSV');
    csv.addEventListener('click', () => handlers.exportCsv(spec.name, this.tableData));
    const box = h('div', { class: 'chart-box' }, this.canvas);
    box.style.height = `${spec.height ?? 260}px`;
    this.el = h(
      'section',
      { class: spec.wide ? 'chart-section wide' : 'chart-section', 'data-chart-section': spec.name, 'aria-labelledby': `${id}-heading` },
      h('div', { class: 'section-header' }, h(spec.headingLevel === 3 ? 'h3' : 'h2', { id: `${id}-heading` }, spec.heading), h('div', { class: 'actions' }, toggle, png, csv)),
      h('p', { class: 'note muted' }, ...spec.note),
      spec.extra?.length && spec.split
        ? h('div', { class: 'chart-body split' }, box, h('div', { class: 'chart-extra' }, ...spec.extra))
        : h('div', { class: 'chart-body' }, box, ...(spec.extra ?? [])),
      tableWrap,
    );
  }

  /** Draws (or redraws) the chart with the current theme. */
  draw(): void {
    this.chart?.destroy();
    const theme = readTheme();
    applyDefaults(theme);
    this.chart = new Chart(this.canvas, this.spec.config(theme));
    this.spec.afterDraw?.(this.chart);
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = null;
  }
}
