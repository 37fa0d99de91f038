/**
 * The HTML document of a webview (results panel, runs side bar). Pure: no
 * vscode import, so the extension host and the browser tests build the very
 * same page. The Content Security Policy allows only the webview's own
 * resources (cspSource) and the one script carrying the nonce: no inline
 * styles or scripts, no eval, nothing remote.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  title: string;
  /** URI of the bundled script (dist/webview/results.js or runs.js), as the webview sees it. */
  scriptUri: string;
  /** Stylesheets, in order (e.g. codicon.css, then results.css). */
  styleUris: string[];
  /** webview.cspSource (in tests: the test server's origin). */
  cspSource: string;
  nonce: string;
  bodyClass?: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ') + ';';
}

export function webviewHtml(o: WebviewHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(o.nonce)) throw new Error('webviewHtml: the nonce must be base64 or hex');
  const links = o.styleUris.map((u) => `    <link rel="stylesheet" href="${attr(u)}"${/codicon\.css(\?|#|$)/.test(u) ? ' id="vscode-codicon-stylesheet"' : ''}>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '  <head>',
    '    <meta charset="UTF-8">',
    `    <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">`,
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0">',
    ...links,
    `    <title>${text(o.title)}</title>`,
    '  </head>',
    `  <body${o.bodyClass ? ` class="${attr(o.bodyClass)}"` : ''}>`,
    '    <div id="app"></div>',
    `    <script nonce="${o.nonce}" src="${attr(o.scriptUri)}"></script>`,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

/** 32 characters of base64url from 24 random bytes. */
export function makeNonce(): string {
  return randomBytes(24).toString('base64url');
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
