/**
 * The results panel in Chromium, under the extension's real CSP, with views
 * the CLI writes for the bundled Fashion-MNIST sample: a fit (mlp_a → cnn),
 * a compare with a baseline (mlp_a → mlp_b, equal dims) and a fit whose PCA
 * chart is sampled (2000 of 2500 held-out pairs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import type { PanelView } from '../../src/core/view';
import { CLI, ROOT } from '../helpers/cli';
import { attrs, cspViolations, launchBrowser, opaquePixels, openPage, pixelsNear, posted, send, startServer, type PageLog, type TestServer } from './harness';

// Callbacks given to page.evaluate run in the browser; the test build has no DOM lib.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
const SAMPLE = path.join(ROOT, 'samples/fmnist');
const SHOTS = path.join(ROOT, 'test-results/webview');
const CHARTS = ['cosine', 'ranks', 'overfit', 'singular', 'residuals', 'pca'];
const EVIL = '<img src=x onerror="window.__xss=1">';

let work: string;
let server: TestServer;
let browser: Browser;
const views: Record<'fit' | 'compare' | 'sampled' | 'anchorsOnly', PanelView> = {} as never;

async function cliView(name: string, args: string[]): Promise<PanelView> {
  const out = path.join(work, name);
  await run(process.execPath, [CLI, ...args, '--source', path.join(SAMPLE, 'mlp_a.npy'), '--labels', path.join(SAMPLE, 'labels.txt'), '--out', out, '--quiet'], { cwd: ROOT });
  return JSON.parse(readFileSync(path.join(out, 'view.json'), 'utf8')) as PanelView;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'lt-webview-'));
  mkdirSync(SHOTS, { recursive: true });
  // assigned as soon as each is up, so that `after` closes them even if a CLI run fails
  const up = Promise.all([startServer().then((s) => (server = s)), launchBrowser().then((b) => (browser = b))]);
  const anchors = ['--anchors', path.join(SAMPLE, 'anchors.npy')];
  const test = ['--test', path.join(SAMPLE, 'test_idx.npy')];
  const cnn = ['--target', path.join(SAMPLE, 'cnn.npy')];
  const [fit, compare, sampled, anchorsOnly] = await Promise.all([
    cliView('fit', ['fit', ...cnn, ...anchors, '--anchor-count', '1000', ...test]),
    cliView('compare', ['compare', '--target', path.join(SAMPLE, 'mlp_b.npy'), ...anchors, '--anchor-count', '1000', ...test]),
    // no --test: every non-anchor pair is held out (2500 > the 2000 PCA points)
    cliView('sampled', ['fit', ...cnn, ...anchors, '--anchor-count', '500']),
    // every pair is an anchor (sampled): no held-out pairs, so no per-pair charts
    cliView('anchors-only', ['fit', ...cnn, '--anchor-count', '3000']),
    up,
  ]);
  Object.assign(views, { fit, compare, sampled, anchorsOnly });
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  log: PageLog;
}

async function open(theme: 'light' | 'dark' = 'light', viewport?: { width: number; height: number }): Promise<Opened> {
  return openPage(browser, `${server.origin}/results.html?theme=${theme}`, viewport);
}

/** Sends `show` and waits for the panel to say it is rendered; returns the milliseconds it took. */
async function show(page: Page, runId: string, view: PanelView): Promise<number> {
  const t0 = Date.now();
  await send(page, { type: 'show', runId, view, maxPoints: 2000 });
  await page.waitForSelector(`body[data-rendered="true"][data-run-id="${runId}"]`, { timeout: 5000 });
  return Date.now() - t0;
}

/** Every page must end without CSP violations or script errors. */
async function close(o: Opened): Promise<void> {
  assert.deepEqual(await cspViolations(o.page, o.log), [], 'CSP violations');
  assert.deepEqual(o.log.errors, [], 'console errors / page errors');
  await o.page.close();
}


async function lastPosted(page: Page, type: string) {
  const all = await posted(page);
  return all.filter((m) => m.type === type).at(-1);
}

