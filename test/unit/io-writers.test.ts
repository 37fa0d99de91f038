/**
 * Writers (atomic, no overwrite without force, no temporary files left behind),
 * openNpy streaming reads, and readList.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  atomicWriteFile,
  formatFloat32,
  NpyStreamWriter,
  openNpy,
  readEmbeddings,
  readList,
  writeCsv,
  writeJson,
  writeNpy,
} from '../../src/core/io';
import { TempFile, type TempFileOptions } from '../../src/core/io/atomic';
import { assertMatrix, expected, fx, leftovers, mat, rejectsWith, tempDir } from './io-helpers';

const M = expected.matrix;

describe('writeNpy', () => {
  it('writes the same bytes as numpy.save for float32 (v1.0, <f4, C order, 64-byte aligned header)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'm.npy');
      await writeNpy(out, mat(M)); // float64 in, float32 out
      const bytes = readFileSync(out);
      assert.deepEqual(bytes, readFileSync(fx('m_f4le.npy')));
      const headerLen = bytes.readUInt16LE(8);
      assert.equal((10 + headerLen) % 64, 0);
      const t = await readEmbeddings(out);
      assert.equal(t.dtype, '<f4');
      assertMatrix(t.matrix, M, Float32Array);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('refuses to overwrite without force, overwrites with force', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'm.npy');
      writeFileSync(out, 'keep me');
      await rejectsWith(writeNpy(out, mat(M)), 'exists', 'm.npy', 'use --force to overwrite');
      assert.equal(readFileSync(out, 'utf8'), 'keep me');
      await writeNpy(out, mat([[1, 2]]), { force: true });
      assertMatrix((await readEmbeddings(out)).matrix, [[1, 2]]);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('fails cleanly into a nonexistent directory', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await rejectsWith(writeNpy(path.join(dir, 'nope', 'm.npy'), mat(M)), 'io', 'm.npy', 'does not exist');
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('leaves nothing behind when the matrix is inconsistent', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'bad.npy');
      await rejectsWith(writeNpy(out, { rows: 3, cols: 3, data: new Float32Array(4) }), 'shape', 'bad.npy');
      assert.equal(existsSync(out), false);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
});

describe('writeJson / atomicWriteFile', () => {
  it('writes pretty JSON with a trailing newline; typed arrays become arrays', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'r.json');
      await writeJson(out, { a: 1, v: new Float32Array([0.5, 1]) });
      assert.equal(readFileSync(out, 'utf8'), '{\n  "a": 1,\n  "v": [\n    0.5,\n    1\n  ]\n}\n');
      await rejectsWith(writeJson(out, {}), 'exists', 'use --force to overwrite');
      await writeJson(out, [], { force: true });
      assert.equal(readFileSync(out, 'utf8'), '[]\n');
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('atomicWriteFile writes strings and bytes', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'x.txt');
      await atomicWriteFile(out, 'héllo');
      assert.equal(readFileSync(out, 'utf8'), 'héllo');
      await atomicWriteFile(out, new Uint8Array([65, 66]), { force: true });
      assert.equal(readFileSync(out, 'utf8'), 'AB');
      await rejectsWith(atomicWriteFile(out, 'x'), 'exists', 'x.txt');
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
});

describe('writeCsv', () => {
  it('round-trips values, ids (quoted, non-ASCII) and labels', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'm.csv');
      const ids = [...expected.ids];
      ids[3] = ' spaced "quote" ';
      await writeCsv(out, mat(M, Float32Array), { ids, labels: expected.labels });
      const text = readFileSync(out, 'utf8');
      assert.ok(text.startsWith('id,label,d0,d1,d2,d3,d4\nw0,cat,-8,-3.375,'), text.slice(0, 60));
      assert.ok(text.includes('"w,4"'));
      assert.ok(text.includes('" spaced ""quote"" "'));
      const t = await readEmbeddings(out);
      assert.deepEqual(t.ids, ids);
      assert.deepEqual(t.labels, expected.labels);
      assertMatrix(t.matrix, M);
    } finally {
      cleanup();
    }
  });
  it('writes headerless csv without ids that reads back', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'm.csv');
      await writeCsv(out, mat(M), { header: false });
      assert.ok(readFileSync(out, 'utf8').startsWith('-8,-3.375,'));
      assertMatrix((await readEmbeddings(out)).matrix, M);
      await rejectsWith(writeCsv(out, mat(M)), 'exists', 'use --force');
    } finally {
      cleanup();
    }
  });
  it('prints float32 values with the fewest digits that round-trip', async () => {
    assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
    assert.equal(formatFloat32(Math.fround(1 / 3)), '0.33333334');
    assert.equal(formatFloat32(-0.375), '-0.375');
    assert.equal(formatFloat32(Math.fround(1e-7)), '1e-7');
    const data = new Float32Array(2000);
    let seed = 12345;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      data[i] = (seed / 2 ** 31 - 0.5) * 10 ** ((i % 12) - 6);
    }
    for (const v of data) assert.equal(Math.fround(Number(formatFloat32(v))), v);
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'r.csv');
      await writeCsv(out, { rows: 200, cols: 10, data });
      const back = await readEmbeddings(out);
      assert.deepEqual(Array.from(Float32Array.from(back.matrix.data)), Array.from(data));
    } finally {
      cleanup();
    }
  });
});

describe('NpyStreamWriter', () => {
  it('writes a file in 3 chunks that reads back exactly', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5 });
      assert.equal(existsSync(out), false, 'nothing at the target before commit');
      await w.append(mat(M.slice(0, 3)));
      await w.append(mat(M.slice(3, 5), Float32Array));
      await w.append(mat(M.slice(5)));
      assert.equal(w.rowsWritten, 7);
      await w.commit();
      assert.deepEqual(readFileSync(out), readFileSync(fx('m_f4le.npy')));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('flushes to disk in the background as it goes (after every chunk here) and still commits or aborts cleanly', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5, flushEveryBytes: 1 });
      for (let r = 0; r < 7; r++) await w.append(mat(M.slice(r, r + 1)));
      await w.commit();
      assert.deepEqual(readFileSync(out), readFileSync(fx('m_f4le.npy')));
      const aborted = path.join(dir, 'a.npy');
      const w2 = await NpyStreamWriter.create(aborted, { rows: 7, cols: 5, flushEveryBytes: 1 });
      await w2.append(mat(M.slice(0, 3)));
      await w2.append(mat(M.slice(3, 5)));
      await w2.abort();
      assert.equal(existsSync(aborted), false);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('keeps call order when appends are not awaited, and commit waits for them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5 });
      void w.append(mat(M.slice(0, 3)));
      void w.append(mat(M.slice(3, 4)));
      void w.append(mat(M.slice(4)));
      await w.commit();
      assert.deepEqual(readFileSync(out), readFileSync(fx('m_f4le.npy')));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('append with the wrong column count fails and removes the temp file; abort is idempotent', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5 });
      await w.append(mat(M.slice(0, 2)));
      assert.equal(leftovers(dir).length, 1);
      await rejectsWith(w.append(mat([[1, 2, 3]])), 'shape', 's.npy', '3 columns', 'of 5');
      await w.abort();
      assert.deepEqual(leftovers(dir), []);
      assert.equal(existsSync(out), false);
    } finally {
      cleanup();
    }
  });
  it('commit with too few rows fails and leaves nothing; too many rows are refused', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5 });
      await w.append(mat(M.slice(0, 6)));
      await rejectsWith(w.commit(), 'shape', 'wrote 6 rows', 'declares 7');
      assert.deepEqual(leftovers(dir), []);
      assert.equal(existsSync(out), false);
      const w2 = await NpyStreamWriter.create(out, { rows: 2, cols: 5 });
      await rejectsWith(w2.append(mat(M.slice(0, 3))), 'shape', 'more than the declared 2');
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
  it('abort after some chunks leaves nothing; create refuses an existing file without force', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 's.npy');
      const w = await NpyStreamWriter.create(out, { rows: 7, cols: 5 });
      await w.append(mat(M.slice(0, 3)));
      await w.abort();
      await w.abort();
      assert.deepEqual(leftovers(dir), []);
      writeFileSync(out, 'x');
      await rejectsWith(NpyStreamWriter.create(out, { rows: 7, cols: 5 }), 'exists', 'use --force to overwrite');
      const w2 = await NpyStreamWriter.create(out, { rows: 7, cols: 5, force: true });
      await w2.append(mat(M));
      await w2.commit();
      assertMatrix((await readEmbeddings(out)).matrix, M);
      await rejectsWith(NpyStreamWriter.create(path.join(dir, 'no', 'x.npy'), { rows: 1, cols: 1 }), 'io', 'does not exist');
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });
});

describe('TempFile with O_DIRECT (page-aligned blocks)', () => {
  /** ~9 MiB in pieces of odd sizes: crosses two 4 MiB blocks and ends in a partial one. */
  const pieces = Array.from({ length: 9 }, (_, k) => Uint8Array.from({ length: 1_000_003 + 4099 * k }, (_, i) => (i * 31 + k * 7) & 255));
  const whole = Buffer.concat(pieces);
  const linux = process.platform === 'linux';

  async function writeAll(out: string, opts: TempFileOptions): Promise<TempFile> {
    const tmp = await TempFile.create(out, opts);
    for (const p of pieces) await tmp.write(p);
    await tmp.commit();
    return tmp;
  }

  it('writes exactly the bytes appended, the padded last block cut off, and leaves no temporary file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'd.bin');
      const tmp = await writeAll(out, { direct: true });
      if (linux) assert.equal(tmp.isDirect, true, 'O_DIRECT is used on Linux');
      assert.equal(statSync(out).size, whole.length);
      assert.ok(readFileSync(out).equals(whole));
      // the same through the page cache
      const plain = path.join(dir, 'p.bin');
      assert.equal((await writeAll(plain, {})).isDirect, false);
      assert.ok(readFileSync(plain).equals(whole));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });

  it('goes on through the page cache when the kernel refuses a block (here: blocks off alignment)', { skip: !linux }, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'd.bin');
      const tmp = await writeAll(out, { direct: true, directSkew: 8 });
      assert.equal(tmp.isDirect, false, 'the refused write switched the file to ordinary writes');
      assert.ok(readFileSync(out).equals(whole));
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });

  it('LATENT_TRANSLATOR_DIRECT_IO=0 turns it off', async () => {
    const { dir, cleanup } = tempDir();
    const before = process.env.LATENT_TRANSLATOR_DIRECT_IO;
    process.env.LATENT_TRANSLATOR_DIRECT_IO = '0';
    try {
      const out = path.join(dir, 'd.bin');
      assert.equal((await writeAll(out, { direct: true })).isDirect, false);
      assert.ok(readFileSync(out).equals(whole));
    } finally {
      if (before === undefined) delete process.env.LATENT_TRANSLATOR_DIRECT_IO;
      else process.env.LATENT_TRANSLATOR_DIRECT_IO = before;
      cleanup();
    }
  });

  it('abort after blocks have gone out leaves nothing; an empty file commits empty', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'd.bin');
      const tmp = await TempFile.create(out, { direct: true });
      for (const p of pieces.slice(0, 6)) await tmp.write(p);
      await tmp.abort();
      assert.equal(existsSync(out), false);
      const empty = path.join(dir, 'e.bin');
      const t2 = await TempFile.create(empty, { direct: true });
      await t2.commit();
      assert.equal(statSync(empty).size, 0);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      cleanup();
    }
  });

  it('writes not awaited still land in call order', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'd.bin');
      const tmp = await TempFile.create(out, { direct: true });
      const writes = pieces.map((p) => tmp.write(p));
      await Promise.all(writes);
      await tmp.commit();
      assert.ok(readFileSync(out).equals(whole));
    } finally {
      cleanup();
    }
  });
});

