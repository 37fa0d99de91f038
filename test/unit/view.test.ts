/**
 * The panel's PCA chart (view.ts) against a full eigendecomposition of the held-out
 * targets' covariance, below and above the dimension from which its axes come from
 * subspace iteration with ORT products.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runJob } from '../../src/core/jobs';
import { writeNpy } from '../../src/core/io';
import { symEig } from '../../src/core/backend/dense';
import { PCA_BY_SUBSPACE_ITERATION_FROM } from '../../src/core/backend/limits';
import { matrix, type Matrix } from '../../src/core/matrix';
import { mulberry32 } from '../../src/core/pairs';

let work: string;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lt-view-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function gaussian(rows: number, cols: number, seed: number, scale: (j: number) => number): Matrix {
  const u = mulberry32(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, (_, t) => g() * scale(t % cols)));
}

describe('view: PCA chart', () => {
  for (const d of [PCA_BY_SUBSPACE_ITERATION_FROM - 24, PCA_BY_SUBSPACE_ITERATION_FROM + 36]) {
    test(`d = ${d}: explained variance and target points equal the full eigendecomposition's`, async () => {
      const n = 500;
      // decaying column scales with an offset, so that centring and the axes' order both matter
      const y = gaussian(n, d, 11 + d, (j) => (j + 1) ** -0.75);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) y.data[i * d + j] += 3 - j / d;
      const x = gaussian(n, d, 12 + d, () => 1);
      for (let t = 0; t < x.data.length; t++) x.data[t] += 0.5 * y.data[t];
      // the files hold float32 (writeNpy's dtype): the reference starts from the same values
      for (const m of [x, y]) for (let t = 0; t < m.data.length; t++) m.data[t] = Math.fround(m.data[t]);
      const source = path.join(work, `x${d}.npy`);
      const target = path.join(work, `y${d}.npy`);
      await writeNpy(source, x);
      await writeNpy(target, y);
      const { view } = await runJob({ source, target, anchorCount: 250, seed: 3, methods: ['linear'], preps: ['standard'] });
      const pca = view.charts.pca!;
      assert.equal(pca.total, n - 250);
      assert.equal(pca.sampled, n - 250);

      const rows = pca.keys.map(Number);
      const mean = new Float64Array(d);
      for (const r of rows) for (let j = 0; j < d; j++) mean[j] += y.data[r * d + j] / rows.length;
      const yc = matrix(rows.length, d, Float64Array.from({ length: rows.length * d }, (_, t) => y.data[rows[Math.floor(t / d)] * d + (t % d)] - mean[t % d]));
      const cov = new Float64Array(d * d);
      for (let i = 0; i < yc.rows; i++) for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] += yc.data[i * d + a] * yc.data[i * d + b];
      const full = symEig(matrix(d, d, cov));
      const total = full.values.reduce((s, v) => s + Math.max(v, 0), 0);
      for (let c = 0; c < 2; c++) {
        assert.ok(Math.abs(pca.explained[c] - full.values[c] / total) < 1e-10, `explained[${c}]: ${pca.explained[c]} vs ${full.values[c] / total}`);
        // the axes' signs are arbitrary: compare the projections up to one sign per axis
        let sign = 0;
        let worst = 0;
        for (let i = 0; i < rows.length; i++) {
          let p = 0;
          for (let j = 0; j < d; j++) p += yc.data[i * d + j] * full.vectors.data[j * d + c];
          sign ||= Math.sign(p * pca.target[i][c]);
          worst = Math.max(worst, Math.abs(pca.target[i][c] - sign * p));
        }
        // points are rounded to 1e-5 for view.json
        assert.ok(worst < 1e-5, `axis ${c}: largest difference ${worst}`);
      }
    });
  }
});
