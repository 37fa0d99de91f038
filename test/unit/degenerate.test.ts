/**
 * Degenerate numerics: every method × pre-processing on anchors that are
 * constant, duplicated, rank-deficient, fewer than the dimensions, zero, nearly
 * singular, collinear or all zero.
 *
 * Contract (never NaN / Inf in the output silently): prepareAnchors + fitTranslator
 * either
 * - succeed, and then the translated rows (the anchors, fresh rows, a zero row) are
 *   finite and so is every pairMetrics figure of the translated anchors against their
 *   targets, or a warning in diagnostics.warnings says the output is not finite; or
 * - throw a LatentError with a reason.
 * Combinations that break it today are listed in KNOWN (they run as node:test `todo`,
 * so the suite stays green while they are open); see the reason of each.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Linalg } from '../../src/core/backend';
import { mulberry32 } from '../../src/core/pairs';
import { LatentError } from '../../src/core/errors';
import { matrix, type Matrix } from '../../src/core/matrix';
import { METHOD_NAMES, type MethodName } from '../../src/core/methods';
import { pairMetrics, type PairMetrics } from '../../src/core/metrics';
import { PREP_NAMES, type PrepName } from '../../src/core/prep';
import { fitTranslator, prepareAnchors, translate } from '../../src/core/translator';

const la = new Linalg({ threads: 1 });
after(() => la.dispose());

// ---- deterministic data


function randn(rows: number, cols: number, seed: number): Matrix {
  const r = mulberry32(seed);
  const data = new Float64Array(rows * cols);
  for (let k = 0; k < data.length; k++) {
    const u = Math.max(r(), 1e-12);
    data[k] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return matrix(rows, cols, data);
}

function mul(a: Matrix, b: Matrix): Matrix {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let t = 0; t < a.cols; t++) {
      const v = a.data[i * a.cols + t];
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] += v * b.data[t * b.cols + j];
    }
  return matrix(a.rows, b.cols, out);
}

function map(m: Matrix, f: (v: number, i: number, j: number) => number): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = f(m.data[i * m.cols + j], i, j);
  return matrix(m.rows, m.cols, out);
}

function rowsOf(m: Matrix, idx: number[]): Matrix {
  const out = new Float64Array(idx.length * m.cols);
  idx.forEach((r, k) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return matrix(idx.length, m.cols, out);
}

function stack(a: Matrix, b: Matrix): Matrix {
  const out = new Float64Array(a.data.length + b.data.length);
  out.set(a.data);
  out.set(b.data, a.data.length);
  return matrix(a.rows + b.rows, a.cols, out);
}

interface Case {
  /** Source and target anchors (parallel rows). */
  x: Matrix;
  y: Matrix;
  /** Fresh source rows to translate besides the anchors (a zero row is always added). */
  fresh: Matrix;
}

const N = 30;
const D = 6;
const base = randn(N, D, 1);
const W0 = randn(D, D, 2);
const yOf = (x: Matrix, seed = 3): Matrix => {
  const noise = randn(x.rows, W0.cols, seed);
  return map(mul(x, W0), (v, i, j) => v + 0.01 * noise.data[i * W0.cols + j]);
};
const fresh6 = randn(4, D, 4);

const CASES: Record<string, () => Case> = {
  'constant columns': () => {
    const x = map(base, (v, _i, j) => (j === 1 || j === 4 ? 3.5 : v));
    return { x, y: yOf(base), fresh: fresh6 };
  },
  'duplicate anchors': () => {
    const idx = Array.from({ length: N }, (_, i) => i % (N / 2));
    const x = rowsOf(base, idx);
    return { x, y: rowsOf(yOf(base), idx), fresh: fresh6 };
  },
  'rank 2 in 6 dims': () => {
    const x = mul(randn(N, 2, 5), randn(2, D, 6));
    return { x, y: yOf(x), fresh: fresh6 };
  },
  'n < d (5 anchors, 20 dims)': () => ({ x: randn(5, 20, 7), y: randn(5, 20, 8), fresh: randn(3, 20, 9) }),
  'zero vectors': () => {
    const x = map(base, (v, i) => (i < 5 ? 0 : v));
    const y = map(yOf(base), (v, i) => (i < 5 ? 0 : v));
    return { x, y, fresh: fresh6 };
  },
  'near-singular (two columns equal up to 1e-12)': () => {
    const jitter = randn(N, 1, 10);
    const x = map(base, (v, i, j) => (j === 5 ? base.data[i * D + 4] + 1e-12 * jitter.data[i] : v));
    return { x, y: yOf(x), fresh: fresh6 };
  },
  'exactly collinear target': () => {
    const v = randn(1, D, 11);
    const t = randn(N, 1, 12);
    return { x: base, y: map(matrix(N, D), (_0, i, j) => t.data[i] * v.data[j]), fresh: fresh6 };
  },
  'all-zero target': () => ({ x: base, y: matrix(N, D), fresh: fresh6 }),
  // Beyond the list above: the mirror case, anchors that are all one point, and values whose squares overflow.
  'all-zero source': () => ({ x: matrix(N, D), y: yOf(base), fresh: fresh6 }),
  'identical anchor rows': () => {
    const x = rowsOf(base, Array.from({ length: N }, () => 0));
    return { x, y: rowsOf(yOf(base), Array.from({ length: N }, () => 0)), fresh: fresh6 };
  },
  'huge magnitudes (1e200)': () => ({ x: map(base, (v) => v * 1e200), y: map(yOf(base), (v) => v * 1e200), fresh: map(fresh6, (v) => v * 1e200) }),
};

