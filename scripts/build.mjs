// Bundles the CLI (and, once it exists, the extension) with esbuild.
// onnxruntime-node is a native addon and cannot be bundled: it stays external.
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

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
if (existsSync('src/extension/extension.ts')) {
  await build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' });
}
