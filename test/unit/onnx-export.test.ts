/**
 * ONNX export: every prep × method as one ONNX graph run in onnxruntime-node
 * against the float64 core `translate()`; encoder → translator → classifier
 * stitched into one model and checked against the three steps run separately;
 * the errors (wrong decoder dimension, non-ONNX bytes, opset conflicts); and
 * the `export` command (runExport) end to end on files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Linalg } from '../../src/core/backend';
import { modelBytes, node, valueInfo } from '../../src/core/backend/onnxGraph';
import { LatentError } from '../../src/core/errors';
import { readEmbeddings, readList, writeJson } from '../../src/core/io';
import { matrix, takeRows, toFloat32, type Matrix } from '../../src/core/matrix';
import type { MethodName } from '../../src/core/methods';
import { PREP_NAMES, type PrepName } from '../../src/core/prep';
import { fitTranslator, prepareAnchors, translate, translatorFromJson, translatorToJson, type Translator } from '../../src/core/translator';
import { TOOL_VERSION } from '../../src/core/version';
import { stitchModels, translatorToOnnx, writeOnnx } from '../../src/core/onnx';
import { applyLines, runExport } from '../../src/cli/exportCommand';
import { loadNpy } from '../helpers/cli';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof OrtModule;

const ROOT = path.resolve(__dirname, '../../..');
const S = path.join(ROOT, 'samples/fmnist');
const M = (f: string) => path.join(S, 'models', f);
const la = new Linalg({ threads: 1 });
after(() => la.dispose());

const METHODS: { method: MethodName; ridge?: number }[] = [{ method: 'ortho' }, { method: 'linear' }, { method: 'affine', ridge: 0.5 }, { method: 'similarity' }];

let anchorsX: Matrix;
let anchorsY: Matrix;
let testX: Matrix;
let work: string;

before(async () => {
  const x = (await readEmbeddings(path.join(S, 'mlp_a.npy'))).matrix;
  const y = (await readEmbeddings(path.join(S, 'cnn.npy'))).matrix;
  const anchors = (await readList(path.join(S, 'anchors.npy'))).indices!.slice(0, 1000);
  const held = (await readList(path.join(S, 'test_idx.npy'))).indices!;
  anchorsX = takeRows(x, anchors);
  anchorsY = takeRows(y, anchors);
  testX = takeRows(x, held);
  work = mkdtempSync(path.join(tmpdir(), 'lt-onnx-'));
});

async function fit(prep: PrepName, method: MethodName, ridge?: number): Promise<Translator> {
  const prepared = prepareAnchors(anchorsX, anchorsY, prep, la);
  return (await fitTranslator(prepared, { method, prep, ridge }, la)).translator;
}

async function session(bytes: Uint8Array): Promise<OrtModule.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function runOnnx(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const s = await session(bytes);
  try {
    const t: Record<string, OrtModule.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) t[k] = new ort.Tensor('float32', v.data, v.dims);
    const out = await s.run(t);
    const res: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [k, v] of Object.entries(out)) res[k] = { data: v.data as Float32Array, dims: v.dims };
    return res;
  } finally {
    await s.release();
  }
}

/** max over entries of |a − b| / (1 + |b|) */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

function decode(bytes: Uint8Array): onnx.ModelProto & { graph: onnx.GraphProto } {
  return onnx.ModelProto.decode(bytes) as onnx.ModelProto & { graph: onnx.GraphProto };
}

const meta = (m: onnx.ModelProto) => Object.fromEntries(m.metadataProps.map((e) => [e.key, e.value]));

function argmaxRows(data: ArrayLike<number>, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i * cols < data.length; i++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (data[i * cols + j] > data[i * cols + best]) best = j;
    out.push(best);
  }
  return out;
}