describe('results panel', { concurrency: 2, timeout: 120_000 }, () => {
  test('fit view: renders every chart, headline figures exact, state and handshake', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-fit', views.fit);
    const v = views.fit;
    assert.equal(await page.textContent('#title'), v.title);
    for (const [k, want] of Object.entries(v.headline)) {
      assert.equal(await page.getAttribute(`[data-figure="${k}"]`, 'data-value'), String(want), `headline ${k}`);
      assert.equal((await page.textContent(`[data-figure="${k}"]`))?.replace('−', '-'), want.toFixed(4));
    }
    assert.equal(await page.locator('[data-baseline]').count(), 0, 'no baseline when dims differ');
    assert.equal(await page.locator('#comparison-table .best').count(), 0, 'a single run: nothing marked best');
    assert.equal(await page.getAttribute('#headline-on', 'data-headline-on'), 'held-out');
    assert.match((await page.textContent('#headline-on')) ?? '', /1,000 held-out pairs/);
    const subtitle = (await page.textContent('#subtitle')) ?? '';
    for (const s of ['mlp_a.npy', '64-d', 'cnn.npy', '48-d', '1,000 anchors', 'anchors.npy', 'ortho', 'standard', 'test_idx.npy']) assert.ok(subtitle.includes(s), `subtitle has ${s}: ${subtitle}`);
    assert.equal(await page.getAttribute('[data-diagnostic="crossCovCondition"]', 'data-value'), String(v.diagnostics.crossCovCondition));

    assert.deepEqual(await attrs(page, 'canvas[data-chart]', 'data-chart'), CHARTS);
    for (const name of CHARTS) {
      assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000, `${name} chart drew something`);
      assert.equal(await page.getAttribute(`canvas[data-chart="${name}"]`, 'role'), 'img');
      assert.ok(((await page.getAttribute(`canvas[data-chart="${name}"]`, 'aria-label')) ?? '').length > 20);
    }
    const msgs = await posted(page);
    assert.equal(msgs[0].type, 'ready');
    const rendered = msgs.find((m) => m.type === 'rendered');
    assert.deepEqual({ ...rendered, tables: undefined }, { type: 'rendered', runId: 'run-fit', charts: 6, tables: undefined });
    assert.ok((rendered!.tables as number) >= 8, 'comparison, worst pairs and the six chart tables');
    assert.deepEqual(await page.evaluate(() => window.__state), { runId: 'run-fit' });
    const first = Number(await page.getAttribute('body', 'data-first-chart-ms'));
    assert.ok(first < 1000, `first chart after ${first} ms`);
    await page.screenshot({ path: path.join(SHOTS, 'results-fit-light.png'), fullPage: true });
    await close(o);
  });

  test('compare view: comparison table values, best markers, baseline figures', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    const v = views.compare;
    assert.equal(v.comparison.length, 6);
    assert.equal(await page.locator('#comparison-table tbody tr[data-method][data-prep]').count(), v.comparison.length);
    const cols = ['cosine', 'mse', 'top1', 'top5', 'mrr', 'cslsTop1', 'anchorCosine', 'fitMs'] as const;
    for (const r of v.comparison) {
      const row = `#comparison-table tr[data-method="${r.method}"][data-prep="${r.prep}"]`;
      for (const c of cols) assert.equal(await page.getAttribute(`${row} [data-col="${c}"]`, 'data-value'), String(r[c]), `${r.method} ${c}`);
    }
    // the best value of each column is marked, on every row that has it and no other
    for (const c of cols) {
      const vals = v.comparison.map((r) => r[c]);
      const best = c === 'mse' || c === 'fitMs' ? Math.min(...vals) : Math.max(...vals);
      const want = v.comparison.filter((r) => r[c] === best).map((r) => r.method);
      const got = await page.evaluate((col: string) => [...document.querySelectorAll(`#comparison-table tbody [data-col="${col}"].best`)].map((td: any) => td.closest('tr').dataset.method), c);
      assert.deepEqual(got.sort(), want.sort(), `best ${c}`);
    }
    assert.ok(await page.locator('#comparison-table tr[data-method="linear"] [data-col="cosine"].best').count());
    assert.equal(await page.locator('#comparison-table tr[data-method="affine"] [data-col="cosine"].best').count(), 0, 'affine is 2e-16 below linear');
    assert.match((await page.getAttribute('#comparison-table tr[data-method="linear"] [data-col="cosine"]', 'aria-label')) ?? '', /best/);
    assert.match((await page.textContent('#comparison-table tr[data-method="linear"] [data-col="cosine"]')) ?? '', /\(best\)/);
    // the run the charts show, and the baseline in the footer
    assert.equal(await page.getAttribute('#comparison-table tr[data-current="true"]', 'data-method'), v.method);
    assert.equal(await page.getAttribute('#comparison-table tfoot [data-col="cosine"]', 'data-value'), String(v.baseline!.cosine));
    // baseline figures next to the headline
    assert.ok(v.baseline);
    for (const [k, want] of Object.entries(v.baseline)) assert.equal(await page.getAttribute(`[data-baseline="${k}"]`, 'data-value'), String(want), `baseline ${k}`);
    // two cosine series (translated, no translation): the orange baseline is drawn
    assert.ok((await pixelsNear(page, 'cosine', '#d18616')) > 100, 'baseline series drawn in --vscode-charts-orange');
    await close(o);
  });

  test('comparison table sorts by click, Enter and Space, with aria-sort', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    const order = () => attrs(page, '#comparison-table tbody tr', 'data-method');
    const sortOf = (col: string) => page.getAttribute(`#comparison-table th[data-col="${col}"]`, 'aria-sort');
    const initial = views.compare.comparison.map((r) => r.method);
    assert.deepEqual(await order(), initial);
    assert.equal(await sortOf('cosine'), 'none');

    await page.click('#comparison-table th[data-col="cosine"]');
    const byCos = [...views.compare.comparison].sort((a, b) => b.cosine - a.cosine).map((r) => r.method);
    assert.deepEqual(await order(), byCos, 'best (highest) cosine first');
    assert.equal(await sortOf('cosine'), 'descending');
    await page.click('#comparison-table th[data-col="cosine"]');
    assert.deepEqual(await order(), [...views.compare.comparison].sort((a, b) => a.cosine - b.cosine).map((r) => r.method), 'then lowest first');
    assert.equal(await sortOf('cosine'), 'ascending');

    // keyboard: Tab reaches the header buttons; Enter and Space sort
    await page.focus('#comparison-table th[data-col="mse"] button');
    await page.keyboard.press('Enter');
    assert.equal(await sortOf('mse'), 'ascending', 'lowest MSE first');
    assert.equal(await sortOf('cosine'), 'none');
    assert.deepEqual(await order(), [...views.compare.comparison].sort((a, b) => a.mse - b.mse).map((r) => r.method));
    await page.keyboard.press('Space');
    assert.equal(await sortOf('mse'), 'descending');
    await page.click('#comparison-table th[data-col="method"]');
    assert.deepEqual(await order(), [...initial].sort((a, b) => a.localeCompare(b)));
    assert.equal(await sortOf('method'), 'ascending');
    await close(o);
  });

  test('"Show table" reveals each chart\'s data as a table with the same numbers', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    const v = views.compare;
    for (const name of CHARTS) {
      const table = page.locator(`table[data-chart-table="${name}"]`);
      assert.equal(await table.isVisible(), false, `${name} table hidden at first`);
      await page.click(`button[data-toggle-table="${name}"]`);
      assert.equal(await table.isVisible(), true, `${name} table shown`);
      assert.equal(await page.getAttribute(`button[data-toggle-table="${name}"]`, 'aria-expanded'), 'true');
      assert.match((await page.textContent(`button[data-toggle-table="${name}"]`)) ?? '', /Hide table/);
    }
    const cells = (name: string, col: number) => page.evaluate(({ name, col }: { name: string; col: number }) =>
      [...document.querySelectorAll(`table[data-chart-table="${name}"] tbody tr`)].map((tr: any) => tr.children[col].getAttribute('data-value') ?? tr.children[col].textContent), { name, col });
    assert.deepEqual((await cells('ranks', 1)).map(Number), v.charts.ranks.plain);
    assert.deepEqual((await cells('ranks', 2)).map(Number), v.charts.ranks.csls);
    assert.deepEqual(await cells('ranks', 0), v.charts.ranks.buckets);
    assert.deepEqual((await cells('cosine', 1)).map(Number), v.charts.cosine.translated);
    assert.deepEqual((await cells('cosine', 2)).map(Number), v.charts.cosine.baseline);
    assert.deepEqual((await cells('residuals', 1)).map(Number), v.charts.residuals.counts);
    assert.deepEqual((await cells('singular', 1)).map(Number), v.charts.singularValues);
    assert.deepEqual((await cells('overfit', 1)).map(Number), [v.charts.overfit.anchors.cosine, v.charts.overfit.anchors.top1, v.charts.overfit.anchors.top5, v.charts.overfit.anchors.mrr, v.charts.overfit.anchors.cslsTop1, v.charts.overfit.anchors.mse]);
    assert.deepEqual((await cells('pca', 0)), v.charts.pca!.keys);
    assert.deepEqual((await cells('pca', 2)).map(Number), v.charts.pca!.target.map((p) => p[0]));
    await page.click('button[data-toggle-table="ranks"]');
    assert.equal(await page.locator('table[data-chart-table="ranks"]').isVisible(), false, 'toggles back');
    await close(o);
  });

  test('selecting a worst pair (click or keyboard) highlights it in the PCA chart', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-fit', views.fit);
    const worst = views.fit.charts.residuals.worst;
    assert.equal(await page.locator('#worst-pairs tbody tr[data-key]').count(), worst.length);
    assert.equal(await page.getAttribute(`#worst-pairs tr[data-key="${worst[0].key}"] [data-col="residual"]`, 'data-value'), String(worst[0].residual));
    const red = '#e51400';
    const before = await pixelsNear(page, 'pca', red);

    await page.click(`#worst-pairs tr[data-key="${worst[2].key}"]`);
    assert.deepEqual(await attrs(page, '#worst-pairs tbody tr[aria-selected="true"]', 'data-key'), [worst[2].key]);
    assert.equal(await page.getAttribute(`#worst-pairs tr[data-key="${worst[2].key}"]`, 'data-selected'), 'true');
    assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), worst[2].key);
    const details = (await page.textContent('#pair-details')) ?? '';
    assert.ok(details.includes(worst[2].key) && details.includes(worst[2].label!) && details.includes(String(worst[2].rank)), details);
    assert.ok((await pixelsNear(page, 'pca', red)) > before + 20, 'the selected pair is drawn in --vscode-charts-red');

    // keyboard: rows are focusable, arrows move, Enter selects
    await page.focus(`#worst-pairs tr[data-key="${worst[2].key}"]`);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.key), worst[3].key);
    await page.keyboard.press('Enter');
    assert.deepEqual(await attrs(page, '#worst-pairs tbody tr[aria-selected="true"]', 'data-key'), [worst[3].key]);
    assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), worst[3].key);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press(' ');
    assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), worst[2].key);
    await close(o);
  });

  test('export buttons post JSON, CSV and PNG; the host\'s answer shows as a status line', async () => {
    const o = await open();
    const { page } = o;
    const v = views.compare;
    await show(page, 'run-compare', v);

    await page.click('button[data-export="json"]');
    const json = await lastPosted(page, 'export');
    assert.equal(json?.format, 'json');
    assert.match(json?.suggestedName as string, /\.json$/);
    assert.deepEqual(JSON.parse(json?.data as string), v);

    await page.click('.toolbar button[data-export="csv"]');
    const csv = await lastPosted(page, 'export');
    assert.equal(csv?.format, 'csv');
    const lines = (csv?.data as string).trim().split(/\r\n/);
    assert.equal(lines[0], 'row,method,prep,cosine,mse,top1,top5,mrr,cslsTop1,anchorCosine,fitMs,warnings,on');
    assert.equal(lines.length, 1 + 1 + 1 + v.comparison.length, 'header, headline, baseline, runs');
    assert.ok(lines[1].startsWith(`headline,${v.method},${v.prep},${v.headline.cosine},`));
    assert.ok(lines[2].startsWith(`baseline,no translation,,${v.baseline!.cosine},`));
    assert.equal(lines[3].split(',')[4], String(v.comparison[0].mse));

    for (const name of CHARTS) {
      await page.click(`button[data-export="png"][data-chart="${name}"]`);
      const png = await lastPosted(page, 'export');
      assert.equal(png?.format, 'png');
      assert.match(png?.data as string, /^data:image\/png;base64,/);
      assert.ok((png?.data as string).length > 2000, `${name} png has content`);
      assert.match(png?.suggestedName as string, new RegExp(`${name}\\.png$`));
    }
    await page.click('button[data-export="csv"][data-chart="ranks"]');
    const ranksCsv = await lastPosted(page, 'export');
    assert.equal(ranksCsv?.format, 'csv');
    assert.equal((ranksCsv?.data as string).split('\r\n')[1], `1,${v.charts.ranks.plain[0]},${v.charts.ranks.csls[0]}`);

    await page.click('#export-translator');
    assert.deepEqual(await lastPosted(page, 'exportTranslator'), { type: 'exportTranslator', runId: 'run-compare' });
    // stitched export: offered beside the translator, posts this run's id for the host's export command
    assert.equal(await page.textContent('.toolbar #export-stitched'), 'Export stitched model…');
    assert.equal(await page.isEnabled('#export-stitched'), true, 'enabled when the host allows ONNX models');
    await page.click('#export-stitched');
    assert.deepEqual(await lastPosted(page, 'exportStitched'), { type: 'exportStitched', runId: 'run-compare' });

    await send(page, { type: 'exported', ok: true, message: 'Saved /tmp/ranks.csv' });
    await page.waitForFunction(() => document.querySelector('#export-status').textContent === 'Saved /tmp/ranks.csv');
    await send(page, { type: 'exported', ok: false, message: 'Could not write /nope' });
    await page.waitForFunction(() => document.querySelector('#export-status').dataset.ok === 'false');
    await close(o);
  });

  test('in Restricted Mode the stitched export is disabled and says why; the translator export stays', async () => {
    const o = await open();
    const { page } = o;
    await send(page, { type: 'show', runId: 'run-restricted', view: views.compare, maxPoints: 2000, modelsAllowed: false });
    await page.waitForSelector('body[data-rendered="true"][data-run-id="run-restricted"]', { timeout: 5000 });
    assert.equal(await page.isEnabled('#export-stitched'), false);
    assert.match((await page.getAttribute('#export-stitched', 'title')) ?? '', /trusted workspace/);
    assert.equal(await page.isEnabled('#export-translator'), true);
    const before = (await posted(page)).filter((m) => m.type === 'exportStitched').length;
    await page.click('#export-stitched', { force: true });
    assert.equal((await posted(page)).filter((m) => m.type === 'exportStitched').length, before, 'a disabled button posts nothing');
    await close(o);
  });

  test('switching the theme (body class and variables) redraws the charts in the new colours', async () => {
    const o = await open('light');
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    await page.screenshot({ path: path.join(SHOTS, 'results-light.png'), fullPage: true });
    const lightBlue = '#1a85ff';
    const darkBlue = '#3794ff';
    const lightText = '#3b3b3b';
    const darkText = '#cccccc';
    await page.click(`#worst-pairs tr[data-key="${views.compare.charts.residuals.worst[0].key}"]`);
    const beforeCounts = { blue: await pixelsNear(page, 'ranks', lightBlue, 3), text: await pixelsNear(page, 'ranks', lightText, 3) };
    assert.ok(beforeCounts.blue > 200 && beforeCounts.text > 20, JSON.stringify(beforeCounts));
    assert.equal(await pixelsNear(page, 'ranks', darkBlue, 3), 0);

    await page.evaluate(() => document.body.classList.replace('vscode-light', 'vscode-dark'));
    await page.waitForSelector('body[data-chart-theme="dark"][data-theme-redraws="1"]', { timeout: 5000 });
    for (const name of CHARTS) assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000, `${name} redrawn`);
    assert.equal(await pixelsNear(page, 'ranks', lightBlue, 3), 0, 'no light-theme blue left');
    assert.ok((await pixelsNear(page, 'ranks', darkBlue, 3)) > 200, 'dark-theme blue');
    assert.ok((await pixelsNear(page, 'ranks', darkText, 3)) > 20, 'dark-theme text');
    assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), views.compare.charts.residuals.worst[0].key, 'the selection survives the redraw');
    assert.ok((await pixelsNear(page, 'pca', '#f14c4c')) > 20, 'the selection in the dark red');
    await page.screenshot({ path: path.join(SHOTS, 'results-dark.png'), fullPage: true });
    // a theme whose variables the page does not get: the fallbacks still draw everything
    await page.evaluate(() => document.body.classList.replace('vscode-dark', 'vscode-high-contrast'));
    await page.waitForSelector('body[data-chart-theme="high-contrast"][data-theme-redraws="2"]', { timeout: 5000 });
    for (const name of CHARTS) assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000, `${name} drawn with fallback colours`);
    await close(o);
  });

  test('a sampled PCA (2000 of 2500 pairs) says so and draws its first chart within 1 s', async () => {
    const o = await open();
    const { page } = o;
    const v = views.sampled;
    assert.equal(v.charts.pca!.sampled, 2000);
    assert.equal(v.charts.pca!.total, 2500);
    const ms = await show(page, 'run-sampled', v);
    assert.equal((await page.textContent('#pca-sampled'))?.trim(), 'showing 2000 of 2500 held-out pairs (sampled)');
    assert.ok(Number(await page.getAttribute('body', 'data-first-chart-ms')) < 1000);
    assert.ok(ms < 3000, `rendered in ${ms} ms`);
    assert.ok((await opaquePixels(page, 'canvas[data-chart="pca"]')) > 1000);
    // a worst pair that is not among the sampled points
    const outside = v.charts.residuals.worst.find((w) => !v.charts.pca!.keys.includes(w.key));
    if (outside) {
      await page.click(`#worst-pairs tr[data-key="${outside.key}"]`);
      assert.match((await page.textContent('#pair-details')) ?? '', /Not among the points sampled/);
      assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), '');
    }
    await close(o);
  });

  test('a run without held-out pairs: anchor figures, flagged, and only the charts it has data for', async () => {
    const o = await open();
    const { page } = o;
    const v = views.anchorsOnly;
    assert.equal(v.headlineOn, 'anchors');
    await show(page, 'run-anchors', v);
    assert.equal(await page.getAttribute('#headline-on', 'data-headline-on'), 'anchors');
    assert.match((await page.textContent('#headline-on')) ?? '', /on the anchors/);
    assert.ok((await page.locator('#warnings li').count()) >= 1, 'the no-held-out warning is shown');
    assert.deepEqual(await attrs(page, 'canvas[data-chart]', 'data-chart'), ['overfit', 'singular']);
    for (const name of ['overfit', 'singular']) assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000);
    assert.equal(await page.locator('#worst-pairs').count(), 0);
    assert.equal((await lastPosted(page, 'rendered'))?.charts, 2);
    await close(o);
  });

  test('showing another run replaces everything', async () => {
    const o = await open();
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    await page.click('#comparison-table th[data-col="cosine"]');
    const oldCanvas = await page.evaluateHandle(() => document.querySelector('canvas[data-chart="pca"]'));
    await show(page, 'run-fit', views.fit);
    assert.equal(await page.textContent('#title'), views.fit.title);
    assert.equal(await page.locator('canvas[data-chart]').count(), CHARTS.length);
    assert.equal(await page.locator('#comparison-table tbody tr').count(), 1);
    assert.equal(await page.locator('[data-baseline]').count(), 0);
    assert.equal(await oldCanvas.evaluate((c: any) => c.isConnected), false);
    assert.deepEqual(await page.evaluate(() => window.__state), { runId: 'run-fit' });
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'rendered').map((m) => m.runId), ['run-compare', 'run-fit']);
    await close(o);
  });

  test('text from the data is never markup (title, warnings, keys, labels, file names)', async () => {
    const o = await open();
    const { page } = o;
    const v: PanelView = structuredClone(views.fit);
    const key = v.charts.residuals.worst[0].key;
    v.title = EVIL;
    v.warnings = [EVIL, 'second <b>warning</b>'];
    v.inputs.source.path = `/data/${EVIL}.npy`;
    v.method = EVIL as never;
    v.comparison[0].method = EVIL as never;
    v.charts.residuals.worst[0].key = EVIL;
    v.charts.residuals.worst[0].label = EVIL;
    const i = v.charts.pca!.keys.indexOf(key);
    v.charts.pca!.keys[i] = EVIL;
    v.charts.pca!.labels![i] = EVIL;
    await show(page, 'run-xss', v);
    assert.equal(await page.textContent('#title'), EVIL);
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('#warnings li')].map((li: any) => li.textContent)), [EVIL, 'second <b>warning</b>']);
    assert.ok(((await page.textContent('#subtitle')) ?? '').includes(`${EVIL}.npy`));
    assert.equal(await page.textContent('#worst-pairs tbody tr:first-child [data-col="key"]'), EVIL);
    assert.equal(await page.textContent('#worst-pairs tbody tr:first-child [data-col="label"]'), EVIL);
    await page.click('#worst-pairs tbody tr:first-child');
    assert.equal(await page.getAttribute('canvas[data-chart="pca"]', 'data-selected-key'), EVIL);
    await page.click('button[data-toggle-table="pca"]');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0, 'no element was made from the data');
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.ok(((await page.textContent('#warnings')) ?? '').includes(EVIL));
    await close(o);
  });

  test('keyboard: every control is reachable with Tab and shows a focus outline', async () => {
    const o = await open('dark');
    const { page } = o;
    await show(page, 'run-compare', views.compare);
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement;
        const s = window.getComputedStyle(el);
        return { id: el.dataset.export ? `export-${el.dataset.export}-${el.dataset.chart ?? ''}` : el.dataset.toggleTable ? `toggle-${el.dataset.toggleTable}` : el.closest('th[data-col]') ? `sort-${el.closest('th').dataset.col}` : el.dataset.key ? 'worst-row' : el.tagName.toLowerCase(), outline: s.outlineStyle, width: s.outlineWidth };
      });
      seen.add(f.id);
      if (f.id !== 'body' && f.id !== 'vscode-collapsible') assert.notEqual(f.outline, 'none', `${f.id} has a visible focus outline`);
    }
    for (const id of ['export-json-', 'export-csv-', 'sort-cosine', 'sort-fitMs', 'toggle-cosine', 'export-png-cosine', 'worst-row']) assert.ok(seen.has(id), `${id} reachable by Tab (saw ${[...seen].join(', ')})`);
    await close(o);
  });

  test('the CSP is enforced (a check of the check): an injected <style> is reported', async () => {
    const { page, log } = await open();
    await page.evaluate(() => {
      const s = document.createElement('style');
      s.textContent = 'body { color: red }';
      document.head.append(s);
    });
    await page.waitForFunction(() => window.__csp.length > 0);
    assert.ok((await cspViolations(page, log)).some((v) => v.startsWith('style-src')));
    await page.close();
  });
});
