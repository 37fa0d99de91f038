/**
 * No code execution from data:
 *   - every built bundle (dist/**\/*.js: extension host, compute process, CLI, webviews) is
 *     scanned for eval, the Function constructor, vm, and require()/import() of a computed
 *     name; each occurrence must be on the commented allowlist below, so a new one fails;
 *   - pickle-based files (.pkl, .pt, …) are refused by every entry point that reads user
 *     files, with a message saying why and what to give instead; object arrays in .npy too.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readEmbeddings, readList } from '../../src/core/io';
import { PICKLE_EXTENSIONS } from '../../src/core/io/pickle';
import { embedFile } from '../../src/core/onnx/embed';
import { exportTranslator } from '../../src/core/onnx/exportFiles';
import { OnnxModel } from '../../src/core/onnx/model';
import { readTexts } from '../../src/core/onnx/textInput';
import { rejectsWith, tempDir } from './io-helpers';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist');

/** What can turn data into code. `require(`/`import(` count only with a computed argument. */
const DANGEROUS: { kind: string; re: RegExp }[] = [
  { kind: 'eval', re: /(?<![\w$.])eval\b/g },
  { kind: 'Function constructor', re: /(?<![\w$.])Function\s*\(/g },
  { kind: 'require of a computed name', re: /(?<![\w$.])require\s*\(\s*(?!["'`][^"'`$]*["'`]\s*\))/g },
  { kind: 'import of a computed name', re: /(?<![\w$.])import\s*\(\s*(?!["'`][^"'`$]*["'`]\s*\))/g },
  { kind: 'vm module', re: /require\(\s*["'](?:node:)?vm["']\s*\)|from\s*["'](?:node:)?vm["']/g },
];

/**
 * Justified third-party occurrences: bundle (file name), the module esbuild says the line comes
 * from (its "// <path>" comment), the kind, and how many times. onnxruntime-node's native
 * binding loader is not in the list because onnxruntime-node is external (never bundled).
 */
const ALLOWED: { bundles: RegExp; module: RegExp; kind: string; count: number; why: string }[] = [
  {
    bundles: /^(cli|compute)\.js$/,
    module: /node_modules\/@protobufjs\/inquire\/index\.js$/,
    kind: 'require of a computed name',
    count: 1,
    // protobufjs (through onnx-proto, for building/stitching ONNX graphs) probes optional
    // modules with inquire(name); its only callers pass the literals "buffer" and "long",
    // checked below, so no name ever comes from data.
    why: 'protobufjs optional-module probe',
  },
];

function bundles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...bundles(p));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out.sort();
}

/** The module a bundle line came from: the nearest "// path" comment esbuild put above it. */
function moduleAt(lines: string[], index: number): string {
  for (let i = index; i >= 0; i--) {
    const m = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(lines[i]);
    if (m) return m[1];
  }
  return '(bundle prologue)';
}

describe('no code execution from data: the built bundles', () => {
  const files = existsSync(DIST) ? bundles(DIST) : [];

  it('the extension, compute process, CLI and webviews are built', () => {
    const names = files.map((f) => path.relative(DIST, f));
    for (const want of ['extension.js', 'compute.js', 'cli.js']) assert.ok(names.includes(want), `dist/${want} (run node scripts/build.mjs)`);
    assert.ok(names.some((n) => n.startsWith('webview/')), 'dist/webview/*.js');
  });

  it('hold no eval, Function constructor, vm, or require/import of a computed name outside the allowlist', () => {
    const found = new Map<string, { kind: string; where: string[] }>();
    let scanned = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      scanned += text.length;
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        for (const { kind, re } of DANGEROUS) {
          for (const _ of line.matchAll(re)) {
            const bundle = path.relative(DIST, file);
            const mod = moduleAt(lines, i);
            const key = `${bundle} | ${mod} | ${kind}`;
            const entry = found.get(key) ?? { kind, where: [] };
            entry.where.push(`${bundle}:${i + 1}: ${line.trim().slice(0, 120)}`);
            found.set(key, entry);
          }
        }
      });
    }
    const unexplained: string[] = [];
    for (const [key, { kind, where }] of found) {
      const [bundle, mod] = key.split(' | ');
      const rule = ALLOWED.find((a) => a.bundles.test(path.basename(bundle)) && a.module.test(mod) && a.kind === kind);
      if (!rule) unexplained.push(...where.map((w) => `${kind}: ${w}`));
      else assert.equal(where.length, rule.count, `${rule.why}: ${where.length} occurrences in ${bundle}, allowed ${rule.count}:\n${where.join('\n')}`);
    }
    console.log(`  scanned ${files.length} bundles (${(scanned / 2 ** 20).toFixed(1)} MiB); ${found.size} allowlisted occurrence(s)`);
    assert.deepEqual(unexplained, [], 'new occurrences: remove them, or justify them in ALLOWED');
  });

  it("protobufjs's inquire() is only called with literal module names", () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\binquire\(([^)]*)\)/g)) {
        if (/function inquire\(/.test(text.slice(Math.max(0, m.index - 9), m.index + 8))) continue; // its definition
        assert.match(m[1], /^\s*"[\w-]+"\s*$/, `${path.basename(file)}: inquire(${m[1]})`);
      }
    }
  });

  it('the scan finds what it looks for', () => {
    // Guards the patterns themselves: each kind is caught, literal requires are not.
    const caught = (src: string) => DANGEROUS.filter(({ re }) => [...src.matchAll(re)].length > 0).map((d) => d.kind);
    assert.deepEqual(caught('x = eval(s)'), ['eval']);
    assert.deepEqual(caught('(0, eval)(s)'), ['eval']);
    assert.deepEqual(caught('f = new Function("a", s)'), ['Function constructor']);
    assert.deepEqual(caught('m = require(name)'), ['require of a computed name']);
    assert.deepEqual(caught('m = require("a" + b)'), ['require of a computed name']);
    assert.deepEqual(caught('m = await import(p)'), ['import of a computed name']);
    assert.deepEqual(caught('const vm = require("node:vm")'), ['vm module']);
    assert.deepEqual(caught('m = require("onnxruntime-node"); retrieval(x); isFunction(y); a.eval(z)'), []);
  });
});

