/**
 * The `panel` suite: how soon the results panel shows its first chart once a run's result
 * arrives, for a run with many held-out pairs (issue #5: < 1 s with 100 000, points sampled
 * for drawing, figures computed on all).
 *
 * A real `latent-translator fit` writes view.json (cached in $TMPDIR/lt-bench, keyed on the
 * CLI build); the panel is then loaded in headless Chromium through the webview tests'
 * harness (out/test/webview/harness.js: real CSP, real dist/webview bundle) and sent `show`
 * as the extension would. Each rep uses a fresh page.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from './data.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli.js');
const HARNESS = path.join(ROOT, 'out/test/webview/harness.js');

const ANCHORS = 2000;
// unequal dims, as between two different models: the CLI then skips the no-translation
// baseline, whose retrieval over every held-out pair would double the fit's time
const SOURCE_DIM = 64;
const TARGET_DIM = 48;
/** The extension's default latentTranslator.maxPointsDrawn, and the CLI's view default. */
const MAX_POINTS = 2000;
const GOAL_MS = 1000;
const RENDER_TIMEOUT_MS = 60_000;

/**
 * Runs the suite and records two rows (first chart, whole panel) through `record`.
 * `dataPair(n, dx, dy)` is run.mjs's cached synthetic pair.
 */
export async function panelSuite({ pairs, reps, dataDir, dataPair, record, median, fmt }) {
  for (const f of [CLI, HARNESS]) if (!existsSync(f)) throw new Error(`panel suite: ${path.relative(ROOT, f)} is missing — run node scripts/build.mjs && npx tsc -p tsconfig.test.json`);
  const run = fitRun(pairs, dataDir, dataPair);
  const viewJson = readFileSync(path.join(run.dir, 'view.json'), 'utf8');
  const view = JSON.parse(viewJson);
  checkView(view, JSON.parse(readFileSync(path.join(run.dir, 'result.json'), 'utf8')), pairs);
  const viewBytes = Buffer.byteLength(viewJson);

  const times = await measurePanel(viewJson, reps);
  const med = (k) => median(times.map((t) => t[k]));
  const extra = {
    pairs,
    anchors: ANCHORS,
    sourceDim: SOURCE_DIM,
    targetDim: TARGET_DIM,
    viewBytes,
    sampledPoints: view.charts.pca.sampled,
    maxPoints: MAX_POINTS,
    fitSeconds: run.fitSeconds,
    fitCached: run.cached,
    firstChartMs: med('firstChart'),
    renderMs: med('render'),
    paintedMs: med('painted'),
    deliveryMs: med('delivery'),
    parseMs: med('parse'),
    goalMs: GOAL_MS,
    perRep: times,
  };
  const size = `${pairs} held-out, ${extra.sampledPoints} drawn, d=${SOURCE_DIM}→${TARGET_DIM}`;
  const count = pairs.toLocaleString('en').replace(/,/g, ' ');
  record({ suite: 'panel', op: `first chart after result (${count} held-out), goal < 1 s`, size, ours: extra.firstChartMs / 1000, numpy: null, ...extra, goalMet: extra.firstChartMs < GOAL_MS });
  record({ suite: 'panel', op: 'whole panel rendered', size, ours: extra.renderMs / 1000, numpy: null, ...extra });
  console.log(
    `  panel: first chart ${fmt(extra.firstChartMs / 1000)} (goal < 1 s: ${extra.firstChartMs < GOAL_MS ? 'met' : 'NOT MET'}), whole panel ${fmt(extra.renderMs / 1000)}, first frame painted ${fmt(extra.paintedMs / 1000)};` +
      ` view.json ${(viewBytes / 1024).toFixed(0)} KiB (delivery ${extra.deliveryMs.toFixed(0)} ms, host JSON.parse ${extra.parseMs.toFixed(0)} ms); fit of the run ${extra.fitSeconds.toFixed(0)} s${run.cached ? ' (cached)' : ''}`,
  );
}

// ------------------------------------------------------------------------------------------------

/** The fit's output dir, reused while the CLI build (hence view.json's content) is unchanged. */
function fitRun(pairs, dataDir, dataPair) {
  const n = ANCHORS + pairs;
  const dir = path.join(dataDir, `panel-run-${pairs}-${SOURCE_DIM}-${TARGET_DIM}`);
  const stampFile = path.join(dir, 'bench-stamp.json');
  const cli = createHash('sha256').update(readFileSync(CLI)).digest('hex').slice(0, 16);
  if (existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (stamp.cli === cli && existsSync(path.join(dir, 'view.json'))) return { dir, fitSeconds: stamp.fitSeconds, cached: true };
  }
  const data = dataPair(n, SOURCE_DIM, TARGET_DIM);
  const files = inputFiles(dataDir, n);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`  (fitting the ${pairs}-pair run for the panel, cached in ${dir}…)\n`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'fit', '--source', data.x, '--target', data.y, '--anchors', files.anchors, '--test', files.test, '--labels', files.labels, '--out', dir, '--force', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`panel suite: latent-translator fit failed (${r.status}):\n${r.stderr}`);
  writeFileSync(stampFile, JSON.stringify({ cli, fitSeconds }));
  return { dir, fitSeconds, cached: false };
}

