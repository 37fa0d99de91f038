/**
 * Readers: every committed fixture variant reads back exactly the matrix of
 * expected.json (with ids / labels where the format has them), and every broken
 * fixture fails with the right LatentError code and a message naming the file
 * and the problem. Fixtures: scripts/gen-format-fixtures.py, scripts/gen-parquet-fixtures.mjs.
 */
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { readEmbeddings, supportedExtensions, writeNpy, type ReadOptions } from '../../src/core/io';
import { readJson } from '../../src/core/io/json';
import type { LatentError } from '../../src/core/errors';
import { readDelimited, splitCsv } from '../../src/core/io/delimited';
import { parsePyLiteral, PyDict, PyTuple } from '../../src/core/io/pyliteral';
import { halfToNumber, numberToHalf } from '../../src/core/io/float16';
import { assertMatrix, expected, fx, rejectsWith, tempDir } from './io-helpers';

const M = expected.matrix;
const F32 = Float32Array;
const F64 = Float64Array;

describe('npy', () => {
  const cases: [string, string, typeof F32 | typeof F64, number[][]][] = [
    ['m_v1_f4.npy', '<f4', F32, M],
    ['m_v2_f4.npy', '<f4', F32, M],
    ['m_v3_f4.npy', '<f4', F32, M],
    ['m_f4le.npy', '<f4', F32, M],
    ['m_f4be.npy', '>f4', F32, M],
    ['m_f8le.npy', '<f8', F64, M],
    ['m_f8be.npy', '>f8', F64, M],
    ['m_f2le.npy', '<f2', F32, M],
    ['m_f2be.npy', '>f2', F32, M],
    ['m_f4le_fortran.npy', '<f4', F32, M],
    ['m_f4be_fortran.npy', '>f4', F32, M],
    ['m_f8le_fortran.npy', '<f8', F64, M],
    ['m_f8be_fortran.npy', '>f8', F64, M],
    ['m_f2le_fortran.npy', '<f2', F32, M],
    ['m_f2be_fortran.npy', '>f2', F32, M],
    ['int_u1.npy', '|u1', F32, expected.int_matrix],
    ['int_u2le.npy', '<u2', F32, expected.int_matrix],
    ['int_u4le.npy', '<u4', F64, expected.int_matrix],
    ['int_u8le.npy', '<u8', F64, expected.int_matrix],
    ['signed_i1.npy', '|i1', F32, expected.signed_matrix],
    ['signed_i2le.npy', '<i2', F32, expected.signed_matrix],
    ['signed_i2be.npy', '>i2', F32, expected.signed_matrix],
    ['signed_i4le.npy', '<i4', F64, expected.signed_matrix],
    ['signed_i4be.npy', '>i4', F64, expected.signed_matrix],
    ['signed_i8le.npy', '<i8', F64, expected.signed_matrix],
    ['signed_i8be.npy', '>i8', F64, expected.signed_matrix],
    ['signed_i4le_fortran.npy', '<i4', F64, expected.signed_matrix],
    ['bool_b1.npy', '|b1', F32, expected.int_matrix.map((r) => r.map((v) => v % 2))],
  ];
  for (const [file, dtype, ctor, rows] of cases) {
    it(`reads ${file} (${dtype})`, async () => {
      const t = await readEmbeddings(fx(file));
      assert.equal(t.format, 'npy');
      assert.equal(t.dtype, dtype);
      assert.equal(t.path, fx(file));
      assert.equal(t.ids, undefined);
      assertMatrix(t.matrix, rows, ctor);
    });
  }

  it('parses hand-written headers: double quotes, no trailing comma, Python 2 longs, key order', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dict = `{"shape": (2L, 3L), "fortran_order": True, "descr": "<f4"}`;
      const header = Buffer.from(dict + ' '.repeat(64 - ((10 + dict.length + 1) % 64)) + '\n', 'latin1');
      const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
      // Fortran order: columns (1, 4), (2, 5), (3, 6).
      const data = Buffer.from(new Float32Array([1, 4, 2, 5, 3, 6]).buffer);
      const file = path.join(dir, 'hand.npy');
      writeFileSync(file, Buffer.concat([pre, header, data]));
      assertMatrix((await readEmbeddings(file)).matrix, [
        [1, 2, 3],
        [4, 5, 6],
      ]);
    } finally {
      cleanup();
    }
  });

  it('parses Python literals without eval', () => {
    const v = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (7, 5), 'x': [1, -2,], 'y': None, 'z': 'a\\'b',}");
    assert.ok(v instanceof PyDict);
    assert.equal(v.entries.get('descr'), '<f4');
    assert.equal(v.entries.get('fortran_order'), false);
    assert.deepEqual((v.entries.get('shape') as PyTuple).items, [7, 5]);
    assert.deepEqual(v.entries.get('x'), [1, -2]);
    assert.equal(v.entries.get('y'), null);
    assert.equal(v.entries.get('z'), "a'b");
    assert.deepEqual((parsePyLiteral('(5,)') as PyTuple).items, [5]);
    assert.throws(() => parsePyLiteral("{'a': __import__('os')}"));
    assert.throws(() => parsePyLiteral("{'a': 1} extra"));
  });
});

