/**
 * The results panel. The host sends `show` with a PanelView; the panel draws
 * everything from it (nothing else is fetched), remembers the run id in the
 * webview state, and answers `rendered`. Export buttons post the data and
 * the host asks where to save it.
 */
import './results.css';
import type { PanelView } from '../../../src/core/view';
import type { FromPanel, PanelState, ToPanel } from '../../../src/shared/protocol';
import { h, icon } from '../shared/dom';
import { vscodeApi } from '../shared/vscode';
import { cosineSpec, residualSpec } from './charts/histograms';
import { overfitSpec, ranksSpec, singularSpec } from './charts/bars';
import { pcaSpec, showSelection } from './charts/pca';
import { ChartSection, type ChartSpec } from './charts/section';
import { renderComparison } from './comparison';
import { exportChartCsv, exportCsv, exportJson, exportPng } from './exporter';
import { Selection } from './selection';
import { renderStitched } from './stitched';
import { renderDiagnostics, renderHeader, renderHeadline, renderWarnings } from './summary';
import { themeKind, watchTheme } from './theme';
import { renderWorstPairs } from './worstPairs';

const vscode = vscodeApi<FromPanel, PanelState>();
const post = (m: FromPanel) => vscode.postMessage(m);

interface Current {
  runId: string;
  view: PanelView;
  sections: ChartSection[];
}

let current: Current | null = null;
let statusEl: HTMLElement | null = null;
let redraws = 0;

function app(): HTMLElement {
  return document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
}

function render(runId: string, view: PanelView, modelsAllowed: boolean): void {
  const t0 = performance.now();
  document.body.dataset.rendered = 'false';
  for (const s of current?.sections ?? []) s.destroy();
  current = null;

  const root = app();
  const selection = new Selection();
  statusEl = h('p', { id: 'export-status', class: 'status muted', role: 'status', 'aria-live': 'polite' });
  const jsonBtn = h('button', { type: 'button', 'data-export': 'json', title: 'Save everything this panel shows as JSON' }, icon('json'), 'Export JSON');
  const csvBtn = h('button', { type: 'button', 'data-export': 'csv', title: 'Save the headline and comparison figures as CSV' }, icon('export'), 'Export CSV');
  const trBtn = h('button', { type: 'button', id: 'export-translator', title: 'Save the fitted map (translator.json or the matrix as .npy)' }, icon('save'), 'Export translator…');
  jsonBtn.addEventListener('click', () => exportJson(post, view, runId));
  csvBtn.addEventListener('click', () => exportCsv(post, view, runId));
  trBtn.addEventListener('click', () => post({ type: 'exportTranslator', runId }));
  const stBtn = h(
    'button',
    {
      type: 'button',
      id: 'export-stitched',
      title: modelsAllowed ? 'Save source encoder → this translator → target decoder as one ONNX model' : 'ONNX models are loaded only in trusted workspaces: trust this workspace to export a stitched model',
      disabled: !modelsAllowed,
    },
    icon('link'),
    'Export stitched model…',
  );
  stBtn.addEventListener('click', () => post({ type: 'exportStitched', runId }));

  const grid = h('div', { class: 'charts' });
  const worst = renderWorstPairs(view, selection);
  const specs = [cosineSpec(view), ranksSpec(view), overfitSpec(view), singularSpec(view), residualSpec(view, worst), pcaSpec(view, selection)].filter((s): s is ChartSpec => s !== null);
  const handlers = {
    exportPng: (name: string, canvas: HTMLCanvasElement) => exportPng(post, name, canvas, runId),
    exportCsv: (name: string, table: Parameters<typeof exportChartCsv>[2]) => exportChartCsv(post, name, table, runId),
  };
  const stitched = renderStitched(view, handlers);
  const chartSections = specs.map((s) => new ChartSection(s, handlers));
  grid.append(...chartSections.map((s) => s.el));
  const sections = [...(stitched?.sections ?? []), ...chartSections];
  const missing = view.headlineOn === 'anchors' ? h('p', { class: 'muted' }, 'Per-pair charts need held-out pairs; this run has none.') : null;

  root.replaceChildren(
    h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Export' }, jsonBtn, csvBtn, trBtn, stBtn, statusEl),
    renderHeader(view),
    renderWarnings(view) ?? '',
    renderHeadline(view),
    stitched?.el ?? '',
    renderDiagnostics(view),
    renderComparison(view),
    h('h2', { class: 'charts-heading' }, 'Charts'),
    missing ?? '',
    grid,
  );

  current = { runId, view, sections };
  let first = true;
  for (const s of sections) {
    try {
      s.draw();
    } catch (e) {
      s.el.append(h('p', { class: 'error' }, `Could not draw this chart: ${e instanceof Error ? e.message : String(e)}`));
      post({ type: 'error', message: `chart ${s.spec.name}: ${e instanceof Error ? e.message : String(e)}` });
    }
    if (first) {
      document.body.dataset.firstChartMs = (performance.now() - t0).toFixed(1);
      first = false;
    }
  }

  const pca = sections.find((s) => s.spec.name === 'pca');
  selection.onChange((key) => {
    if (pca?.chart) showSelection(pca.chart, view, key);
  });

  vscode.setState({ runId });
  document.body.dataset.runId = runId;
  document.body.dataset.chartTheme = themeKind();
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
  document.body.dataset.rendered = 'true';
  post({ type: 'rendered', runId, charts: sections.filter((s) => s.chart).length, tables: root.querySelectorAll('table:not([data-chart-table])').length + sections.length });
}

function renderError(message: string): void {
  app().replaceChildren(h('div', { class: 'error', role: 'alert' }, h('h1', null, 'Cannot show this run'), h('p', null, message)));
  post({ type: 'error', message });
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as ToPanel | undefined;
  if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return;
  if (m.type === 'show') {
    if (!m.view || m.view.schema !== 'latent-translator/view') return renderError('The run has no readable view (view.json): re-run it to rebuild the panel.');
    try {
      render(m.runId, m.view, m.modelsAllowed !== false);
    } catch (err) {
      renderError(err instanceof Error ? err.message : String(err));
    }
  } else if (m.type === 'exported') {
    if (statusEl) {
      statusEl.textContent = m.message;
      statusEl.dataset.ok = String(m.ok);
      statusEl.className = `status ${m.ok ? 'muted' : 'error'}`;
    }
  }
});

watchTheme(() => {
  if (!current) return;
  for (const s of current.sections) s.draw();
  document.body.dataset.chartTheme = themeKind();
  document.body.dataset.themeRedraws = String(++redraws);
});

post({ type: 'ready' });
