/**
 * The screened retrieval path (float32 similarity blocks, float64 rechecks of
 * every undecided comparison) must give exactly the float64 results: the same
 * ranks, CSLS ranks and Jaccard@10 as brute force, including on near-ties,
 * duplicates and lists whose top k cannot be settled in float32.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Linalg } from '../../src/core/backend';
import { matrix, type Matrix } from '../../src/core/matrix';
import { mulberry32 } from '../../src/core/pairs';
import { float32DotBound, retrievalExact, retrievalScreened } from '../../src/core/retrieval';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());

function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function randomMatrix(rows: number, cols: number, seed: number, scale = (j: number) => (j + 1) ** -0.75): Matrix {
  const g = gaussian(seed);
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, t) => g() * scale(t % cols)));
}

function perturb(m: Matrix, amount: number, seed: number): Matrix {
  const g = gaussian(seed);
  return matrix(m.rows, m.cols, Float64Array.from(m.data, (v) => v + amount * g()));
}

function repeatRows(m: Matrix, period: number): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray((i % period) * m.cols, (i % period + 1) * m.cols), i * m.cols);
  return matrix(m.rows, m.cols, out);
}

const cases: Record<string, () => { h: Matrix; y: Matrix }> = {
  'well aligned (translation-like)': () => {
    const y = randomMatrix(700, 48, 1);
    return { h: perturb(y, 0.05, 2), y };
  },
  'unrelated spaces (the no-translation baseline)': () => ({ h: randomMatrix(600, 32, 3), y: randomMatrix(600, 32, 4) }),
  'near-ties below the float32 resolution': () => {
    // 400 targets = 10 directions × 40 copies, each moved by ~1e-7: float32 cannot order the copies,
    // and more copies than a candidate list holds tie at the top
    const y = perturb(repeatRows(randomMatrix(400, 24, 5), 10), 1e-7, 6);
    return { h: perturb(y, 1e-6, 7), y };
  },
  'exact duplicate rows on both sides': () => {
    const y = repeatRows(randomMatrix(300, 16, 8), 37);
    return { h: repeatRows(perturb(y, 0.1, 9), 53), y };
  },
  'fewer rows than k': () => ({ h: randomMatrix(6, 5, 10), y: randomMatrix(6, 5, 11) }),
  'zero rows among the targets': () => {
    const y = randomMatrix(200, 12, 12);
    for (let i = 0; i < 200; i += 17) y.data.fill(0, i * 12, (i + 1) * 12);
    return { h: perturb(y, 0.2, 13), y };
  },
};

describe('screened float32 retrieval equals float64 brute force', () => {
  for (const [name, make] of Object.entries(cases)) {
    test(name, async () => {
      const { h, y } = make();
      const fast = await retrievalScreened(h, y, la);
      const slow = retrievalExact(h, y);
      assert.deepEqual(Array.from(fast.rank), Array.from(slow.rank), 'ranks');
      assert.deepEqual(Array.from(fast.cslsRank), Array.from(slow.cslsRank), 'CSLS ranks');
      assert.equal(fast.jaccard, slow.jaccard, 'Jaccard@10');
      // blocks of a few dozen rows: candidates carried across blocks, CSLS rescans in several
      // blocks, and the targets' neighbours from the upper triangle of Y·Yᵀ mirrored to later rows
      // (a copy of y: its own neighbour lists are cached per target matrix)
      const blocked = await retrievalScreened(h, matrix(y.rows, y.cols, Float64Array.from(y.data)), la, { blockValues: 37 * h.rows });
      assert.deepEqual(Array.from(blocked.rank), Array.from(slow.rank), 'ranks, small blocks');
      assert.deepEqual(Array.from(blocked.cslsRank), Array.from(slow.cslsRank), 'CSLS ranks, small blocks');
      assert.equal(blocked.jaccard, slow.jaccard, 'Jaccard@10, small blocks');
    });
  }

  test('near-ties really exercise the float64 rechecks and the whole-list fallback', async () => {
    const { h, y } = cases['near-ties below the float32 resolution']();
    const r = await retrievalScreened(h, y, la);
    assert.ok((r.rechecked ?? 0) > h.rows, `rechecked ${r.rechecked}`);
    assert.ok((r.listsRecomputed ?? 0) > 0, `lists recomputed ${r.listsRecomputed}`);
  });

  test('CSLS ranks come both from rows settled by their kept candidates and from rows scored again', async () => {
    const aligned = cases['well aligned (translation-like)']();
    const settled = await retrievalScreened(aligned.h, aligned.y, la);
    assert.ok((settled.cslsRescanned ?? -1) >= 0 && settled.cslsRescanned! < aligned.h.rows / 2, `aligned: ${settled.cslsRescanned} rows rescanned`);
    const unrelated = cases['unrelated spaces (the no-translation baseline)']();
    const rescanned = await retrievalScreened(unrelated.h, unrelated.y, la);
    assert.ok(rescanned.cslsRescanned! > unrelated.h.rows / 2, `unrelated: ${rescanned.cslsRescanned} rows rescanned`);
  });

  test('similarity blocks against a packed B equal the plain float32 GEMM, also after its session was evicted', async () => {
    const f32 = (m: Matrix) => ({ rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) });
    const targets = [f32(randomMatrix(90, 24, 21)), f32(randomMatrix(70, 24, 22)), f32(randomMatrix(50, 24, 23))];
    const rows = f32(randomMatrix(13, 24, 24));
    // three targets through a cache of two: the first is evicted and packed again on its second use
    for (const b of [...targets, targets[0], targets[2]]) {
      const packed = await la.similarityBlock(rows, b);
      const plain = await la.matmulNT32(rows, b);
      assert.deepEqual([packed.rows, packed.cols], [13, b.rows]);
      assert.deepEqual(Array.from(packed.data), Array.from(plain.data));
    }
  });

  test('the float32 bound is about d·2⁻²⁴', () => {
    assert.ok(float32DotBound(1024) > 1024 * 2 ** -24 && float32DotBound(1024) < 1.1 * 1030 * 2 ** -24);
  });
});
