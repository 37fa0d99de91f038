/**
 * The paper's headline on the bundled sample, end to end through the CLI:
 * encode with model A, translate, decode with model B's own classifier.
 * Native accuracies are checked against the figures PyTorch recorded in
 * samples/fmnist/manifest.json when it trained the models.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, loadNpy, ROOT } from '../helpers/cli';

const S = (f: string) => path.join(ROOT, 'samples/fmnist', f);
const manifest = JSON.parse(readFileSync(S('manifest.json'), 'utf8'));
const sampleAccuracy = (space: string) => manifest.spaces.find((s: { name: string }) => s.name === space).test_accuracy_sample as number;
const pairArgs = (source: string, target: string) => ['--source', S(`${source}.npy`), '--target', S(`${target}.npy`), '--anchors', S('anchors.npy'), '--anchor-count', '1000', '--test', S('test_idx.npy'), '--quiet'];
let work: string;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lt-models-'));
});

describe('stitched decoders on the bundled sample', () => {
  test('mlp_a → mlp_b: stitched accuracy close to native, untranslated near chance', () => {
    const out = path.join(work, 'ab');
    const r = cli(['fit', ...pairArgs('mlp_a', 'mlp_b'), '--decoder', S('models/mlp_b.classifier.onnx'), '--test-labels', S('labels.npy'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')).stitched;
    assert.equal(s.kind, 'classification');
    assert.equal(s.native.accuracy, sampleAccuracy('mlp_b'), 'native accuracy equals what PyTorch measured');
    assert.ok(s.stitched.accuracy > s.native.accuracy - 0.05, `stitched ${s.stitched.accuracy} vs native ${s.native.accuracy}`);
    assert.ok(s.absolute.accuracy < 0.2, `absolute ${s.absolute.accuracy} should be near chance (0.1)`);
    assert.ok(s.agreement > 0.85);
    for (const k of ['native', 'stitched', 'absolute']) assert.equal(typeof s[k].macroF1, 'number');
    assert.equal(s.stitched.confusion.length, 10);
    assert.match(r.stdout, /stitched \(translated source\)/);
  });

  test('cross-architecture mlp_a → cnn, then the stitched ONNX model reproduces it', () => {
    const out = path.join(work, 'ac');
    const r = cli(['fit', ...pairArgs('mlp_a', 'cnn'), '--decoder', S('models/cnn.classifier.onnx'), '--test-labels', S('labels.npy'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')).stitched;
    assert.equal(s.native.accuracy, sampleAccuracy('cnn'));
    assert.equal(s.absolute, null, 'no untranslated baseline when dims differ');
    const model = path.join(work, 'stitched.onnx');
    const e = cli(['export', '--translator', path.join(out, 'translator.json'), '--encoder', S('models/mlp_a.encoder.onnx'), '--decoder', S('models/cnn.classifier.onnx'), '--out', model]);
    assert.equal(e.code, 0, e.stderr);
    assert.ok(existsSync(model));
    // encode raw images with the stitched model: accuracy must match the CLI's stitched accuracy
    const logitsFile = path.join(work, 'logits.npy');
    const emb = cli(['embed', '--model', model, '--input', S('images_test.npy'), '--out', logitsFile, '--quiet']);
    assert.equal(emb.code, 0, emb.stderr);
    const logits = loadNpy(logitsFile);
    const truth = readFileSync(S('labels.txt'), 'utf8').trim().split('\n').slice(2000);
    const names: string[] = manifest.dataset.classes;
    let correct = 0;
    for (let i = 0; i < 1000; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (logits.data[i * 10 + j] > logits.data[i * 10 + best]) best = j;
      if (names[best] === truth[i]) correct++;
    }
    assert.ok(Math.abs(correct / 1000 - s.stitched.accuracy) <= 0.002, `stitched ONNX ${correct / 1000} vs CLI ${s.stitched.accuracy}`);
  });

  test('reconstruction decoder (the autoencoder): stitched vs native output MSE', () => {
    const out = path.join(work, 'ae');
    const r = cli(['fit', ...pairArgs('cnn', 'ae'), '--decoder', S('models/ae.decoder.onnx'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')).stitched;
    assert.equal(s.kind, 'reconstruction');
    assert.equal(s.outputDim, 784);
    assert.ok(s.stitchedVsNative > 0 && s.stitchedVsNative < 0.1, String(s.stitchedVsNative));
  });

  test('--test-inputs: the view carries the held-out items\' original images beside the decodings', () => {
    const out = path.join(work, 'ae-originals');
    const r = cli(['fit', ...pairArgs('cnn', 'ae'), '--decoder', S('models/ae.decoder.onnx'), '--test-inputs', S('images_test.npy'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const samples = JSON.parse(readFileSync(path.join(out, 'view.json'), 'utf8')).stitched.samples;
    assert.equal(samples.original.file, 'images_test.npy');
    assert.deepEqual(samples.original.imageShape, [28, 28], '(1000, 28, 28) rows are 28×28 images');
    assert.equal(samples.original.rows.length, samples.keys.length);
    const images = loadNpy(S('images_test.npy'));
    const heldOut = loadNpy(S('test_idx.npy')).data;
    samples.keys.forEach((key: string, i: number) => {
      assert.equal(key, String(heldOut[i]));
      const want = Array.from(images.data.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
      const got: number[] = samples.original.rows[i];
      assert.equal(got.length, 784);
      assert.ok(got.every((v, j) => Math.abs(v - want[j]) <= 5e-4), `item ${key}: uint8 pixels scaled by 1/255`);
    });
  });

  test('--test-inputs with a row count that matches neither the held-out set nor the source is refused, naming the file', () => {
    const out = path.join(work, 'ae-bad-inputs');
    // without --test, the 2000 non-anchor rows are held out: 1000 images match neither 2000 nor 3000
    const r = cli(['fit', '--source', S('cnn.npy'), '--target', S('ae.npy'), '--anchors', S('anchors.npy'), '--anchor-count', '1000', '--decoder', S('models/ae.decoder.onnx'), '--test-inputs', S('images_test.npy'), '--quiet', '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /images_test\.npy: has 1000 rows \(shape \(1000, 28, 28\)\); expected one input per held-out pair \(2000\) or one per source row \(3000\)/);
    assert.ok(!existsSync(out), 'nothing written');
  });

  test('--test-inputs without a reconstruction decoder is reported as unused', () => {
    const out = path.join(work, 'no-decoder-inputs');
    const r = cli(['fit', ...pairArgs('cnn', 'ae').filter((a) => a !== '--quiet'), '--test-inputs', S('images_test.npy'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: --test-inputs is only shown with a reconstruction decoder/);
  });

  test('a decoder of the wrong space is refused with the model and the expected shape', () => {
    const out = path.join(work, 'wrong');
    const r = cli(['fit', ...pairArgs('mlp_a', 'cnn'), '--decoder', S('models/mlp_a.classifier.onnx'), '--test-labels', S('labels.npy'), '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mlp_a\.classifier\.onnx.*\[batch, 64\].*48/);
    assert.ok(!existsSync(out));
  });

  test('embed reproduces the sample embeddings from raw images', () => {
    const dest = path.join(work, 'cnn_test.npy');
    const r = cli(['embed', '--model', S('models/cnn.encoder.onnx'), '--input', S('images_test.npy'), '--out', dest, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const got = loadNpy(dest);
    const want = loadNpy(S('cnn.npy'));
    assert.deepEqual(got.shape, [1000, 48]);
    let max = 0;
    for (let i = 0; i < 1000 * 48; i++) max = Math.max(max, Math.abs(got.data[i] - want.data[2000 * 48 + i]));
    assert.ok(max < 1e-4, `max diff ${max}`);
  });
});
