import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows } from '../../src/core/matrix';
import { agreement, argmax, classificationScores, labelIndices, rowMse } from '../../src/core/stitching';
import { assertNear } from '../helpers/assert';

describe('stitching scores on hand-computed cases', () => {
  test('argmax of logits', () => {
    assert.deepEqual(Array.from(argmax(fromRows([[0.1, 2, -1], [5, 1, 1], [0, 0, 3]]))), [1, 0, 2]);
  });

  test('accuracy, macro/weighted F1, per-class recall, confusion', () => {
    // labels 0,0,0,1,1,2 ; predictions 0,0,1,1,2,2
    const labels = Int32Array.from([0, 0, 0, 1, 1, 2]);
    const pred = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const s = classificationScores(pred, labels, 3);
    assert.deepEqual(s.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    assertNear(s.accuracy, 4 / 6, 1e-15, 'accuracy');
    // class 0: P=1, R=2/3, F1=0.8; class 1: P=1/2, R=1/2, F1=1/2; class 2: P=1/2, R=1, F1=2/3
    assertNear(s.macroF1, (0.8 + 0.5 + 2 / 3) / 3, 1e-15, 'macro F1');
    assertNear(s.weightedF1, (0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 1e-15, 'weighted F1');
    assert.deepEqual(s.perClassRecall.map((r) => Math.round(r * 1e6) / 1e6), [0.666667, 0.5, 1]);
  });

  test('a class never seen nor predicted does not count in macro F1 (as sklearn)', () => {
    const s = classificationScores(Int32Array.from([0, 1]), Int32Array.from([0, 1]), 4);
    assert.equal(s.macroF1, 1);
    assert.ok(Number.isNaN(s.perClassRecall[3]));
  });

  test('agreement and per-row MSE', () => {
    assert.equal(agreement(Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 0, 3, 0])), 0.5);
    const { mean, perRow } = rowMse(fromRows([[1, 1], [0, 0]]), fromRows([[0, 1], [2, 2]]));
    assert.deepEqual(Array.from(perRow), [0.5, 4]);
    assert.equal(mean, 2.25);
  });

  test('labels must be class indices', () => {
    assert.deepEqual(Array.from(labelIndices(['0', '9', '3'], 10, 'l.txt')), [0, 9, 3]);
    assert.throws(() => labelIndices(['0', 'Coat'], 10, 'l.txt'), /l\.txt: label 2 is "Coat": labels must be class indices 0…9/);
    assert.throws(() => labelIndices(['10'], 10, 'l.txt'), /label 1 is "10"/);
  });
});
