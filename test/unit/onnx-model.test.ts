/**
 * OnnxModel (load, metadata, batched run, validation, ORT errors) and embedFile on the
 * Fashion-MNIST sample models: the encoders reproduce the saved embeddings.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { modelBytes, node, valueInfo } from '../../src/core/backend/onnxGraph';
import { readEmbeddings, readList, writeNpy } from '../../src/core/io';
import { embedFile } from '../../src/core/onnx/embed';
import { OnnxModel } from '../../src/core/onnx/model';
import { EMBED_HELP, parseScale } from '../../src/cli/embedCommand';
import { leftovers, rejectsWith, tempDir } from './io-helpers';

const SAMPLE = path.resolve(__dirname, '../../../samples/fmnist');
const MODELS = path.join(SAMPLE, 'models');
const IMAGES = path.join(SAMPLE, 'images_test.npy');
const DIMS: Record<string, number> = { mlp_a: 64, mlp_b: 64, cnn: 48, ae: 32 };
const model = (name: string): string => path.join(MODELS, `${name}.onnx`);

const tmp = tempDir();
after(() => tmp.cleanup());
let counter = 0;
const tmpFile = (name: string): string => path.join(tmp.dir, `${counter++}-${name}`);

/** Rows 2000..2999 of a sample space (the images in images_test.npy). */
async function testRows(space: string): Promise<Float32Array> {
  const t = await readEmbeddings(path.join(SAMPLE, `${space}.npy`));
  const d = t.matrix.cols;
  return Float32Array.from(t.matrix.data.subarray(2000 * d, 3000 * d));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The first `n` images as float32 in [0, 1], shape (n, 784). */
function imagesFloat(n: number): Float32Array {
  const bytes = readFileSync(IMAGES);
  const offset = 10 + bytes.readUInt16LE(8);
  const out = new Float32Array(n * 784);
  for (let i = 0; i < out.length; i++) out[i] = bytes[offset + i] / 255;
  return out;
}

function writeModel(name: string, bytes: Uint8Array | string): string {
  const p = tmpFile(name);
  writeFileSync(p, bytes);
  return p;
}

describe('OnnxModel.load', () => {
  for (const space of Object.keys(DIMS)) {
    it(`reads names, types and shapes of ${space}.encoder / ${space}.classifier`, async () => {
      const enc = await OnnxModel.load(model(`${space}.encoder`));
      try {
        assert.equal(enc.info.path, model(`${space}.encoder`));
        assert.deepEqual(enc.info.inputs, [{ name: 'image', type: 'float32', dims: ['batch', 1, 28, 28] }]);
        assert.deepEqual(enc.info.outputs, [{ name: 'embedding', type: 'float32', dims: ['batch', DIMS[space]] }]);
      } finally {
        await enc.release();
      }
      const head = await OnnxModel.load(model(`${space}.classifier`), { threads: 1 });
      try {
        assert.deepEqual(head.info.inputs, [{ name: 'embedding', type: 'float32', dims: ['batch', DIMS[space]] }]);
        assert.deepEqual(head.info.outputs, [{ name: 'logits', type: 'float32', dims: ['batch', 10] }]);
      } finally {
        await head.release();
      }
    });
  }
  it('reads the AE decoder', async () => {
    const dec = await OnnxModel.load(model('ae.decoder'));
    try {
      assert.deepEqual(dec.info.inputs, [{ name: 'embedding', type: 'float32', dims: ['batch', 32] }]);
      assert.deepEqual(dec.info.outputs, [{ name: 'reconstruction', type: 'float32', dims: ['batch', 784] }]);
    } finally {
      await dec.release();
    }
  });
  it('refuses a missing file, a directory, an empty file and a text file, naming the path', async () => {
    const missing = path.join(tmp.dir, 'nope.onnx');
    await rejectsWith(OnnxModel.load(missing), 'io', missing, 'no such file');
    await rejectsWith(OnnxModel.load(tmp.dir), 'io', tmp.dir, 'is a directory');
    const empty = writeModel('empty.onnx', new Uint8Array(0));
    await rejectsWith(OnnxModel.load(empty), 'format', empty, 'not an ONNX model');
    const text = writeModel('readme.onnx', readFileSync(path.join(SAMPLE, 'README.md')));
    await rejectsWith(OnnxModel.load(text), 'format', text, 'not an ONNX model');
    const truncated = writeModel('truncated.onnx', readFileSync(model('cnn.encoder')).subarray(0, 5000));
    await rejectsWith(OnnxModel.load(truncated), 'format', truncated, 'not an ONNX model');
  });
  it('refuses an op ONNX Runtime does not have, naming the op and the model', async () => {
    const bad = writeModel(
      'nosuchop.onnx',
      modelBytes([node('NoSuchOp', ['x'], ['y'])], [valueInfo('x', 'float32', ['n', 3])], [valueInfo('y', 'float32', ['n', 3])]),
    );
    const e = await rejectsWith(OnnxModel.load(bad), 'unsupported', bad, 'unsupported op "NoSuchOp"', 'opset 17');
    assert.doesNotMatch(e.message, /onnxruntime_src|\.cc:\d+/);
    const custom = writeModel(
      'customdomain.onnx',
      modelBytes([node('MyOp', ['x'], ['y'], {}, 'com.example')], [valueInfo('x', 'float32', ['n', 3])], [valueInfo('y', 'float32', ['n', 3])]),
    );
    await rejectsWith(OnnxModel.load(custom), 'unsupported', custom, 'unsupported op "MyOp"', 'com.example');
  });
});

describe('OnnxModel.run', () => {
  it('runs the classifier in batches: every batch size gives the same logits', async () => {
    const head = await OnnxModel.load(model('cnn.classifier'));
    try {
      const emb = await testRows('cnn');
      const input = { data: emb, dims: [1000, 48] };
      const fractions: number[] = [];
      const a = await head.run(input, { onProgress: (f) => fractions.push(f) });
      assert.deepEqual(a.dims, [1000, 10]);
      assert.deepEqual(fractions, [1]);
      const b = await head.run(input, { batchSize: 7, outputName: 'logits', onProgress: (f) => fractions.push(f) });
      assert.equal(fractions.length, 1 + Math.ceil(1000 / 7));
      assert.equal(fractions.at(-1), 1);
      assert.ok(maxAbsDiff(a.data, b.data) <= 1e-6);
      // The manifest's sample accuracy for cnn on these rows: 894 of 1000.
      const labels = (await readList(path.join(SAMPLE, 'labels.npy'))).indices!.slice(2000, 3000);
      let correct = 0;
      for (let i = 0; i < 1000; i++) {
        const row = Array.from(a.data.subarray(i * 10, i * 10 + 10));
        if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
      }
      assert.equal(correct, 894);
    } finally {
      await head.release();
    }
  });
  it('refuses an input of the wrong rank or static dims, naming the model and both shapes', async () => {
    const enc = await OnnxModel.load(model('cnn.encoder'));
    try {
      await rejectsWith(
        enc.run({ data: imagesFloat(2), dims: [2, 784] }),
        'shape',
        model('cnn.encoder'),
        'expects input "image" of shape [batch, 1, 28, 28], got [2, 784]',
      );
      await rejectsWith(enc.run({ data: imagesFloat(2), dims: [2, 1, 14, 56] }), 'shape', '[batch, 1, 28, 28], got [2, 1, 14, 56]');
      await rejectsWith(enc.run({ data: imagesFloat(2), dims: [3, 1, 28, 28] }), 'shape', 'values');
      await rejectsWith(enc.run({ data: imagesFloat(1), dims: [1, 1, 28, 28] }, { outputName: 'logits' }), 'usage', 'no output "logits"', '"embedding"');
    } finally {
      await enc.release();
    }
  });
  it('cancels between batches', async () => {
    const enc = await OnnxModel.load(model('mlp_a.encoder'));
    try {
      const ac = new AbortController();
      ac.abort();
      await rejectsWith(enc.run({ data: imagesFloat(4), dims: [4, 1, 28, 28] }, { signal: ac.signal }), 'cancelled');
      const ac2 = new AbortController();
      let calls = 0;
      await rejectsWith(
        enc.run({ data: imagesFloat(4), dims: [4, 1, 28, 28] }, { batchSize: 1, signal: ac2.signal, onProgress: () => (++calls === 2 ? ac2.abort() : undefined) }),
        'cancelled',
      );
      assert.equal(calls, 2);
    } finally {
      await enc.release();
    }
  });
  it('lists the inputs of a model with several, and the outputs when one must be chosen', async () => {
    const two = writeModel(
      'twoin.onnx',
      modelBytes([node('Add', ['x', 'b'], ['y'])], [valueInfo('x', 'float32', ['n', 3]), valueInfo('b', 'float32', [3])], [valueInfo('y', 'float32', ['n', 3])]),
    );
    const m = await OnnxModel.load(two);
    try {
      await rejectsWith(m.run({ data: new Float32Array(3), dims: [1, 3] }), 'unsupported', two, '2 inputs', '"x" float32 [n, 3]', '"b" float32 [3]');
    } finally {
      await m.release();
    }
    const twoOut = writeModel(
      'twoout.onnx',
      modelBytes([node('Identity', ['x'], ['y']), node('Neg', ['x'], ['z'])], [valueInfo('x', 'float32', ['n', 3])], [valueInfo('y', 'float32', ['n', 3]), valueInfo('z', 'float32', ['n', 3])]),
    );
    const m2 = await OnnxModel.load(twoOut);
    try {
      const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] };
      await rejectsWith(m2.run(x), 'usage', '2 outputs', '"y" [n, 3]', '"z" [n, 3]');
      assert.deepEqual([...(await m2.run(x, { outputName: 'z' })).data], [-1, -2, -3, -4, -5, -6]);
    } finally {
      await m2.release();
    }
  });
  it('refuses non-float inputs, saying which types are supported', async () => {
    const f = writeModel(
      'int64in.onnx',
      modelBytes([{ opType: 'Cast', input: ['x'], output: ['y'], attribute: [{ name: 'to', i: 1, type: 2 }] }], [{ name: 'x', type: { tensorType: { elemType: 7, shape: { dim: [{ dimParam: 'n' }] } } } }], [valueInfo('y', 'float32', ['n'])]),
    );
    const m = await OnnxModel.load(f);
    try {
      assert.deepEqual(m.info.inputs, [{ name: 'x', type: 'int64', dims: ['n'] }]);
      await rejectsWith(m.run({ data: new Float32Array(2), dims: [2] }), 'unsupported', f, 'int64', 'float32');
    } finally {
      await m.release();
    }
  });
  it('feeds a float64 input, and pads the last batch of a model with a fixed batch dim', async () => {
    const f64 = writeModel('f64.onnx', modelBytes([node('Neg', ['x'], ['y'])], [valueInfo('x', 'float64', ['n', 2])], [valueInfo('y', 'float64', ['n', 2])]));
    const m = await OnnxModel.load(f64);
    try {
      const y = await m.run({ data: Float32Array.from([1, 2, 3, 4]), dims: [2, 2] });
      assert.ok(y.data instanceof Float32Array);
      assert.deepEqual([...y.data], [-1, -2, -3, -4]);
    } finally {
      await m.release();
    }
    const fixed = writeModel('fixed.onnx', modelBytes([node('Neg', ['x'], ['y'])], [valueInfo('x', 'float32', [2, 3])], [valueInfo('y', 'float32', [2, 3])]));
    const m2 = await OnnxModel.load(fixed);
    try {
      const data = Float32Array.from({ length: 15 }, (_, i) => i);
      const y = await m2.run({ data, dims: [5, 3] }, { batchSize: 4 });
      assert.deepEqual(y.dims, [5, 3]);
      assert.deepEqual([...y.data], [...data].map((v) => -v));
    } finally {
      await m2.release();
    }
  });
});