describe('npz', () => {
  it('reads a stored member by name, with or without .npy', async () => {
    for (const array of ['embeddings', 'embeddings.npy']) {
      const t = await readEmbeddings(fx('m_stored.npz'), { array });
      assert.equal(t.format, 'npz');
      assert.equal(t.dtype, '<f4');
      assert.equal(t.arrayName, 'embeddings');
      assertMatrix(t.matrix, M, F32);
    }
    const other = await readEmbeddings(fx('m_stored.npz'), { array: 'other' });
    assertMatrix(other.matrix, expected.signed_matrix, F64);
  });
  it('reads a deflated member', async () => {
    const t = await readEmbeddings(fx('m_deflated.npz'), { array: 'embeddings' });
    assert.equal(t.dtype, '<f8');
    assertMatrix(t.matrix, M, F64);
  });
  it('reads members whose local header defers the sizes to ZIP64 extras (newer Python zipfile)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bytes = readFileSync(fx('m_stored.npz'));
      assert.equal(bytes.readUInt32LE(0), 0x04034b50);
      bytes.writeUInt32LE(0xffffffff, 18);
      bytes.writeUInt32LE(0xffffffff, 22);
      const f = path.join(dir, 'zip64.npz');
      writeFileSync(f, bytes);
      assertMatrix((await readEmbeddings(f, { array: 'embeddings' })).matrix, M, F32);
    } finally {
      cleanup();
    }
  });
  it('uses the only member when no array is given', async () => {
    const t = await readEmbeddings(fx('m_single.npz'));
    assert.equal(t.arrayName, 'arr_0');
    assertMatrix(t.matrix, M, F32);
  });
  it('lists the members when the choice is ambiguous or wrong', async () => {
    await rejectsWith(readEmbeddings(fx('m_stored.npz')), 'usage', 'm_stored.npz', 'embeddings, other', '--array');
    await rejectsWith(readEmbeddings(fx('m_deflated.npz'), { array: 'nope' }), 'usage', 'm_deflated.npz', '"nope"', 'embeddings, other');
  });
  it('refuses member names with ".."', async () => {
    await rejectsWith(readEmbeddings(fx('bad_evil.npz'), { array: 'embeddings' }), 'format', 'bad_evil.npz', '../evil.npy');
  });
  it('refuses members larger than maxValues allows, before inflating them', async () => {
    await rejectsWith(readEmbeddings(fx('m_stored.npz'), { array: 'embeddings', maxValues: 1 }), 'unsupported', 'm_stored.npz', 'limit of 1');
    // Patch the central directory so the first member declares ~2 GB uncompressed.
    const { dir, cleanup } = tempDir();
    try {
      const bytes = readFileSync(fx('m_stored.npz'));
      const cd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      bytes.writeUInt32LE(0x7ffffff0, cd + 24);
      const f = path.join(dir, 'huge.npz');
      writeFileSync(f, bytes);
      const first = bytes.toString('latin1', cd + 46, cd + 46 + bytes.readUInt16LE(cd + 28)).replace(/\.npy$/, '');
      await rejectsWith(readEmbeddings(f, { array: first, maxValues: 1000 }), 'unsupported', 'huge.npz', 'declares 2147483632 bytes');
    } finally {
      cleanup();
    }
  });
});

