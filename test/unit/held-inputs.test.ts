/**
 * --test-inputs: which rows are read (per held-out pair, or per source row
 * through the held-out pairs' source rows), their display scale, the row
 * count check, and the image shape of a row.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { imageShapeOf, loadHeldInputs } from '../../src/core/heldInputs';
import { DECODED_SAMPLES } from '../../src/core/stitching';
import { rejectsWith, tempDir } from './io-helpers';

/** A C-order .npy (format 1.0) of `shape`, element i = i (as `descr`: '<f4' or '|u1'). */
function writeNpy(file: string, shape: number[], descr: '<f4' | '|u1'): void {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  const n = shape.reduce((a, b) => a * b, 1);
  const body = descr === '<f4' ? Buffer.from(Float32Array.from({ length: n }, (_, i) => i).buffer) : Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 256));
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

describe('held-out inputs (--test-inputs)', () => {
  test('one row per held-out pair: the first rows, in order, unscaled for float input', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'x.npy');
      writeNpy(file, [10, 1, 2, 2], '<f4');
      const h = await loadHeldInputs(file, 10, 30, undefined);
      assert.deepEqual(h.rowShape, [1, 2, 2]);
      assert.equal(h.scale, 1);
      assert.equal(h.rows.length, DECODED_SAMPLES);
      assert.deepEqual(h.rows[0], [0, 1, 2, 3]);
      assert.deepEqual(h.rows[7], [28, 29, 30, 31]);
    } finally {
      cleanup();
    }
  });

  test('one row per source row: the held-out pairs\' source rows are read; uint8 is scaled by 1/255', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'x.npy');
      writeNpy(file, [6, 2], '|u1');
      const h = await loadHeldInputs(file, 2, 6, [5, 1]);
      assert.equal(h.scale, 1 / 255);
      assert.deepEqual(h.rows, [[10 / 255, 11 / 255].map((v) => Math.round(v * 1000) / 1000), [2 / 255, 3 / 255].map((v) => Math.round(v * 1000) / 1000)]);
    } finally {
      cleanup();
    }
  });

  test('a row count that matches neither is refused with the file, its shape and both expectations', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'x.npy');
      writeNpy(file, [4, 3], '<f4');
      await rejectsWith(loadHeldInputs(file, 2, 6, [0, 1]), 'shape', 'has 4 rows', '(4, 3)', 'held-out pair (2)', 'source row (6)');
      // held-out pairs from separate files have no source rows: only the held-out count is offered
      const e = await rejectsWith(loadHeldInputs(file, 2, 6, undefined), 'shape', 'held-out pair (2)');
      assert.ok(!e.message.includes('source row'), e.message);
      assert.equal(e.file, file);
    } finally {
      cleanup();
    }
  });

  test('image shape of a row: size-1 axes dropped, a flat square row is side × side, anything else none', () => {
    assert.deepEqual(imageShapeOf([1, 28, 28]), [28, 28]);
    assert.deepEqual(imageShapeOf([28, 28]), [28, 28]);
    assert.deepEqual(imageShapeOf([784]), [28, 28]);
    assert.deepEqual(imageShapeOf([4, 8]), [4, 8]);
    assert.equal(imageShapeOf([3, 32, 32]), null, 'colour images are not drawn as grayscale');
    assert.equal(imageShapeOf([10]), null);
    assert.equal(imageShapeOf([1]), null);
  });
});
