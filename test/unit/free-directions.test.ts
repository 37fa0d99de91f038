/**
 * Fewer anchors than dimensions: the ortho and l-ortho maps are Procrustes-optimal
 * on the anchors' row spaces and nearest the identity on the directions the
 * anchors leave free (freeDirections.ts), at small d and at d ≥ LARGE_DIM,
 * equal and unequal dims, against ml-matrix's SVD as the oracle for the
 * optimum (the SVD's own completion is arbitrary, so W itself has no oracle).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { directLeastSquares, LARGE_DIM, Linalg } from '../../src/core/backend';
import { pivotedCholesky, svd } from '../../src/core/backend/dense';
import { freeDirections } from '../../src/core/freeDirections';
import { matrix, padSquare, type Matrix } from '../../src/core/matrix';
import { fitMethod } from '../../src/core/methods';
import { mulberry32 } from '../../src/core/pairs';
import { prepareAnchors } from '../../src/core/translator';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());

function gaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  const u = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, t) => g() * ((t % cols) + 1) ** -0.5));
}

function frobeniusInner(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}
const nuclear = (m: Matrix) => svd(m).S.reduce((s, v) => s + v, 0);

/** Largest |WᵀW − I| (or |WWᵀ − I| for a wide W): the smaller side of the map is orthonormal. */
async function orthonormality(w: Matrix): Promise<number> {
  const wide = w.rows < w.cols;
  const g = wide ? await la.matmulNT(w, w) : await la.crossprod(w, w);
  let worst = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) worst = Math.max(worst, Math.abs(g.data[i * g.cols + j] - (i === j ? 1 : 0)));
  return worst;
}

const CASES: [string, number, number, number][] = [
  ['small, equal dims', 12, 30, 30],
  ['small, d_x > d_y', 12, 30, 20],
  [`d = ${LARGE_DIM + 44}, equal dims`, 150, LARGE_DIM + 44, LARGE_DIM + 44],
  [`d = ${LARGE_DIM + 44} → ${LARGE_DIM + 4}`, 150, LARGE_DIM + 44, LARGE_DIM + 4],
  [`d = ${LARGE_DIM + 4} → ${LARGE_DIM + 44}`, 150, LARGE_DIM + 4, LARGE_DIM + 44],
];

