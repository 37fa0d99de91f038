/**
 * The side-bar runs view in Chromium, under the extension's CSP: the empty
 * state, a list with a running run, the messages its buttons post, and the
 * in-view confirmation before a delete.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunSummary } from '../../src/shared/protocol';
import { ROOT } from '../helpers/cli';
import { cspViolations, launchBrowser, openPage, posted, send, startServer, type PageLog, type TestServer } from './harness';

// Callbacks given to page.evaluate run in the browser; the test build has no DOM lib.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SHOTS = path.join(ROOT, 'test-results/webview');
const EVIL = '<img src=x onerror="window.__xss=1">';

const RUNS: RunSummary[] = [
  { id: '2026-11-28T08-38-19-mlp_a-mlp_b', title: 'mlp_a.npy → mlp_b.npy', createdAt: '2026-11-28T08:38:19.078Z', kind: 'compare', method: 'linear', prep: 'standard', cosine: 0.9888879490451272, top1: 0.86, mrr: 0.9158554815067973, baselineCosine: -0.029116247499247763, heldOut: 1000 },
  { id: '2026-11-28T08-38-16-mlp_a-cnn', title: 'mlp_a.npy → cnn.npy', createdAt: '2026-11-28T08:38:16.766Z', kind: 'fit', method: 'ortho', prep: 'standard', cosine: 0.931772714773273, top1: 0.131, mrr: 0.26757137337089304, baselineCosine: null, heldOut: 1000 },
];

let server: TestServer;
let browser: Browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // assigned as each comes up, so that `after` closes whatever started
  await Promise.all([startServer().then((s) => (server = s)), launchBrowser().then((b) => (browser = b))]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(theme: 'light' | 'dark' = 'light'): Promise<{ page: Page; log: PageLog }> {
  return openPage(browser, `${server.origin}/runs.html?theme=${theme}`, { width: 320, height: 640 });
}

async function showRuns(page: Page, runs: RunSummary[], running: string | null): Promise<void> {
  await page.evaluate(() => {
    document.body.dataset.rendered = 'false';
  });
  await send(page, { type: 'runs', runs, running });
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 5000 });
}

async function close(o: { page: Page; log: PageLog }): Promise<void> {
  assert.deepEqual(await cspViolations(o.page, o.log), [], 'CSP violations');
  assert.deepEqual(o.log.errors, [], 'console errors / page errors');
  await o.page.close();
}

const messages = async (page: Page) => (await posted(page)).filter((m) => m.type !== 'ready');

describe('runs view', { timeout: 60_000 }, () => {
  test('empty state, then two runs with figures, baseline and a running badge', async () => {
    const o = await open();
    const { page } = o;
    assert.equal((await posted(page))[0].type, 'ready');
    await showRuns(page, [], null);
    assert.match((await page.textContent('#empty')) ?? '', /No runs/);
    assert.equal(await page.locator('[data-run-id]').count(), 0);
    assert.ok(await page.isVisible('#fit'));

    await showRuns(page, RUNS, RUNS[1].id);
    assert.equal(await page.locator('#empty').count(), 0);
    assert.equal(await page.locator('[data-run-id]').count(), 2);
    for (const r of RUNS) {
      const entry = `[data-run-id="${r.id}"]`;
      assert.equal(await page.textContent(`${entry} .run-title`), r.title);
      assert.equal(await page.textContent(`${entry} [data-meta="method"]`), `${r.method} / ${r.prep}`);
      assert.equal(await page.getAttribute(`${entry} time`, 'datetime'), r.createdAt);
      assert.equal(await page.getAttribute(`${entry} [data-figure="cosine"]`, 'data-value'), String(r.cosine));
      assert.equal(await page.getAttribute(`${entry} [data-figure="top1"]`, 'data-value'), String(r.top1));
      assert.equal(await page.getAttribute(`${entry} [data-figure="mrr"]`, 'data-value'), String(r.mrr));
      assert.equal(await page.textContent(`${entry} [data-figure="cosine"]`), r.cosine.toFixed(4));
    }
    assert.equal(await page.getAttribute(`[data-run-id="${RUNS[0].id}"] [data-baseline="cosine"]`, 'data-value'), String(RUNS[0].baselineCosine));
    assert.equal(await page.locator(`[data-run-id="${RUNS[1].id}"] [data-baseline]`).count(), 0);
    // the running run shows the badge; its re-run and delete wait for it
    assert.equal(await page.textContent(`[data-run-id="${RUNS[1].id}"] vscode-badge[data-running]`), 'running…');
    assert.equal(await page.locator(`[data-run-id="${RUNS[0].id}"] [data-running]`).count(), 0);
    assert.equal(await page.isDisabled(`[data-run-id="${RUNS[1].id}"] [data-action="delete"]`), true);
    assert.equal(await page.isEnabled(`[data-run-id="${RUNS[1].id}"] [data-action="open"]`), true);
    await page.screenshot({ path: path.join(SHOTS, 'runs-light.png'), fullPage: true });
    await close(o);
  });

  test('buttons post fit, open and rerun with the run id', async () => {
    const o = await open();
    const { page } = o;
    await showRuns(page, RUNS, null);
    await page.click('#fit');
    await page.click(`[data-run-id="${RUNS[1].id}"] [data-action="open"]`);
    await page.click(`[data-run-id="${RUNS[0].id}"] [data-action="rerun"]`);
    // keyboard too
    await page.focus(`[data-run-id="${RUNS[0].id}"] [data-action="open"]`);
    await page.keyboard.press('Enter');
    assert.deepEqual(await messages(page), [
      { type: 'fit' },
      { type: 'open', id: RUNS[1].id },
      { type: 'rerun', id: RUNS[0].id },
      { type: 'open', id: RUNS[0].id },
    ]);
    await close(o);
  });

  test('delete asks for confirmation inside the view first', async () => {
    const o = await open('dark');
    const { page } = o;
    await showRuns(page, RUNS, null);
    const del = `[data-run-id="${RUNS[0].id}"] [data-action="delete"]`;
    await page.click(del);
    assert.deepEqual(await messages(page), [], 'nothing posted on the first click');
    assert.equal(await page.getAttribute(del, 'data-confirm'), 'true');
    assert.match((await page.textContent(del)) ?? '', /Confirm delete/);
    await page.screenshot({ path: path.join(SHOTS, 'runs-dark.png'), fullPage: true });
    // Escape cancels
    await page.keyboard.press('Escape');
    assert.equal(await page.getAttribute(del, 'data-confirm'), null);
    assert.match((await page.textContent(del)) ?? '', /^\s*Delete$/);
    // two clicks delete
    await page.click(del);
    await page.click(del);
    assert.deepEqual(await messages(page), [{ type: 'delete', id: RUNS[0].id }]);
    // a confirmation armed on one run does not carry over to another
    const other = `[data-run-id="${RUNS[1].id}"] [data-action="delete"]`;
    await page.click(other);
    await page.click(`[data-run-id="${RUNS[1].id}"] [data-action="open"]`);
    assert.equal(await page.getAttribute(other, 'data-confirm'), null, 'moving away cancels');
    assert.deepEqual((await messages(page)).map((m) => m.type), ['delete', 'open']);
    await close(o);
  });

  test('run titles and ids are text, never markup', async () => {
    const o = await open();
    const { page } = o;
    const evil: RunSummary = { ...RUNS[0], id: `x"><img src=x onerror="window.__xss=1">`, title: EVIL, method: EVIL };
    await showRuns(page, [evil], evil.id);
    assert.equal(await page.textContent('.run-title'), EVIL);
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await page.evaluate(() => document.querySelector('[data-run-id]').dataset.runId), evil.id);
    await page.click('[data-action="open"]');
    assert.deepEqual(await messages(page), [{ type: 'open', id: evil.id }]);
    await close(o);
  });
});
