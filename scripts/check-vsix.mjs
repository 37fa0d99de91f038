// Checks a packaged VSIX: node scripts/check-vsix.mjs <file.vsix> [--target <platform-arch>] [--max-mb 30]
//
// Asserts that the extension's bundles and webviews are there, that onnxruntime-node ships
// with the binding and its shared library for exactly the VSIX's target platform (and no
// other platform's binaries), that nothing outside the whitelist slipped in, and that the
// file is under the size limit. The target defaults to the VSIX manifest's TargetPlatform.
// Prints a summary; exits 1 on any failure.
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { unzipSync } from 'fflate';

const args = process.argv.slice(2);
let file;
let target;
let maxMb = 30;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--target') target = args[++i];
  else if (args[i] === '--max-mb') maxMb = Number(args[++i]);
  else if (!file) file = args[i];
  else {
    console.error(`check-vsix: unexpected argument ${args[i]}`);
    process.exit(2);
  }
}
if (!file) {
  console.error('usage: node scripts/check-vsix.mjs <file.vsix> [--target <platform-arch>] [--max-mb 30]');
  process.exit(2);
}

const bytes = readFileSync(file);
const entries = new Map(); // name -> { size (compressed), originalSize }
const wanted = new Set(['extension.vsixmanifest', 'extension/package.json']);
const unzipped = unzipSync(bytes, {
  filter: (f) => {
    entries.set(f.name, { size: f.size, originalSize: f.originalSize });
    return wanted.has(f.name);
  },
});
const text = (name) => (unzipped[name] ? new TextDecoder().decode(unzipped[name]) : undefined);

const failures = [];
const warnings = [];
const must = (cond, msg) => {
  if (!cond) failures.push(msg);
};

// -- the manifest and the target ---------------------------------------------------------------
const vsixManifest = text('extension.vsixmanifest') ?? '';
const manifestTarget = /TargetPlatform="([^"]+)"/.exec(vsixManifest)?.[1];
must(vsixManifest !== '', 'extension.vsixmanifest is missing');
if (!target) target = manifestTarget;
must(!!target, 'no target platform: the VSIX is not platform-specific (package with --target) and none was given');
if (target && manifestTarget && manifestTarget !== target) failures.push(`the VSIX manifest says TargetPlatform="${manifestTarget}", expected ${target}`);

let pkg;
try {
  pkg = JSON.parse(text('extension/package.json') ?? 'null');
} catch (e) {
  failures.push(`extension/package.json does not parse: ${e.message}`);
}
must(!!pkg, 'extension/package.json is missing');

// -- the extension's own files -----------------------------------------------------------------
const has = (name) => entries.has(name);
for (const f of ['extension/dist/extension.js', 'extension/dist/compute.js', 'extension/dist/webview/results.js', 'extension/dist/webview/runs.js']) must(has(f), `${f} is missing`);
if (pkg?.main) {
  const main = path.posix.normalize(`extension/${pkg.main}`);
  must(has(main) || has(`${main}.js`), `package.json main (${pkg.main}) is not in the VSIX`);
} else if (pkg) failures.push('package.json has no "main"');
if (!has('extension/LICENSE.txt') && !has('extension/LICENSE')) warnings.push('no LICENSE in the VSIX');

// -- onnxruntime-node: exactly the target's binaries ------------------------------------------
const ORT = 'extension/node_modules/onnxruntime-node';
for (const f of [`${ORT}/package.json`, `${ORT}/dist/index.js`, `${ORT}/dist/binding.js`, `${ORT}/dist/backend.js`, 'extension/node_modules/onnxruntime-common/package.json', 'extension/node_modules/onnxruntime-common/dist/cjs/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/package.json'])
  must(has(f), `${f} is missing`);
const binRe = new RegExp(`^${ORT}/bin/(napi-v\\d+)/([^/]+)/([^/]+)/(.+)$`);
const [plat, arch] = (target ?? '-').split('-');
const native = { linux: ['onnxruntime_binding.node', 'libonnxruntime.so.1'], darwin: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'], win32: ['onnxruntime_binding.node', 'onnxruntime.dll'] }[plat];
if (target && !native) failures.push(`unsupported target ${target}: onnxruntime-node 1.30 ships linux, win32 and darwin binaries only`);
const napiDirs = new Set();
const shipped = [];
for (const name of entries.keys()) {
  const m = binRe.exec(name);
  if (m) {
    napiDirs.add(m[1]);
    if (m[2] !== plat || m[3] !== arch) failures.push(`another platform's binary is in the VSIX: ${name}`);
    else shipped.push(m[4]);
  } else if (/\.(node|so(\.\d+)*|dll|dylib)$/.test(name)) failures.push(`unexpected native file outside ${ORT}/bin: ${name}`);
}
if (napiDirs.size > 1) failures.push(`several napi folders: ${[...napiDirs].join(', ')}`);
for (const f of native ?? []) must(shipped.includes(f), `the ${target} ORT binary ${f} is missing (looked under ${ORT}/bin/napi-v*/${plat}/${arch}/)`);

// -- nothing outside the whitelist ------------------------------------------------------------
const forbidden = [/^extension\/(src|test|out|tools|samples|scripts|webview-ui|bench|\.ci|\.vscode|\.git)\//, /\.vsix$/, /^extension\/node_modules\/(?!onnxruntime-node\/|onnxruntime-common\/)/, /^extension\/tsconfig[^/]*\.json$/];
for (const name of entries.keys()) if (forbidden.some((re) => re.test(name))) failures.push(`unexpected file in the VSIX: ${name}`);

// -- size -----------------------------------------------------------------------------------------
const size = statSync(file).size;
const unpacked = [...entries.values()].reduce((s, e) => s + e.originalSize, 0);
must(size < maxMb * 1048576, `the VSIX is ${(size / 1048576).toFixed(1)} MB, over the ${maxMb} MB limit`);

// -- summary ----------------------------------------------------------------------------------
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
const groups = new Map();
for (const [name, e] of entries) {
  const g = name.startsWith(`${ORT}/bin/`) ? 'onnxruntime-node binaries' : name.startsWith('extension/node_modules/') ? 'onnxruntime js' : name.startsWith('extension/dist/webview/') ? 'dist/webview' : name.startsWith('extension/dist/') ? 'dist' : name.startsWith('extension/media/') ? 'media' : 'other';
  const v = groups.get(g) ?? { n: 0, size: 0 };
  v.n++;
  v.size += e.originalSize;
  groups.set(g, v);
}
console.log(`check-vsix: ${file}`);
console.log(`  target ${target ?? '?'}, ${pkg?.publisher ?? '?'}.${pkg?.name ?? '?'}@${pkg?.version ?? '?'}, engines.vscode ${pkg?.engines?.vscode ?? '(none)'}`);
console.log(`  ${entries.size} files, ${mb(size)} (unpacked ${mb(unpacked)})`);
for (const [g, v] of [...groups].sort((a, b) => b[1].size - a[1].size)) console.log(`    ${g.padEnd(26)} ${String(v.n).padStart(4)} files ${mb(v.size).padStart(9)}`);
console.log(`  ORT binaries: ${shipped.sort().join(', ') || '(none)'}`);
for (const w of warnings) console.log(`  warning: ${w}`);
if (failures.length) {
  for (const f of failures) console.error(`  FAIL: ${f}`);
  console.error(`check-vsix: ${failures.length} problem(s)`);
  process.exit(1);
}
console.log('check-vsix: OK');
