// Bundles the two webviews (results panel, runs side bar) for the browser,
// with their CSS, and copies the codicon font next to them.
// Usable from scripts/build.mjs (buildWebview) or directly: node webview-ui/build.mjs [--minify]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist/webview');

export async function buildWebview({ minify = false } = {}) {
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: {
      results: path.join(ROOT, 'webview-ui/src/results/main.ts'),
      runs: path.join(ROOT, 'webview-ui/src/runs/main.ts'),
    },
    outdir: OUT,
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    minify,
    sourcemap: minify ? false : 'linked',
    legalComments: minify ? 'none' : 'inline',
    define: { 'process.env.NODE_ENV': minify ? '"production"' : '"development"' },
    logLevel: 'warning',
  });
  const codicons = path.join(ROOT, 'node_modules/@vscode/codicons/dist');
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(path.join(codicons, f), path.join(OUT, f));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWebview({ minify: process.argv.includes('--minify') });
}
