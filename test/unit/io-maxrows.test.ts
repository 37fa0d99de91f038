/**
 * ReadOptions.maxRows, the bound behind the extension's latentTranslator.maxRows setting: every
 * reader refuses a file with more rows with LatentError('limit') naming the file and its row
 * count; formats whose header declares the rows refuse before reading any value.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, statSync, writeSync, ftruncateSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readEmbeddings, supportedExtensions } from '../../src/core/io';
import { FIXTURES, rejectsWith, tempDir } from './io-helpers';

/** Every well-formed matrix fixture ("m.*", "m_*"), one per format at least. */
const MATRICES = readdirSync(FIXTURES)
  .filter((f) => /^m[._]/.test(f) && supportedExtensions.includes(path.extname(f).toLowerCase()))
  .sort();

/** Formats whose reader learns the row count from a header, before any value (see ReadOptions.maxRows). */
const HEADER_FORMATS = new Set(['npy', 'npz', 'safetensors', 'parquet', 'word2vec-bin']);

/** The fixtures holding two arrays name the one with the vectors "embeddings". */
const optionsFor = (name: string) => (/\.(npz|safetensors)$/.test(name) && name !== 'm_single.npz' ? { array: 'embeddings' } : {});

const tmp = tempDir();
after(() => tmp.cleanup());

/** A .npy whose header declares rows × cols float32 and whose data is a sparse hole: huge on paper, nothing on disk. */
function sparseNpy(file: string, rows: number, cols: number): number {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY\x01\x00', 0, 'latin1');
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    ftruncateSync(fd, head.length + rows * cols * 4);
  } finally {
    closeSync(fd);
  }
  return statSync(file).size;
}

describe('maxRows: every reader refuses more rows than allowed', () => {
  it('covers every supported format', () => {
    const covered = new Set(MATRICES.map((f) => path.extname(f).toLowerCase()));
    assert.deepEqual(supportedExtensions.filter((e) => !covered.has(e)), [], 'formats without a matrix fixture');
  });

  for (const name of MATRICES) {
    it(name, async () => {
      const file = path.join(FIXTURES, name);
      const o = optionsFor(name);
      const full = await readEmbeddings(file, o);
      const n = full.matrix.rows;
      assert.ok(n >= 2, `${name} has ${n} rows`);
      const atLimit = await readEmbeddings(file, { ...o, maxRows: n });
      assert.equal(atLimit.matrix.rows, n, 'exactly maxRows rows are accepted');
      const e = await rejectsWith(readEmbeddings(file, { ...o, maxRows: n - 1 }), 'limit', file, `limit of ${n - 1} rows`);
      // Header formats know the count; text formats stop counting at the limit.
      const count = HEADER_FORMATS.has(full.format) ? `has ${n} rows` : `more than ${n - 1} rows`;
      assert.ok(e.message.includes(count) || e.message.includes(`has ${n} rows`), `${e.message} lacks "${count}"`);
    });
  }

  it('refuses a 6 GB .npy from its header, at once and without allocating it', async () => {
    const file = path.join(tmp.dir, 'huge.npy');
    const rows = 2_000_000;
    const bytes = sparseNpy(file, rows, 768);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    await rejectsWith(readEmbeddings(file, { maxRows: 500_000 }), 'limit', file, `has ${rows} rows`, 'limit of 500000 rows');
    const ms = performance.now() - t0;
    const grew = process.memoryUsage().rss - rss0;
    console.log(`  ${(bytes / 2 ** 30).toFixed(1)} GiB .npy refused in ${ms.toFixed(1)} ms, RSS +${(grew / 2 ** 20).toFixed(1)} MiB`);
    // Reading it would take gigabytes and seconds; a header probe takes neither.
    assert.ok(grew < bytes / 100, `RSS grew by ${grew} bytes`);
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  it('is off by default', async () => {
    const file = path.join(FIXTURES, MATRICES[0]);
    assert.ok((await readEmbeddings(file)).matrix.rows > 0);
  });
});
