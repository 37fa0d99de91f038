import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LatentError } from '../../src/core/errors';
import type { EmbeddingTable } from '../../src/core/io/types';
import { fromRows } from '../../src/core/matrix';
import { checkOutputs, writeOutputs } from '../../src/core/outputs';
import { complement, pairById, pairByIndex, samplePairs, selectFromList } from '../../src/core/pairs';

const table = (ids: string[] | undefined, rows: number, file: string): EmbeddingTable => ({
  matrix: fromRows(Array.from({ length: rows }, (_, i) => [i, i * 2])),
  ids,
  path: file,
  format: 'test',
  dtype: 'f8',
});

describe('pairing rows', () => {
  test('by id, whatever the order, and reports ids found on one side only', () => {
    const p = pairById(table(['a', 'b', 'c', 'x'], 4, 's'), table(['c', 'y', 'a', 'b'], 4, 't'));
    assert.deepEqual(Array.from(p.sourceRows), [0, 1, 2]);
    assert.deepEqual(Array.from(p.targetRows), [2, 3, 0]);
    assert.deepEqual(p.keys, ['a', 'b', 'c']);
    assert.deepEqual(p.missing, { sourceOnly: ['x'], targetOnly: ['y'] });
  });

  test('duplicate ids are refused with both rows named', () => {
    assert.throws(() => pairById(table(['a', 'b', 'a'], 3, 'dup.vec'), table(['a'], 1, 't')), (e: LatentError) => e.code === 'ids' && /dup\.vec.*"a" appears twice \(rows 0 and 2\)/.test(e.message));
  });

  test('by index needs equal row counts', () => {
    assert.throws(() => pairByIndex(table(undefined, 3, 's.npy'), table(undefined, 4, 't.npy')), /s\.npy has 3 rows but target t\.npy has 4/);
  });

  test('lists: indices, ids, limits, repeats', () => {
    const byIndex = pairByIndex(table(undefined, 5, 's'), table(undefined, 5, 't'));
    assert.deepEqual(Array.from(selectFromList({ values: ['4', '0'], indices: [4, 0], file: 'a' }, byIndex, 'anchor').pairs), [4, 0]);
    assert.throws(() => selectFromList({ values: ['1', '1'], indices: [1, 1], file: 'a.txt' }, byIndex, 'anchor'), /a\.txt: entry 2 .*repeats/);
    assert.throws(() => selectFromList({ values: ['1'], indices: [1], file: 'a.txt' }, byIndex, 'anchor', 2), /1 entries but 2 were requested/);
    assert.throws(() => selectFromList({ values: ['w'], file: 'ids.txt' }, byIndex, 'anchor'), /use --join id/);
    const byId = pairById(table(['a', 'b', 'c'], 3, 's'), table(['c', 'b', 'a'], 3, 't'));
    const sel = selectFromList({ values: ['c', 'zz', 'a'], file: 'ids.txt' }, byId, 'anchor');
    assert.deepEqual(Array.from(sel.pairs), [2, 0]);
    assert.deepEqual(sel.unmatched, ['zz']);
  });

  test('sampling is seeded, without replacement, and honours exclusions', () => {
    const a = samplePairs(100, 30, 42);
    assert.deepEqual(a, samplePairs(100, 30, 42));
    assert.notDeepEqual(a, samplePairs(100, 30, 43));
    assert.equal(new Set(a).size, 30);
    const ex = new Set([1, 2, 3]);
    assert.ok(Array.from(samplePairs(10, 7, 1, ex)).every((p) => !ex.has(p)));
    assert.throws(() => samplePairs(10, 8, 1, ex), /cannot sample 8 anchors from 7/);
    assert.deepEqual(Array.from(complement(6, Int32Array.from([4, 1]))), [0, 2, 3, 5]);
  });
});

describe('writing outputs as one unit', () => {
  test('all files appear together; a failure leaves nothing; existing files are kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lt-out-'));
    await writeOutputs(dir, [
      { name: 'a.txt', write: async (p) => writeFileSync(p, 'A') },
      { name: 'b.txt', write: async (p) => writeFileSync(p, 'B') },
    ], false);
    assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'b.txt']);
    await assert.rejects(checkOutputs(dir, ['a.txt'], false), /a\.txt: already exists; use --force/);
    const failing = path.join(dir, 'sub');
    await assert.rejects(
      writeOutputs(failing, [
        { name: 'c.txt', write: async (p) => writeFileSync(p, 'C') },
        { name: 'd.txt', write: async () => { throw new Error('disk full'); } },
      ], false),
      /disk full/,
    );
    assert.deepEqual(readdirSync(failing), []);
    await writeOutputs(dir, [{ name: 'a.txt', write: async (p) => writeFileSync(p, 'A2') }], true);
    assert.equal(readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'A2');
  });
});