describe('npz: a deflated member larger than one read', () => {
  // 1 600 × 1 024 random float32 barely compress: ~5.8 MB deflated, more than the 4 MiB the
  // reader hands zlib at a time, so the stream, its CRC-32 and its length span two reads.
  const rows = 1600;
  const cols = 1024;
  const data = new Float32Array(rows * cols);
  let seed = 7;
  for (let i = 0; i < data.length; i++) data[i] = ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;

  async function npzBytes(dir: string): Promise<Uint8Array> {
    const npy = path.join(dir, 'big.npy');
    await writeNpy(npy, { rows, cols, data });
    const zip = zipSync({ 'emb.npy': [readFileSync(npy), { level: 6 }] });
    const cd = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    assert.ok(Buffer.from(zip).readUInt32LE(cd + 20) > 4 * 1024 * 1024, 'the member must span more than one read');
    return zip;
  }
  /** The zip with one central-directory field (offset from the entry's signature) rewritten. */
  function patched(zip: Uint8Array, offset: number, change: (v: number) => number): Buffer {
    const b = Buffer.from(zip);
    const cd = b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    b.writeUInt32LE(change(b.readUInt32LE(cd + offset)) >>> 0, cd + offset);
    return b;
  }

  it('reads it exactly, and refuses it when its CRC, declared size or data do not match', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const zip = await npzBytes(dir);
      const write = (name: string, bytes: Uint8Array): string => (writeFileSync(path.join(dir, name), bytes), path.join(dir, name));
      const t = await readEmbeddings(write('ok.npz', zip));
      assert.equal(t.matrix.rows, rows);
      assert.equal(t.matrix.cols, cols);
      assert.ok(t.matrix.data instanceof Float32Array);
      assert.deepEqual(t.matrix.data, data);
      await rejectsWith(readEmbeddings(write('crc.npz', patched(zip, 16, (v) => v ^ 1))), 'format', 'crc.npz', 'CRC-32');
      await rejectsWith(readEmbeddings(write('long.npz', patched(zip, 24, (v) => v + 4))), 'format', 'long.npz', 'inflates to only');
      await rejectsWith(readEmbeddings(write('short.npz', patched(zip, 24, (v) => v - 4))), 'format', 'short.npz', 'inflates to more than');
      // declared: exactly the first chunk zlib hands back (1 MiB), so the bytes that fit are all it declares
      await rejectsWith(readEmbeddings(write('chunk.npz', patched(zip, 24, () => 1024 * 1024))), 'format', 'chunk.npz', 'inflates to more than 1048576');
      await rejectsWith(readEmbeddings(write('cut.npz', patched(zip, 20, (v) => v - 1000))), 'format', 'cut.npz', 'cannot be inflated');
    } finally {
      cleanup();
    }
  });

  it('stops between reads when cancelled', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'big.npz');
      writeFileSync(file, await npzBytes(dir));
      const controller = new AbortController();
      const reading = readEmbeddings(file, { signal: controller.signal });
      setImmediate(() => controller.abort());
      await rejectsWith(reading, 'cancelled', 'big.npz');
    } finally {
      cleanup();
    }
  });
});

describe('safetensors', () => {
  for (const [file, dtype, ctor] of [
    ['m_f32.safetensors', 'F32', F32],
    ['m_f64.safetensors', 'F64', F64],
    ['m_f16.safetensors', 'F16', F32],
    ['m_bf16.safetensors', 'BF16', F32],
  ] as const) {
    it(`reads ${file}`, async () => {
      const t = await readEmbeddings(fx(file), { array: 'embeddings' });
      assert.equal(t.format, 'safetensors');
      assert.equal(t.dtype, dtype);
      assert.equal(t.arrayName, 'embeddings');
      assertMatrix(t.matrix, M, ctor);
      const aux = await readEmbeddings(fx(file), { array: 'aux' });
      assertMatrix(aux.matrix, M.slice(0, 3).map((r) => r.map((v) => v * 2)), ctor);
    });
  }
  it('reads integer tensors as float64 and picks the only tensor', async () => {
    const t = await readEmbeddings(fx('signed_i32.safetensors'));
    assert.equal(t.dtype, 'I32');
    assertMatrix(t.matrix, expected.signed_matrix, F64);
  });
  it('lists the tensors when the choice is ambiguous or wrong', async () => {
    await rejectsWith(readEmbeddings(fx('m_f32.safetensors')), 'usage', 'm_f32.safetensors', 'aux, embeddings');
    await rejectsWith(readEmbeddings(fx('m_f32.safetensors'), { array: 'x' }), 'usage', '"x"', 'aux, embeddings');
  });
});

