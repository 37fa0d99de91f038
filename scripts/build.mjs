// Bundles the CLI, the compute process, the extension and the webviews with esbuild.
// onnxruntime-node is a native addon and cannot be bundled: it stays external.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['onnxruntime-node', 'vscode'],
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } });
chmodSync('dist/cli.js', 0o755);
await build({ ...common, entryPoints: ['src/compute/main.ts'], outfile: 'dist/compute.js' });
await build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' });
// --release (used by scripts/package.mjs): minified webviews; source maps are never packaged.
await (await import('../webview-ui/build.mjs')).buildWebview({ minify: process.argv.includes('--release') });