describe('translatorToOnnx: every prep × method matches translate() in onnxruntime-node', () => {
  for (const prep of PREP_NAMES) {
    for (const { method, ridge } of METHODS) {
      test(`${prep} / ${method}${ridge ? ` (ridge ${ridge})` : ''}`, async () => {
        const t = await fit(prep, method, ridge);
        const want = await translate(t, testX, la);
        const bytes = translatorToOnnx(t);
        const out = await runOnnx(bytes, { source_embedding: { data: toFloat32(testX).data as Float32Array, dims: [testX.rows, testX.cols] } });
        const y = out.target_embedding;
        assert.deepEqual([...y.dims], [1000, 48]);
        const err = maxRelDiff(y.data, want.data);
        assert.ok(err <= 1e-5, `${prep}/${method}: max |diff|/(1+|value|) = ${err.toExponential(2)} > 1e-5`);
      });
    }
  }
});

describe('translatorToOnnx: the graph', () => {
  test('opset 17, IR 8, producer, metadata, symbolic batch, float32 W', async () => {
    const t = await fit('standard', 'ortho');
    const m = decode(translatorToOnnx(t));
    assert.equal(Number(m.irVersion), 8);
    assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
    assert.equal(m.producerName, 'latent-translator');
    assert.equal(m.producerVersion, TOOL_VERSION);
    assert.ok(m.docString.includes('1e-5'));
    const md = meta(m);
    assert.equal(md.method, 'ortho');
    assert.equal(md.prep, 'standard');
    assert.equal(md.source_dim, '64');
    assert.equal(md.target_dim, '48');
    assert.equal(md.anchor_count, '1000');
    assert.equal(md.tool_version, TOOL_VERSION);
    const g = m.graph!;
    assert.equal(g.input.length, 1);
    assert.equal(g.input[0].name, 'source_embedding');
    assert.equal(g.output[0].name, 'target_embedding');
    const dims = g.input[0].type!.tensorType!.shape!.dim!;
    assert.equal(dims[0].dimParam, 'batch');
    assert.equal(Number(dims[1].dimValue), 64);
    assert.equal(Number(g.output[0].type!.tensorType!.shape!.dim![1].dimValue), 48);
    assert.deepEqual(g.node.map((n) => n.opType), ['Sub', 'Div', 'MatMul', 'Mul', 'Add']);
    const W = g.initializer.find((i) => i.name === 'W')!;
    assert.equal(W.dataType, onnx.TensorProto.DataType.FLOAT);
    assert.deepEqual(W.dims!.map(Number), [64, 48]);
    assert.ok(g.node.every((n) => (n.docString ?? '').length > 0));
  });

  test('identity steps have no node; l2 adds the row normalisation and the meanNorm re-scaling', async () => {
    const ops = async (prep: PrepName, method: MethodName, ridge?: number) =>
      decode(translatorToOnnx(await fit(prep, method, ridge))).graph!.node.map((n) => n.opType);
    assert.deepEqual(await ops('none', 'ortho'), ['MatMul']);
    assert.deepEqual(await ops('center', 'ortho'), ['Sub', 'MatMul', 'Add']);
    assert.deepEqual(await ops('none', 'similarity'), ['MatMul', 'Mul']);
    assert.deepEqual(await ops('none', 'affine', 0.5), ['MatMul', 'Add']);
    assert.deepEqual(await ops('l2', 'ortho'), ['Mul', 'ReduceSum', 'Sqrt', 'Max', 'Div', 'MatMul', 'Mul']);
    assert.deepEqual(await ops('center+l2', 'linear'), ['Sub', 'Mul', 'ReduceSum', 'Sqrt', 'Max', 'Div', 'MatMul', 'Mul', 'Add']);
  });

  test('a zero row stays zero through the l2 normalisation (max with 1e-12), like translate()', async () => {
    const t = await fit('l2', 'ortho');
    const x = matrix(2, 64, new Float64Array(128));
    x.data.set(testX.data.subarray(0, 64), 64);
    const want = await translate(t, x, la);
    const out = await runOnnx(translatorToOnnx(t), { source_embedding: { data: Float32Array.from(x.data), dims: [2, 64] } });
    assert.ok(out.target_embedding.data.every(Number.isFinite));
    assert.ok(maxRelDiff(out.target_embedding.data, want.data) <= 1e-5);
  });

  test('options: input/output names, opset 13 and 21, batch of one; a JSON round trip gives the same bytes', async () => {
    const t = await fit('center+l2', 'similarity');
    const want = await translate(t, takeRows(testX, [5]), la);
    for (const opset of [13, 21]) {
      const bytes = translatorToOnnx(t, { opset, inputName: 'x', outputName: 'y' });
      const m = decode(bytes);
      assert.equal(Number(m.opsetImport[0].version), opset);
      assert.equal(Number(m.irVersion), opset >= 21 ? 10 : 8);
      const out = await runOnnx(bytes, { x: { data: Float32Array.from(testX.data.subarray(5 * 64, 6 * 64)), dims: [1, 64] } });
      assert.ok(maxRelDiff(out.y.data, want.data) <= 1e-5, `opset ${opset}`);
    }
    const again = translatorFromJson(JSON.parse(JSON.stringify(translatorToJson(t))));
    assert.deepEqual(translatorToOnnx(again), translatorToOnnx(t));
  });

  test('bad options and inconsistent translators are refused', async () => {
    const t = await fit('standard', 'ortho');
    assert.throws(() => translatorToOnnx(t, { opset: 11 }), (e: unknown) => e instanceof LatentError && e.code === 'usage' && /opset/.test(e.message));
    assert.throws(() => translatorToOnnx(t, { dtype: 'float64' as 'float32' }), /float32 only/);
    assert.throws(() => translatorToOnnx(t, { inputName: 'a', outputName: 'a' }), /must differ/);
    assert.throws(() => translatorToOnnx(t, { inputName: 'W' }), /used inside/);
    const broken = { ...t, targetPrep: { ...t.targetPrep, mean: t.targetPrep.mean!.slice(1) } };
    assert.throws(() => translatorToOnnx(broken), (e: unknown) => e instanceof LatentError && e.code === 'shape' && /target mean has 47 values, expected 48/.test(e.message));
    const huge = { ...t, map: { ...t.map, W: matrix(64, 48, new Float64Array(64 * 48).fill(1e40)) } };
    assert.throws(() => translatorToOnnx(huge), (e: unknown) => e instanceof LatentError && e.code === 'value' && /float32/.test(e.message));
  });
});

