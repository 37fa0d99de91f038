/**
 * The golden vectors of method.md §1.10 (float64 NumPy re-implementation of
 * latentis) reproduced at 1e-8 for every prep × method, both padding
 * directions, and scipy's Procrustes examples.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Linalg } from '../../src/core/backend';
import { fromRows, type Matrix } from '../../src/core/matrix';
import type { MethodName } from '../../src/core/methods';
import type { PrepName } from '../../src/core/prep';
import { fitTranslator, prepareAnchors, translate } from '../../src/core/translator';
import { assertClose, assertNear } from '../helpers/assert';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());

const X = fromRows([[1, 20, 0], [0, 10, 3], [2, 0, 1], [3, 10, 1], [1, 30, 2], [2, 20, 5]]);
const Y = fromRows([[1, 0], [2, 10], [0, 20], [1, 30], [3, 10], [2, 25]]);
const Zx = fromRows([[2, 15, 2], [0, 5, 1]]);
const Zy = fromRows([[2, 15], [0, 5]]);

async function fitAndTranslate(x: Matrix, y: Matrix, z: Matrix, prep: PrepName, method: MethodName): Promise<Matrix> {
  const prepared = prepareAnchors(x, y, prep, la);
  const { translator } = await fitTranslator(prepared, { method, prep }, la);
  return translate(translator, z, la);
}

const forward: [PrepName, MethodName, number[][]][] = [
  ['standard', 'ortho', [[1.37980432, 20.12083586], [0.75573792, 1.84936937]]],
  ['standard', 'linear', [[1.38452521, 20.0332161], [0.95545135, 3.07542009]]],
  ['standard', 'l-ortho', [[1.40869511, 20.07342884], [0.63531117, 1.60594511]]],
  ['center+l2', 'ortho', [[5.80316594, 20.20680568], [-4.90123729, 22.23786253]]],
  ['center+l2', 'linear', [[-0.29013869, 58.51939603], [0.75796316, 11.42869186]]],
  ['center+l2', 'l-ortho', [[-0.84259013, 24.62259678], [-2.85807892, 14.7843532]]],
  ['none', 'ortho', [[2.88027929, 14.98196888], [1.34446336, 4.89643014]]],
  ['none', 'linear', [[1.39157109, 20.05868232], [0.62816751, 1.89250467]]],
  ['none', 'l-ortho', [[5.22063049, 2.16652326], [2.25876647, 0.21119791]]],
];

// The golden values are printed with 8 decimals, so 1e-8 is their resolution.
const TOL = 1e-8;

describe('golden vectors (method.md §1.10), target padded (3 → 2 dims)', () => {
  for (const [prep, method, expected] of forward) {
    test(`${prep} × ${method}`, async () => {
      assertClose(await fitAndTranslate(X, Y, Zx, prep, method), expected, TOL, `${prep}/${method}`);
    });
  }
});

describe('golden vectors, source padded (Y → X, 2 → 3 dims, standard scaling)', () => {
  const reverse: [MethodName, number[][]][] = [
    ['ortho', [[1.31649892, 18.81600785, 2.47285691], [1.03761675, 6.26890919, -0.59431066]]],
    ['linear', [[1.29411765, 19.02813299, 2.47826087], [1.17647059, 5.67774936, -0.47826087]]],
    ['l-ortho', [[1.31145816, 18.82238827, 2.4655322], [1.05679199, 6.12923881, -0.59025968]]],
  ];
  for (const [method, expected] of reverse) {
    test(method, async () => {
      assertClose(await fitAndTranslate(Y, X, Zy, 'standard', method), expected, TOL, `reverse/${method}`);
    });
  }
});

describe('extra golden checks', () => {
  test('standard statistics use ddof = 1', () => {
    const p = prepareAnchors(X, Y, 'standard', la);
    assertClose([p.sourcePrep.scale!], [[1.04880885, 10.48808848, 1.78885438]], 1e-8, 'std X');
    assertClose([p.targetPrep.scale!], [[1.04880885, 11.14300977]], 1e-8, 'std Y');
  });

  const A = fromRows([[-3, 3], [-2, 3], [-2, 2], [-3, 2]]);
  test('scipy exact example: standard + ortho maps A exactly onto B', async () => {
    const B = fromRows([[3, 2], [1, 0], [3, -2], [5, 0]]);
    const prepared = prepareAnchors(A, B, 'standard', la);
    const { translator } = await fitTranslator(prepared, { method: 'ortho', prep: 'standard' }, la);
    assertClose(translator.map.W, [[-0.70710678, -0.70710678], [-0.70710678, 0.70710678]], 1e-8, 'R');
    assertClose(await translate(translator, A, la), [[3, 2], [1, 0], [3, -2], [5, 0]], 1e-8, 'A→B');
  });

  test('scipy stretched example: center + similarity, and its disparity', async () => {
    const B = fromRows([[3, 40], [1, 0], [3, -40], [5, 0]]);
    const prepared = prepareAnchors(A, B, 'center', la);
    const { translator, diagnostics } = await fitTranslator(prepared, { method: 'similarity', prep: 'center' }, la);
    const approx = await translate(translator, A, la);
    assertClose(approx, [[3, 21], [-18, 0], [3, -21], [24, 0]], 1e-8, 'B_approx');
    // scipy: ‖B_approx − B‖² / ‖B − B̄‖²
    let num = 0;
    let den = 0;
    for (let i = 0; i < 8; i++) num += (approx.data[i] - B.data[i]) ** 2;
    const mean = [3, 0];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) den += (B.data[i * 2 + j] - mean[j]) ** 2;
    assertNear(num / den, 0.4501246882793018, 1e-12, 'disparity');
    assertNear(diagnostics.procrustesDisparity, 0.4501246882793018, 1e-12, 'diagnostic disparity');
  });

  test('closed-form affine equals linear after standard scaling (method.md §1.6)', async () => {
    const lin = await fitAndTranslate(X, Y, Zx, 'standard', 'linear');
    const aff = await fitAndTranslate(X, Y, Zx, 'standard', 'affine');
    assertClose(aff, [[1.38452521, 20.0332161], [0.95545135, 3.07542009]], TOL, 'affine');
    assertClose(aff, lin.data.length ? [[lin.data[0], lin.data[1]], [lin.data[2], lin.data[3]]] : [], 1e-10, 'affine vs linear');
  });

  test('rotation removes the reflection of the scipy example (det −1 → +1)', async () => {
    const prepared = prepareAnchors(A, fromRows([[3, 2], [1, 0], [3, -2], [5, 0]]), 'standard', la);
    const ortho = await fitTranslator(prepared, { method: 'ortho', prep: 'standard' }, la);
    assertNear(ortho.diagnostics.determinant!, -1, 1e-12, 'scipy example reflects');
    const rot = await fitTranslator(prepared, { method: 'rotation', prep: 'standard' }, la);
    assertNear(rot.diagnostics.determinant!, 1, 1e-12, 'rotation det');
    assert.equal(rot.diagnostics.reflectionFixed, true);
  });
});