describe('fewer anchors than dimensions: identity-nearest completion', () => {
  for (const [name, n, dx, dy] of CASES) {
    test(`${name} (n = ${n}): ortho is orthogonal, Procrustes-optimal and nearest the identity off the anchors`, async () => {
      const { products } = prepareAnchors(gaussianMatrix(n, dx, 1), gaussianMatrix(n, dy, 2), 'standard', la);
      const free = await products.freeDirections();
      assert.ok(free, 'free directions found');
      assert.equal(free.rank, n - 1, 'centred anchors span n − 1 dimensions');
      const { W } = await fitMethod('ortho', products, la);
      assert.equal(W.rows, dx);
      assert.equal(W.cols, dy);
      assert.ok((await orthonormality(W)) < 1e-12, `orthonormality ${await orthonormality(W)}`);
      const m = await products.crossCovariance();
      // optimal: ⟨W, M⟩ reaches the nuclear norm of M, the Procrustes maximum
      const best = nuclear(m);
      assert.ok(Math.abs(frobeniusInner(W, m) - best) <= 1e-10 * best, `⟨W, M⟩ ${frobeniusInner(W, m)} vs ‖M‖* ${best}`);
      // nearest the identity on the free directions: ⟨W̃, F⟩ reaches ‖F‖* in the padded space
      const d = Math.max(dx, dy);
      const padded = padSquare(W, d);
      if (dx === dy) {
        const f = nuclear(free.F);
        assert.ok(Math.abs(frobeniusInner(padded, free.F) - f) <= 1e-9 * f, `⟨W, F⟩ ${frobeniusInner(padded, free.F)} vs ‖F‖* ${f}`);
      }
      // the singular values reported with the map are M's
      const { singularValues } = await products.crossCovariancePolar();
      const s = svd(m).S;
      for (let i = 0; i < s.length; i++) assert.ok(Math.abs(singularValues[i] - s[i]) <= 1e-10 * s[0], `σ${i} ${singularValues[i]} vs ${s[i]}`);
    });
  }

  test('l-ortho: the polar factor of the minimum-norm least squares, completed the same way', async () => {
    const n = 150;
    const d = LARGE_DIM + 44;
    const { products } = prepareAnchors(gaussianMatrix(n, d, 3), gaussianMatrix(n, d, 4), 'standard', la);
    const ls = await products.leastSquares();
    const { W } = await fitMethod('l-ortho', products, la);
    assert.ok((await orthonormality(W)) < 1e-12);
    const best = nuclear(ls.W);
    assert.ok(Math.abs(frobeniusInner(W, ls.W) - best) <= 1e-10 * best, `⟨W, W_ls⟩ ${frobeniusInner(W, ls.W)} vs ‖W_ls‖* ${best}`);
  });

  test('the same anchors give the same map, whatever their order', async () => {
    const x = gaussianMatrix(40, 64, 5);
    const y = gaussianMatrix(40, 64, 6);
    const order = Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
    const shuffle = (m: Matrix) => matrix(m.rows, m.cols, Float64Array.from({ length: m.data.length }, (_, t) => m.data[order[Math.floor(t / m.cols)] * m.cols + (t % m.cols)]));
    const a = await fitMethod('ortho', prepareAnchors(x, y, 'standard', la).products, la);
    const b = await fitMethod('ortho', prepareAnchors(shuffle(x), shuffle(y), 'standard', la).products, la);
    let diff = 0;
    for (let i = 0; i < a.W.data.length; i++) diff = Math.max(diff, Math.abs(a.W.data[i] - b.W.data[i]));
    assert.ok(diff < 1e-10, `maps differ by ${diff}`);
  });

  test('row spaces of different dimension (a rank-deficient target) are left to the SVD', async () => {
    const x = gaussianMatrix(20, 40, 7);
    const low = gaussianMatrix(20, 3, 8);
    const y = matrix(20, 40, Float64Array.from({ length: 800 }, (_, t) => low.data[Math.floor(t / 40) * 3 + (t % 3)] * (1 + (t % 40))));
    assert.equal(await freeDirections(x, y, la), undefined);
    const { W } = await fitMethod('ortho', prepareAnchors(x, y, 'none', la).products, la);
    assert.ok((await orthonormality(W)) < 1e-12, 'the SVD fallback is still orthogonal');
  });

  test('minimum-norm least squares with fewer rows than columns (row-space route, no d×d work) equals the SVD solution', async () => {
    // past directLeastSquares, where the direct SVD of X is no longer used
    const d = 800;
    for (const [prep, n] of [['standard', 300], ['none', 300], ['none', 400]] as const) {
      const { products } = prepareAnchors(gaussianMatrix(n, d, 10), gaussianMatrix(n, d - 20, 11), prep, la);
      assert.ok(!directLeastSquares(n, d));
      assert.equal((await la.rowSpaceBasis(products.xs))?.cols, prep === 'standard' ? n - 1 : n, 'the row-space route applies');
      const fast = await la.lstsq(products.xs, products.ys);
      const exact = await la.lstsq(products.xs, products.ys, { solver: 'svd' });
      assert.equal(fast.rank, exact.rank, `${prep}, n = ${n}: rank`);
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < exact.W.data.length; i++) {
        scale = Math.max(scale, Math.abs(exact.W.data[i]));
        diff = Math.max(diff, Math.abs(fast.W.data[i] - exact.W.data[i]));
      }
      assert.ok(diff <= 1e-9 * scale, `${prep}, n = ${n}: W differs by ${diff} (scale ${scale})`);
      for (let k = 0; k < exact.rank; k++) assert.ok(Math.abs(fast.singularValues[k] - exact.singularValues[k]) <= 1e-9 * exact.singularValues[0], `σ${k}`);
      const spectrum = await products.sourceSingularValues();
      for (let k = 0; k < exact.rank; k++) assert.ok(Math.abs(spectrum[k] - exact.singularValues[k]) <= 1e-9 * exact.singularValues[0], `diagnostics σ${k}`);
    }
  });

  test('a dead source dimension with more anchors than dimensions: the orthogonal maps complete M\'s null spaces, least squares stays minimum-norm, rank d − 1', async () => {
    const d = LARGE_DIM + 44;
    const x = gaussianMatrix(2 * d, d, 20);
    for (let i = 0; i < 2 * d; i++) x.data[i * d + 7] = 0.25; // zero after centring
    const { products } = prepareAnchors(x, gaussianMatrix(2 * d, d, 21), 'standard', la);
    const m = await products.crossCovariance();
    assert.equal(await la.polar(m), undefined, 'M is singular');
    for (const method of ['ortho', 'rotation'] as const) {
      const { W } = await fitMethod(method, products, la);
      assert.ok((await orthonormality(W)) < 1e-12, `${method}: orthonormality ${await orthonormality(W)}`);
      const best = nuclear(m);
      assert.ok(Math.abs(frobeniusInner(W, m) - best) <= 1e-10 * best, `${method}: ⟨W, M⟩ ${frobeniusInner(W, m)} vs ‖M‖* ${best}`);
    }
    const ls = await products.leastSquares();
    const exact = await la.lstsq(products.xs, products.ys, { solver: 'svd' });
    assert.equal(ls.rank, d - 1);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < exact.W.data.length; i++) {
      scale = Math.max(scale, Math.abs(exact.W.data[i]));
      diff = Math.max(diff, Math.abs(ls.W.data[i] - exact.W.data[i]));
    }
    assert.ok(diff <= 1e-9 * scale, `minimum-norm W differs by ${diff} (scale ${scale})`);
    const lortho = (await fitMethod('l-ortho', products, la)).W;
    assert.ok(Math.abs(frobeniusInner(lortho, ls.W) - nuclear(ls.W)) <= 1e-10 * nuclear(ls.W), 'l-ortho: the polar factor of W_ls');
    const spectrum = await products.sourceSingularValues();
    assert.equal(spectrum.filter((v) => v > 0).length, d - 1, 'the dead dimension is a zero singular value');
  });

  test('pivoted Cholesky finds the rank of a Gram matrix and pivots that span it', () => {
    const b = gaussianMatrix(9, 4, 9);
    const g = matrix(9, 9, new Float64Array(81));
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) for (let k = 0; k < 4; k++) g.data[i * 9 + j] += b.data[i * 4 + k] * b.data[j * 4 + k];
    const { pivots, L } = pivotedCholesky(g, 1e-12);
    assert.equal(pivots.length, 4);
    assert.equal(new Set(pivots).size, 4);
    // L is the Cholesky factor of the pivoted rows' Gram matrix
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let t = 0; t < 4; t++) s += L.data[i * 4 + t] * L.data[j * 4 + t];
        assert.ok(Math.abs(s - g.data[pivots[i] * 9 + pivots[j]]) < 1e-12 * g.data[pivots[0] * 9 + pivots[0]], `(L·Lᵀ)[${i}, ${j}]`);
        if (j > i) assert.equal(L.data[i * 4 + j], 0, 'lower triangular');
      }
    assert.equal(pivotedCholesky(matrix(3, 3, new Float64Array(9)), 1e-12).pivots.length, 0, 'a zero Gram matrix has rank 0');
  });
});