describe('embedFile', () => {
  for (const space of ['mlp_a', 'cnn']) {
    it(`${space}.encoder on images_test.npy reproduces rows 2000..2999 of ${space}.npy, for batch sizes 1, 7 and the default`, async () => {
      const want = await testRows(space);
      const outputs: Float32Array[] = [];
      for (const batchSize of [undefined, 7, 1]) {
        const out = tmpFile(`${space}-${batchSize ?? 'default'}.npy`);
        const fractions: number[] = [];
        const messages: string[] = [];
        const r = await embedFile({
          model: model(`${space}.encoder`),
          input: IMAGES,
          out,
          batchSize,
          onProgress: (f) => fractions.push(f),
          onMessage: (m) => messages.push(m),
        });
        assert.deepEqual({ rows: r.rows, dims: r.dims, out: r.out }, { rows: 1000, dims: DIMS[space], out });
        assert.deepEqual(r.inputShape, [1000, 28, 28]);
        assert.deepEqual(r.modelInputShape, [1000, 1, 28, 28]);
        assert.equal(r.scale, 1 / 255);
        assert.deepEqual(r.notes, messages);
        assert.ok(messages.some((m) => m.includes('reshaped the input (1000, 28, 28) to [1000, 1, 28, 28]')), messages.join('\n'));
        assert.ok(messages.some((m) => m.includes('uint8') && m.includes('1/255')), messages.join('\n'));
        assert.equal(fractions.at(-1), 1);
        assert.equal(fractions.length, batchSize ? Math.ceil(1000 / batchSize) : 1);
        const t = await readEmbeddings(out);
        assert.equal(t.dtype, '<f4');
        assert.deepEqual([t.matrix.rows, t.matrix.cols], [1000, DIMS[space]]);
        const got = t.matrix.data as Float32Array;
        const diff = maxAbsDiff(got, want);
        assert.ok(diff <= 1e-4, `max abs diff ${diff}`);
        outputs.push(got);
      }
      // Batching does not change the result (ORT's kernels are row-independent here).
      assert.ok(maxAbsDiff(outputs[0], outputs[1]) <= 1e-6, `default vs 7: ${maxAbsDiff(outputs[0], outputs[1])}`);
      assert.ok(maxAbsDiff(outputs[0], outputs[2]) <= 1e-6, `default vs 1: ${maxAbsDiff(outputs[0], outputs[2])}`);
      assert.deepEqual(leftovers(tmp.dir), []);
    });
  }
  it('reshapes a float (N, 784) input and applies no scale by default', async () => {
    const input = tmpFile('flat.npy');
    await writeNpy(input, { rows: 50, cols: 784, data: imagesFloat(50) });
    const out = tmpFile('flat-out.npy');
    const r = await embedFile({ model: model('ae.encoder'), input, out });
    assert.equal(r.scale, 1);
    assert.deepEqual(r.modelInputShape, [50, 1, 28, 28]);
    assert.ok(r.notes.some((m) => m.includes('reshaped the input (50, 784) to [50, 1, 28, 28]')));
    const want = (await testRows('ae')).subarray(0, 50 * 32);
    assert.ok(maxAbsDiff((await readEmbeddings(out)).matrix.data, want) <= 1e-4);
    // An explicit scale is applied (and reported), here halving every pixel.
    const out2 = tmpFile('scaled.npy');
    const r2 = await embedFile({ model: model('ae.encoder'), input, out: out2, scale: 0.5 });
    assert.equal(r2.scale, 0.5);
    assert.ok(r2.notes.some((m) => m.includes('float32 input values by 1/2 (as given)')), r2.notes.join('\n'));
    assert.ok(maxAbsDiff((await readEmbeddings(out2)).matrix.data, want) > 0.1);
  });
  it('refuses an input whose rows do not fit the model, naming the model and its input shape', async () => {
    const input = tmpFile('wrong.npy');
    await writeNpy(input, { rows: 1000, cols: 30, data: new Float32Array(30000) });
    const out = tmpFile('wrong-out.npy');
    await rejectsWith(
      embedFile({ model: model('cnn.encoder'), input, out }),
      'shape',
      model('cnn.encoder'),
      'expects input "image" of shape [batch, 1, 28, 28]',
      'got [1000, 30]',
      '784 values per row',
    );
    assert.ok(!existsSync(out));
  });
  it('refuses a model that is not ONNX, and missing files, naming them', async () => {
    const text = writeModel('text.onnx', 'this is not a model\n');
    const out = tmpFile('x.npy');
    await rejectsWith(embedFile({ model: text, input: IMAGES, out }), 'format', text, 'not an ONNX model');
    const missing = path.join(tmp.dir, 'missing.onnx');
    await rejectsWith(embedFile({ model: missing, input: IMAGES, out }), 'io', missing, 'no such file');
    const missingInput = path.join(tmp.dir, 'missing.npy');
    await rejectsWith(embedFile({ model: model('cnn.encoder'), input: missingInput, out }), 'io', missingInput, 'no such file');
    assert.ok(!existsSync(out));
    await rejectsWith(embedFile({ model: model('cnn.encoder'), input: IMAGES, out: tmpFile('x.csv') }), 'usage', '.npy');
  });
  it('never overwrites --out without force', async () => {
    const out = tmpFile('exists.npy');
    writeFileSync(out, 'keep me');
    await rejectsWith(embedFile({ model: model('mlp_a.encoder'), input: IMAGES, out }), 'exists', out, '--force');
    assert.equal(readFileSync(out, 'utf8'), 'keep me');
    const r = await embedFile({ model: model('mlp_a.encoder'), input: IMAGES, out, force: true });
    assert.equal(r.rows, 1000);
    assert.equal((await readEmbeddings(out)).matrix.cols, 64);
  });
  it('cancellation leaves no output and no temporary file', async () => {
    const ac = new AbortController();
    ac.abort();
    const out = tmpFile('cancelled.npy');
    await rejectsWith(embedFile({ model: model('cnn.encoder'), input: IMAGES, out, signal: ac.signal }), 'cancelled');
    assert.ok(!existsSync(out));
    const ac2 = new AbortController();
    await rejectsWith(
      embedFile({ model: model('cnn.encoder'), input: IMAGES, out, batchSize: 100, signal: ac2.signal, onProgress: (f) => (f >= 0.3 ? ac2.abort() : undefined) }),
      'cancelled',
    );
    assert.ok(!existsSync(out));
    assert.deepEqual(leftovers(tmp.dir), []);
  });
});

describe('embed command helpers', () => {
  it('parses --scale as a number or a fraction', () => {
    assert.equal(parseScale('1/255'), 1 / 255);
    assert.equal(parseScale('0.5'), 0.5);
    assert.equal(parseScale(' 2 / 4 '), 0.5);
    assert.throws(() => parseScale('abc'), /--scale/);
    assert.throws(() => parseScale('0'), /--scale/);
    assert.throws(() => parseScale('1/0'), /--scale/);
    assert.match(EMBED_HELP, /--model <file\.onnx>/);
  });
});