/** A little-endian float64 C-order .npy (format 1.0) of the given values. */
function float64Npy(rows: number, cols: number, data: Float64Array): Buffer {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = Buffer.from(dict.padEnd(headerLength - 1, ' ') + '\n', 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 255, headerLength >> 8]);
  return Buffer.concat([pre, header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

describe('openNpy', () => {
  it('reads row ranges of a C-order file, including a short last chunk', async () => {
    const src = await openNpy(fx('m_f4le.npy'));
    try {
      assert.equal(src.rows, 7);
      assert.equal(src.cols, 5);
      assert.equal(src.dtype, '<f4');
      assert.equal(src.fortranOrder, false);
      assertMatrix(await src.readRows(2, 3), M.slice(2, 5), Float32Array);
      assertMatrix(await src.readRows(5, 10), M.slice(5), Float32Array);
      assertMatrix(await src.readRows(0, 7), M, Float32Array);
      assert.equal((await src.readRows(7, 3)).rows, 0);
      await assert.rejects(src.readRows(8, 1), RangeError);
      await assert.rejects(src.readRows(-1, 1), RangeError);
    } finally {
      await src.close();
    }
  });
  it('reads row ranges of Fortran-order and non-f4 files', async () => {
    for (const [file, ctor, rows] of [
      ['m_f8be_fortran.npy', Float64Array, M],
      ['m_f2le.npy', Float32Array, M],
      ['signed_i4le_fortran.npy', Float64Array, expected.signed_matrix],
    ] as const) {
      const src = await openNpy(fx(file));
      try {
        assertMatrix(await src.readRows(1, 4), rows.slice(1, 5), ctor);
        assertMatrix(await src.readRows(4, 100), rows.slice(4), ctor);
      } finally {
        await src.close();
      }
    }
  });
  it('streams a larger file in chunks identical to a full read', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const rows = 1003;
      const cols = 17;
      const data = Float32Array.from({ length: rows * cols }, (_, k) => Math.fround(Math.sin(k)));
      const out = path.join(dir, 'big.npy');
      await writeNpy(out, { rows, cols, data });
      const src = await openNpy(out);
      const got: number[] = [];
      for (let s = 0; s < src.rows; s += 100) got.push(...(await src.readRows(s, 100)).data);
      await src.close();
      assert.deepEqual(got, Array.from(data));
    } finally {
      cleanup();
    }
  });
  it('reads into a caller buffer when it is the right kind and large enough, else into a new one', async () => {
    const src = await openNpy(fx('m_f4le.npy'));
    try {
      const buffer = new Float32Array(5 * 5).fill(-1);
      const a = await src.readRows(1, 4, buffer);
      assertMatrix(a, M.slice(1, 5), Float32Array);
      assert.equal(a.data.buffer, buffer.buffer, 'the values landed in the given buffer');
      const b = await src.readRows(5, 10, buffer);
      assertMatrix(b, M.slice(5), Float32Array);
      assert.equal(b.data.buffer, buffer.buffer);
      const small = await src.readRows(0, 7, buffer);
      assert.notEqual(small.data.buffer, buffer.buffer, 'too small: a new array');
      assertMatrix(small, M, Float32Array);
      const wrongKind = await src.readRows(0, 2, new Float64Array(100));
      assertMatrix(wrongKind, M.slice(0, 2), Float32Array);
    } finally {
      await src.close();
    }
  });
  it('finds a non-finite value anywhere in a chunk read in place (f4 and f8, every position, ±Inf and NaN)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const rows = 3;
      const cols = 7;
      for (const bad of [NaN, Infinity, -Infinity]) {
        for (let k = 0; k < rows * cols; k++) {
          const data = Float64Array.from({ length: rows * cols }, (_, t) => t - 10);
          data[k] = bad;
          const out = path.join(dir, `bad-${k}.npy`);
          writeFileSync(out, float64Npy(rows, cols, data));
          const src = await openNpy(out);
          try {
            await rejectsWith(src.readRows(0, rows), 'value', `row ${Math.floor(k / cols)}, column ${k % cols} is`);
          } finally {
            await src.close();
          }
        }
      }
    } finally {
      cleanup();
    }
  });
  it('reports NaN with the absolute row, and header problems at open', async () => {
    const src = await openNpy(fx('bad_nan.npy'));
    try {
      assertMatrix(await src.readRows(0, 2), M.slice(0, 2), Float32Array);
      await rejectsWith(src.readRows(1, 3), 'value', 'bad_nan.npy', 'row 2, column 3 is NaN');
    } finally {
      await src.close();
    }
    await rejectsWith(openNpy(fx('bad_truncated.npy')), 'format', 'bad_truncated.npy', 'file is truncated');
    await rejectsWith(openNpy(fx('bad_1d.npy')), 'shape', 'expected a 2-D array');
    await rejectsWith(openNpy(fx('nope.npy')), 'io', 'nope.npy');
  });
});

