/**
 * The d ≥ LARGE_DIM paths that replace ml-matrix's SVD and EVD (ORT Newton
 * polar factor, eigenvalues-only reduction, ORT least squares with refinement,
 * subspace iteration for the PCA axes, row-major LU determinant) against the
 * ml-matrix decompositions they replace, which stay as the oracle.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { determinant } from 'ml-matrix';
import { LARGE_DIM, Linalg } from '../../src/core/backend';
import { det, toMl, multiply, polarFromSvd, svd, symEig, symEigenvalues, topEigenpairs } from '../../src/core/backend/dense';
import { matrix, transpose, type Matrix } from '../../src/core/matrix';
import { polarWithSpectrum } from '../../src/core/methods';
import { mulberry32 } from '../../src/core/pairs';
import { blockedInverse } from '../../src/core/backend/blockedLu';
import { OrtGemm } from '../../src/core/backend/ort';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());
const D = LARGE_DIM + 44;

function gaussianMatrix(rows: number, cols: number, seed: number, colScale = (j: number) => (j + 1) ** -0.75): Matrix {
  const u = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, t) => g() * colScale(t % cols)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe(`large-d linear algebra (d = ${D}) against ml-matrix`, () => {
  const x = gaussianMatrix(3 * D, D, 1);
  const m = multiply(transpose(x), gaussianMatrix(3 * D, D, 2)); // a cross-covariance with a wide spectrum

  test('polar factor by ORT Newton iterations equals the SVD polar factor, and so do the singular values', async () => {
    const s = svd(m);
    const fast = await polarWithSpectrum(m, la);
    assert.ok(maxAbsDiff(fast.W.data, polarFromSvd(s).data) < 1e-10, `W differs by ${maxAbsDiff(fast.W.data, polarFromSvd(s).data)}`);
    for (let i = 0; i < D; i++) assert.ok(Math.abs(fast.singularValues[i] - s.S[i]) <= 1e-10 * s.S[0], `σ${i}`);
  });

  test('rectangular: CholeskyQR2 then Newton equals the SVD polar factor, tall and wide', async () => {
    const tall = multiply(transpose(gaussianMatrix(3 * D, D + 30, 11)), gaussianMatrix(3 * D, D, 12)); // (D+30)×D
    for (const m of [tall, transpose(tall)]) {
      const s = svd(m);
      const fast = await polarWithSpectrum(m, la);
      assert.equal(fast.W.rows, m.rows);
      assert.equal(fast.W.cols, m.cols);
      assert.ok(maxAbsDiff(fast.W.data, polarFromSvd(s).data) < 1e-10, `W differs by ${maxAbsDiff(fast.W.data, polarFromSvd(s).data)}`);
      for (let i = 0; i < s.S.length; i++) assert.ok(Math.abs(fast.singularValues[i] - s.S[i]) <= 1e-10 * s.S[0], `σ${i}`);
    }
    const rankDeficient = multiply(gaussianMatrix(D + 30, 20, 13), gaussianMatrix(20, D, 14));
    assert.equal(await la.choleskyQr2(rankDeficient), undefined, 'a rank-deficient matrix is left to the SVD');
  });

  test('a singular cross-covariance falls back to the SVD', async () => {
    const low = multiply(gaussianMatrix(D, 40, 3), gaussianMatrix(40, D, 4)); // rank 40
    assert.equal(await la.polar(low), undefined);
    const fast = await polarWithSpectrum(low, la);
    assert.ok(maxAbsDiff(fast.W.data, polarFromSvd(svd(low)).data) < 1e-12);
  });

  test('full-rank least squares through the ORT inverse equals the SVD solution', async () => {
    const y = gaussianMatrix(3 * D, D - 10, 5);
    const fast = await la.lstsq(x, y);
    const ref = await la.lstsq(x, y, { solver: 'svd' });
    const scale = Math.max(...Array.from(ref.W.data, Math.abs));
    assert.equal(fast.rank, D);
    assert.ok(maxAbsDiff(fast.W.data, ref.W.data) < 1e-10 * scale, `W differs by ${maxAbsDiff(fast.W.data, ref.W.data) / scale} relative`);
    for (let i = 0; i < D; i++) assert.ok(Math.abs(fast.singularValues[i] - ref.singularValues[i]) <= 1e-8 * ref.singularValues[0], `σ${i}`);
  });

  test('eigenvalues-only reduction equals the full eigendecomposition', () => {
    const g = multiply(transpose(x), x);
    const full = symEig(g).values;
    const fast = symEigenvalues(g);
    assert.ok(maxAbsDiff(full, fast) < 1e-11 * full[0]);
    for (const n of [1, 2, 3]) {
      const small = multiply(transpose(gaussianMatrix(5, n, 7 + n)), gaussianMatrix(5, n, 7 + n));
      assert.ok(maxAbsDiff(symEig(small).values, symEigenvalues(small)) < 1e-12 * Math.max(1, symEig(small).values[0]), `n = ${n}`);
    }
  });

  test('subspace iteration finds the two leading eigenpairs', () => {
    const g = multiply(transpose(x), x);
    const full = symEig(g);
    const top = topEigenpairs(g, 2);
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(top.values[c] - full.values[c]) < 1e-10 * full.values[0], `λ${c}`);
      let dotp = 0;
      for (let i = 0; i < D; i++) dotp += top.vectors.data[i * 2 + c] * full.vectors.data[i * D + c];
      // the values converge quadratically, the vectors linearly: plenty for the axes of a chart
      assert.ok(Math.abs(Math.abs(dotp) - 1) < 1e-6, `axis ${c}: |cos| = ${Math.abs(dotp)}`);
    }
  });

  test('row-major LU determinant equals ml-matrix', () => {
    const small = gaussianMatrix(40, 40, 6, () => 1);
    const ref = determinant(toMl(small));
    assert.ok(Math.abs(det(small) - ref) <= 1e-9 * Math.abs(ref));
    const q = polarFromSvd(svd(m));
    assert.ok(Math.abs(Math.abs(det(q)) - 1) < 1e-10);
    assert.equal(Math.sign(det(q)), Math.sign(determinant(toMl(q))));
  });

  test('blocked LU determinant (ORT trailing updates) equals the row-major one: random, orthogonal, pivoting, singular', async () => {
    const random = gaussianMatrix(D, D, 7, () => 1);
    const q = polarFromSvd(svd(m));
    // a row permutation of the identity with a few sign flips: every pivot needs a swap
    const perm = matrix(D, D, new Float64Array(D * D));
    for (let i = 0; i < D; i++) perm.data[i * D + ((i * 7 + 3) % D)] = i % 5 === 0 ? -1 : 1;
    const singular = matrix(D, D, Float64Array.from(random.data));
    for (let j = 0; j < D; j++) singular.data[(D - 1) * D + j] = 2 * singular.data[j] - singular.data[D + j];
    for (const [name, a] of [['random', random], ['orthogonal', q], ['permutation', perm]] as const) {
      const ref = det(a);
      const got = await la.det(a, 0);
      assert.ok(Math.abs(got - ref) <= 1e-9 * Math.abs(ref), `${name}: ${got} vs ${ref}`);
      assert.equal(Math.sign(got), Math.sign(ref), name);
    }
    assert.ok(Math.abs(await la.det(singular, 0)) <= 1e-6 * Math.abs(det(random)), 'a singular matrix has a negligible determinant');
  });

  test('blocked inverse (ORT GEMM block substitutions) gives A·A⁻¹ = I like ORT\'s Inverse: random, orthogonal, pivoting', async () => {
    const gemm = new OrtGemm({ threads: 1 });
    try {
      const perm = matrix(D, D, new Float64Array(D * D));
      for (let i = 0; i < D; i++) perm.data[i * D + ((i * 7 + 3) % D)] = i % 5 === 0 ? -1 : 2;
      for (const [name, a] of [['random', gaussianMatrix(D, D, 8, () => 1)], ['orthogonal', polarFromSvd(svd(m))], ['scaled permutation', perm]] as const) {
        const inv = await blockedInverse(a, gemm);
        assert.ok(inv, name);
        const product = await gemm.matmul(a, inv);
        let residual = 0;
        for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) residual = Math.max(residual, Math.abs(product.data[i * D + j] - (i === j ? 1 : 0)));
        assert.ok(residual < 1e-11, `${name}: ‖A·A⁻¹ − I‖max = ${residual}`);
        const reference = await gemm.inverse(a);
        const scale = maxAbsDiff(reference.data, new Float64Array(reference.data.length));
        assert.ok(maxAbsDiff(inv.data, reference.data) < 1e-10 * scale, `${name}: differs from ORT's Inverse`);
      }
      const singular = matrix(D, D, new Float64Array(D * D));
      for (let i = 0; i < D - 1; i++) singular.data[i * D + i] = 1;
      assert.equal(await blockedInverse(singular, gemm), undefined, 'a singular matrix has no inverse');
    } finally {
      await gemm.dispose();
    }
  });
});
