/**
 * TextEncoder (tokenizer folder + ONNX model), the text input readers and `embed` with a
 * text encoder folder, on the tiny BERT-shaped model of scripts/make_text_model.py: token ids
 * equal the script's reference WordPiece tokenizer, pooled embeddings equal torch's.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelBytes, node, valueInfo } from '../../src/core/backend/onnxGraph';
import { readEmbeddings } from '../../src/core/io';
import { embedFile } from '../../src/core/onnx/embed';
import { TextEncoder } from '../../src/core/onnx/textEncoder';
import { readTexts } from '../../src/core/onnx/textInput';
import { EMBED_HELP, parsePooling, runEmbed } from '../../src/cli/embedCommand';
import { leftovers, rejectsWith, tempDir } from './io-helpers';

const FOLDER = path.resolve(__dirname, '../../../test/fixtures/text-model');

interface Case {
  text: string;
  tokens: string[];
  ids: number[];
  untruncated_length: number;
  mean: number[];
  cls: number[];
}
interface Expected {
  max_length: number;
  hidden: number;
  vocab_size: number;
  pad_id: number;
  cases: Case[];
}
const expected: Expected = JSON.parse(readFileSync(path.join(FOLDER, 'expected.json'), 'utf8'));
const MAX = expected.max_length;
const texts = expected.cases.map((c) => c.text);
const H = expected.hidden;

const tmp = tempDir();
after(() => tmp.cleanup());
let counter = 0;
const tmpFile = (name: string): string => path.join(tmp.dir, `${counter++}-${name}`);
function writeTmp(name: string, text: string): string {
  const p = tmpFile(name);
  writeFileSync(p, text);
  return p;
}
/** A folder holding the given files of the fixture (renamed: [from, to]). */
function folderWith(files: [string, string][]): string {
  const dir = tmpFile('model');
  for (const [from, to] of files) {
    mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    copyFileSync(path.join(FOLDER, from), path.join(dir, to));
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
const rowOf = (data: ArrayLike<number>, i: number, d = H): number[] => Array.from(data).slice(i * d, (i + 1) * d);
const expectedRows = (which: 'mean' | 'cls'): number[] => expected.cases.flatMap((c) => c[which]);

describe('TextEncoder', () => {
  let enc: TextEncoder;
  before(async () => {
    enc = await TextEncoder.load(FOLDER, { threads: 1 });
  });
  after(() => enc?.release());

  it('loads the folder: model file, inputs, output, pad id and default max length', () => {
    assert.equal(enc.modelFile, path.join(FOLDER, 'model.onnx'));
    assert.deepEqual(enc.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
    assert.deepEqual({ name: enc.output.name, pooled: enc.output.pooled }, { name: 'last_hidden_state', pooled: false });
    assert.equal(enc.padId, expected.pad_id);
    assert.equal(enc.specialTokens, 2);
    assert.equal(enc.defaultMaxLength, 64); // model_max_length of tokenizer_config.json
    assert.deepEqual(enc.notes, []);
  });

  it('tokenizes exactly like the reference BERT tokenizer (truncation included)', () => {
    assert.ok(expected.cases.some((c) => c.untruncated_length > MAX), 'a case needs truncation');
    assert.ok(expected.cases.some((c) => c.tokens.includes('[UNK]')), 'a case has an unknown word');
    for (const c of expected.cases) {
      const t = enc.tokenize(c.text, MAX);
      assert.deepEqual(t.ids, c.ids, c.text);
      assert.deepEqual(t.tokens, c.tokens, c.text);
      assert.deepEqual(t.typeIds, new Array(c.ids.length).fill(0));
      assert.equal(t.fullLength, c.untruncated_length, c.text);
    }
    // Without truncation the long sentence keeps every token.
    const long = expected.cases.find((c) => c.untruncated_length > MAX)!;
    const full = enc.tokenize(long.text);
    assert.equal(full.ids.length, long.untruncated_length);
    assert.deepEqual(full.ids.slice(0, MAX - 1), long.ids.slice(0, MAX - 1));
  });

  it('mean pooling equals torch to 1e-4', async () => {
    const r = await enc.encodeWithInfo(texts, { pooling: 'mean', normalize: false, maxLength: MAX });
    assert.equal(r.embeddings.rows, texts.length);
    assert.equal(r.embeddings.cols, H);
    assert.ok(r.embeddings.data instanceof Float32Array);
    assert.equal(r.truncated, 1);
    assert.equal(r.longest, MAX);
    assert.ok(maxAbsDiff(r.embeddings.data, expectedRows('mean')) < 1e-4, `max diff ${maxAbsDiff(r.embeddings.data, expectedRows('mean'))}`);
  });

  it('CLS pooling equals torch to 1e-4', async () => {
    const m = await enc.encode(texts, { pooling: 'cls', normalize: false, maxLength: MAX });
    assert.ok(maxAbsDiff(m.data, expectedRows('cls')) < 1e-4);
  });

  it('the embeddings of different texts differ (the fixture is not degenerate)', async () => {
    const m = await enc.encode(texts, { pooling: 'mean', normalize: false, maxLength: MAX });
    for (let i = 1; i < texts.length; i++) assert.ok(maxAbsDiff(rowOf(m.data, 0), rowOf(m.data, i)) > 1e-2);
  });

  it('normalize gives unit rows in the direction of the pooled ones', async () => {
    for (const pooling of ['mean', 'cls'] as const) {
      const m = await enc.encode(texts, { pooling, normalize: true, maxLength: MAX });
      for (let i = 0; i < texts.length; i++) {
        const row = rowOf(m.data, i);
        const norm = Math.hypot(...row);
        assert.ok(Math.abs(norm - 1) < 1e-6, `row ${i} norm ${norm}`);
        const want = expected.cases[i][pooling];
        const wantNorm = Math.hypot(...want);
        assert.ok(maxAbsDiff(row, want.map((v) => v / wantNorm)) < 1e-4);
      }
    }
  });

  it('batch sizes 1, 4 and all agree: padding does not change results', async () => {
    for (const pooling of ['mean', 'cls'] as const) {
      const one = await enc.encode(texts, { pooling, normalize: false, maxLength: MAX, batchSize: 1 });
      const four = await enc.encode(texts, { pooling, normalize: false, maxLength: MAX, batchSize: 4 });
      const all = await enc.encode(texts, { pooling, normalize: false, maxLength: MAX, batchSize: 64 });
      assert.ok(maxAbsDiff(one.data, four.data) < 1e-5, `${pooling}: 1 vs 4`);
      assert.ok(maxAbsDiff(one.data, all.data) < 1e-5, `${pooling}: 1 vs all`);
      assert.ok(maxAbsDiff(one.data, expectedRows(pooling)) < 1e-4);
    }
  });

  it('reports progress after every batch and stops when cancelled', async () => {
    const seen: number[] = [];
    await enc.encode(texts, { maxLength: MAX, batchSize: 4, onProgress: (f) => seen.push(f) });
    assert.deepEqual(seen, [4 / 6, 1]);
    const ac = new AbortController();
    ac.abort();
    await rejectsWith(enc.encode(texts, { signal: ac.signal }), 'cancelled');
  });

  it('checks max length and pooling', async () => {
    await rejectsWith(enc.encode(texts, { maxLength: 65 }), 'usage', 'max_position_embeddings');
    await rejectsWith(enc.encode(texts, { maxLength: 2 }), 'usage', 'special tokens');
    await rejectsWith(enc.encode(texts, { maxLength: 1.5 }), 'usage', 'positive integer');
    await rejectsWith(enc.encode(texts, { pooling: 'max' as never }), 'usage', 'pooling');
  });
});

describe('TextEncoder.load errors', () => {
  it('a folder without tokenizer.json names the folder', async () => {
    const dir = folderWith([['model.onnx', 'model.onnx']]);
    await rejectsWith(TextEncoder.load(dir), 'io', dir, 'no tokenizer.json', 'nothing is downloaded');
  });

  it('a folder without a model names the folder', async () => {
    const dir = folderWith([['tokenizer.json', 'tokenizer.json']]);
    await rejectsWith(TextEncoder.load(dir), 'io', dir, 'no model.onnx, onnx/model.onnx or onnx/model_quantized.onnx');
  });

  it('an invalid or unreadable tokenizer.json names the file', async () => {
    const dir = folderWith([['model.onnx', 'model.onnx']]);
    writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
    await rejectsWith(TextEncoder.load(dir), 'format', path.join(dir, 'tokenizer.json'), 'invalid JSON');
    writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": {"type": "Nonsense"}, "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null, "added_tokens": []}');
    await rejectsWith(TextEncoder.load(dir), 'format', path.join(dir, 'tokenizer.json'), 'cannot load the tokenizer');
    writeFileSync(path.join(dir, 'tokenizer.json'), '[1, 2]');
    await rejectsWith(TextEncoder.load(dir), 'format', path.join(dir, 'tokenizer.json'), 'JSON object');
  });

  it('a missing folder, or a file given as the folder', async () => {
    const missing = path.join(tmp.dir, 'no-such-folder');
    await rejectsWith(TextEncoder.load(missing), 'io', missing, 'no such file');
    await rejectsWith(TextEncoder.load(path.join(FOLDER, 'model.onnx')), 'usage', 'is a folder');
  });

  it('uses onnx/model.onnx, and onnx/model_quantized.onnx only when there is no other (saying so)', async () => {
    const nested = folderWith([
      ['tokenizer.json', 'tokenizer.json'],
      ['model.onnx', 'onnx/model.onnx'],
      ['model.onnx', 'onnx/model_quantized.onnx'],
    ]);
    const a = await TextEncoder.load(nested);
    try {
      assert.equal(a.modelFile, path.join(nested, 'onnx', 'model.onnx'));
      assert.deepEqual(a.notes, []);
      // Without tokenizer_config.json / config.json: the default max length.
      assert.equal(a.defaultMaxLength, 512);
    } finally {
      await a.release();
    }
    const quantized = folderWith([
      ['tokenizer.json', 'tokenizer.json'],
      ['model.onnx', 'onnx/model_quantized.onnx'],
    ]);
    const b = await TextEncoder.load(quantized);
    try {
      assert.equal(b.modelFile, path.join(quantized, 'onnx', 'model_quantized.onnx'));
      assert.match(b.notes.join('\n'), /model_quantized\.onnx.*quantized/);
      const m = await b.encode(texts.slice(0, 2), { maxLength: MAX });
      assert.ok(maxAbsDiff(m.data, expectedRows('mean').slice(0, 2 * H)) < 1e-4);
    } finally {
      await b.release();
    }
  });
});

describe('a model with a pooled output', () => {
  it('uses sentence_embedding as it is (no pooling; normalize still applies)', async () => {
    // sentence_embedding = the sum of the rows of E picked by input_ids (E[pad] = 0, so padding
    // adds nothing); last_hidden_state = those rows, which must not be the output used.
    const tok = JSON.parse(readFileSync(path.join(FOLDER, 'tokenizer.json'), 'utf8'));
    const V = expected.vocab_size;
    const D = 3;
    const E = Array.from({ length: V * D }, (_, i) => (i < D ? 0 : Math.sin(i)));
    const int64 = (name: string) => ({ name, type: { tensorType: { elemType: 7, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'sequence' }] } } } });
    const bytes = modelBytes(
      [node('Gather', ['E', 'input_ids'], ['last_hidden_state']), node('ReduceSum', ['last_hidden_state', 'axes'], ['sentence_embedding'], { keepdims: 0 })],
      [int64('input_ids'), int64('attention_mask')],
      [valueInfo('last_hidden_state', 'float32', ['batch', 'sequence', D]), valueInfo('sentence_embedding', 'float32', ['batch', D])],
      [
        { name: 'E', dataType: 1, dims: [V, D], floatData: E },
        { name: 'axes', dataType: 7, dims: [1], int64Data: [1] },
      ],
    );
    const dir = tmpFile('pooled');
    mkdirSync(path.join(dir, 'onnx'), { recursive: true });
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), bytes);
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tok));
    const enc = await TextEncoder.load(dir);
    try {
      assert.deepEqual(enc.inputs, ['input_ids', 'attention_mask']);
      assert.deepEqual({ name: enc.output.name, pooled: enc.output.pooled }, { name: 'sentence_embedding', pooled: true });
      const want = expected.cases.flatMap((c) => {
        const v = [0, 0, 0];
        for (const id of c.ids) for (let k = 0; k < D; k++) v[k] += Math.fround(E[id * D + k]);
        return v;
      });
      for (const batchSize of [1, 4]) {
        const m = await enc.encode(texts, { pooling: 'cls', maxLength: MAX, batchSize });
        assert.equal(m.cols, D);
        assert.ok(maxAbsDiff(m.data, want) < 1e-5, `batch ${batchSize}`);
      }
      const n = await enc.encode(texts, { maxLength: MAX, normalize: true });
      for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(Math.hypot(...rowOf(n.data, i, D)) - 1) < 1e-6);
    } finally {
      await enc.release();
    }
    const r = await embedFile({ model: dir, input: writeTmp('p.txt', texts.join('\n')), out: tmpFile('p.npy'), pooling: 'mean', maxLength: MAX });
    assert.equal(r.text?.pooling, 'model');
    assert.match(r.notes.join('\n'), /already one vector per text: pooling mean is not applied/);
  });
});

