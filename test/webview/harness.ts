/**
 * Test harness for the webviews: a loopback server that serves dist/webview
 * under the page the extension builds (webviewHtml, strict CSP, the server's
 * origin as cspSource), VS Code-like theme variables, and Chromium driven
 * by playwright-core with a stub of acquireVsCodeApi.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeNonce, webviewHtml } from '../../src/shared/webviewHtml';
import { ROOT } from '../helpers/cli';

// The callbacks given to page.evaluate run in the browser; the test build has no DOM lib.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const WEBVIEW_DIST = path.join(ROOT, 'dist/webview');

/** A subset of VS Code's Light Modern and Dark Modern colours. */
export const THEME_CSS = `
body.vscode-light {
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: "Droid Sans Mono", monospace;
  --vscode-foreground: #3b3b3b;
  --vscode-descriptionForeground: #717171;
  --vscode-editor-background: #ffffff;
  --vscode-editorWidget-background: #f8f8f8;
  --vscode-editorWidget-border: #c8c8c8;
  --vscode-focusBorder: #005fb8;
  --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #0258a8;
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-badge-background: #cccccc;
  --vscode-badge-foreground: #3b3b3b;
  --vscode-charts-foreground: #616161;
  --vscode-charts-lines: rgba(97, 97, 97, 0.5);
  --vscode-charts-blue: #1a85ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #388a34;
  --vscode-charts-red: #e51400;
  --vscode-list-hoverBackground: #f2f2f2;
  --vscode-list-activeSelectionBackground: #e8e8e8;
  --vscode-list-inactiveSelectionBackground: #e4e6f1;
  --vscode-editorWarning-foreground: #bf8803;
  --vscode-inputValidation-warningBackground: #f6f5d2;
  --vscode-inputValidation-warningBorder: #b89500;
  --vscode-errorForeground: #f85149;
  --vscode-sideBar-background: #f8f8f8;
  --vscode-sideBarSectionHeader-background: #f8f8f8;
  --vscode-sideBarTitle-foreground: #3b3b3b;
  --vscode-icon-foreground: #3b3b3b;
}
body.vscode-dark {
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", "Ubuntu", "Droid Sans", sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: "Droid Sans Mono", monospace;
  --vscode-foreground: #cccccc;
  --vscode-descriptionForeground: #9d9d9d;
  --vscode-editor-background: #1f1f1f;
  --vscode-editorWidget-background: #202020;
  --vscode-editorWidget-border: #454545;
  --vscode-focusBorder: #0078d4;
  --vscode-button-background: #0078d4;
  --vscode-button-foreground: #ffffff;
  --vscode-button-hoverBackground: #026ec1;
  --vscode-button-secondaryBackground: #313131;
  --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-badge-background: #616161;
  --vscode-badge-foreground: #f8f8f8;
  --vscode-charts-foreground: #cccccc;
  --vscode-charts-lines: rgba(204, 204, 204, 0.5);
  --vscode-charts-blue: #3794ff;
  --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185;
  --vscode-charts-red: #f14c4c;
  --vscode-list-hoverBackground: #2a2d2e;
  --vscode-list-activeSelectionBackground: #04395e;
  --vscode-list-inactiveSelectionBackground: #37373d;
  --vscode-editorWarning-foreground: #cca700;
  --vscode-inputValidation-warningBackground: #352a05;
  --vscode-inputValidation-warningBorder: #b89500;
  --vscode-errorForeground: #f85149;
  --vscode-sideBar-background: #181818;
  --vscode-sideBarSectionHeader-background: #181818;
  --vscode-sideBarTitle-foreground: #cccccc;
  --vscode-icon-foreground: #cccccc;
}
`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

