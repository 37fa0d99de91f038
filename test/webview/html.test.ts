/**
 * The webview page (webviewHtml) and the bundles it loads: strict CSP,
 * nonce on the one script, escaped text, browser-only tree-shaken bundles.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/shared/webviewHtml';
import { WEBVIEW_DIST } from './harness';

const SRC = 'https://file+.vscode-resource.vscode-cdn.net';

describe('webviewHtml', () => {
  test('strict CSP: own resources only, the script by nonce, nothing inline or remote', () => {
    const nonce = makeNonce();
    const html = webviewHtml({ title: 'Results', scriptUri: `${SRC}/dist/webview/results.js`, styleUris: [`${SRC}/dist/webview/codicon.css`, `${SRC}/dist/webview/results.css`], cspSource: SRC, nonce, bodyClass: 'vscode-dark' });
    const csp = `default-src 'none'; img-src ${SRC} data: blob:; style-src ${SRC}; font-src ${SRC}; script-src 'nonce-${nonce}';`;
    assert.equal(contentSecurityPolicy(SRC, nonce), csp);
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp.replace(/'/g, '&#39;')}">`));
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|<style|style=/);
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts, [`<script nonce="${nonce}" src="${SRC}/dist/webview/results.js">`]);
    assert.equal([...html.matchAll(/<link rel="stylesheet"/g)].length, 2);
    assert.ok(html.includes('id="vscode-codicon-stylesheet"'), 'vscode-elements finds the codicons by this id');
    assert.ok(html.includes('<body class="vscode-dark">'));
    // every URL in the page is from the webview's own source
    for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(m[1].startsWith(SRC), m[1]);
  });

  test('the title and URIs are escaped', () => {
    const html = webviewHtml({ title: '</title><script>alert(1)</script>', scriptUri: 'x.js"><script>alert(2)</script>', styleUris: [], cspSource: SRC, nonce: makeNonce() });
    assert.equal([...html.matchAll(/<script\b/g)].length, 1);
    assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;'));
    assert.throws(() => webviewHtml({ title: 't', scriptUri: 'x', styleUris: [], cspSource: SRC, nonce: `a'; script-src *` }), /nonce/);
  });

  test('makeNonce: 32 characters of base64url, different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const n = makeNonce();
      assert.match(n, /^[A-Za-z0-9_-]{32}$/);
      seen.add(n);
    }
    assert.equal(seen.size, 200);
  });
});

describe('webview bundles', () => {
  test('built for the browser (no Node), chart.js tree-shaken, CSS and codicons beside them', () => {
    for (const f of ['results.js', 'results.css', 'runs.js', 'runs.css', 'codicon.css', 'codicon.ttf']) assert.ok(existsSync(path.join(WEBVIEW_DIST, f)), f);
    for (const f of ['results.js', 'runs.js']) {
      const js = readFileSync(path.join(WEBVIEW_DIST, f), 'utf8');
      assert.doesNotMatch(js, /\brequire\(|["']node:|process\.versions|onnxruntime/, `${f} has no Node code`);
      assert.doesNotMatch(js, /\beval\(|new Function\(/, `${f} needs no unsafe-eval`);
    }
    const results = readFileSync(path.join(WEBVIEW_DIST, 'results.js'), 'utf8');
    for (const unused of ['DoughnutController', 'RadarController', 'PolarAreaController', 'BubbleController', 'RadialLinearScale', 'TimeScale']) {
      assert.ok(!results.includes(`class ${unused}`), `${unused} is not bundled`);
    }
    assert.ok(!readFileSync(path.join(WEBVIEW_DIST, 'runs.js'), 'utf8').includes('chart.js'), 'the runs view does not load chart.js');
  });
});