describe('csv / tsv', () => {
  it('reads a csv with header, id and label columns (RFC 4180 quotes, CRLF)', async () => {
    const t = await readEmbeddings(fx('m_header.csv'));
    assert.equal(t.format, 'csv');
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
    assert.deepEqual(t.labels, expected.labels);
  });
  it('takes ids and labels from before or after the numbers, on plain and quoted lines alike', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // plain lines take the byte path (the fields around the numbers cut off by delimiter),
      // a quoted line the cell-by-cell path: both must give the same fields
      const after = path.join(dir, 'after.csv');
      writeFileSync(after, 'x,y,word,label\n1,2,a,pos\n3.5,-4,"b,c",neg\n5,6e-1,naïve,pos\n');
      const t = await readEmbeddings(after, { idColumn: 'word' });
      assert.deepEqual(Array.from(t.matrix.data), [1, 2, 3.5, -4, 5, 0.6]);
      assert.deepEqual(t.ids, ['a', 'b,c', 'naïve']);
      assert.deepEqual(t.labels, ['pos', 'neg', 'pos']);
      const before = path.join(dir, 'before.tsv');
      writeFileSync(before, 'label\tid\tx\ty\npos\ta\t1\t2\nneg\t"b"\t3\t4\n');
      const u = await readEmbeddings(before, { idColumn: 'id' });
      assert.deepEqual(Array.from(u.matrix.data), [1, 2, 3, 4]);
      assert.deepEqual(u.ids, ['a', '"b"']);
      assert.deepEqual(u.labels, ['pos', 'neg']);
    } finally {
      cleanup();
    }
  });
  it('reads a csv without header (numbers only)', async () => {
    const t = await readEmbeddings(fx('m_noheader.csv'));
    assertMatrix(t.matrix, M, F64);
    assert.equal(t.ids, undefined);
    assert.equal(t.labels, undefined);
  });
  it('takes a non-numeric first column as ids when there is no header', async () => {
    const t = await readEmbeddings(fx('m_noheader_ids.csv'));
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
  });
  it('reads a tsv with a "word" column as ids', async () => {
    const t = await readEmbeddings(fx('m_header.tsv'));
    assert.equal(t.format, 'tsv');
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
    assert.deepEqual(t.labels, expected.labels);
  });
  it('honours idColumn / labelColumn by name and by index, and header: false', async () => {
    const byName = await readEmbeddings(fx('m_header.csv'), { idColumn: 'label', labelColumn: 'id' });
    assert.deepEqual(byName.ids, expected.labels);
    assert.deepEqual(byName.labels, expected.ids);
    const byIndex = await readEmbeddings(fx('m_noheader_ids.csv'), { idColumn: '0', header: false });
    assert.deepEqual(byIndex.ids, expected.ids);
    await rejectsWith(readEmbeddings(fx('m_header.csv'), { header: false }), 'value', 'm_header.csv', 'line 1, column 2', '"label" is not a number');
    await rejectsWith(readEmbeddings(fx('m_header.csv'), { idColumn: 'nope' }), 'usage', 'no id column named "nope"', 'd0');
  });
  it('handles quoted fields with newlines, quotes and commas; pandas index columns; NaN cells', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const a = path.join(dir, 'a.csv');
      writeFileSync(a, 'name,x,y\n"multi\nline",1,2\n"say ""hi"", ok",3,4\n');
      const t = await readEmbeddings(a);
      assert.deepEqual(t.ids, ['multi\nline', 'say "hi", ok']);
      assertMatrix(t.matrix, [
        [1, 2],
        [3, 4],
      ]);
      const b = path.join(dir, 'b.csv');
      writeFileSync(b, ',0,1\n0,0.5,1.5\n1,2.5,3.5\n'); // pandas DataFrame(array).to_csv()
      const tb = await readEmbeddings(b);
      assert.deepEqual(tb.ids, ['0', '1']);
      assertMatrix(tb.matrix, [
        [0.5, 1.5],
        [2.5, 3.5],
      ]);
      const c = path.join(dir, 'c.csv');
      writeFileSync(c, '1,2\n3,nan\n');
      await rejectsWith(readEmbeddings(c), 'value', 'c.csv', 'line 2, column 2 is NaN');
      const d = path.join(dir, 'd.csv');
      writeFileSync(d, '1,2\n"3,4\n');
      await rejectsWith(readEmbeddings(d), 'format', 'd.csv', 'line 2', 'never closed');
    } finally {
      cleanup();
    }
  });
  it('splits RFC 4180 records', () => {
    assert.deepEqual(splitCsv('a,"b,c","d""e",', ','), ['a', 'b,c', 'd"e', '']);
    assert.equal(splitCsv('a,"b', ','), undefined);
  });
  it('reads a projector vectors.tsv with a single-column metadata.tsv (labels)', async () => {
    const t = await readEmbeddings(fx('projector_vectors.tsv'), { metadata: fx('projector_metadata_single.tsv') });
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.labels, expected.labels);
    assert.equal(t.ids, undefined);
  });
  it('reads a projector vectors.tsv with a multi-column metadata.tsv (ids and labels)', async () => {
    const t = await readEmbeddings(fx('projector_vectors.tsv'), { metadata: fx('projector_metadata_multi.tsv') });
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
    assert.deepEqual(t.labels, expected.labels);
    const swapped = await readEmbeddings(fx('projector_vectors.tsv'), {
      metadata: fx('projector_metadata_multi.tsv'),
      idColumn: 'label',
      labelColumn: 'word',
    });
    assert.deepEqual(swapped.ids, expected.labels);
  });
  it('names both files when the metadata row count differs', async () => {
    await rejectsWith(
      readEmbeddings(fx('projector_vectors.tsv'), { metadata: fx('projector_metadata_short.tsv') }),
      'shape',
      'projector_metadata_short.tsv',
      'projector_vectors.tsv',
      'has 6 rows',
      '7 vectors',
    );
  });
});