describe('readList', () => {
  it('reads indices from .npy, .json and text', async () => {
    for (const file of ['list_indices.npy', 'list_indices.json', 'list_indices.txt']) {
      const l = await readList(fx(file));
      assert.deepEqual(l.indices, [0, 2, 4, 6], file);
      assert.deepEqual(l.values, ['0', '2', '4', '6'], file);
    }
  });
  it('reads ids from .json and text (blank lines ignored)', async () => {
    for (const file of ['list_ids.json', 'list_ids.txt']) {
      const l = await readList(fx(file));
      assert.deepEqual(l.values, ['w0', 'naïve', 'w,4'], file);
      assert.equal(l.indices, undefined, file);
    }
  });
  it('reports bad entries with the file and the element or line', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const a = path.join(dir, 'neg.json');
      writeFileSync(a, '[1, -2]');
      await rejectsWith(readList(a), 'value', 'neg.json', 'element 1', 'negative');
      const b = path.join(dir, 'mixed.json');
      writeFileSync(b, '[1, "a"]');
      await rejectsWith(readList(b), 'format', 'mixed.json', 'element 1');
      const c = path.join(dir, 'big.txt');
      writeFileSync(c, '1\n2\n99999999999999999999\n');
      await rejectsWith(readList(c), 'value', 'big.txt', 'line 3', 'too large');
      const d = path.join(dir, 'blank.txt');
      writeFileSync(d, '\n\n');
      await rejectsWith(readList(d), 'shape', 'blank.txt', 'empty');
      await rejectsWith(readList(fx('m_f4le.npy')), 'shape', 'm_f4le.npy', 'expected a 1-D array');
      await rejectsWith(readList(fx('m_f2le.npy')), 'shape', 'm_f2le.npy');
      await rejectsWith(readList(path.join(dir, 'missing.txt')), 'io', 'missing.txt');
    } finally {
      cleanup();
    }
  });
});
