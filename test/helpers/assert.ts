import assert from 'node:assert/strict';
import { toRows, type Matrix } from '../../src/core/matrix';

/** Element-wise |a − b| ≤ tol with a message that shows where it fails. */
export function assertClose(actual: Matrix | number[][], expected: number[][], tol: number, label = ''): void {
  const a = Array.isArray(actual) ? actual : toRows(actual);
  assert.equal(a.length, expected.length, `${label}: row count`);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].length, expected[i].length, `${label}: row ${i} length`);
    for (let j = 0; j < a[i].length; j++) {
      const diff = Math.abs(a[i][j] - expected[i][j]);
      assert.ok(diff <= tol, `${label}: [${i}][${j}] = ${a[i][j]}, expected ${expected[i][j]} (|diff| ${diff.toExponential(2)} > ${tol})`);
    }
  }
}

export function assertNear(actual: number, expected: number, tol: number, label = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${label}: ${actual}, expected ${expected} (tol ${tol})`);
}