describe('json / jsonl', () => {
  it('reads jsonl arrays', async () => {
    const t = await readEmbeddings(fx('m_arrays.jsonl'));
    assert.equal(t.format, 'jsonl');
    assertMatrix(t.matrix, M, F64);
  });
  it('reads jsonl objects with id and label', async () => {
    const t = await readEmbeddings(fx('m_objects.jsonl'));
    assertMatrix(t.matrix, M, F64);
    assert.equal(t.arrayName, 'embedding');
    assert.deepEqual(t.ids, expected.ids);
    assert.deepEqual(t.labels, expected.labels);
  });
  it('reads .ndjson with a "vector" field', async () => {
    const t = await readEmbeddings(fx('m_vector.ndjson'));
    assert.equal(t.arrayName, 'vector');
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
  });
  it('reads the three .json shapes', async () => {
    for (const file of ['m_arrays.json', 'm_objects.json', 'm_columns.json']) {
      const t = await readEmbeddings(fx(file));
      assert.equal(t.format, 'json');
      assertMatrix(t.matrix, M, F64);
      if (file !== 'm_arrays.json') {
        assert.deepEqual(t.ids, expected.ids, file);
        assert.deepEqual(t.labels, expected.labels, file);
      }
    }
  });
  it('reads a {"word": vector} object and reports bad elements by index', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const a = path.join(dir, 'dict.json');
      writeFileSync(a, JSON.stringify({ cat: [1, 2], dog: [3, 4.5] }));
      const t = await readEmbeddings(a);
      assert.deepEqual(t.ids, ['cat', 'dog']);
      assertMatrix(t.matrix, [
        [1, 2],
        [3, 4.5],
      ]);
      const b = path.join(dir, 'bad.json');
      writeFileSync(b, '[[1, 2], [3, "x"]]');
      await rejectsWith(readEmbeddings(b), 'value', 'bad.json', 'element 1, value 1', 'not a number');
      const c = path.join(dir, 'ragged.json');
      writeFileSync(c, '[[1, 2], [3]]');
      await rejectsWith(readEmbeddings(c), 'shape', 'ragged.json', 'element 1 has 1 values, expected 2');
      const d = path.join(dir, 'nan.jsonl');
      writeFileSync(d, '[1, 2]\n[NaN, 2]\n');
      await rejectsWith(readEmbeddings(d), 'value', 'nan.jsonl', 'line 2 contains NaN');
    } finally {
      cleanup();
    }
  });
  it('refuses a .json object larger than one string can hold before reading it, naming formats that stream', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // sparse: 600 MiB that take no disk; only the first bytes are read
      const big = path.join(dir, 'big.json');
      writeFileSync(big, ' {');
      truncateSync(big, 600 * 2 ** 20);
      const fsp = require('node:fs/promises') as { readFile: (...args: unknown[]) => Promise<unknown> };
      const readFile = fsp.readFile;
      let reads = 0;
      fsp.readFile = (...args: unknown[]) => (reads++, readFile(...args));
      try {
        await rejectsWith(readEmbeddings(big), 'unsupported', 'big.json', 'the file is 600 MiB and not an array', 'parsed in one piece', '.jsonl');
      } finally {
        fsp.readFile = readFile;
      }
      assert.equal(reads, 0, 'refused from its first bytes, not read');
    } finally {
      cleanup();
    }
  });
});

