/**
 * End to end: the built CLI on real files of every supported format (made by
 * scripts/gen_cli_fixtures.py), checked against the independent NumPy
 * translation committed with that generator; then every bad input, each of
 * which must fail with one clear line and leave no output behind.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, loadNpy, ROOT } from '../helpers/cli';

const FIX = path.join(ROOT, 'test/fixtures/cli');
const fx = (name: string) => path.join(FIX, name);
const expected = JSON.parse(readFileSync(fx('expected.json'), 'utf8'));
let work: string;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lt-cli-'));
});

function checkTranslation(outDir: string, key: string, tol = 2e-5) {
  const want: number[][] = expected.expected[key].translated;
  const got = loadNpy(path.join(outDir, 'translated.npy'));
  assert.deepEqual(got.shape, [want.length, want[0].length]);
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want[0].length; j++) {
      const w = want[i][j];
      const g = got.data[i * want[0].length + j];
      // float32 output: relative 1e-6 of the value plus an absolute floor
      assert.ok(Math.abs(g - w) <= tol + 1e-6 * Math.abs(w), `${key} [${i}][${j}]: ${g} vs NumPy ${w}`);
    }
  }
}

interface FormatCase {
  name: string;
  args: string[];
  key: string;
}

const formats: FormatCase[] = [
  { name: 'npy (f4 source, f8 Fortran-order target), indices in text', args: ['--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt')], key: 'ortho/standard' },
  { name: 'npz (deflated, members by name), indices in .npy', args: ['--source', fx('pair.npz'), '--source-array', 'source', '--target', fx('pair.npz'), '--target-array', 'target', '--anchors', fx('anchors.npy')], key: 'linear/none' },
  { name: 'safetensors (F32 → F64)', args: ['--source', fx('source.safetensors'), '--target', fx('target.safetensors'), '--anchors', fx('anchors.txt')], key: 'affine/center' },
  { name: 'csv with header, id and label columns', args: ['--source', fx('source.csv'), '--target', fx('target.csv'), '--anchors', fx('anchors.txt'), '--id-column', 'id', '--label-column', 'label'], key: 'similarity/center+l2' },
  { name: 'Embedding Projector vectors.tsv + metadata.tsv', args: ['--source', fx('source.vectors.tsv'), '--source-metadata', fx('metadata.tsv'), '--target', fx('target.vectors.tsv'), '--target-metadata', fx('metadata.tsv'), '--anchors', fx('anchors.txt')], key: 'l-ortho/l2' },
  { name: 'jsonl objects with id/label/embedding', args: ['--source', fx('source.jsonl'), '--target', fx('target.jsonl'), '--anchors', fx('anchors.txt')], key: 'ortho/standard' },
  { name: 'json array of arrays', args: ['--source', fx('source.json'), '--target', fx('target.json'), '--anchors', fx('anchors.txt')], key: 'linear/none' },
  { name: 'word2vec text, target rows shuffled, anchors by id', args: ['--source', fx('source.vec'), '--target', fx('target_shuffled.vec'), '--anchors', fx('anchor_ids.txt')], key: 'ortho/standard' },
  { name: 'word2vec binary, target rows shuffled, anchors by id', args: ['--source', fx('source.bin'), '--target', fx('target_shuffled.bin'), '--anchors', fx('anchor_ids.txt')], key: 'affine/center' },
  { name: 'parquet list<double> with id column', args: ['--source', fx('source.parquet'), '--target', fx('target.parquet'), '--anchors', fx('anchors.txt')], key: 'similarity/center+l2' },
];

describe('fit on every format matches the NumPy reference', () => {
  for (const [i, c] of formats.entries()) {
    test(c.name, () => {
      const e = expected.expected[c.key];
      const out = path.join(work, `fmt-${i}`);
      const args = ['fit', ...c.args, '--method', e.method, '--prep', e.prep, '--out', out, '--quiet'];
      if (e.ridge) args.push('--ridge', String(e.ridge));
      const r = cli(args);
      assert.equal(r.code, 0, r.stderr);
      checkTranslation(out, c.key);
      const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
      assert.equal(result.schema, 'latent-translator/result');
      assert.equal(result.heldOut.count, 20);
      assert.equal(result.anchors.count, 40);
      for (const k of ['cosine', 'mse', 'top1', 'top5', 'mrr']) assert.equal(typeof result.heldOut[k], 'number', k);
      assert.ok(result.heldOut.cosine > 0.5, `cosine ${result.heldOut.cosine}`);
      const pairs = readFileSync(path.join(out, 'pairs.csv'), 'utf8').trim().split('\n');
      assert.equal(pairs.length, 21);
    });
  }
});

describe('translate applies a saved translator', () => {
  test('streams a .npy in small chunks and matches the fit', () => {
    const out = path.join(work, 'tr-fit');
    assert.equal(cli(['fit', '--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--out', out, '--quiet']).code, 0);
    const r = cli(['translate', '--translator', path.join(out, 'translator.json'), '--input', fx('source.npy'), '--out', path.join(work, 'all.npy'), '--chunk-rows', '7', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const all = loadNpy(path.join(work, 'all.npy'));
    assert.deepEqual(all.shape, [60, 4]);
    const held: number[] = expected.pair.heldOutRows;
    const want: number[][] = expected.expected['ortho/standard'].translated;
    held.forEach((row, k) => {
      for (let j = 0; j < 4; j++) assert.ok(Math.abs(all.data[row * 4 + j] - want[k][j]) <= 2e-5 + 1e-6 * Math.abs(want[k][j]));
    });
  });

  test('the float32 one-call translation and --float64 agree to 1e-5 (folded Gemm and export graph)', () => {
    // standard/center/none fold into one Gemm; l2 and center+l2 run the export graph
    for (const [prep, method] of [['standard', 'ortho'], ['standard', 'similarity'], ['center', 'affine'], ['center+l2', 'affine'], ['l2', 'similarity'], ['none', 'linear']]) {
      const out = path.join(work, `tr-${prep}-${method}`);
      assert.equal(cli(['fit', '--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--prep', prep, '--method', method, '--out', out, '--quiet']).code, 0);
      const t = path.join(out, 'translator.json');
      const f32 = cli(['translate', '--translator', t, '--input', fx('source.npy'), '--out', path.join(out, 'f32.npy'), '--chunk-rows', '9', '--quiet']);
      const f64 = cli(['translate', '--translator', t, '--input', fx('source.npy'), '--out', path.join(out, 'f64.npy'), '--float64', '--quiet']);
      assert.equal(f32.code, 0, f32.stderr);
      assert.equal(f64.code, 0, f64.stderr);
      const a = loadNpy(path.join(out, 'f32.npy')).data;
      const b = loadNpy(path.join(out, 'f64.npy')).data;
      let worst = 0;
      for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
      assert.ok(worst <= 1e-5, `${prep}/${method}: ${worst}`);
    }
  });

  test('writes csv with ids from a csv input', () => {
    const out = path.join(work, 'tr-fit2');
    assert.equal(cli(['fit', '--source', fx('source.csv'), '--target', fx('target.csv'), '--anchors', fx('anchors.txt'), '--out', out, '--quiet']).code, 0);
    const dest = path.join(work, 'translated.csv');
    const r = cli(['translate', '--translator', path.join(out, 'translator.json'), '--input', fx('source.csv'), '--out', dest, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(dest, 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => l.startsWith('naïve,')), 'ids kept');
  });

  test('a NaN or ±Inf in a later chunk fails naming file, row and column, and leaves no output (every graph, and --float64)', () => {
    // source.npy is float32 (60 × 6); the values are planted in row 40, past the first chunks
    const withValue = (name: string, row: number, col: number, value: number): string => {
      const bytes = readFileSync(fx('source.npy'));
      const dataStart = 10 + bytes.readUInt16LE(8);
      bytes.writeFloatLE(value, dataStart + (row * 6 + col) * 4);
      const file = path.join(work, name);
      writeFileSync(file, bytes);
      return file;
    };
    for (const [prep, method] of [['standard', 'ortho'], ['center+l2', 'affine']]) {
      const out = path.join(work, `nf-${prep}`);
      assert.equal(cli(['fit', '--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--prep', prep, '--method', method, '--out', out, '--quiet']).code, 0);
      const t = path.join(out, 'translator.json');
      for (const [value, shown] of [[NaN, 'NaN'], [-Infinity, '-Inf'], [Infinity, 'Inf']] as const) {
        const input = withValue(`nf-${shown}.npy`, 40, 3, value);
        for (const extra of [[], ['--float64']]) {
          const dest = path.join(out, `nf-${shown}${extra.length}.npy`);
          const r = cli(['translate', '--translator', t, '--input', input, '--out', dest, '--chunk-rows', '7', '--quiet', ...extra]);
          assert.equal(r.code, 1, `${prep} ${shown} ${extra}`);
          assert.match(r.stderr, new RegExp(`nf-${shown}\\.npy.*row 40, column 3 is ${shown} `), `${prep} ${shown} ${extra}: ${r.stderr}`);
          assert.equal(existsSync(dest), false);
          assert.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp-')), []);
        }
      }
      // finite values whose row sum overflows float32: the graph's row sum is ±Inf, the scan finds nothing wrong
      const huge = withValue('huge.npy', 40, 3, 3e38);
      const bytes = readFileSync(huge);
      bytes.writeFloatLE(3e38, 10 + bytes.readUInt16LE(8) + (40 * 6 + 4) * 4);
      writeFileSync(huge, bytes);
      const r = cli(['translate', '--translator', t, '--input', huge, '--out', path.join(out, 'huge-out.npy'), '--chunk-rows', '7', '--quiet']);
      assert.equal(r.code, 0, `${prep}: ${r.stderr}`);
      assert.deepEqual(loadNpy(path.join(out, 'huge-out.npy')).shape, [60, 4]);
    }
  });

  test('refuses a file of the wrong dimension', () => {
    const out = path.join(work, 'tr-fit');
    const r = cli(['translate', '--translator', path.join(out, 'translator.json'), '--input', fx('target.npy'), '--out', path.join(work, 'bad.npy')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /target\.npy.*4 dimensions.*expects 6/);
    assert.equal(existsSync(path.join(work, 'bad.npy')), false);
  });
});

describe('compare prints every method side by side', () => {
  test('table and JSON agree with fit', () => {
    const base = ['--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--quiet'];
    const table = cli(['compare', ...base]);
    assert.equal(table.code, 0, table.stderr);
    for (const m of ['ortho', 'linear', 'l-ortho', 'affine', 'rotation', 'similarity']) assert.match(table.stdout, new RegExp(`^${m} `, 'm'));
    const json = JSON.parse(cli(['compare', ...base, '--json']).stdout);
    assert.equal(json.rows.length, 6);
    const fitOut = path.join(work, 'cmp-fit');
    cli(['fit', ...base, '--out', fitOut]);
    const fit = JSON.parse(readFileSync(path.join(fitOut, 'result.json'), 'utf8'));
    assert.equal(json.rows.find((r: { method: string }) => r.method === 'ortho').heldOut.cosine, fit.heldOut.cosine);
    const all = JSON.parse(cli(['compare', ...base, '--prep', 'all', '--json']).stdout);
    assert.equal(all.rows.length, 30);
  });
});

describe('bad input: one clear line, non-zero exit, no output left behind', () => {
  const bad = (name: string, content: string) => {
    const p = path.join(work, name);
    writeFileSync(p, content);
    return p;
  };
  const cases: { name: string; args: () => string[]; message: RegExp }[] = [
    { name: 'NaN in a file', args: () => ['--source', bad('nan.csv', '1,2\n3,nan\n5,6\n'), '--target', bad('ok.csv', '1,2\n3,4\n5,6\n')], message: /nan\.csv.*(NaN|not a number)/i },
    { name: 'ragged CSV', args: () => ['--source', bad('ragged.csv', '1,2\n3\n5,6\n'), '--target', bad('ok2.csv', '1,2\n3,4\n5,6\n')], message: /ragged\.csv.*line 2/ },
    { name: 'rows that do not line up', args: () => ['--source', fx('source.npy'), '--target', bad('short.csv', '1,2\n3,4\n5,6\n')], message: /60 rows.*3/ },
    { name: 'ids missing from one side', args: () => ['--source', fx('source.vec'), '--target', fx('target_shuffled.vec'), '--anchors', bad('ids.txt', 'item-01\nnot-an-id\nitem-02\n'), '--anchor-count', '3'], message: /only 2 of the 3 requested anchors/ },
    { name: 'fewer anchors than requested', args: () => ['--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--anchor-count', '100'], message: /anchors\.txt.*40 entries.*100/ },
    { name: 'anchor index out of range', args: () => ['--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', bad('far.txt', '1\n2\n999\n')], message: /far\.txt.*999/ },
    { name: 'unreadable file', args: () => ['--source', path.join(work, 'missing.npy'), '--target', fx('target.npy')], message: /missing\.npy/ },
    { name: 'wrong shape of held-out file', args: () => ['--source', fx('source.npy'), '--target', fx('target.npy'), '--test-source', fx('target.npy'), '--test-target', fx('target.npy')], message: /target\.npy.*4 dimensions.*6/ },
    { name: 'unknown method', args: () => ['--source', fx('source.npy'), '--target', fx('target.npy'), '--method', 'magic'], message: /unknown method "magic"/ },
  ];
  for (const [i, c] of cases.entries()) {
    test(c.name, () => {
      const out = path.join(work, `bad-${i}`);
      const r = cli(['fit', ...c.args(), '--out', out, '--quiet']);
      assert.notEqual(r.code, 0);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^latent-translator: /);
      assert.match(lines[0], c.message);
      assert.ok(!existsSync(out) || readdirSync(out).length === 0, `left ${existsSync(out) ? readdirSync(out) : ''}`);
    });
  }

  test('an existing output is not overwritten without --force', () => {
    const out = path.join(work, 'exists');
    const args = ['fit', '--source', fx('source.npy'), '--target', fx('target.npy'), '--anchors', fx('anchors.txt'), '--out', out, '--quiet'];
    assert.equal(cli(args).code, 0);
    writeFileSync(path.join(out, 'result.json'), 'mine');
    const r = cli(args);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /result\.json: already exists; use --force/);
    assert.equal(readFileSync(path.join(out, 'result.json'), 'utf8'), 'mine');
    assert.equal(cli([...args, '--force']).code, 0);
    assert.notEqual(readFileSync(path.join(out, 'result.json'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp-')), []);
  });

  test('--help and usage errors', () => {
    const h = cli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /fit .*compare .*translate/s);
    assert.match(cli(['help', 'fit']).stdout, /--anchor-count/);
    const u = cli(['fit', '--source', fx('source.npy')]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /--target is required/);
  });
});
