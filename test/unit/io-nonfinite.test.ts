/**
 * ReadOptions.allowNonFinite: every reader keeps NaN / ±Inf and reports how many
 * in `nonFinite`; without the option the same files fail as before, and tables
 * carry no `nonFinite` field. Files other than bad_nan.npy / bad_inf.npy are
 * written here, in a temporary directory.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { readEmbeddings, writeNpy, type EmbeddingTable } from '../../src/core/io';
import { assertMatrix, expected, fx, rejectsWith, tempDir } from './io-helpers';

const ALLOW = { allowNonFinite: true };
const { dir, cleanup } = tempDir();
after(cleanup);

function write(name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The matrix as plain numbers (NaN compares equal to NaN in deepEqual). */
const values = (t: EmbeddingTable): number[] => Array.from(t.matrix.data);

describe('allowNonFinite: npy / npz / safetensors', () => {
  it('keeps the NaN of bad_nan.npy and the -Inf of bad_inf.npy, and counts them', async () => {
    const nan = await readEmbeddings(fx('bad_nan.npy'), ALLOW);
    assert.equal(nan.nonFinite, 1);
    assert.equal(nan.matrix.data.constructor, Float32Array);
    assert.ok(Number.isNaN(nan.matrix.data[2 * 5 + 3]));
    const inf = await readEmbeddings(fx('bad_inf.npy'), ALLOW);
    assert.equal(inf.nonFinite, 1);
    assert.equal(inf.matrix.data[4 * 5 + 1], -Infinity);
    // Every other value is the fixture matrix.
    const rest = values(inf);
    rest[4 * 5 + 1] = expected.matrix[4][1];
    assert.deepEqual(rest, expected.matrix.flat());
  });
  it('refuses them without the option, as before', async () => {
    await rejectsWith(readEmbeddings(fx('bad_nan.npy')), 'value', 'bad_nan.npy', 'row 2, column 3 is NaN');
    await rejectsWith(readEmbeddings(fx('bad_inf.npy'), { allowNonFinite: false }), 'value', 'row 4, column 1 is -Inf');
  });
  it('reports 0 for a clean file, and no field at all without the option', async () => {
    assert.equal((await readEmbeddings(fx('m_f4le.npy'), ALLOW)).nonFinite, 0);
    assert.ok(!('nonFinite' in (await readEmbeddings(fx('m_f4le.npy')))));
    assert.equal((await readEmbeddings(fx('m.vec'), ALLOW)).nonFinite, 0);
    assert.ok(!('nonFinite' in (await readEmbeddings(fx('m.vec')))));
  });
  it('finds and counts them in any chunk of a .npy read in several (rows and columns as stored)', async () => {
    // 600 000 × 4 float32 = 9.6 MB: more than one 8 MB read
    const rows = 600_000;
    const data = new Float32Array(rows * 4).fill(0.5);
    data[3 * 4 + 1] = Infinity;
    data[550_000 * 4 + 2] = NaN;
    const p = path.join(dir, 'chunks.npy');
    await writeNpy(p, { rows: 1, cols: 4, data: new Float32Array(4) }); // a valid header to copy
    const header = readFileSync(p).subarray(0, 128);
    header.write(`{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, 4), }`.padEnd(117, ' '), 10, 'latin1');
    writeFileSync(p, Buffer.concat([header, new Uint8Array(data.buffer)]));
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 2);
    assert.equal(t.matrix.rows, rows);
    assert.ok(Number.isNaN(t.matrix.data[550_000 * 4 + 2]));
    assert.equal(t.matrix.data[rows * 4 - 1], 0.5);
    data[3 * 4 + 1] = 0.5;
    writeFileSync(p, Buffer.concat([header, new Uint8Array(data.buffer)]));
    await rejectsWith(readEmbeddings(p), 'value', 'chunks.npy', 'row 550000, column 2 is NaN');
  });
  it('counts in .npz members, stored and deflated', async () => {
    const npy = readFileSync(fx('bad_nan.npy'));
    for (const level of [0, 6] as const) {
      const p = write(`nan${level}.npz`, zipSync({ 'emb.npy': npy }, { level }));
      const t = await readEmbeddings(p, ALLOW);
      assert.equal(t.nonFinite, 1);
      assert.equal(t.arrayName, 'emb');
      await rejectsWith(readEmbeddings(p), 'value', '[emb.npy] row 2, column 3 is NaN');
    }
  });
  it('counts in .safetensors', async () => {
    const data = new Float32Array([1, NaN, 3, Infinity, -Infinity, 6]);
    const header = Buffer.from(JSON.stringify({ emb: { dtype: 'F32', shape: [2, 3], data_offsets: [0, data.byteLength] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const p = write('nan.safetensors', Buffer.concat([len, header, Buffer.from(data.buffer)]));
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 3);
    assert.deepEqual(values(t), [1, NaN, 3, Infinity, -Infinity, 6]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.safetensors', 'row 0, column 1 is NaN (0-based)');
  });
});

describe('allowNonFinite: text formats', () => {
  it('csv: nan, NaN, inf, -inf, +Infinity cells are numbers', async () => {
    const p = write('nan.csv', '1,2\n3,nan\nNaN,inf\n-inf,+Infinity\n');
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 5);
    assertMatrix(t.matrix, [
      [1, 2],
      [3, NaN],
      [NaN, Infinity],
      [-Infinity, Infinity],
    ]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.csv', 'line 2, column 2 is NaN');
    // A header is still told from data when the first data row holds nan.
    const h = write('nan_header.csv', 'word,x,y\ncat,nan,1\ndog,2,-inf\n');
    const th = await readEmbeddings(h, ALLOW);
    assert.deepEqual(th.ids, ['cat', 'dog']);
    assert.equal(th.nonFinite, 2);
    await rejectsWith(readEmbeddings(h), 'value', 'line 2, column 2 ("x") is NaN');
  });
  it('csv: other text is still "not a number"', async () => {
    const p = write('abc.csv', '1,2\n3,nan\n4,abc\n');
    await rejectsWith(readEmbeddings(p, ALLOW), 'value', 'line 3, column 2: "abc" is not a number');
  });
  it('tsv with a projector metadata.tsv keeps the count', async () => {
    const v = write('nan.tsv', '1\tnan\n2\t3\n');
    const m = write('nan_meta.tsv', 'a\nb\n');
    const t = await readEmbeddings(v, { ...ALLOW, metadata: m });
    assert.deepEqual(t.labels, ['a', 'b']);
    assert.equal(t.nonFinite, 1);
  });
  it("jsonl: Python's NaN / Infinity / -Infinity tokens and 1e999", async () => {
    const p = write('nan.jsonl', '[1, 2]\n[NaN, Infinity]\n[-Infinity, 1e999]\n');
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 4);
    assert.deepEqual(values(t), [1, 2, NaN, Infinity, -Infinity, Infinity]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.jsonl', 'line 2 contains NaN');
    const big = write('big.jsonl', '[1, 2]\n[1e999, 2]\n');
    await rejectsWith(readEmbeddings(big), 'value', 'line 2, value 0 is Inf');
    assert.equal((await readEmbeddings(big, ALLOW)).nonFinite, 1);
  });
  it('jsonl / json: the tokens inside strings stay strings; other bad JSON is still a format error', async () => {
    const p = write('obj.jsonl', '{"id": "NaN", "label": "x Infinity", "embedding": [NaN, 1]}\n{"id": "b", "embedding": [2, 3]}\n');
    const t = await readEmbeddings(p, ALLOW);
    assert.deepEqual(t.ids, ['NaN', 'b']);
    assert.deepEqual(t.labels, ['x Infinity', '']);
    assert.equal(t.nonFinite, 1);
    const j = write('nan.json', '{"embeddings": [[1, NaN], [-Infinity, 2]], "ids": ["a", "NaN"]}');
    const tj = await readEmbeddings(j, ALLOW);
    assert.deepEqual(tj.ids, ['a', 'NaN']);
    assert.equal(tj.nonFinite, 2);
    await rejectsWith(readEmbeddings(j), 'value', 'nan.json', 'the file contains NaN');
    const bad = write('bad.jsonl', '[1, 2]\n[NaN, 2\n');
    await rejectsWith(readEmbeddings(bad, ALLOW), 'format', 'bad.jsonl', 'line 2: invalid JSON');
  });
  it('word2vec text, with and without a header', async () => {
    const p = write('nan.vec', '2 3\nfoo 1 nan 3\nbar inf -inf 0\n');
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 3);
    assert.deepEqual(t.ids, ['foo', 'bar']);
    assert.deepEqual(values(t), [1, NaN, 3, Infinity, -Infinity, 0]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.vec', 'line 2, value 2 is NaN');
    const g = write('nan_glove.txt', 'foo 1 NaN\nbar 2 3\n');
    assert.equal((await readEmbeddings(g, ALLOW)).nonFinite, 1);
    await rejectsWith(readEmbeddings(g), 'value', 'line 1, value 2 is NaN');
  });
});

describe('allowNonFinite: binary word2vec and parquet', () => {
  it('word2vec binary', async () => {
    const vec = (a: number, b: number): Buffer => Buffer.from(new Float32Array([a, b]).buffer);
    const p = write('nan.bin', Buffer.concat([Buffer.from('2 2\na '), vec(NaN, 1), Buffer.from('\nb '), vec(2, -Infinity), Buffer.from('\n')]));
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 2);
    assert.deepEqual(values(t), [NaN, 1, 2, -Infinity]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.bin', 'word "a": row 0, column 0 is NaN');
  });
  it('parquet list<double>', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const buffer = parquetWriteBuffer({
      columnData: [{ name: 'embedding', data: [[1, NaN], [Infinity, 2], [3, -Infinity]] }],
      schema: [
        { name: 'root', num_children: 1 },
        { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', type: 'DOUBLE' },
      ],
    });
    const p = write('nan.parquet', new Uint8Array(buffer));
    const t = await readEmbeddings(p, ALLOW);
    assert.equal(t.nonFinite, 3);
    assert.deepEqual(values(t), [1, NaN, Infinity, 2, 3, -Infinity]);
    await rejectsWith(readEmbeddings(p), 'value', 'nan.parquet', 'row 0, column 1 is NaN (0-based)');
  });
});