describe('json: a top-level array too large for one string, read element by element', () => {
  // readJson's third argument is the size from which it streams (512 MiB in use); 0 streams every file
  const STREAM = 0;
  const both = async (file: string, options: ReadOptions = {}) => [await readJson(file, options), await readJson(file, options, STREAM)] as const;
  it('reads the array fixtures as the whole-document parse does', async () => {
    for (const file of ['m_arrays.json', 'm_objects.json']) {
      const [whole, streamed] = await both(fx(file));
      assert.deepEqual(streamed, whole, file);
    }
    const { dir, cleanup } = tempDir();
    try {
      // strings holding brackets, commas, escaped quotes; a byte order mark, blanks and newlines around
      const tricky = path.join(dir, 'tricky.json');
      writeFileSync(tricky, '\ufeff \n[ {"id": "a]\\"},[", "embedding": [1, 2], "label": "x,y"} ,\n{"id": "b\\\\", "embedding": [3, 4.5], "label": null}\n ]\n');
      const [whole, streamed] = await both(tricky);
      assert.deepEqual(whole.ids, ['a]"},[', 'b\\']);
      assert.deepEqual(streamed, whole);
      const nan = path.join(dir, 'nan.json');
      writeFileSync(nan, '[[1, NaN], [Infinity, 2]]');
      const [a, b] = await both(nan, { allowNonFinite: true });
      assert.deepEqual(b, a);
      assert.equal(b.nonFinite, 2);
    } finally {
      cleanup();
    }
  });
  it('refuses what the whole-document parse refuses, naming the element', async () => {
    const { dir, cleanup } = tempDir();
    const cases: [string, string, string, ...string[]][] = [
      ['[[1, 2], [3, "x"]]', 'value', 'element 1, value 1', 'not a number'],
      ['[[1, 2], [3]]', 'shape', 'element 1 has 1 values, expected 2'],
      ['[[1, 2], [NaN, 1]]', 'value', 'element 1 contains NaN'],
      ['[[1, 2],, [3, 4]]', 'format', 'element 1: invalid JSON'],
      ['[[1, 2], [3, 4],]', 'format', 'element 2: invalid JSON'],
      ['[[1, 2], [3, 4}]', 'format', 'element 1: invalid JSON'],
      ['[[1, 2]}', 'format', "element 0: invalid JSON: a '}' closes the top-level array"],
      ['[[1, 2], [3, 4]] [5]', 'format', 'more after the top-level array'],
      ['[[1, 2], [3, 4', 'format', 'the file ends inside element 1'],
      ['[ ]', 'shape', 'the array is empty'],
      ['[{"id": "a", "embedding": [1]}, [2]]', 'format', 'element 1: expected an object like element 0'],
      ['[{"id": "a", "embedding": [1]}, {"embedding": [2]}]', 'ids', 'element 1: no "id"'],
    ];
    try {
      for (const [text, code, ...fragments] of cases) {
        const file = path.join(dir, 'case.json');
        writeFileSync(file, text);
        await rejectsWith(readJson(file, {}, STREAM), code as never, 'case.json', ...fragments);
        await assert.rejects(readJson(file), (e: LatentError) => e.code === code, `the whole-document parse refuses ${text} too`);
      }
      const bytes = path.join(dir, 'latin1.json');
      writeFileSync(bytes, Buffer.from([...Buffer.from('[{"id": "'), 0xe9, ...Buffer.from('", "embedding": [1]}]')]));
      await rejectsWith(readJson(bytes, {}, STREAM), 'format', 'element 0: not valid UTF-8');
      const object = path.join(dir, 'columns.json');
      writeFileSync(object, '{"embeddings": [[1, 2]]}');
      await rejectsWith(readJson(object, {}, STREAM), 'unsupported', 'not an array');
    } finally {
      cleanup();
    }
  });
});