describe('text inputs', () => {
  it('.txt: one text per line, blank lines skipped', async () => {
    const p = writeTmp('a.txt', '\uFEFFfirst line\n\n   \nsecond, with comma\r\nthird\n');
    const r = await readTexts(p);
    assert.deepEqual(r.texts, ['first line', 'second, with comma', 'third']);
    assert.deepEqual(r.lines, [1, 4, 5]);
    assert.equal(r.skippedBlank, 2);
    assert.equal(r.ids, undefined);
    await rejectsWith(readTexts(p, { textField: 'x' }), 'usage', '.txt');
  });

  it('.jsonl: text and optional id fields, --text-field', async () => {
    const p = writeTmp('a.jsonl', '{"id": 7, "text": "a"}\n\n{"id": "b", "text": "b", "body": "B"}\n');
    const r = await readTexts(p);
    assert.deepEqual(r.texts, ['a', 'b']);
    assert.deepEqual(r.ids, ['7', 'b']);
    assert.deepEqual(r.lines, [1, 3]);
    const q = writeTmp('b.jsonl', '{"body": "x"}\n{"body": "y"}\n');
    assert.deepEqual((await readTexts(q, { textField: 'body' })).texts, ['x', 'y']);
  });

  it('.jsonl errors name the file and the line', async () => {
    const noText = writeTmp('c.jsonl', '{"text": "a"}\n{"text": "b"}\n{"body": "c"}\n');
    await rejectsWith(readTexts(noText), 'format', noText, 'line 3 has no "text" field', '"body"', '--text-field');
    const bad = writeTmp('d.jsonl', '{"text": "a"}\n{"text": \n');
    await rejectsWith(readTexts(bad), 'format', bad, 'line 2: invalid JSON');
    const num = writeTmp('e.jsonl', '{"text": 5}\n');
    await rejectsWith(readTexts(num), 'format', num, 'line 1', 'not a string');
    const partialIds = writeTmp('f.jsonl', '{"id": 1, "text": "a"}\n{"text": "b"}\n');
    await rejectsWith(readTexts(partialIds), 'ids', partialIds, 'line 2');
    const dupIds = writeTmp('g.jsonl', '{"id": 1, "text": "a"}\n{"id": "1", "text": "b"}\n');
    await rejectsWith(readTexts(dupIds), 'ids', dupIds, 'line 2', 'line 1');
  });

  it('.csv: RFC 4180 quoting (commas, quotes, line breaks), text and id columns', async () => {
    const p = writeTmp('a.csv', 'ID,label,Text\nx1,a,"one, two"\n\nx2,b,"say ""hi"""\nx3,c,"two\nlines"\nx4,d,plain\n');
    const r = await readTexts(p);
    assert.deepEqual(r.texts, ['one, two', 'say "hi"', 'two\nlines', 'plain']);
    assert.deepEqual(r.ids, ['x1', 'x2', 'x3', 'x4']);
    assert.deepEqual(r.lines, [2, 4, 5, 7]);
    assert.deepEqual((await readTexts(p, { textField: 'label' })).texts, ['a', 'b', 'c', 'd']);
    const noCol = writeTmp('b.csv', 'id,body\n1,a\n');
    await rejectsWith(readTexts(noCol), 'format', noCol, 'line 1', 'no "text" column', '"body"');
    const ragged = writeTmp('c.csv', 'text\na\n"b",c\n');
    await rejectsWith(readTexts(ragged), 'format', ragged, 'line 3 has 2 fields');
    const open = writeTmp('d.csv', 'text\n"never closed\n');
    await rejectsWith(readTexts(open), 'format', open, 'line 2', 'never closed');
  });

  it('an empty input, or one of blank lines only, holds no texts', async () => {
    for (const [name, body] of [['e.txt', ''], ['f.txt', '\n \n'], ['e.jsonl', ''], ['e.csv', 'text\n']] as const) {
      const p = writeTmp(name, body);
      await rejectsWith(readTexts(p), 'shape', p, 'no texts');
    }
    const other = writeTmp('x.parquet', '');
    await rejectsWith(readTexts(other), 'usage', other, '.txt');
  });
});