/** Anchors are the first rows, held-out pairs the rest; ten labels cycle over every row. */
function inputFiles(dataDir, n) {
  const base = path.join(dataDir, `panel-${ANCHORS}-${n}`);
  const files = { anchors: `${base}-anchors.npy`, test: `${base}-test.npy`, labels: `${base}-labels.txt` };
  if (!existsSync(files.labels)) {
    writeNpy(files.anchors, Int32Array.from({ length: ANCHORS }, (_, i) => i), [ANCHORS]);
    writeNpy(files.test, Int32Array.from({ length: n - ANCHORS }, (_, i) => ANCHORS + i), [n - ANCHORS]);
    writeFileSync(files.labels, Array.from({ length: n }, (_, i) => `class ${i % 10}\n`).join(''));
  }
  return files;
}

/** Fails loudly unless the figures cover every held-out pair and only a sample is drawn. */
function checkView(view, result, pairs) {
  const problems = [];
  const expect = (ok, what) => ok || problems.push(what);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const p = view.charts.pca;
  expect(view.schema === 'latent-translator/view', `schema ${view.schema}`);
  expect(view.headlineOn === 'held-out', `headline on ${view.headlineOn}, not held-out`);
  expect(p && p.total === pairs, `pca.total ${p?.total} ≠ ${pairs}`);
  expect(p && p.sampled <= MAX_POINTS && p.sampled === p.target.length && p.sampled === p.translated.length && p.sampled === p.keys.length, `pca draws ${p?.sampled} points (max ${MAX_POINTS}), ${p?.target.length} target / ${p?.translated.length} translated`);
  expect(p && p.labels?.length === p.sampled, 'pca labels missing');
  expect(sum(view.charts.cosine.translated) === pairs, `cosine histogram counts ${sum(view.charts.cosine.translated)} pairs`);
  expect(sum(view.charts.residuals.counts) === pairs, `residual histogram counts ${sum(view.charts.residuals.counts)} pairs`);
  expect(sum(view.charts.ranks.plain) === pairs && sum(view.charts.ranks.csls) === pairs, 'rank buckets do not count every pair');
  for (const k of ['cosine', 'mse', 'top1', 'top5', 'mrr']) expect(view.headline[k] === result.heldOut[k], `headline ${k} ${view.headline[k]} ≠ result.json held-out ${result.heldOut[k]}`);
  expect(view.headline.cslsTop1 === result.heldOut.csls.top1, 'headline CSLS top-1 ≠ result.json');
  if (problems.length) throw new Error(`panel suite: view.json is not what the goal needs:\n  ${problems.join('\n  ')}`);
}

// ------------------------------------------------------------------------------------------------

/** Per rep, in a fresh page: milliseconds from dispatching `show` to the first chart, the whole panel and the next frame. */
async function measurePanel(viewJson, reps) {
  const require = createRequire(import.meta.url);
  const { startServer, launchBrowser, openPage, cspViolations } = require(HARNESS);
  const server = await startServer();
  let browser;
  try {
    browser = await launchBrowser();
    const out = [];
    for (let r = 0; r < reps; r++) {
      const { page, log } = await openPage(browser, `${server.origin}/results.html?theme=light`);
      const t = await page.evaluate(showAndTime, { json: viewJson, runId: `bench-${r}`, maxPoints: MAX_POINTS, timeoutMs: RENDER_TIMEOUT_MS });
      const problems = [...(await cspViolations(page, log)), ...log.errors];
      if (t.charts < 6) problems.push(`only ${t.charts} charts drawn`);
      if (problems.length) throw new Error(`panel suite: the panel did not render cleanly:\n  ${problems.join('\n  ')}`);
      await page.close();
      out.push(t);
    }
    return out;
  } finally {
    await browser?.close();
    await server.close();
  }
}

/**
 * Runs in the page. The view arrives as a string (quick through the driver) and is parsed
 * first, as the host holds an object; the clock starts right before postMessage, so the
 * structured clone and delivery of the view count. The panel's handler draws synchronously and
 * stamps its own durations (data-first-chart-ms, data-render-ms) from its start; a mutation
 * observer runs right after that handler returns, which places its start on this clock.
 */
function showAndTime({ json, runId, maxPoints, timeoutMs }) {
  /* global window, document, performance, requestAnimationFrame, MessageChannel, MutationObserver, setTimeout, clearTimeout */
  const p0 = performance.now();
  const message = { type: 'show', runId, view: JSON.parse(json), maxPoints };
  const parse = performance.now() - p0;
  return new Promise((resolve, reject) => {
    let t0 = NaN;
    const timer = setTimeout(() => reject(new Error(`not rendered after ${timeoutMs} ms`)), timeoutMs);
    new MutationObserver((_, obs) => {
      const b = document.body.dataset;
      if (b.rendered !== 'true' || b.runId !== runId) return;
      obs.disconnect();
      const render = performance.now() - t0;
      const delivery = render - Number(b.renderMs);
      const firstChart = delivery + Number(b.firstChartMs);
      const charts = document.querySelectorAll('canvas[data-chart]').length;
      // after the next frame: when the user can see any of it (the panel draws in one task)
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          clearTimeout(timer);
          resolve({ parse, delivery, firstChart, render, painted: performance.now() - t0, charts });
        };
        ch.port2.postMessage(null);
      });
    }).observe(document.body, { attributes: true, attributeFilter: ['data-rendered'] });
    t0 = performance.now();
    window.postMessage(message, '*');
  });
}