describe('word2vec', () => {
  it('reads .vec with a header', async () => {
    const t = await readEmbeddings(fx('m.vec'));
    assert.equal(t.format, 'word2vec-text');
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
  });
  it('reads GloVe-style .txt without a header', async () => {
    const t = await readEmbeddings(fx('m_glove.txt'));
    assertMatrix(t.matrix, M, F64);
    assert.deepEqual(t.ids, expected.ids);
  });
  it('reads words and values however the lines are spaced, whatever the words hold', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lines = [
        'the 0.1 -0.2 3e-3 ', // fastText: a blank after the last value
        'New York 1 2 3', // a word with a space (allowed with a header)
        'naïve\t4  5\t6', // tabs, two spaces, a word that is not ASCII
        '  lead 7 8 9', // leading blanks are trimmed
        'x 1.000000000000000000001 123456789012345678 1e300', // digits past the exact fast path
        'y nan 1 2',
      ];
      const f = path.join(dir, 'spaced.vec');
      writeFileSync(f, `6 3\n${lines.join('\n')}\n`);
      const t = await readEmbeddings(f, { allowNonFinite: true });
      assert.deepEqual(t.ids, ['the', 'New York', 'naïve', 'lead', 'x', 'y']);
      assert.equal(t.nonFinite, 1);
      const want = [0.1, -0.2, 3e-3, 1, 2, 3, 4, 5, 6, 7, 8, 9, Number('1.000000000000000000001'), 123456789012345678, 1e300, NaN, 1, 2];
      assert.deepEqual(Array.from(t.matrix.data), want);
      await rejectsWith(readEmbeddings(f), 'value', 'spaced.vec', 'line 7, value 1 is NaN');
      const g = path.join(dir, 'glove.txt');
      writeFileSync(g, 'a 1 2\nb\t3 4 \nc 5 6 7\n');
      await rejectsWith(readEmbeddings(g), 'shape', 'glove.txt', 'line 3 has 3 values, expected 2');
    } finally {
      cleanup();
    }
  });
  it('reads word2vec binary', async () => {
    const t = await readEmbeddings(fx('m.bin'));
    assert.equal(t.format, 'word2vec-bin');
    assert.equal(t.dtype, '<f4');
    assertMatrix(t.matrix, M, F32);
    assert.deepEqual(t.ids, expected.ids);
  });
});

describe('parquet', () => {
  for (const [file, dtype, ctor, column] of [
    ['m_float.parquet', 'float', F32, 'embedding'],
    ['m_double.parquet', 'double', F64, 'vector'],
    ['m_float16.parquet', 'float16', F32, 'emb'],
  ] as const) {
    it(`reads ${file}`, async () => {
      const t = await readEmbeddings(fx(file));
      assert.equal(t.format, 'parquet');
      assert.equal(t.dtype, dtype);
      assert.equal(t.arrayName, column);
      assertMatrix(t.matrix, M, ctor);
      assert.deepEqual(t.ids, expected.ids);
      assert.deepEqual(t.labels, expected.labels);
    });
  }
  it('honours array / idColumn / labelColumn', async () => {
    const t = await readEmbeddings(fx('m_float.parquet'), { array: 'embedding', idColumn: 'label', labelColumn: 'id' });
    assert.deepEqual(t.ids, expected.labels);
    assert.deepEqual(t.labels, expected.ids);
    await rejectsWith(readEmbeddings(fx('m_float.parquet'), { array: 'id' }), 'unsupported', 'column "id" has type', 'expected a list of floats');
    await rejectsWith(readEmbeddings(fx('m_float.parquet'), { array: 'nope' }), 'usage', 'no column "nope"', 'embedding: list<FLOAT>');
  });
});

