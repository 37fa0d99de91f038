/**
 * The "Stitched decoder" section of the results panel in Chromium, under the
 * real CSP, with views the CLI writes for the bundled Fashion-MNIST sample:
 * a classifier fit (mlp_a → mlp_b, equal dims, so with the absolute
 * baseline), the same as a compare (a stitched accuracy per run) and a
 * reconstruction fit (cnn → ae, 28×28 images, dims differ).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import type { ClassificationStitching } from '../../src/core/stitching';
import type { PanelView } from '../../src/core/view';
import { CLI, loadNpy, ROOT } from '../helpers/cli';
import { attrs, cspViolations, launchBrowser, opaquePixels, openPage, pixelsNear, posted, send, startServer, type PageLog, type TestServer } from './harness';

// Callbacks given to page.evaluate run in the browser; the test build has no DOM lib.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const run = promisify(execFile);
const SAMPLE = path.join(ROOT, 'samples/fmnist');
const SHOTS = path.join(ROOT, 'test-results/webview');
const CHARTS = ['cosine', 'ranks', 'overfit', 'singular', 'residuals', 'pca'];
const EVIL = '<img src=x onerror="window.__xss=1">';

type Recon = Exclude<NonNullable<PanelView['stitched']>, ClassificationStitching>;

let work: string;
let server: TestServer;
let browser: Browser;
const views: Record<'classification' | 'compare' | 'reconstruction' | 'originals', PanelView> = {} as never;

async function cliView(name: string, args: string[]): Promise<PanelView> {
  const out = path.join(work, name);
  await run(process.execPath, [CLI, ...args, '--out', out, '--force', '--quiet'], { cwd: ROOT });
  return JSON.parse(readFileSync(path.join(out, 'view.json'), 'utf8')) as PanelView;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'lt-webview-stitched-'));
  mkdirSync(SHOTS, { recursive: true });
  const up = Promise.all([startServer().then((s) => (server = s)), launchBrowser().then((b) => (browser = b))]);
  const s = (f: string) => path.join(SAMPLE, f);
  const pairs = ['--anchors', s('anchors.npy'), '--anchor-count', '1000', '--test', s('test_idx.npy')];
  const classifier = ['--source', s('mlp_a.npy'), '--target', s('mlp_b.npy'), ...pairs, '--labels', s('labels.txt'), '--decoder', s('models/mlp_b.classifier.onnx'), '--test-labels', s('labels.npy')];
  const recon = ['--source', s('cnn.npy'), '--target', s('ae.npy'), ...pairs, '--decoder', s('models/ae.decoder.onnx')];
  const [classification, compare, reconstruction, originals] = await Promise.all([
    cliView('classification', ['fit', ...classifier]),
    cliView('compare', ['compare', ...classifier]),
    cliView('reconstruction', ['fit', ...recon]),
    cliView('originals', ['fit', ...recon, '--test-inputs', s('images_test.npy')]),
    up,
  ]);
  Object.assign(views, { classification, compare, reconstruction, originals });
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

function open(theme: 'light' | 'dark' = 'light'): Promise<Opened> {
  return openPage(browser, `${server.origin}/results.html?theme=${theme}`);
}

async function show(page: Page, runId: string, view: PanelView): Promise<void> {
  await send(page, { type: 'show', runId, view, maxPoints: 2000 });
  await page.waitForSelector(`body[data-rendered="true"][data-run-id="${runId}"]`, { timeout: 5000 });
}

async function close(o: Opened): Promise<void> {
  assert.deepEqual(await cspViolations(o.page, o.log), [], 'CSP violations');
  assert.deepEqual(o.log.errors, [], 'console errors / page errors');
  await o.page.close();
}


/** The confusion table's cells as a matrix of data-value, checking that text and data-value agree. */
function confusionCells(page: Page): Promise<number[][]> {
  return page.evaluate(() => {
    const out: number[][] = [];
    for (const td of document.querySelectorAll('table#confusion td[data-true][data-pred][data-value]')) {
      const t = Number(td.dataset.true);
      const p = Number(td.dataset.pred);
      if (td.textContent !== td.dataset.value) throw new Error(`cell ${t},${p} prints ${td.textContent} for ${td.dataset.value}`);
      (out[t] ??= [])[p] = Number(td.dataset.value);
    }
    return out;
  });
}

async function lastPosted(page: Page, type: string) {
  return (await posted(page)).filter((m) => m.type === type).at(-1);
}