/**
 * Combinations that violate the contract today, as `case|method|prep` → what comes out.
 * They run as `todo`: fixing one makes its test pass, and it should then leave this table.
 */
const KNOWN: Record<string, string> = {};

const NOT_FINITE_WARNING = /NaN|Inf|non-finite|not finite/i;

function firstNonFinite(data: ArrayLike<number>): number {
  for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) return k;
  return -1;
}

/** Every numeric figure of the metrics, by name (nested figures as a.b, arrays as a[i]). */
function nonFiniteMetrics(m: PairMetrics): string[] {
  const bad: string[] = [];
  const walk = (v: unknown, name: string): void => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) bad.push(`${name} = ${v}`);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${name}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, name ? `${name}.${k}` : k);
  };
  walk(m, '');
  return bad;
}

/** Runs one combination; resolves when the contract holds, throws an assertion naming what came out otherwise. */
async function contract(c: Case, method: MethodName, prep: PrepName): Promise<void> {
  let fitted;
  try {
    const prepared = prepareAnchors(c.x, c.y, prep, la);
    fitted = await fitTranslator(prepared, { method, prep }, la);
  } catch (e) {
    assert.ok(e instanceof LatentError, `the fit threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, not a LatentError`);
    assert.ok(e.message.trim().length > 0, 'a LatentError without a reason');
    return;
  }
  const { translator, diagnostics } = fitted;
  const warned = diagnostics.warnings.some((w) => NOT_FINITE_WARNING.test(w));
  const inputs = stack(stack(c.x, c.fresh), matrix(1, c.x.cols));
  const out = await translate(translator, inputs, la);
  const k = firstNonFinite(out.data);
  if (k >= 0 && !warned) {
    const row = Math.floor(k / out.cols);
    const what = row < c.x.rows ? `anchor row ${row}` : row < c.x.rows + c.fresh.rows ? `fresh row ${row - c.x.rows}` : 'the zero row';
    const count = Array.from(out.data).filter((v) => !Number.isFinite(v)).length;
    assert.fail(
      `translation has ${count} of ${out.data.length} values non-finite (first: ${what}, column ${k % out.cols} = ${out.data[k]}) and no warning says so; warnings: ${JSON.stringify(diagnostics.warnings)}`,
    );
  }
  if (k >= 0) return; // warned: metrics of a non-finite translation are not checked
  const anchors = matrix(c.x.rows, out.cols, Float64Array.from(out.data.subarray(0, c.x.rows * out.cols)));
  const { metrics } = await pairMetrics(anchors, c.y, la);
  const bad = nonFiniteMetrics(metrics);
  if (bad.length > 0 && !warned) assert.fail(`pairMetrics of the translated anchors is not finite: ${bad.join(', ')}; warnings: ${JSON.stringify(diagnostics.warnings)}`);
}

describe('degenerate anchors: every method × prep ends in finite output, a warning saying it is not, or a LatentError', () => {
  for (const [name, make] of Object.entries(CASES)) {
    describe(name, () => {
      const c = make();
      for (const method of METHOD_NAMES) {
        for (const prep of PREP_NAMES) {
          const key = `${name}|${method}|${prep}`;
          const todo = KNOWN[key];
          it(`${method} × ${prep}`, todo ? { todo } : {}, () => contract(c, method, prep));
        }
      }
    });
  }

  it('every KNOWN entry names an existing combination', () => {
    for (const key of Object.keys(KNOWN)) {
      const [name, method, prep] = key.split('|');
      assert.ok(name in CASES, key);
      assert.ok((METHOD_NAMES as readonly string[]).includes(method), key);
      assert.ok((PREP_NAMES as readonly string[]).includes(prep), key);
    }
  });
});