describe('no code execution from data: pickles are never read', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  /** A real protocol-4 pickle of the integer 1: harmless, but it is what the readers must not open. */
  const PICKLE = Uint8Array.from([0x80, 0x04, 0x4b, 0x01, 0x2e]);
  const pickles = PICKLE_EXTENSIONS.map((ext) => {
    const file = path.join(tmp.dir, `data${ext}`);
    writeFileSync(file, PICKLE);
    return file;
  });

  for (const file of pickles) {
    it(`${path.extname(file)}: embeddings, lists, texts, models and exports refuse it, saying why`, async () => {
      const why = 'Python pickles, which can run arbitrary code when loaded';
      await rejectsWith(readEmbeddings(file), 'unsupported', file, why, 'allow_pickle=False');
      await rejectsWith(readList(file), 'unsupported', file, why);
      await rejectsWith(readTexts(file), 'unsupported', file, why);
      await rejectsWith(OnnxModel.load(file), 'unsupported', file, why, 'torch.onnx.export');
      await rejectsWith(embedFile({ model: path.join(ROOT, 'samples/fmnist/models/cnn.encoder.onnx'), input: file, out: path.join(tmp.dir, 'e.npy') }), 'unsupported', file, why);
      // refused before anything else is read (the translator named here does not even exist)
      await rejectsWith(exportTranslator({ translator: path.join(tmp.dir, 'no-translator.json'), decoder: file, out: path.join(tmp.dir, 's.onnx'), force: false }), 'unsupported', file, why);
    });
  }

  it('.npy object arrays (pickled inside the .npy) are refused', async () => {
    const file = path.join(ROOT, 'test/fixtures/broken/npy_dtype_object.npy');
    await rejectsWith(readEmbeddings(file), 'unsupported', file, 'pickled object arrays are not supported');
    await rejectsWith(readList(file), 'unsupported', file);
  });
});