/** sRGB relative luminance and the WCAG contrast ratio of two CSS rgb()/rgba() colours (alpha composited on `under`). */
function contrast(fg: string, bg: string, under: string): number {
  const parse = (c: string) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (m) {
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p[3] ?? 1];
    }
    // color(srgb r g b / a), as color-mix() computes
    const s = /color\(srgb ([^)]+)\)/.exec(c);
    if (!s) throw new Error(`colour ${c}`);
    const p = s[1].split(/[\s/]+/).filter(Boolean).map(Number);
    return [p[0] * 255, p[1] * 255, p[2] * 255, p[3] ?? 1];
  };
  const [ur, ug, ub] = parse(under);
  const over = (c: number[]) => [0, 1, 2].map((i) => c[i] * c[3] + [ur, ug, ub][i] * (1 - c[3]));
  const lum = (c: number[]) => {
    const [r, g, b] = c.map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(over(parse(fg)));
  const b = lum(over(parse(bg)));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

describe('results panel: stitched decoder', { concurrency: 2, timeout: 120_000 }, () => {
  test('classification: the sentence, exact figures, charts painted, next to the headline', async () => {
    const o = await open();
    const { page } = o;
    const v = views.classification;
    const s = v.stitched as ClassificationStitching;
    assert.equal(s.kind, 'classification');
    assert.ok(s.absolute, 'equal dims: the absolute baseline is there');
    await show(page, 'run-cls', v);

    // placed right after the headline figures
    assert.equal(await page.evaluate(() => document.querySelector('section.headline').nextElementSibling.id), 'stitched');
    const about = (await page.textContent('#stitched-about')) ?? '';
    for (const want of ['mlp_b.classifier.onnx', 'native', 'target\'s own embeddings', 'stitched', 'translated', 'absolute', 'untranslated', 'near-chance', '1,000 held-out items', '10 classes']) assert.ok(about.includes(want), `sentence has "${want}": ${about}`);

    for (const k of ['native', 'stitched', 'absolute'] as const) {
      for (const m of ['accuracy', 'macroF1'] as const) {
        const sel = `[data-stitched="${k}"][data-metric="${m}"]`;
        assert.equal(await page.getAttribute(sel, 'data-value'), String(s[k]![m]), `${k} ${m}`);
        assert.equal(await page.textContent(sel), s[k]![m].toFixed(4));
      }
    }
    assert.equal(await page.getAttribute('[data-stitched-agreement]', 'data-value'), String(s.agreement));
    assert.equal(await page.textContent('[data-stitched-agreement]'), s.agreement.toFixed(4));

    // the new charts come first (inside the section), then the others
    assert.deepEqual(await attrs(page, 'canvas[data-chart]', 'data-chart'), ['stitched', 'recall', ...CHARTS]);
    for (const name of ['stitched', 'recall']) {
      assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000, `${name} chart drew something`);
      assert.equal(await page.getAttribute(`canvas[data-chart="${name}"]`, 'role'), 'img');
      assert.ok(((await page.getAttribute(`canvas[data-chart="${name}"]`, 'aria-label')) ?? '').length > 20);
      assert.ok(await page.locator(`#stitched [data-chart-section="${name}"]`).count(), `${name} is inside the stitched section`);
    }
    // three series in the bars chart: native green, stitched blue, absolute orange
    for (const [c, hex] of [['native', '#388a34'], ['stitched', '#1a85ff'], ['absolute', '#d18616']]) assert.ok((await pixelsNear(page, 'stitched', hex)) > 50, `${c} bars in ${hex}`);
    assert.equal((await lastPosted(page, 'rendered'))?.charts, 8);
    await page.screenshot({ path: path.join(SHOTS, 'stitched-classification.png'), fullPage: true });
    await page.locator('#stitched').screenshot({ path: path.join(SHOTS, 'stitched-classification-section.png') });
    await close(o);
  });

  test('classification: the confusion heat map equals the view, readable, and toggles to native', async () => {
    const o = await open();
    const { page } = o;
    const v = views.classification;
    const s = v.stitched as ClassificationStitching;
    await show(page, 'run-cls', v);
    assert.equal(await page.getAttribute('table#confusion', 'data-confusion'), 'stitched');
    assert.deepEqual(await confusionCells(page), s.stitched.confusion);
    assert.equal(await page.locator('table#confusion td[data-true][data-pred]').count(), s.classes * s.classes);
    assert.equal(await page.locator('table#confusion caption').count(), 1);
    assert.equal(await page.locator('table#confusion thead th[scope="col"][data-pred-head]').count(), s.classes);
    assert.equal(await page.locator('table#confusion tbody th[scope="row"]').count(), s.classes);
    assert.equal(await page.getAttribute('button[data-show-confusion="stitched"]', 'aria-pressed'), 'true');
    assert.equal(await page.locator('#top-confusions li').count(), 5);
    {
      const first = await page.evaluate(() => document.querySelector('#top-confusions li').dataset);
      assert.equal(s.stitched.confusion[Number(first.true)][Number(first.pred)], Number(first.value));
      assert.notEqual(first.true, first.pred);
      assert.equal(Number(first.value), Math.max(...s.stitched.confusion.flatMap((row, t) => row.filter((_, p) => p !== t))));
    }

    // the shade follows the share of the row; the text is the foreground colour with enough contrast
    const styles = await page.evaluate(() => {
      const all = [...document.querySelectorAll('table#confusion td[data-true][data-pred]')];
      const row0 = all.filter((td: any) => td.dataset.true === '0');
      const total = row0.reduce((a: number, td: any) => a + Number(td.dataset.value), 0);
      const cs = (td: any) => window.getComputedStyle(td);
      const section = window.getComputedStyle(document.querySelector('[data-chart-section="confusion"]'));
      const fg = window.getComputedStyle(document.body).getPropertyValue('--vscode-foreground').trim();
      return {
        shares: row0.map((td: any) => Number(td.dataset.value) / total),
        bgs: row0.map((td: any) => cs(td).backgroundColor),
        colours: all.filter((td: any) => td.dataset.value !== '0').map((td: any) => cs(td).color),
        under: section.backgroundColor,
        fg,
      };
    });
    const alpha = (c: string) => Number((/[/,]\s*([\d.]+)\s*\)$/.exec(c) ?? [0, 1])[1]);
    const byShare = styles.shares.map((sh, i) => [sh, alpha(styles.bgs[i])]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < byShare.length; i++) assert.ok(byShare[i][1] >= byShare[i - 1][1], `shade grows with the share: ${JSON.stringify(byShare)}`);
    assert.ok(byShare.at(-1)![1] > 0.3 && byShare[0][1] < 0.05, `strongest and weakest shade: ${JSON.stringify(byShare)}`);
    assert.deepEqual(new Set(styles.colours), new Set(['rgb(59, 59, 59)']), 'counts in --vscode-foreground (#3b3b3b)');
    for (const bg of styles.bgs) assert.ok(contrast('rgb(59, 59, 59)', bg, styles.under) >= 4.5, `contrast on ${bg}`);

    await page.click('button[data-show-confusion="native"]');
    assert.equal(await page.getAttribute('table#confusion', 'data-confusion'), 'native');
    assert.deepEqual(await confusionCells(page), s.native.confusion);
    assert.equal(await page.getAttribute('button[data-show-confusion="native"]', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('button[data-show-confusion="stitched"]', 'aria-pressed'), 'false');
    assert.match((await page.textContent('table#confusion caption')) ?? '', /^Native .*accuracy 0\.8890/);
    const topOf = (m: number[][]) => m.flatMap((row, t) => row.map((v, p) => ({ t, p, v }))).filter((c) => c.t !== c.p).sort((a, b) => b.v - a.v)[0].v;
    assert.equal(Number(await page.getAttribute('#top-confusions li:first-child', 'data-value')), topOf(s.native.confusion), 'the most frequent confusion follows the toggle');
    await page.click('button[data-export="csv"][data-chart="confusion"]');
    const csv = await lastPosted(page, 'export');
    assert.match(csv?.suggestedName as string, /confusion-native\.csv$/);
    assert.equal((csv?.data as string).split('\r\n')[1], ['0', ...s.native.confusion[0], s.native.confusion[0].reduce((a, b) => a + b, 0)].join(','));
    // the keyboard works too
    await page.focus('button[data-show-confusion="stitched"]');
    await page.keyboard.press('Enter');
    assert.deepEqual(await confusionCells(page), s.stitched.confusion);
    await close(o);
  });

  test('classification: table views and exports of the new charts; the toolbar CSV has the stitched figures', async () => {
    const o = await open();
    const { page } = o;
    const v = views.classification;
    const s = v.stitched as ClassificationStitching;
    await show(page, 'run-cls', v);
    const cells = (name: string, col: number) => page.evaluate(({ name, col }: { name: string; col: number }) =>
      [...document.querySelectorAll(`table[data-chart-table="${name}"] tbody tr`)].map((tr: any) => tr.children[col].getAttribute('data-value') ?? tr.children[col].textContent), { name, col });
    for (const name of ['stitched', 'recall']) {
      await page.click(`button[data-toggle-table="${name}"]`);
      assert.equal(await page.locator(`table[data-chart-table="${name}"]`).isVisible(), true);
    }
    assert.deepEqual((await cells('stitched', 1)).map(Number), [s.native.accuracy, s.stitched.accuracy, s.absolute!.accuracy]);
    assert.deepEqual((await cells('stitched', 2)).map(Number), [s.native.macroF1, s.stitched.macroF1, s.absolute!.macroF1]);
    assert.deepEqual((await cells('recall', 1)).map(Number), s.native.perClassRecall);
    assert.deepEqual((await cells('recall', 2)).map(Number), s.stitched.perClassRecall);

    for (const name of ['stitched', 'recall']) {
      await page.click(`button[data-export="png"][data-chart="${name}"]`);
      const png = await lastPosted(page, 'export');
      assert.match(png?.data as string, /^data:image\/png;base64,/);
      assert.match(png?.suggestedName as string, new RegExp(`${name}\\.png$`));
      await page.click(`button[data-export="csv"][data-chart="${name}"]`);
      assert.match((await lastPosted(page, 'export'))?.suggestedName as string, new RegExp(`${name}\\.csv$`));
    }

    await page.click('.toolbar button[data-export="csv"]');
    const lines = ((await lastPosted(page, 'export'))?.data as string).trim().split('\r\n').map((l) => l.split(','));
    const head = lines[0];
    assert.deepEqual(head, ['row', 'method', 'prep', 'cosine', 'mse', 'top1', 'top5', 'mrr', 'cslsTop1', 'anchorCosine', 'fitMs', 'warnings', 'on', 'decoder', 'decoderAccuracy', 'decoderMacroF1', 'decoderWeightedF1', 'agreement']);
    const row = (name: string) => Object.fromEntries(head.map((c, i) => [c, lines.find((l) => l[0] === name)![i]]));
    assert.equal(row('headline').cosine, String(v.headline.cosine), 'the other columns keep their place');
    assert.deepEqual([row('decoder-native').decoderAccuracy, row('decoder-native').decoderMacroF1, row('decoder-native').decoderWeightedF1], [s.native.accuracy, s.native.macroF1, s.native.weightedF1].map(String));
    assert.deepEqual([row('decoder-stitched').decoderAccuracy, row('decoder-stitched').decoderMacroF1, row('decoder-stitched').agreement], [s.stitched.accuracy, s.stitched.macroF1, s.agreement].map(String));
    assert.equal(row('decoder-absolute').decoderAccuracy, String(s.absolute!.accuracy));
    assert.equal(row('decoder-stitched').decoder, s.decoder);
    assert.equal(row('comparison').decoderAccuracy, String(v.comparison[0].stitchedAccuracy));
    await close(o);
  });

  test('compare: a "stitched acc." column with each run\'s value, best marked, the absolute accuracy in the footer', async () => {
    const o = await open();
    const { page } = o;
    const v = views.compare;
    const s = v.stitched as ClassificationStitching;
    assert.equal(v.comparison.length, 6);
    assert.ok(v.comparison.every((r) => typeof r.stitchedAccuracy === 'number'));
    await show(page, 'run-cmp', v);
    assert.equal(await page.locator('#comparison-table thead th[data-col="stitchedAccuracy"]').count(), 1);
    assert.match((await page.textContent('#comparison-table thead th[data-col="stitchedAccuracy"]')) ?? '', /stitched acc\./);
    for (const r of v.comparison) {
      const cell = `#comparison-table tr[data-method="${r.method}"][data-prep="${r.prep}"] td[data-col="stitchedAccuracy"]`;
      assert.equal(await page.getAttribute(cell, 'data-value'), String(r.stitchedAccuracy), r.method);
      assert.match((await page.textContent(cell)) ?? '', new RegExp(`^${r.stitchedAccuracy!.toFixed(4)}`));
    }
    const best = Math.max(...v.comparison.map((r) => r.stitchedAccuracy!));
    const want = v.comparison.filter((r) => r.stitchedAccuracy === best).map((r) => r.method).sort();
    assert.deepEqual((await attrs(page, '#comparison-table tbody td[data-col="stitchedAccuracy"].best', 'data-col')).length, want.length);
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('#comparison-table tbody td[data-col="stitchedAccuracy"].best')].map((td: any) => td.closest('tr').dataset.method).sort()), want);
    assert.equal(await page.getAttribute('#comparison-table tfoot td[data-col="stitchedAccuracy"]', 'data-value'), String(s.absolute!.accuracy));
    // the section shows the best run's stitching, which is that run's accuracy in the table
    const shown = v.comparison.find((r) => r.method === v.method && r.prep === v.prep)!;
    assert.equal(s.stitched.accuracy, shown.stitchedAccuracy);
    assert.equal(await page.getAttribute('[data-stitched="stitched"][data-metric="accuracy"]', 'data-value'), String(shown.stitchedAccuracy));
    assert.ok(((await page.textContent('#stitched-about')) ?? '').includes(`${v.method} / ${v.prep}`));
    // sortable like the others: highest first
    await page.click('#comparison-table th[data-col="stitchedAccuracy"]');
    assert.equal(await page.getAttribute('#comparison-table th[data-col="stitchedAccuracy"]', 'aria-sort'), 'descending');
    const order = await attrs(page, '#comparison-table tbody tr', 'data-index');
    const accs = order.map((i) => v.comparison[Number(i)].stitchedAccuracy!);
    assert.deepEqual(accs, [...accs].sort((a, b) => b - a));
    await close(o);
  });

  test('reconstruction: exact figures, "dims differ", histogram, and the 8 decoded samples drawn as images', async () => {
    const o = await open();
    const { page } = o;
    const v = views.reconstruction;
    const s = v.stitched as Recon;
    assert.equal(s.kind, 'reconstruction');
    assert.deepEqual(s.samples.imageShape, [28, 28]);
    assert.equal(s.absoluteVsNative, null, 'dims differ (48 vs 32)');
    await show(page, 'run-recon', v);

    assert.equal(await page.getAttribute('[data-stitched="reconstruction"][data-metric="stitchedVsNative"]', 'data-value'), String(s.stitchedVsNative));
    assert.equal(await page.locator('[data-stitched="reconstruction"][data-metric="absoluteVsNative"]').count(), 1);
    assert.equal(await page.getAttribute('[data-stitched="reconstruction"][data-metric="absoluteVsNative"]', 'data-value'), null, 'no value: not available');
    const about = (await page.textContent('#stitched-about')) ?? '';
    for (const want of ['ae.decoder.onnx', '784 outputs', '28×28', 'native', 'stitched', 'absolute', 'dimensions differ', '48-d', '32-d']) assert.ok(about.includes(want), `sentence has "${want}": ${about}`);
    assert.equal(await page.locator('#stitched [data-absolute-missing]').count(), 1);

    assert.deepEqual(await attrs(page, 'canvas[data-chart]', 'data-chart'), ['reconstruction', ...CHARTS]);
    assert.ok((await opaquePixels(page, 'canvas[data-chart="reconstruction"]')) > 1000);
    await page.click('button[data-toggle-table="reconstruction"]');
    const counts = await page.evaluate(() => [...document.querySelectorAll('table[data-chart-table="reconstruction"] tbody tr')].map((tr: any) => Number(tr.lastElementChild.dataset.value)));
    assert.deepEqual(counts, s.histogram.counts);
    await page.click('button[data-export="png"][data-chart="reconstruction"]');
    assert.match((await lastPosted(page, 'export'))?.data as string, /^data:image\/png;base64,/);
    await page.click('button[data-toggle-table="reconstruction"]');

    // one item per sample key, each with a native and a stitched image
    assert.deepEqual(await attrs(page, '#recon-grid [data-key]', 'data-key'), s.samples.keys);
    assert.equal(s.samples.keys.length, 8);
    for (const key of s.samples.keys) {
      assert.deepEqual(await attrs(page, `#recon-grid [data-key="${key}"] canvas`, 'data-recon'), ['native', 'stitched']);
      for (const which of ['native', 'stitched']) {
        const sel = `#recon-grid [data-key="${key}"] canvas[data-recon="${which}"]`;
        assert.equal(await opaquePixels(page, sel), 84 * 84, `${key} ${which} painted`);
        assert.match((await page.getAttribute(sel, 'aria-label')) ?? '', new RegExp(`${which === 'native' ? 'Native' : 'Stitched'} decoding of item ${key}`));
        assert.equal(await page.getAttribute(sel, 'role'), 'img');
      }
      assert.ok(((await page.textContent(`#recon-grid [data-key="${key}"]`)) ?? '').includes(key));
    }
    // the pixels are the values: grey = round(255 · clamp(v)), each value a 3×3 block
    const i = 3;
    const got = await page.evaluate((key: string) => {
      const read = (which: string) => {
        const c = document.querySelector(`#recon-grid [data-key="${key}"] canvas[data-recon="${which}"]`);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const out: number[] = [];
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
          const block = [0, 1, 2].flatMap((dy) => [0, 1, 2].map((dx) => d[((y * 3 + dy) * c.width + x * 3 + dx) * 4]));
          out.push(block.every((b) => b === block[0]) && d[((y * 3) * c.width + x * 3) * 4 + 1] === block[0] ? block[0] : -1);
        }
        return out;
      };
      return { native: read('native'), stitched: read('stitched') };
    }, s.samples.keys[i]);
    const grey = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
    assert.deepEqual(got.native, s.samples.native[i].map(grey));
    assert.deepEqual(got.stitched, s.samples.stitched[i].map(grey));
    assert.equal(await page.evaluate(() => window.getComputedStyle(document.querySelector('canvas[data-recon]')).imageRendering), 'pixelated');
    await page.screenshot({ path: path.join(SHOTS, 'stitched-reconstruction.png'), fullPage: true });
    await page.locator('#stitched').screenshot({ path: path.join(SHOTS, 'stitched-reconstruction-section.png') });
    await close(o);
  });

  test('reconstruction with --test-inputs: original / native / stitched per item, the original\'s pixels are the raw image', async () => {
    const o = await open();
    const { page } = o;
    const s = views.originals.stitched as Recon;
    assert.equal(s.samples.original?.file, 'images_test.npy');
    assert.deepEqual(s.samples.original?.imageShape, [28, 28]);
    await show(page, 'run-originals', views.originals);
    assert.equal(await page.getAttribute('#recon-grid', 'data-columns'), '3');
    assert.equal(await page.locator('#stitched [data-original-missing]').count(), 0);
    assert.match((await page.textContent('#recon-note')) ?? '', /original \(the raw input\)/);
    // the held-out pairs are test_idx.npy's rows, in order: item i is images_test.npy's row i
    const images = loadNpy(path.join(SAMPLE, 'images_test.npy'));
    const order = loadNpy(path.join(SAMPLE, 'test_idx.npy')).data;
    assert.equal(s.samples.keys.length, 8);
    for (const [i, key] of s.samples.keys.entries()) {
      assert.equal(key, String(order[i]), 'keys are the held-out rows of test_idx.npy');
      assert.deepEqual(await attrs(page, `#recon-grid [data-key="${key}"] canvas`, 'data-recon'), ['original', 'native', 'stitched']);
      const sel = `#recon-grid [data-key="${key}"] canvas[data-recon="original"]`;
      assert.match((await page.getAttribute(sel, 'aria-label')) ?? '', new RegExp(`Original input of item ${key} \\(28×28`));
      const pixels = await page.evaluate((q: string) => {
        const c = document.querySelector(q);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const out: number[] = [];
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out.push(d[(y * 3 * c.width + x * 3) * 4]);
        return out;
      }, sel);
      // stored as round(v / 255, 3) and drawn as round(255 · value): exactly the uint8 pixel again
      assert.deepEqual(pixels, Array.from(images.data.subarray(i * 784, (i + 1) * 784)), `item ${key}: original pixels`);
    }
    await page.locator('#stitched').screenshot({ path: path.join(SHOTS, 'stitched-reconstruction-originals.png') });
    await close(o);
  });

  test('reconstruction without --test-inputs says how to get the originals', async () => {
    const o = await open();
    await show(o.page, 'run-recon-no-originals', views.reconstruction);
    assert.equal(await o.page.getAttribute('#recon-grid', 'data-columns'), '2');
    assert.match((await o.page.textContent('#stitched [data-original-missing]')) ?? '', /--test-inputs/);
    await close(o);
  });

  test('dark theme and a theme switch: new charts redrawn, heat map follows the theme colours', async () => {
    const o = await open('dark');
    const { page } = o;
    await show(page, 'run-cls', views.classification);
    const heat = () => page.evaluate(() => {
      const td = document.querySelector('table#confusion td.diag');
      return { bg: window.getComputedStyle(td).backgroundColor, fg: window.getComputedStyle(td).color, under: window.getComputedStyle(td.closest('section')).backgroundColor };
    });
    const dark = await heat();
    assert.equal(dark.fg, 'rgb(204, 204, 204)');
    assert.ok(contrast(dark.fg, dark.bg, dark.under) >= 4.5, `dark contrast ${JSON.stringify(dark)}`);
    assert.ok((await pixelsNear(page, 'stitched', '#3794ff')) > 50, 'dark-theme blue');
    await page.screenshot({ path: path.join(SHOTS, 'stitched-classification-dark.png'), fullPage: true });
    await page.locator('#stitched').screenshot({ path: path.join(SHOTS, 'stitched-classification-dark-section.png') });
    await page.evaluate(() => document.body.classList.replace('vscode-dark', 'vscode-light'));
    await page.waitForSelector('body[data-chart-theme="light"][data-theme-redraws="1"]', { timeout: 5000 });
    for (const name of ['stitched', 'recall']) assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000, `${name} redrawn`);
    assert.equal(await pixelsNear(page, 'stitched', '#3794ff', 3), 0, 'no dark-theme blue left');
    assert.ok((await pixelsNear(page, 'stitched', '#1a85ff', 3)) > 50, 'light-theme blue');
    const light = await heat();
    assert.notEqual(light.bg, dark.bg);
    assert.equal(light.fg, 'rgb(59, 59, 59)');
    // a theme without the variables: the fallbacks still draw everything
    await page.evaluate(() => document.body.classList.replace('vscode-light', 'vscode-high-contrast'));
    await page.waitForSelector('body[data-chart-theme="high-contrast"][data-theme-redraws="2"]', { timeout: 5000 });
    for (const name of ['stitched', 'recall']) assert.ok((await opaquePixels(page, `canvas[data-chart="${name}"]`)) > 1000);
    await close(o);

    const r = await open('dark');
    await show(r.page, 'run-recon', views.reconstruction);
    await r.page.screenshot({ path: path.join(SHOTS, 'stitched-reconstruction-dark.png'), fullPage: true });
    await r.page.locator('#stitched').screenshot({ path: path.join(SHOTS, 'stitched-reconstruction-dark-section.png') });
    await close(r);
  });

  test('views without a decoder have no stitched section or column; data text is never markup', async () => {
    const o = await open();
    const { page } = o;
    const plain: PanelView = structuredClone(views.compare);
    plain.stitched = null;
    for (const r of plain.comparison) r.stitchedAccuracy = null;
    await show(page, 'run-plain', plain);
    assert.equal(await page.locator('#stitched').count(), 0);
    assert.equal(await page.locator('#comparison-table [data-col="stitchedAccuracy"]').count(), 0);
    assert.deepEqual(await attrs(page, 'canvas[data-chart]', 'data-chart'), CHARTS);
    // a view written before stitching existed (no fields at all)
    const old = structuredClone(plain) as Partial<PanelView>;
    delete old.stitched;
    for (const r of old.comparison!) delete (r as Partial<typeof r>).stitchedAccuracy;
    await show(page, 'run-old', old as PanelView);
    assert.equal(await page.locator('#stitched').count(), 0);
    assert.equal(await page.locator('#comparison-table [data-col="stitchedAccuracy"]').count(), 0);

    const cls: PanelView = structuredClone(views.classification);
    (cls.stitched as ClassificationStitching).decoder = EVIL;
    await show(page, 'run-xss-cls', cls);
    assert.equal(await page.textContent('#stitched [data-decoder]'), EVIL);
    const rec: PanelView = structuredClone(views.reconstruction);
    (rec.stitched as Recon).samples.keys[0] = EVIL;
    (rec.stitched as Recon).decoder = EVIL;
    await show(page, 'run-xss-rec', rec);
    assert.equal(await page.textContent('#recon-grid .recon-item:first-child [data-col="key"]'), EVIL);
    assert.equal(await page.getAttribute('#recon-grid .recon-item:first-child', 'data-key'), EVIL);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await close(o);
  });
});