describe('stitchModels: mlp_a encoder → translator → cnn classifier', () => {
  let images: Float32Array;
  let labels: number[];
  before(() => {
    const raw = loadNpy(path.join(S, 'images_test.npy'));
    assert.deepEqual(raw.shape, [1000, 28, 28]);
    images = Float32Array.from(raw.data, (v) => v / 255);
    const lab = loadNpy(path.join(S, 'labels.npy'));
    labels = Array.from(lab.data.subarray(2000, 3000));
  });

  test('one model gives the same predictions as encoder → translate() → classifier', async () => {
    const t = await fit('standard', 'ortho');
    const enc = new Uint8Array(readFileSync(M('mlp_a.encoder.onnx')));
    const cls = new Uint8Array(readFileSync(M('cnn.classifier.onnx')));
    const stitched = stitchModels(enc, translatorToOnnx(t), cls);

    const m = decode(stitched);
    const g = m.graph!;
    assert.deepEqual(g.input.map((v) => v.name), ['image']);
    assert.deepEqual(g.output.map((v) => v.name), ['logits']);
    assert.deepEqual(m.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
    assert.equal(Number(m.irVersion), 8);
    assert.ok(g.node.every((n) => /^(enc|tr|dec)\//.test(n.name ?? '')), 'every node name is prefixed');
    assert.ok(g.initializer.every((i) => /^(enc|tr|dec)\//.test(i.name ?? '')), 'every initializer is prefixed');
    assert.ok(g.valueInfo.some((v) => v.name === 'enc/embedding'), 'the connection keeps its value_info');
    assert.equal(meta(m)['translator.method'], 'ortho');

    const feeds = { image: { data: images, dims: [1000, 1, 28, 28] } };
    const logits = (await runOnnx(stitched, feeds)).logits;
    assert.deepEqual([...logits.dims], [1000, 10]);

    // the three steps, separately
    const emb = (await runOnnx(enc, feeds)).embedding;
    const translated = await translate(t, matrix(1000, 64, Float64Array.from(emb.data)), la);
    const ref = (await runOnnx(cls, { embedding: { data: Float32Array.from(translated.data), dims: [1000, 48] } })).logits;

    let maxDiff = 0;
    for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.data[i] - logits.data[i]));
    assert.ok(maxDiff <= 1e-3, `logits differ by ${maxDiff}`);
    const pred = argmaxRows(logits.data, 10);
    const refPred = argmaxRows(ref.data, 10);
    const agree = pred.filter((p, i) => p === refPred[i]).length / pred.length;
    assert.ok(agree >= 0.999, `argmax agreement ${agree}`);
    const acc = pred.filter((p, i) => p === labels[i]).length / pred.length;
    console.log(`stitched mlp_a encoder → ortho/standard translator → cnn classifier: accuracy ${acc.toFixed(3)} on rows 2000..2999 (agreement with the 3-step run ${agree}, max logit diff ${maxDiff.toExponential(2)})`);
    assert.ok(acc > 0.7, `accuracy ${acc}`);
  });

  test('a decoder whose input is not the translator target dimension is refused, naming the file and 48', async () => {
    const t = await fit('standard', 'ortho');
    const enc = new Uint8Array(readFileSync(M('mlp_a.encoder.onnx')));
    const wrong = new Uint8Array(readFileSync(M('mlp_a.classifier.onnx')));
    const file = M('mlp_a.classifier.onnx');
    assert.throws(
      () => stitchModels(enc, translatorToOnnx(t), wrong, { names: { decoder: file } }),
      (e: unknown) => {
        assert.ok(e instanceof LatentError);
        assert.equal(e.code, 'shape');
        assert.ok(e.message.startsWith(file), e.message);
        assert.ok(e.message.includes('[batch, 48]') && e.message.includes('64'), e.message);
        return true;
      },
    );
    // an encoder of the wrong space: the encoder is named, with the 64 the translator expects
    const cnnEnc = M('cnn.encoder.onnx');
    assert.throws(
      () => stitchModels(new Uint8Array(readFileSync(cnnEnc)), translatorToOnnx(t), wrong, { names: { encoder: cnnEnc } }),
      (e: unknown) => e instanceof LatentError && e.message.startsWith(cnnEnc) && e.message.includes('[batch, 64]') && e.message.includes('48'),
    );
  });

  test('bytes that are not ONNX are refused clearly', async () => {
    const t = translatorToOnnx(await fit('standard', 'ortho'));
    const cls = new Uint8Array(readFileSync(M('cnn.classifier.onnx')));
    const notOnnx = [
      new Uint8Array(readFileSync(path.join(S, 'README.md'))),
      new Uint8Array(readFileSync(path.join(S, 'labels.npy'))),
      new Uint8Array(0),
      new Uint8Array(readFileSync(M('mlp_a.encoder.onnx'))).subarray(0, 500),
    ];
    for (const bytes of notOnnx) {
      assert.throws(
        () => stitchModels(bytes, t, cls, { names: { encoder: 'bad.onnx' } }),
        (e: unknown) => e instanceof LatentError && e.code === 'format' && /^bad\.onnx: the encoder is not an ONNX model \(/.test(e.message),
      );
    }
  });
});

describe('stitchModels: connections and opsets (small synthetic models)', () => {
  const id = (inp: string, out: string, d: number, opset = 13) =>
    withOpset(
      modelBytes(inp === out ? [] : [node('Identity', [inp], [out])], [valueInfo(inp, 'float32', ['batch', d])], [valueInfo(out, 'float32', ['batch', d])]),
      opset,
    );

  function withOpset(bytes: Uint8Array, version: number, extra: onnx.IOperatorSetIdProto[] = []): Uint8Array {
    const m = decode(bytes);
    m.opsetImport = [{ domain: '', version }, ...extra];
    m.irVersion = 7;
    return onnx.ModelProto.encode(m).finish();
  }

  test('an encoder with two outputs needs encoderOutput; decoder with two inputs needs decoderInput (the other one is lifted)', async () => {
    const t = await fit('none', 'ortho');
    const tr = translatorToOnnx(t);
    const enc2 = withOpset(
      modelBytes(
        [node('Identity', ['image'], ['emb']), node('Neg', ['image'], ['other'])],
        [valueInfo('image', 'float32', ['batch', 64])],
        [valueInfo('other', 'float32', ['batch', 64]), valueInfo('emb', 'float32', ['batch', 64])],
      ),
      13,
    );
    const dec2 = withOpset(
      modelBytes([node('Add', ['z', 'offset'], ['out'])], [valueInfo('offset', 'float32', [1, 48]), valueInfo('z', 'float32', ['batch', 48])], [valueInfo('out', 'float32', ['batch', 48])]),
      13,
    );
    assert.throws(() => stitchModels(enc2, tr, dec2), /2 outputs \("other", "emb"\).*encoderOutput/);
    assert.throws(() => stitchModels(enc2, tr, dec2, { encoderOutput: 'emb' }), /2 inputs \("offset", "z"\).*decoderInput/);
    assert.throws(() => stitchModels(enc2, tr, dec2, { encoderOutput: 'nope' }), /no output "nope"/);
    const bytes = stitchModels(enc2, tr, dec2, { encoderOutput: 'emb', decoderInput: 'z' });
    const g = decode(bytes).graph!;
    assert.deepEqual(g.input.map((v) => v.name), ['image', 'dec/offset']);
    const x = Float32Array.from(testX.data.subarray(0, 128));
    const offset = new Float32Array(48).fill(2);
    const out = await runOnnx(bytes, { image: { data: x, dims: [2, 64] }, 'dec/offset': { data: offset, dims: [1, 48] } });
    const want = await translate(t, takeRows(testX, [0, 1]), la);
    assert.ok(maxRelDiff(out.out.data, Array.from(want.data, (v) => v + 2)) <= 1e-5);
  });

  test('pass-through models keep the input and output names', async () => {
    const t = await fit('none', 'ortho');
    const bytes = stitchModels(id('image', 'image_out', 64), translatorToOnnx(t), id('z', 'z', 48));
    const g = decode(bytes).graph!;
    assert.deepEqual(g.input.map((v) => v.name), ['image']);
    assert.deepEqual(g.output.map((v) => v.name), ['z']);
    const out = await runOnnx(bytes, { image: { data: Float32Array.from(testX.data.subarray(0, 64)), dims: [1, 64] } });
    assert.ok(maxRelDiff(out.z.data, (await translate(t, takeRows(testX, [0]), la)).data) <= 1e-5);
  });

  test('an older model is upgraded to the highest opset unless one of its operators changed meaning in between', async () => {
    const tr = translatorToOnnx(await fit('none', 'ortho'));
    const soft = (opset: number) =>
      withOpset(modelBytes([node('Softmax', ['z'], ['p'])], [valueInfo('z', 'float32', ['batch', 48])], [valueInfo('p', 'float32', ['batch', 48])]), opset);
    assert.throws(
      () => stitchModels(id('image', 'e', 64), tr, soft(11), { names: { decoder: 'old.onnx' } }),
      (e: unknown) => e instanceof LatentError && e.code === 'unsupported' && /^old\.onnx: .*opset 11.*opset 17.*Softmax \(changed at opset 13\)/.test(e.message),
    );
    const ok = decode(stitchModels(id('image', 'e', 64, 11), tr, soft(13)));
    assert.deepEqual(ok.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
    // a custom domain at two versions, used by the older model: refused
    const custom = (v: number) =>
      withOpset(
        modelBytes([node('Foo', ['z'], ['p'], {}, 'com.example')], [valueInfo('z', 'float32', ['batch', 48])], [valueInfo('p', 'float32', ['batch', 48])]),
        13,
        [{ domain: 'com.example', version: v }],
      );
    const encCustom = withOpset(id('image', 'e', 64), 13, [{ domain: 'com.example', version: 2 }]);
    assert.throws(() => stitchModels(encCustom, tr, custom(1)), /com\.example opset 1 but the encoder uses com\.example opset 2/);
  });

  test('external data is refused', async () => {
    const tr = translatorToOnnx(await fit('none', 'ortho'));
    const m = decode(id('z', 'p', 48));
    m.graph!.initializer = [{ name: 'w', dims: [1], dataType: 1, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: 'w.bin' }] }];
    assert.throws(() => stitchModels(id('image', 'e', 64), tr, onnx.ModelProto.encode(m).finish()), /external data file/);
  });
});

describe('runExport (the export command)', () => {
  let translatorFile: string;
  let t: Translator;
  const captured: string[] = [];
  const realWrite = process.stdout.write.bind(process.stdout);
  const capture = async (f: () => Promise<number>) => {
    captured.length = 0;
    process.stdout.write = ((s: string | Uint8Array) => {
      captured.push(String(s));
      return true;
    }) as typeof process.stdout.write;
    try {
      return await f();
    } finally {
      process.stdout.write = realWrite;
    }
  };
  before(async () => {
    t = await fit('standard', 'affine', 0.5);
    translatorFile = path.join(work, 'translator.json');
    await writeJson(translatorFile, translatorToJson(t));
  });

  test('translator alone → .onnx; refuses to overwrite without force', async () => {
    const out = path.join(work, 't.onnx');
    assert.equal(await capture(() => runExport({ translator: translatorFile, out, force: false })), 0);
    assert.match(captured.join(''), /input {3}source_embedding: float32 \[batch, 64\]/);
    const y = await runOnnx(new Uint8Array(readFileSync(out)), { source_embedding: { data: toFloat32(testX).data as Float32Array, dims: [1000, 64] } });
    assert.ok(maxRelDiff(y.target_embedding.data, (await translate(t, testX, la)).data) <= 1e-5);
    await assert.rejects(runExport({ translator: translatorFile, out, force: false }), (e: unknown) => e instanceof LatentError && e.code === 'exists');
    assert.equal(await capture(() => runExport({ translator: translatorFile, out, force: true })), 0);
  });

  test('stitched → .onnx, and encoder or decoder alone', async () => {
    const out = path.join(work, 'ab.onnx');
    await capture(() => runExport({ translator: translatorFile, out, encoder: M('mlp_a.encoder.onnx'), decoder: M('cnn.classifier.onnx'), force: false }));
    assert.match(captured.join(''), /input {3}image: float32 \[batch, 1, 28, 28\]/);
    assert.match(captured.join(''), /output {2}logits: float32 \[batch, 10\]/);
    const g = decode(new Uint8Array(readFileSync(out))).graph!;
    assert.deepEqual([g.input[0].name, g.output[0].name], ['image', 'logits']);
    const encOnly = path.join(work, 'a.onnx');
    await capture(() => runExport({ translator: translatorFile, out: encOnly, encoder: M('mlp_a.encoder.onnx'), force: false }));
    const ge = decode(new Uint8Array(readFileSync(encOnly))).graph!;
    assert.deepEqual([ge.input[0].name, ge.output[0].name], ['image', 'target_embedding']);
    const decOnly = path.join(work, 'b.onnx');
    await capture(() => runExport({ translator: translatorFile, out: decOnly, decoder: M('cnn.classifier.onnx'), force: false }));
    const gd = decode(new Uint8Array(readFileSync(decOnly))).graph!;
    assert.deepEqual([gd.input[0].name, gd.output[0].name], ['source_embedding', 'logits']);
  });

  test('errors: wrong decoder dimension names the file and 48; a non-ONNX or missing model; bad --out; nothing written', async () => {
    const out = path.join(work, 'bad.onnx');
    const wrong = M('mlp_a.classifier.onnx');
    await assert.rejects(
      runExport({ translator: translatorFile, out, encoder: M('mlp_a.encoder.onnx'), decoder: wrong, force: false }),
      (e: unknown) => e instanceof LatentError && e.code === 'shape' && e.message.startsWith(wrong) && e.message.includes('[batch, 48]'),
    );
    const fake = path.join(work, 'fake.onnx');
    writeFileSync(fake, 'this is not a model\n');
    await assert.rejects(
      runExport({ translator: translatorFile, out, decoder: fake, force: false }),
      (e: unknown) => e instanceof LatentError && e.code === 'format' && e.message.startsWith(`${fake}: the decoder is not an ONNX model`),
    );
    const missing = path.join(work, 'missing.onnx');
    await assert.rejects(
      runExport({ translator: translatorFile, out, encoder: missing, force: false }),
      (e: unknown) => e instanceof LatentError && e.code === 'io' && e.message === `${missing}: cannot read the encoder model: no such file`,
    );
    await assert.rejects(runExport({ translator: translatorFile, out: path.join(work, 'x.pt'), force: false }), /--out must end in \.onnx or \.npy/);
    await assert.rejects(runExport({ translator: translatorFile, out: path.join(work, 'x.npy'), encoder: fake, force: false }), /need an \.onnx --out/);
    await assert.rejects(runExport({ translator: fake, out, force: false }), (e: unknown) => e instanceof LatentError && e.message.startsWith(`${fake}: cannot read the translator`));
    assert.equal(existsSync(out), false);
    await writeOnnx(out, new Uint8Array([1]), { force: false });
    await assert.rejects(writeOnnx(out, new Uint8Array([2]), { force: false }), (e: unknown) => e instanceof LatentError && e.code === 'exists');
  });

  test('.npy: W as float32 and the NumPy / PyTorch lines', async () => {
    const out = path.join(work, 'W.npy');
    await capture(() => runExport({ translator: translatorFile, out, force: false }));
    const W = (await readEmbeddings(out)).matrix;
    assert.deepEqual([W.rows, W.cols], [64, 48]);
    assert.ok(W.data instanceof Float32Array);
    assert.ok(maxRelDiff(W.data, t.map.W.data) <= 1e-7);
    const text = captured.join('');
    assert.match(text, /NumPy:/);
    assert.match(text, /PyTorch/);
    const lines = applyLines(t, out, translatorFile);
    for (const l of [...lines.numpy, ...lines.torch]) assert.ok(text.includes(l));
    assert.equal(lines.numpy[1], 'xs = (x - np.asarray(t["source"]["mean"])) / np.asarray(t["source"]["scale"])');
    assert.equal(lines.numpy[2], 'y = ((xs @ W) + np.asarray(t["bias"])) * np.asarray(t["target"]["scale"]) + np.asarray(t["target"]["mean"])');
    const l2 = applyLines(await fit('l2', 'similarity'), 'W.npy', 't.json');
    assert.equal(l2.numpy[1], 'xs = x; xs = xs / np.maximum(np.linalg.norm(xs, axis=1, keepdims=True), 1e-12)');
    assert.equal(l2.torch[2], 'y = ((xs @ W) * t["scale"]) * t["target"]["meanNorm"]');
  });
});