describe('broken files', () => {
  const cases: [string, string, ...string[]][] = [
    ['bad_truncated.npy', 'format', 'file is truncated', 'header says (7, 5) <f4 = 140 bytes', 'file has 110'],
    ['bad_shape_lie.npy', 'format', 'file is truncated', 'header says (70, 5) <f4 = 1400 bytes', 'file has 140'],
    ['bad_nan.npy', 'value', 'row 2, column 3 is NaN'],
    ['bad_inf.npy', 'value', 'row 4, column 1 is -Inf'],
    ['bad_1d.npy', 'shape', 'expected a 2-D array, got shape (5,)'],
    ['bad_3d.npy', 'shape', 'expected a 2-D array, got shape (2, 3, 4)'],
    ['bad_empty_rows.npy', 'shape', 'shape (0, 5)'],
    ['bad_object.npy', 'unsupported', 'pickled object arrays are not supported'],
    ['bad_magic.npy', 'format', 'not a .npy file'],
    ['empty.npy', 'format', 'file is empty'],
    ['empty.csv', 'format', 'file is empty'],
    ['bad_ragged.csv', 'shape', 'line 3 has 5 values, expected 4'],
    ['bad_notnumber.csv', 'value', 'line 3, column 4', '"abc" is not a number'],
    ['bad_line.jsonl', 'format', 'line 3', 'invalid JSON'],
    ['bad_count.vec', 'shape', 'header says 8 words, file has 7'],
    ['bad_dim.vec', 'shape', 'line 2 has 5 values, expected 6'],
    ['bad_truncated.bin', 'format', 'file is truncated', 'header says 7 words, found 6'],
    ['bad_offsets.safetensors', 'format', 'data_offsets [100, 240]', 'outside the file'],
    ['bad_header_len.safetensors', 'format', 'header length', 'more than 100 MB'],
    ['bad_evil.npz', 'format', '"../evil.npy" is not allowed'],
    ['bad_string_embedding.parquet', 'unsupported', 'column "embedding" has type BYTE_ARRAY (UTF8), expected a list of floats'],
  ];
  for (const [file, code, ...fragments] of cases) {
    it(`${file} → ${code}`, async () => {
      const e = await rejectsWith(readEmbeddings(fx(file)), code as never, ...fragments);
      assert.equal(e.file, fx(file));
      assert.ok(e.message.includes(file), 'message names the file');
    });
  }
  it('refuses unknown extensions, listing the supported ones', async () => {
    await rejectsWith(readEmbeddings(fx('expected.gz')), 'unsupported', '".gz"', '.npy', '.parquet');
    assert.ok(supportedExtensions.includes('.safetensors'));
    assert.ok(supportedExtensions.includes('.ndjson'));
  });
  it('dispatches on the extension case-insensitively', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = path.join(dir, 'UPPER.CSV');
      writeFileSync(f, '1,2\n3,4\n');
      assertMatrix((await readEmbeddings(f)).matrix, [
        [1, 2],
        [3, 4],
      ]);
    } finally {
      cleanup();
    }
  });
  it('reports a missing file as an io error', async () => {
    await rejectsWith(readEmbeddings(fx('does-not-exist.npy')), 'io', 'does-not-exist.npy', 'no such file');
  });
  it('enforces maxValues', async () => {
    await rejectsWith(readEmbeddings(fx('m_f4le.npy'), { maxValues: 34 }), 'unsupported', '35 values', 'limit of 34');
    await rejectsWith(readEmbeddings(fx('m_noheader.csv'), { maxValues: 10 }), 'unsupported', 'limit of 10');
    await rejectsWith(readEmbeddings(fx('m.bin'), { maxValues: 10 }), 'unsupported', 'limit of 10');
  });
});

describe('cancellation', () => {
  const aborted = (): ReadOptions => {
    const c = new AbortController();
    c.abort();
    return { signal: c.signal };
  };
  for (const file of ['m_f4le.npy', 'm_header.csv', 'm_objects.jsonl', 'm.vec', 'm.bin', 'm_float.parquet', 'm_f32.safetensors']) {
    it(`stops reading ${file} when the signal is aborted`, async () => {
      await rejectsWith(readEmbeddings(fx(file), { ...aborted(), array: file.endsWith('.safetensors') ? 'embeddings' : undefined }), 'cancelled', file);
    });
  }
  it('readers check the signal between chunks, not only on entry', async () => {
    await rejectsWith(readDelimited(fx('m_header.csv'), aborted(), 'csv'), 'cancelled', 'm_header.csv');
  });
});

describe('float16', () => {
  it('decodes special values and round-trips every finite half', () => {
    assert.equal(halfToNumber(0x3c00), 1);
    assert.equal(halfToNumber(0xc000), -2);
    assert.equal(halfToNumber(0x7bff), 65504);
    assert.equal(halfToNumber(0x0001), 2 ** -24);
    assert.equal(halfToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToNumber(0x7e00)));
    for (let h = 0; h < 0x7c00; h++) assert.equal(numberToHalf(halfToNumber(h)), h);
  });
});
