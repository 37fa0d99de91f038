/**
 * The d ≥ LARGE_DIM paths that replace ml-matrix's SVD and EVD (ORT Newton
 * polar factor, eigenvalues-only reduction, ORT least squares with refinement,
 * subspace iteration for the PCA axes, row-major LU determinant) against the
 * ml-matrix decompositions they replace, which stay as the oracle.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { determinant } from 'ml-matrix';
import { directLeastSquares, LARGE_DIM, Linalg, POLAR_WITHOUT_SVD_FROM } from '../../src/core/backend';
import { cholesky, det, orthonormalColumns, pivotedCholesky, toMl, multiply, polarFromSvd, svd, symEig, symEigenvalues, topEigenpairs } from '../../src/core/backend/dense';
import { identity, matrix, padSquare, transpose, type Matrix } from '../../src/core/matrix';
import { fitMethod, polarWithSpectrum } from '../../src/core/methods';
import { prepareAnchors } from '../../src/core/translator';
import { polarSpectrum, singularFreeDirections } from '../../src/core/freeDirections';
import { polarNewton, startVector } from '../../src/core/backend/polar';
import { mulberry32 } from '../../src/core/pairs';
import { blockedInverse, blockedLu, upperTriangularInverse } from '../../src/core/backend/blockedLu';
import { blockedCholesky, blockedPivotedCholesky } from '../../src/core/backend/blockedCholesky';
import { OrtGemm } from '../../src/core/backend/ort';
import { BANDWIDTH, symEigenvaluesTwoStage } from '../../src/core/backend/bandReduction';
import { TWO_STAGE_EIGENVALUES_FROM } from '../../src/core/backend/limits';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());
const D = LARGE_DIM + 44;

function gaussianMatrix(rows: number, cols: number, seed: number, colScale = (j: number) => (j + 1) ** -0.75): Matrix {
  const u = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, t) => g() * colScale(t % cols)));
}

/** A random symmetric matrix, entries uniform in (−½, ½). */
function randomSymmetric(n: number, seed: number): Matrix {
  const u = mulberry32(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = u() - 0.5;
  return matrix(n, n, a);
}

/** Q·diag(values)·Qᵀ with Q a random orthogonal matrix: a symmetric matrix with exactly these eigenvalues. */
function withEigenvalues(values: number[], seed: number): Matrix {
  const n = values.length;
  const q = polarFromSvd(svd(gaussianMatrix(n, n, seed, () => 1)));
  const qd = matrix(n, n, Float64Array.from(q.data, (v, t) => v * values[t % n]));
  const a = multiply(qd, transpose(q));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a.data[j * n + i] = a.data[i * n + j];
  return a;
}

/** max |a − b| over the spectrum's scale, max |λ| of the reference. */
function spectrumError(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  assert.equal(got.length, ref.length);
  const scale = Math.max(...Array.from(ref, Math.abs), Number.MIN_VALUE);
  return maxAbsDiff(ref, got) / scale;
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

  test('Newton polar factor of ill-conditioned matrices: the scaling keeps the steps few and the factor exact', async () => {
    const u = polarFromSvd(svd(gaussianMatrix(D, D, 21, () => 1)));
    const v = polarFromSvd(svd(gaussianMatrix(D, D, 22, () => 1)));
    const gemm = new OrtGemm({ threads: 1 });
    try {
      // [condition number, Newton steps the Byers–Xu ranges predict before Newton–Schulz is cheaper, all steps]
      for (const [kappa, newton, total] of [[1e3, 3, 7], [1e6, 3, 9], [1e9, 4, 9]] as const) {
        // singular values log-spaced from 1 down to 1/κ, one extra isolated at the bottom
        const values = Array.from({ length: D }, (_, i) => (i === D - 1 ? 1 / kappa : kappa ** (-i / (D - 1) / 2)));
        const m = multiply(matrix(D, D, Float64Array.from(u.data, (x, t) => x * values[t % D])), transpose(v));
        const ref = polarFromSvd(svd(m));
        const polar = (await la.polar(m))!;
        assert.ok(polar, `κ = ${kappa}: Newton applies`);
        assert.ok(polar.newtonSteps <= newton, `κ = ${kappa}: ${polar.newtonSteps} Newton steps, at most ${newton} expected`);
        assert.ok(polar.newtonSteps + polar.schulzSteps <= total, `κ = ${kappa}: ${polar.newtonSteps} + ${polar.schulzSteps} steps, at most ${total} expected`);
        // either end of the switch: Newton–Schulz as soon as the range allows it, or Newton to the end
        const early = (await polarNewton(m, gemm, { newtonCost: 100 }))!;
        const late = (await polarNewton(m, gemm, { newtonCost: 0 }))!;
        assert.ok(early.newtonSteps < late.newtonSteps, `κ = ${kappa}: ${early.newtonSteps} Newton steps when they cost 100, ${late.newtonSteps} when free`);
        for (const [name, r] of [['default', polar.R], ['early switch', early.R], ['late switch', late.R]] as const) {
          // the factor's sensitivity grows with κ (‖ΔR‖ ≲ 2‖ΔM‖/(σ_d + σ_{d−1})): compare at ε·κ
          const diff = maxAbsDiff(r.data, ref.data);
          assert.ok(diff < 1e-12 * Math.max(1, kappa / 1e3), `κ = ${kappa}, ${name}: R differs from the SVD's by ${diff}`);
          const gram = multiply(transpose(r), r);
          let off = 0;
          for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) off = Math.max(off, Math.abs(gram.data[i * D + j] - (i === j ? 1 : 0)));
          assert.ok(off < 1e-13, `κ = ${kappa}, ${name}: ‖RᵀR − I‖max = ${off}`);
        }
      }
    } finally {
      await gemm.dispose();
    }
  });

  test('a top singular direction the power iterations cannot see: the spectrum check rejects the wrong factor and the SVD answers', async () => {
    // M = U·diag(2, 1 … 1e-4)·Vᵀ with v₁ orthogonal to the power iterations' start vector:
    // every estimate of ‖X‖₂ misses σ₁, the predicted range is too narrow, and a scaled
    // Newton–Schulz step can push σ₁ past √3 (it then converges to −1 in that direction)
    const start = startVector(D).data;
    const norm = Math.hypot(...start);
    const g = gaussianMatrix(D, D, 41, () => 1);
    let dot = 0;
    for (let i = 0; i < D; i++) dot += g.data[i * D] * start[i];
    for (let i = 0; i < D; i++) g.data[i * D] -= (dot * start[i]) / norm ** 2;
    // Q of a QR factorisation (Gram–Schmidt twice, for orthogonality to rounding): Q's first column is g's
    orthonormalColumns(g.data as Float64Array, D, D);
    orthonormalColumns(g.data as Float64Array, D, D);
    const v = g;
    let along = 0;
    for (let i = 0; i < D; i++) along += v.data[i * D] * start[i];
    assert.ok(Math.abs(along) < 1e-12 * norm, 'v₁ ⟂ the start vector');
    const u = polarFromSvd(svd(gaussianMatrix(D, D, 42, () => 1)));
    const values = Array.from({ length: D }, (_, i) => (i === 0 ? 2 : 10 ** ((-4 * (i - 1)) / (D - 2))));
    const m = multiply(matrix(D, D, Float64Array.from(u.data, (x, t) => x * values[t % D])), transpose(v));
    const ref = polarFromSvd(svd(m));
    const fit = await polarWithSpectrum(m, la);
    assert.ok(maxAbsDiff(fit.W.data, ref.data) < 1e-10, `W differs from the SVD's by ${maxAbsDiff(fit.W.data, ref.data)}`);
    assert.ok(Math.abs(fit.singularValues[0] - 2) < 1e-10, `σ₁ = ${fit.singularValues[0]}`);
    // the check itself: the true factor passes, the factor with v₁'s sign flipped does not
    assert.ok(await polarSpectrum(ref, m, la));
    const flipped = multiply(matrix(D, D, Float64Array.from(u.data, (x, t) => (t % D === 0 ? -x : x))), transpose(v));
    assert.equal(await polarSpectrum(flipped, m, la), undefined);
  });

  test('the polar factor carries det(R) = sign(det(M)) from its first LU (d ≥ 512), for rotations and reflections', async () => {
    const d = 520;
    const gemm = new OrtGemm({ threads: 1 });
    const base = multiply(transpose(gaussianMatrix(2 * d, d, 31)), gaussianMatrix(2 * d, d, 32));
    const flipped = matrix(d, d, Float64Array.from(base.data, (v, t) => (t < d ? -v : v))); // one row negated: the other sign
    const signs = new Set<number>();
    try {
      for (const m of [base, flipped]) {
        const polar = (await la.polar(m))!;
        const exact = await la.det(polar.R);
        assert.ok(Math.abs(Math.abs(exact) - 1) < 1e-10, `|det R| = ${Math.abs(exact)}`);
        assert.equal(polar.determinantSign, Math.sign(exact));
        assert.equal(polar.determinantSign, (await blockedLu(m, gemm))!.det.sign, 'sign(det M)');
        signs.add(polar.determinantSign!);
      }
    } finally {
      await gemm.dispose();
    }
    assert.equal(signs.size, 2, 'one rotation and one reflection');
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

  test('a singular cross-covariance: Procrustes-optimal, identity-nearest on its null spaces, with the SVD\'s singular values', async () => {
    const low = multiply(gaussianMatrix(D, 40, 3), gaussianMatrix(40, D, 4)); // rank 40
    assert.equal(await la.polar(low), undefined, 'Newton refuses it');
    const fast = await polarWithSpectrum(low, la);
    const s = svd(low);
    assert.ok(maxAbsDiff(multiply(transpose(fast.W), fast.W).data, identity(D).data) < 1e-12, 'orthogonal');
    const nuclear = (m: Matrix) => svd(m).S.reduce((a, b) => a + b, 0);
    const inner = (a: Matrix, b: Matrix) => {
      let t = 0;
      for (let i = 0; i < a.data.length; i++) t += a.data[i] * b.data[i];
      return t;
    };
    assert.ok(Math.abs(inner(fast.W, low) - nuclear(low)) <= 1e-10 * nuclear(low), '⟨W, M⟩ = ‖M‖*');
    const free = (await singularFreeDirections(low, la))!;
    assert.equal(free.rank, 40);
    assert.ok(Math.abs(inner(fast.W, free.F) - nuclear(free.F)) <= 1e-9 * nuclear(free.F), '⟨W, F⟩ = ‖F‖*: nearest the identity where M leaves it free');
    for (let i = 0; i < D; i++) assert.ok(Math.abs(fast.singularValues[i] - s.S[i]) <= 1e-10 * s.S[0], `σ${i}`);
    // below POLAR_WITHOUT_SVD_FROM the SVD answers, as it always did
    const small = multiply(gaussianMatrix(40, 10, 5), gaussianMatrix(10, 40, 6));
    assert.ok(maxAbsDiff((await polarWithSpectrum(small, la)).W.data, polarFromSvd(svd(small)).data) < 1e-12);
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

  describe('two-stage eigenvalues (dense → band in ORT GEMMs, bulge chasing, QL) equal the one-stage ones and ml-matrix', () => {
    const gemm = new OrtGemm({ threads: 1 });
    after(() => gemm.dispose());

    test(`random symmetric, Gram and cross-covariance matrices, sizes not multiples of b = ${BANDWIDTH}`, async () => {
      const cases: [string, Matrix][] = [
        ['random 300', randomSymmetric(300, 21)],
        ['Gram 257', multiply(transpose(gaussianMatrix(400, 257, 22)), gaussianMatrix(400, 257, 22))],
        ['Gram ' + D, multiply(transpose(x), x)],
        ['indefinite H = Mᵀ + M', matrix(D, D, Float64Array.from(m.data, (v, t) => v + m.data[(t % D) * D + Math.floor(t / D)]))],
      ];
      for (const [name, a] of cases) {
        const err = spectrumError(symEig(a).values, await symEigenvaluesTwoStage(a, gemm));
        assert.ok(err < 1e-12, `${name}: ${err}`);
      }
    });

    test('d = 1000 equals the one-stage reduction', async () => {
      const g = gaussianMatrix(1100, 1000, 23);
      const a = await gemm.crossprod(g, g);
      const err = spectrumError(symEigenvalues(a), await symEigenvaluesTwoStage(a, gemm));
      assert.ok(err < 1e-12, `${err}`);
    });

    test('repeated and clustered eigenvalues, and a rank-deficient Gram matrix', async () => {
      const n = 300;
      // blocks of equal values, a tight cluster, a few negative
      const values = Array.from({ length: n }, (_, i) => (i < 100 ? 5 : i < 200 ? 1 + i * 1e-10 : i < 290 ? -2 : i - 289));
      const a = withEigenvalues(values, 24);
      const exact = Float64Array.from(values).sort().reverse();
      assert.ok(spectrumError(exact, await symEigenvaluesTwoStage(a, gemm)) < 1e-12, 'clustered');
      const low = multiply(transpose(gaussianMatrix(20, 280, 25)), gaussianMatrix(20, 280, 25)); // rank 20
      const ref = symEig(low).values;
      const got = await symEigenvaluesTwoStage(low, gemm);
      assert.ok(spectrumError(ref, got) < 1e-12, `rank 20: ${spectrumError(ref, got)}`);
      for (let i = 20; i < 280; i++) assert.ok(Math.abs(got[i]) < 1e-12 * got[0], `λ${i} = ${got[i]} is not zero`);
    });

    test('diagonal, zero and already-banded matrices (reflectors that are the identity)', async () => {
      const n = 270;
      const diag = matrix(n, n, new Float64Array(n * n));
      for (let i = 0; i < n; i++) diag.data[i * n + i] = Math.sin(i * 1.7) * 10;
      assert.deepEqual(await symEigenvaluesTwoStage(diag, gemm), Float64Array.from(diag.data.filter((_, t) => t % (n + 1) === 0)).sort().reverse());
      assert.deepEqual(await symEigenvaluesTwoStage(matrix(n, n, new Float64Array(n * n)), gemm), new Float64Array(n));
      const banded = randomSymmetric(n, 26);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (Math.abs(i - j) > 5) banded.data[i * n + j] = 0;
      assert.ok(spectrumError(symEig(banded).values, await symEigenvaluesTwoStage(banded, gemm)) < 1e-12);
    });

    test('entries near overflow or underflow: scaled by a power of two first', async () => {
      const a = randomSymmetric(270, 31);
      const ref = symEigenvalues(a);
      for (const f of [1e200, 1e-200]) {
        const scaled = matrix(270, 270, Float64Array.from(a.data, (x) => x * f));
        const got = await symEigenvaluesTwoStage(scaled, gemm);
        assert.ok(spectrumError(Float64Array.from(ref, (x) => x * f), got) < 1e-12, `× ${f}`);
      }
    });

    test('reads the lower triangle only, like symEigenvalues', async () => {
      const a = randomSymmetric(260, 27);
      const ref = symEigenvalues(a);
      for (let i = 0; i < 260; i++) for (let j = i + 1; j < 260; j++) a.data[i * 260 + j] = 1e3;
      assert.ok(spectrumError(ref, await symEigenvaluesTwoStage(a, gemm)) < 1e-12);
    });

    test('small bandwidths and groups: every panel, group and chase boundary, n from 2 to 41', async () => {
      for (const b of [1, 2, 3, 5, 8]) {
        for (const group of [1, 2, 3]) {
          for (const n of [2, 3, 4, 7, 9, 16, 17, 25, 41]) {
            const a = randomSymmetric(n, 100 * b + n);
            const err = spectrumError(symEig(a).values, await symEigenvaluesTwoStage(a, gemm, b, group));
            assert.ok(err < 1e-12, `b = ${b}, group = ${group}, n = ${n}: ${err}`);
          }
        }
      }
    });

    test(`d ≤ b + 1 falls back to the one-stage reduction; Linalg switches at ${TWO_STAGE_EIGENVALUES_FROM}`, async () => {
      for (const n of [1, 2, 3, 10, BANDWIDTH + 1]) {
        const a = randomSymmetric(n, 28 + n);
        assert.deepEqual(await symEigenvaluesTwoStage(a, gemm), symEigenvalues(a), `n = ${n}`);
      }
      const below = randomSymmetric(TWO_STAGE_EIGENVALUES_FROM - 1, 29);
      assert.deepEqual(await la.symEigenvalues(below), symEigenvalues(below));
      const at = randomSymmetric(TWO_STAGE_EIGENVALUES_FROM, 30);
      assert.ok(spectrumError(symEigenvalues(at), await la.symEigenvalues(at)) < 1e-12);
    });
  });

  test('subspace iteration finds the two leading eigenpairs, with products in JS or ORT', async () => {
    const g = multiply(transpose(x), x);
    const full = symEig(g);
    for (const top of [await topEigenpairs(g, 2), await la.topEigenpairs(g, 2)]) {
      for (let c = 0; c < 2; c++) {
        assert.ok(Math.abs(top.values[c] - full.values[c]) < 1e-10 * full.values[0], `λ${c}`);
        let dotp = 0;
        for (let i = 0; i < D; i++) dotp += top.vectors.data[i * 2 + c] * full.vectors.data[i * D + c];
        // the values converge quadratically, the vectors linearly: plenty for the axes of a chart
        assert.ok(Math.abs(Math.abs(dotp) - 1) < 1e-6, `axis ${c}: |cos| = ${Math.abs(dotp)}`);
      }
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

  test('blocked Cholesky (panels in JS, trailing updates as ORT GEMMs) equals the row-by-row one; R⁻¹ by halves inverts R', async () => {
    const gemm = new OrtGemm({ threads: 1 });
    try {
      const cases: [number, number | undefined][] = [[1, undefined], [50, 7], [95, undefined], [96, undefined], [97, undefined], [D, undefined], [D, 33]];
      for (const [n, panel] of cases) {
        const x = gaussianMatrix(2 * n + 3, n, 40 + n);
        const g = multiply(transpose(x), x);
        const ref = cholesky(g)!;
        const got = await blockedCholesky(g, gemm, panel);
        assert.ok(got, `n = ${n}: positive definite`);
        const scale = Math.max(...Array.from(ref.data, Math.abs));
        assert.ok(maxAbsDiff(got.data, ref.data) < 1e-12 * scale, `n = ${n}, panel ${panel}: R differs by ${maxAbsDiff(got.data, ref.data) / scale}`);
        for (const leaf of [undefined, 5]) {
          const inv = await upperTriangularInverse(got, gemm, leaf);
          const product = multiply(got, inv);
          let residual = 0;
          let below = 0;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              residual = Math.max(residual, Math.abs(product.data[i * n + j] - (i === j ? 1 : 0)));
              if (j < i) below = Math.max(below, Math.abs(inv.data[i * n + j]));
            }
          }
          assert.ok(residual < 1e-12, `n = ${n}, leaf ${leaf}: ‖R·R⁻¹ − I‖max = ${residual}`);
          assert.equal(below, 0, 'R⁻¹ is upper triangular');
        }
      }
      // not positive definite: an indefinite matrix, and a Gram matrix of rank n − 1
      const indefinite = randomSymmetric(D, 44);
      assert.equal(await blockedCholesky(indefinite, gemm), undefined);
      const low = gaussianMatrix(D - 1, D, 45);
      assert.equal(await blockedCholesky(multiply(transpose(low), low), gemm), undefined);
    } finally {
      await gemm.dispose();
    }
  });

  test('Gram matrices by symmetric blocks equal the plain GEMM; a fused Newton–Schulz step equals its two GEMMs', async () => {
    const gemm = new OrtGemm({ threads: 1 });
    try {
      // below the split, at it, odd widths whose halves are not multiples of 32, fewer rows than columns
      for (const [rows, cols] of [[40, 300], [600, 512], [700, 613], [50, 1000]]) {
        const a = gaussianMatrix(rows, cols, rows + cols);
        const got = await gemm.gram(a);
        const ref = await gemm.crossprod(a, a);
        assert.equal(got.rows, cols);
        assert.equal(got.cols, cols);
        const scale = maxAbsDiff(ref.data, new Float64Array(ref.data.length));
        assert.ok(maxAbsDiff(got.data, ref.data) <= 1e-14 * scale, `${rows}×${cols}: differs by ${maxAbsDiff(got.data, ref.data) / scale}`);
        let asymmetry = 0;
        for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) asymmetry = Math.max(asymmetry, Math.abs(got.data[i * cols + j] - got.data[j * cols + i]));
        if (cols >= 512) assert.equal(asymmetry, 0, 'exactly symmetric');
      }
      // down to widths whose column halves are empty (d = 1, 2)
      for (const d of [1, 2, 5, 40, 300, 613]) {
        const x = polarFromSvd(svd(gaussianMatrix(d, d, d, () => 1)));
        for (let t = 0; t < x.data.length; t++) x.data[t] *= 1 + 0.1 * Math.sin(t); // near-orthogonal
        const g = multiply(transpose(x), x);
        const p = matrix(d, d, Float64Array.from(g.data, (v, t) => -0.5 * v + (t % (d + 1) === 0 ? 1.5 : 0)));
        const ref = multiply(x, p);
        const step = await gemm.schulzStep(x);
        assert.ok(maxAbsDiff(step.y.data, ref.data) < 1e-13, `d = ${d}: Y differs by ${maxAbsDiff(step.y.data, ref.data)}`);
        let off = 0;
        let diff = 0;
        let norm = 0;
        for (let t = 0; t < g.data.length; t++) {
          off += (g.data[t] - (t % (d + 1) === 0 ? 1 : 0)) ** 2;
          diff += (ref.data[t] - x.data[t]) ** 2;
          norm += ref.data[t] ** 2;
        }
        assert.ok(Math.abs(step.offIdentity - Math.sqrt(off)) <= 1e-12 * Math.sqrt(off) + 1e-15, `‖I − XᵀX‖_F ${step.offIdentity} vs ${Math.sqrt(off)}`);
        assert.ok(Math.abs(step.change - Math.sqrt(diff / norm)) <= 1e-12 * Math.sqrt(diff / norm) + 1e-15, 'relative change');
      }
    } finally {
      await gemm.dispose();
    }
  });

  test('blocked pivoted Cholesky (a GEMM update per panel) picks the pivots of the unblocked one and factors their Gram matrix', async () => {
    const gemm = new OrtGemm({ threads: 1 });
    try {
      // [rows, rank, panel]: full rank, a rank reached mid-panel, exactly at a panel's end, centred rows (rank n − 1)
      const cases: [number, number, number | undefined][] = [[50, 50, 7], [60, 23, 7], [60, 21, 7], [D, D - 1, undefined], [D, 40, 16]];
      for (const [n, rank, panel] of cases) {
        const b = gaussianMatrix(n, rank, 60 + n + rank);
        if (rank === n - 1) {
          // rows summing to zero
          for (let j = 0; j < rank; j++) {
            let s = 0;
            for (let i = 0; i < n - 1; i++) s += b.data[i * rank + j];
            b.data[(n - 1) * rank + j] = -s;
          }
        }
        const g = multiply(b, transpose(b));
        const tol = 4 * 2.2e-16 * n;
        const ref = pivotedCholesky(g, tol);
        const got = await blockedPivotedCholesky(g, tol, gemm, panel);
        assert.equal(got.pivots.length, rank, `n = ${n}, rank ${rank}, panel ${panel}: rank found`);
        // centred rows leave the last two candidates tied exactly (their Schur complement is a·[[1, −1], [−1, 1]]): rounding picks one
        const same = rank === n - 1 ? rank - 1 : rank;
        assert.deepEqual(Array.from(got.pivots.subarray(0, same)), Array.from(ref.pivots.subarray(0, same)), 'the same pivots');
        const leading = (l: Matrix) => Float64Array.from({ length: same * same }, (_, t) => l.data[Math.floor(t / same) * rank + (t % same)]);
        const scale = Math.max(...Array.from(ref.L.data, Math.abs));
        const diff = maxAbsDiff(leading(got.L), leading(ref.L));
        assert.ok(diff < 1e-12 * scale, `L differs by ${diff / scale}`);
        const llt = multiply(got.L, transpose(got.L));
        const gp = matrix(rank, rank, Float64Array.from({ length: rank * rank }, (_, t) => g.data[got.pivots[Math.floor(t / rank)] * n + got.pivots[t % rank]]));
        assert.ok(maxAbsDiff(llt.data, gp.data) < 1e-11 * scale * scale, 'L·Lᵀ = G[p, p]');
      }
      assert.equal((await blockedPivotedCholesky(matrix(D, D, new Float64Array(D * D)), 1e-12, gemm)).pivots.length, 0, 'a zero matrix has rank 0');
    } finally {
      await gemm.dispose();
    }
  });
});

describe('moderate sizes without ml-matrix\'s SVD (seconds at a few hundred dimensions)', () => {
  /** Kabsch by the SVD, as fitRotation computes it at small d: the oracle. */
  function kabsch(m: Matrix): Matrix {
    const s = svd(m);
    const r = polarFromSvd(s);
    if (det(r) > 0) return r;
    const d = m.rows;
    for (let i = 0; i < d; i++) s.U.data[i * d + d - 1] *= -1;
    return polarFromSvd(s);
  }

  /** A random orthogonal d×d matrix with the given determinant. */
  function orthogonal(d: number, sign: 1 | -1, seed: number): Matrix {
    const q = polarFromSvd(svd(gaussianMatrix(d, d, seed, () => 1)));
    if (Math.sign(det(q)) !== sign) for (let i = 0; i < d; i++) q.data[i * d] *= -1;
    return q;
  }

  for (const d of [POLAR_WITHOUT_SVD_FROM + 10, D]) {
    test(`rotation (Kabsch) from the polar factor equals the SVD's at d = ${d}: a reflection flipped along the smallest singular direction, a rotation left alone`, async () => {
      const x = gaussianMatrix(2 * d, d, 40 + d);
      for (const sign of [-1, 1] as const) {
        const noise = gaussianMatrix(2 * d, d, 41 + d, () => 0.01);
        const y = multiply(x, orthogonal(d, sign, 42 + d));
        for (let k = 0; k < y.data.length; k++) y.data[k] += noise.data[k];
        const { products } = prepareAnchors(x, y, 'none', la);
        const m = await products.crossCovariance();
        assert.equal(Math.sign(det(polarFromSvd(svd(m)))), sign, 'the data: M keeps the orientation of the map it came from');
        const ref = kabsch(m);
        const fit = await fitMethod('rotation', products, la);
        assert.ok(maxAbsDiff(fit.W.data, ref.data) < 1e-10, `sign ${sign}: W differs by ${maxAbsDiff(fit.W.data, ref.data)}`);
        assert.equal(fit.reflectionFixed, sign < 0);
        assert.ok(Math.abs(fit.determinant! - 1) < 1e-10 && Math.abs(det(fit.W) - 1) < 1e-10, `det ${fit.determinant}, ${det(fit.W)}`);
        if (sign > 0) assert.deepEqual(fit.W.data, (await fitMethod('ortho', products, la)).W.data, 'no reflection: the ortho map itself');
      }
    });
  }

  test('rotation with unequal dims is the ortho map (the reflection hides in the padded directions)', async () => {
    const d = POLAR_WITHOUT_SVD_FROM + 10;
    const { products } = prepareAnchors(gaussianMatrix(3 * d, d, 50), gaussianMatrix(3 * d, d - 7, 51), 'standard', la);
    const rotation = await fitMethod('rotation', products, la);
    const padded = kabsch(padSquare(await products.crossCovariance(), d));
    for (let i = 0; i < d; i++) for (let j = 0; j < d - 7; j++) assert.ok(Math.abs(rotation.W.data[i * (d - 7) + j] - padded.data[i * d + j]) < 1e-10);
    assert.deepEqual(rotation.W.data, (await fitMethod('ortho', products, la)).W.data);
    assert.equal(rotation.reflectionFixed, false);
  });

  test('smallest eigenvector by shifted inverse iteration: a clear gap, a tight one, and a repeated smallest eigenvalue', async () => {
    const d = 90;
    for (const [label, low] of [['gap', [0.5, 2]], ['tight', [1, 1 + 1e-9]], ['repeated', [0, 0]]] as const) {
      const values = [...Array.from({ length: d - 2 }, (_, i) => 3 + i), low[1], low[0]];
      const q = orthogonal(d, 1, 60);
      const h = multiply(matrix(d, d, Float64Array.from(q.data, (v, t) => v * values[t % d])), transpose(q));
      for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h.data[j * d + i] = h.data[i * d + j];
      const v = (await la.smallestEigenvector(h, values))!;
      // its component outside the eigenspace of the smallest eigenvalue(s)
      const inside = label === 'gap' ? [d - 1] : [d - 2, d - 1];
      let outside = 0;
      for (let c = 0; c < d; c++) {
        if (inside.includes(c)) continue;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q.data[i * d + c] * v[i];
        outside = Math.max(outside, Math.abs(dot));
      }
      assert.ok(outside < 1e-12, `${label}: ${outside} outside the eigenspace`);
      if (label === 'gap') {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q.data[i * d + d - 1] * v[i];
        assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-13);
      }
    }
  });

  test('least squares past directLeastSquares (once the direct SVD) takes the Gram route and equals the SVD solution, full rank or not', async () => {
    for (const [n, d] of [[500, 120], [130, 200]] as const) {
      assert.ok(!directLeastSquares(n, d));
      const x = gaussianMatrix(n, d, 70);
      // two repeated columns: rank d − 2 (tall) or n (wide)
      for (let i = 0; i < n; i++) for (const [to, from] of [[d - 1, 0], [d - 2, 1]]) x.data[i * d + to] = x.data[i * d + from];
      const y = gaussianMatrix(n, 30, 71);
      const fast = await la.lstsq(x, y);
      const ref = await la.lstsq(x, y, { solver: 'svd' });
      const scale = Math.max(...Array.from(ref.W.data, Math.abs));
      assert.equal(fast.rank, ref.rank, `${n}×${d}: rank`);
      assert.ok(maxAbsDiff(fast.W.data, ref.W.data) < 1e-9 * scale, `${n}×${d}: W differs by ${maxAbsDiff(fast.W.data, ref.W.data) / scale} relative`);
    }
    assert.ok(directLeastSquares(100, 64) && !directLeastSquares(500, 384), 'the boundary: ~30 ms of SVD');
  });
});