describe('embed with a text encoder folder', () => {
  const quiet = { force: false, quiet: true } as const;
  const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const inputs: Record<string, string> = {
    '.txt': texts.map((t) => `${t}\n\n`).join(''),
    '.jsonl': texts.map((t, i) => `${JSON.stringify({ id: `s${i}`, text: t, n: i })}\n`).join(''),
    '.csv': `id,text,label\n${texts.map((t, i) => `s${i},${csvCell(t)},L${i}\n`).join('')}`,
  };

  for (const [ext, body] of Object.entries(inputs)) {
    it(`runEmbed on a ${ext} writes the mean-pooled .npy (and ids)`, async () => {
      const input = writeTmp(`in${ext}`, body);
      const out = tmpFile('out.npy');
      const idsOut = tmpFile('ids.txt');
      const code = await runEmbed({ model: FOLDER, input, out, maxLength: MAX, idsOut, ...quiet });
      assert.equal(code, 0);
      const t = await readEmbeddings(out);
      assert.equal(t.dtype, '<f4');
      assert.deepEqual([t.matrix.rows, t.matrix.cols], [texts.length, H]);
      assert.ok(maxAbsDiff(t.matrix.data, expectedRows('mean')) < 1e-4);
      const ids = readFileSync(idsOut, 'utf8').split('\n').slice(0, -1);
      // A .txt has no ids: the line numbers of its texts (blank lines skipped).
      assert.deepEqual(ids, ext === '.txt' ? texts.map((_, i) => String(2 * i + 1)) : texts.map((_, i) => `s${i}`));
      assert.deepEqual(leftovers(tmp.dir), []);
    });
  }

  it('CLS pooling and normalization through embedFile; notes say what was done', async () => {
    const input = writeTmp('in.txt', inputs['.txt']);
    const out = tmpFile('cls.npy');
    const r = await embedFile({ model: FOLDER, input, out, pooling: 'cls', normalize: true, maxLength: MAX, batchSize: 4 });
    assert.equal(r.rows, texts.length);
    assert.equal(r.dims, H);
    assert.equal(r.outputName, 'last_hidden_state');
    assert.deepEqual(r.text && { pooling: r.text.pooling, normalized: r.text.normalized, maxLength: r.text.maxLength, truncated: r.text.truncated, skippedBlank: r.text.skippedBlank }, {
      pooling: 'cls',
      normalized: true,
      maxLength: MAX,
      truncated: 1,
      skippedBlank: texts.length,
    });
    const notes = r.notes.join('\n');
    assert.match(notes, /skipped 6 blank lines/);
    assert.match(notes, /cls pooling, L2-normalized; at most 16 tokens per text/);
    assert.match(notes, /truncated 1 of 6 texts to 16 tokens/);
    const m = (await readEmbeddings(out)).matrix;
    for (let i = 0; i < texts.length; i++) {
      const want = expected.cases[i].cls;
      const n = Math.hypot(...want);
      assert.ok(maxAbsDiff(rowOf(m.data, i), want.map((v) => v / n)) < 1e-4);
    }
    // Default max length: model_max_length (64) of tokenizer_config.json, so nothing is truncated.
    const r2 = await embedFile({ model: FOLDER, input, out: tmpFile('default.npy') });
    assert.equal(r2.text?.maxLength, 64);
    assert.equal(r2.text?.truncated, 0);
    assert.match(r2.notes.join('\n'), /at most 64 tokens per text \(model_max_length of tokenizer_config\.json\)/);
  });

  it('errors: missing tokenizer / model, a jsonl line without the text field, an empty input', async () => {
    const input = writeTmp('in.txt', inputs['.txt']);
    const noTok = folderWith([['model.onnx', 'model.onnx']]);
    await rejectsWith(embedFile({ model: noTok, input, out: tmpFile('x.npy') }), 'io', noTok, 'tokenizer.json');
    const noModel = folderWith([['tokenizer.json', 'tokenizer.json']]);
    await rejectsWith(embedFile({ model: noModel, input, out: tmpFile('x.npy') }), 'io', noModel, 'model.onnx');
    const jsonl = writeTmp('bad.jsonl', '{"text": "fine"}\n{"txt": "typo"}\n');
    await rejectsWith(runEmbed({ model: FOLDER, input: jsonl, out: tmpFile('x.npy'), ...quiet }), 'format', jsonl, 'line 2 has no "text" field');
    const empty = writeTmp('empty.txt', '');
    await rejectsWith(runEmbed({ model: FOLDER, input: empty, out: tmpFile('x.npy'), ...quiet }), 'shape', empty, 'no texts');
    assert.deepEqual(leftovers(tmp.dir), []);
  });

  it('usage errors: text options with an .onnx file, numeric input for a folder, the model file instead of its folder', async () => {
    const input = writeTmp('in.txt', inputs['.txt']);
    const out = tmpFile('x.npy');
    await rejectsWith(
      embedFile({ model: path.join(FOLDER, 'model.onnx'), input, out, pooling: 'cls' }),
      'usage',
      'pooling only applies to a text encoder',
    );
    await rejectsWith(embedFile({ model: path.join(FOLDER, 'model.onnx'), input: path.join(tmp.dir, 'none.npy'), out }), 'io');
    const npy = tmpFile('x.npy');
    writeFileSync(npy, '');
    await rejectsWith(embedFile({ model: FOLDER, input: npy, out }), 'usage', 'file of texts');
    await rejectsWith(embedFile({ model: FOLDER, input, out, scale: 0.5 }), 'usage', 'scale');
    const idsSame = tmpFile('same.npy');
    await rejectsWith(embedFile({ model: FOLDER, input, out: idsSame, idsOut: idsSame }), 'usage', 'same file');
    assert.equal(existsSync(out), false);
    assert.throws(() => parsePooling('max'), /--pooling must be mean or cls/);
    assert.equal(parsePooling('cls'), 'cls');
    assert.match(EMBED_HELP, /--pooling mean\|cls/);
    assert.match(EMBED_HELP, /--ids-out/);
  });

  it('the model file with a numeric input points to the folder', async () => {
    const { writeNpy } = await import('../../src/core/io');
    const x = tmpFile('x.npy');
    await writeNpy(x, { rows: 2, cols: 4, data: new Float32Array(8) });
    await rejectsWith(embedFile({ model: path.join(FOLDER, 'model.onnx'), input: x, out: tmpFile('y.npy') }), 'usage', 'text encoder', 'folder');
  });
});