export interface TestServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves /results.html and /runs.html (built by webviewHtml), /theme.css and the files of dist/webview. */
export async function startServer(): Promise<TestServer> {
  let origin = '';
  const page = (name: 'results' | 'runs', title: string, bodyClass: string) =>
    webviewHtml({
      title,
      scriptUri: `${origin}/${name}.js`,
      styleUris: [`${origin}/codicon.css`, `${origin}/theme.css`, `${origin}/${name}.css`],
      cspSource: origin,
      nonce: makeNonce(),
      bodyClass,
    });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const theme = url.searchParams.get('theme') === 'dark' ? 'vscode-dark' : 'vscode-light';
    if (url.pathname === '/results.html') return send(200, 'text/html; charset=utf-8', page('results', 'Latent Translator results', theme));
    if (url.pathname === '/runs.html') return send(200, 'text/html; charset=utf-8', page('runs', 'Latent Translator runs', theme));
    if (url.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
    if (url.pathname === '/theme.css') return send(200, TYPES['.css'], THEME_CSS);
    const file = path.join(WEBVIEW_DIST, path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, ''));
    if (!file.startsWith(WEBVIEW_DIST + path.sep)) return send(403, 'text/plain', 'forbidden');
    readFile(file).then(
      (body) => send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', body),
      () => send(404, 'text/plain', 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** What a page reported: CSP violations (event and console), page errors, console errors. */
export interface PageLog {
  csp: string[];
  errors: string[];
}

/** Records postMessage calls in window.__posted, the state in window.__state, CSP violations in window.__csp. */
const INIT_SCRIPT = `
  window.__posted = [];
  window.__state = undefined;
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
  }, true);
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    };
  };
`;

const contexts = new WeakMap<Browser, BrowserContext>();

export async function openPage(browser: Browser, url: string, viewport = { width: 1200, height: 900 }): Promise<{ page: Page; log: PageLog }> {
  // one context per browser (a new context per page costs ~300 ms); pages share nothing that matters here
  let context = contexts.get(browser);
  if (!context) {
    context = await browser.newContext({ deviceScaleFactor: 1 });
    await context.addInitScript(INIT_SCRIPT);
    contexts.set(browser, context);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.setViewportSize(viewport);
  const log: PageLog = { csp: [], errors: [] };
  page.on('console', (m) => {
    const text = m.text();
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(text)) log.csp.push(text);
    else if (m.type() === 'error') log.errors.push(text);
  });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => (window.__posted as { type: string }[]).some((m) => m.type === 'ready'));
  return { page, log };
}

/** Sends a message as the host would (a MessageEvent on the window). */
export async function send(page: Page, message: unknown): Promise<void> {
  // as a string: far quicker through the driver than a large object
  await page.evaluate((json: string) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(message));
}

export async function posted<T = { type: string; [k: string]: unknown }>(page: Page): Promise<T[]> {
  return page.evaluate(() => window.__posted as T[]);
}

export async function cspViolations(page: Page, log: PageLog): Promise<string[]> {
  const inPage: string[] = await page.evaluate(() => window.__csp);
  return [...inPage, ...log.csp];
}

// These run inside the page (page.evaluate), where `document` exists.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Non-transparent pixels of a canvas. */
export function opaquePixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel: string) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  }, selector);
}

/** Pixels of the chart whose colour is within `tol` of the hex colour (alpha ignored, any opacity). */
export function pixelsNear(page: Page, chart: string, hex: string, tol = 6): Promise<number> {
  return page.evaluate(({ name, hex, tol }: { name: string; hex: string; tol: number }) => {
    const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const c = document.querySelector(`canvas[data-chart="${name}"]`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 100 && Math.abs(d[i] - want[0]) <= tol && Math.abs(d[i + 1] - want[1]) <= tol && Math.abs(d[i + 2] - want[2]) <= tol) n++;
    }
    return n;
  }, { name: chart, hex, tol });
}

export function attrs(page: Page, selector: string, attr: string): Promise<(string | null)[]> {
  return page.evaluate(({ selector, attr }: { selector: string; attr: string }) => [...document.querySelectorAll(selector)].map((e: any) => e.getAttribute(attr)), { selector, attr });
}
