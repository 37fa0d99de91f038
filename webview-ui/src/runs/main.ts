/**
 * The side-bar list of this workspace's runs. The host sends the list
 * (`runs`); each entry can be opened, re-run or deleted (deleting asks for
 * a second click first, inside the view).
 */
import './runs.css';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { FromRunsView, RunSummary, ToRunsView } from '../../../src/shared/protocol';
import { h, icon } from '../shared/dom';
import { fixed } from '../shared/format';
import { vscodeApi } from '../shared/vscode';

const vscode = vscodeApi<FromRunsView, unknown>();
const post = (m: FromRunsView) => vscode.postMessage(m);

const CONFIRM_MS = 5000;

function app(): HTMLElement {
  return document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
}

function date(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function figure(name: string, label: string, v: number): HTMLElement {
  return h('span', { class: 'fig' }, h('span', { class: 'fig-label' }, label), ' ', h('span', { 'data-figure': name, 'data-value': String(v) }, fixed(v)));
}

function deleteButton(run: RunSummary, disabled: boolean): HTMLButtonElement {
  const label = h('span', { class: 'label' }, 'Delete');
  const btn = h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'aria-label': `Delete ${run.title}`, disabled }, icon('trash'), label);
  let timer: number | undefined;
  const reset = () => {
    clearTimeout(timer);
    delete btn.dataset.confirm;
    label.textContent = 'Delete';
    btn.setAttribute('aria-label', `Delete ${run.title}`);
  };
  btn.addEventListener('click', () => {
    if (btn.dataset.confirm === 'true') {
      reset();
      btn.disabled = true;
      post({ type: 'delete', id: run.id });
      return;
    }
    btn.dataset.confirm = 'true';
    label.textContent = 'Confirm delete';
    btn.setAttribute('aria-label', `Confirm: delete ${run.title} and its files`);
    timer = window.setTimeout(reset, CONFIRM_MS);
  });
  btn.addEventListener('blur', reset);
  btn.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') reset();
  });
  return btn;
}

function entry(run: RunSummary, running: boolean): HTMLElement {
  const open = h('button', { type: 'button', 'data-action': 'open', 'aria-label': `Open ${run.title}` }, icon('go-to-file'), 'Open');
  const rerun = h('button', { type: 'button', 'data-action': 'rerun', 'aria-label': `Re-run ${run.title}`, disabled: running }, icon('debug-rerun'), 'Re-run');
  open.addEventListener('click', () => post({ type: 'open', id: run.id }));
  rerun.addEventListener('click', () => post({ type: 'rerun', id: run.id }));
  const titleId = `run-${run.id.replace(/[^\w-]/g, '_')}-title`;
  return h(
    'li',
    { class: 'run', 'data-run-id': run.id, 'data-running': running ? 'true' : null, 'aria-labelledby': titleId },
    h('div', { class: 'run-head' },
      h('h3', { class: 'run-title', id: titleId, title: run.title }, run.title),
      running ? h('vscode-badge', { 'data-running': 'true', variant: 'default' }, 'running…') : null,
    ),
    h('div', { class: 'run-meta muted' },
      h('span', { 'data-meta': 'method' }, `${run.method} / ${run.prep}`),
      run.kind === 'compare' ? h('span', { 'data-meta': 'kind' }, ' · compare') : null,
      ' · ',
      h('time', { datetime: run.createdAt, 'data-meta': 'date' }, date(run.createdAt)),
    ),
    h('div', { class: 'run-figures' },
      figure('cosine', 'cos', run.cosine),
      figure('top1', 'top-1', run.top1),
      figure('mrr', 'MRR', run.mrr),
      run.baselineCosine === null ? null : h('span', { class: 'fig muted' }, h('span', { class: 'fig-label' }, 'no transl. cos'), ' ', h('span', { 'data-baseline': 'cosine', 'data-value': String(run.baselineCosine) }, fixed(run.baselineCosine))),
      h('span', { class: 'muted held' }, run.heldOut > 0 ? `${run.heldOut} held-out` : 'anchors only'),
    ),
    h('div', { class: 'run-actions' }, open, rerun, deleteButton(run, running)),
  );
}

function render(runs: RunSummary[], running: string | null): void {
  const fit = h('button', { type: 'button', id: 'fit', class: 'primary' }, icon('add'), 'Fit Latent Translation…');
  fit.addEventListener('click', () => post({ type: 'fit' }));
  const body = runs.length
    ? h('ul', { id: 'runs', class: 'runs', 'aria-label': `${runs.length} run${runs.length === 1 ? '' : 's'}` }, runs.map((r) => entry(r, r.id === running)))
    : h('p', { id: 'empty', class: 'empty muted' }, 'No runs in this workspace yet. Fit a translation between two embedding files to see its results here.');
  const runningUnlisted = running !== null && !runs.some((r) => r.id === running);
  app().replaceChildren(
    h('div', { class: 'fit-row' }, fit),
    runningUnlisted ? h('p', { class: 'running-note', 'data-running': 'true' }, h('vscode-badge', { variant: 'default' }, 'running…'), ' a new run is being fitted') : '',
    body,
  );
  document.body.dataset.rendered = 'true';
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as ToRunsView | undefined;
  if (!m || typeof m !== 'object' || m.type !== 'runs' || !Array.isArray(m.runs)) return;
  render(m.runs, m.running ?? null);
});

post({ type: 'ready' });
