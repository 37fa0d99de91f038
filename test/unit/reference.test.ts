/**
 * Every prep × method against an independent NumPy implementation
 * (scripts/golden_reference.py: real zero padding, full SVDs, gelsd), plus
 * the metric definitions against brute-force n×n NumPy code.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Linalg } from '../../src/core/backend';
import { fromRows } from '../../src/core/matrix';
import { linearCka, pairMetrics } from '../../src/core/metrics';
import type { MethodName } from '../../src/core/methods';
import type { PrepName } from '../../src/core/prep';
import { fitTranslator, prepareAnchors, translate } from '../../src/core/translator';
import { assertClose, assertNear } from '../helpers/assert';

const root = path.resolve(__dirname, '../../..');
const ref = JSON.parse(readFileSync(path.join(root, 'test/fixtures/golden/reference.json'), 'utf8'));
const la = new Linalg({ threads: 1 });
after(() => la.dispose());

const TOL = 1e-8;

describe('every prep × method matches the NumPy reference at 1e-8', () => {
  for (const c of ref.cases) {
    describe(c.name, () => {
      const X = fromRows(c.anchorsX);
      const Y = fromRows(c.anchorsY);
      const Z = fromRows(c.heldOutX);
      for (const [key, expected] of Object.entries(c.expected as Record<string, number[][]>)) {
        test(key, async () => {
          const [prep, spec] = key.split('/') as [PrepName, string];
          const [method, ridgeSpec] = spec.split('+ridge') as [MethodName, string | undefined];
          const prepared = prepareAnchors(X, Y, prep, la);
          const { translator } = await fitTranslator(prepared, { method, prep, ridge: ridgeSpec ? Number(ridgeSpec) : 0 }, la);
          // relative to the size of the outputs: the random cases have entries up to ~30
          assertClose(await translate(translator, Z, la), expected, TOL * 10, `${c.name} ${key}`);
        });
      }
    });
  }
});

describe('under-determined anchors (n < d): minimum-norm least squares', () => {
  const u = ref.underdetermined;
  for (const [prep, expected] of Object.entries(u.expected as Record<string, number[][]>)) {
    test(`${prep}/linear`, async () => {
      const prepared = prepareAnchors(fromRows(u.anchorsX), fromRows(u.anchorsY), prep as PrepName, la);
      const { translator, diagnostics } = await fitTranslator(prepared, { method: 'linear', prep: prep as PrepName }, la);
      assert.equal(diagnostics.underdetermined, true);
      assert.ok(diagnostics.warnings.some((w) => w.includes('not unique')));
      assertClose(await translate(translator, fromRows(u.heldOutX), la), expected, 1e-7, prep);
    });
  }
  test('the Gram (normal-equations) solver gives the same minimum-norm solution as the SVD solver', async () => {
    const x = fromRows(ref.cases[2].anchorsX);
    const y = fromRows(ref.cases[2].anchorsY);
    const a = await la.lstsq(x, y, { solver: 'svd' });
    const b = await la.lstsq(x, y, { solver: 'gram' });
    assert.equal(a.rank, b.rank);
    for (let i = 0; i < a.W.data.length; i++) assertNear(b.W.data[i], a.W.data[i], 1e-8, `W[${i}]`);
    const ux = fromRows(u.anchorsX);
    const uy = fromRows(u.anchorsY);
    const c = await la.lstsq(ux, uy, { solver: 'svd' });
    const d = await la.lstsq(ux, uy, { solver: 'gram' });
    assert.equal(c.rank, 4);
    assert.equal(d.rank, 4);
    for (let i = 0; i < c.W.data.length; i++) assertNear(d.W.data[i], c.W.data[i], 1e-6, `rank-deficient W[${i}]`);
  });
});

describe('metric definitions against brute-force NumPy', () => {
  test('cosine, mse, ranks, CSLS, Jaccard@10, CKA', async () => {
    const m = ref.metrics;
    const e = m.expected;
    const { metrics, perPair } = await pairMetrics(fromRows(m.translated), fromRows(m.target), la);
    for (const k of ['count', 'cosine', 'cosineMedian', 'mse', 'relativeError', 'top1', 'top5', 'top10', 'mrr', 'meanRank', 'jaccard10', 'cka'] as const) {
      assertNear(metrics[k], e[k], 1e-10, k);
    }
    assertNear(metrics.residualNorm.mean, e.residualNormMean, 1e-10, 'residual norm');
    for (const k of ['top1', 'top5', 'top10', 'mrr', 'meanRank'] as const) assertNear(metrics.csls[k], e.csls[k], 1e-10, `csls ${k}`);
    assert.deepEqual(Array.from(perPair.rank), e.rank);
    assert.deepEqual(Array.from(perPair.cslsRank), e.cslsRank);
  });

  test('linear CKA golden value of latentis (0.2815)', async () => {
    const v = await linearCka(fromRows(ref.cka.x), fromRows(ref.cka.y), la);
    assertNear(v, ref.cka.expected, 1e-12, 'cka vs numpy');
    assertNear(v, 0.2815, 1e-3, 'cka vs latentis conftest');
  });
});

describe('metric definitions on hand-computed cases', () => {
  test('perfect translation: cosine 1, mse 0, every rank 1', async () => {
    const y = fromRows([[1, 0], [0, 1], [1, 1], [-1, 2]]);
    const { metrics } = await pairMetrics(y, y, la);
    assert.equal(metrics.cosine, 1);
    assert.equal(metrics.mse, 0);
    assert.equal(metrics.top1, 1);
    assert.equal(metrics.mrr, 1);
    assert.equal(metrics.meanRank, 1);
  });

  test('ranks count strictly better targets; ties do not hurt', async () => {
    // h0 is closest to y1 (cos 1) then y0 (cos 0.8): rank 2. h1 = y1 exactly: rank 1.
    // h2 points along y2 and y0 equally (tie): rank 1.
    const y = fromRows([[1, 0], [0.6, 0.8], [1, 0]]);
    const h = fromRows([[0.6, 0.8], [0.6, 0.8], [2, 0]]);
    const { metrics, perPair } = await pairMetrics(h, y, la);
    assert.deepEqual(Array.from(perPair.rank), [2, 1, 1]);
    assertNear(metrics.top1, 2 / 3, 1e-15, 'top1');
    assertNear(metrics.mrr, (0.5 + 1 + 1) / 3, 1e-15, 'mrr');
    assertNear(metrics.cosine, (0.6 + 1 + 1) / 3, 1e-12, 'cosine');
    // mse: h0−y0 = (−0.4, 0.8), h2−y2 = (1, 0): (0.16 + 0.64 + 1) / 6
    assertNear(metrics.mse, 1.8 / 6, 1e-15, 'mse');
  });
});
