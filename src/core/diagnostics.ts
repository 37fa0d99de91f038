/**
 * What every fit reports about itself, so a user can tell a trustworthy map
 * from one the anchors cannot pin down (method.md §1.9).
 */
import type { AnchorProducts } from './methods';
import type { Translator } from './translator';

const EPS = 2.220446049250313e-16;

export interface Diagnostics {
  anchors: number;
  sourceDim: number;
  targetDim: number;
  /** n < min(d_x, d_y): ortho/linear/l-ortho are not unique and differ across libraries. */
  underdetermined: boolean;
  /** Numerical rank and 2-norm condition number of the pre-processed source anchors. */
  sourceRank: number;
  sourceCondition: number;
  /** Singular values of the cross-covariance Xsᵀ·Ys, descending. */
  crossCovSingularValues: number[];
  crossCovRank: number;
  crossCovCondition: number;
  /** scipy.spatial.procrustes-style disparity in [0, 1] of the best similarity transform (lower is closer). */
  procrustesDisparity: number;
  /** det of the map for the orthogonal methods when d_x = d_y (−1: the map reflects). */
  determinant?: number;
  reflectionFixed?: boolean;
  scale?: number;
  lstsqRank?: number;
  warnings: string[];
}

export async function diagnose(t: Translator, p: AnchorProducts): Promise<Diagnostics> {
  const n = p.xs.rows;
  const dx = p.xs.cols;
  const dy = p.ys.cols;
  const warnings: string[] = [];
  const crossS = (await p.crossCovariancePolar()).singularValues;
  const sourceS = await p.sourceSingularValues();
  const cs = Array.from(crossS);
  const crossRank = rankOf(crossS, Math.max(dx, dy));
  const sourceRank = rankOf(sourceS, Math.max(n, dx));
  const underdetermined = n < Math.min(dx, dy);
  if (underdetermined) {
    warnings.push(
      `only ${n} anchors for ${dx}→${dy} dimensions: the map is not unique (use at least min(d_x, d_y) = ${Math.min(dx, dy)} anchors, ideally several times more)`,
    );
  }
  if (sourceRank < dx && !underdetermined) {
    warnings.push(`source anchors have rank ${sourceRank} < ${dx} dimensions: some directions are unconstrained (minimum-norm solution used)`);
  }
  for (const [side, m] of [['source', p.xs], ['target', p.ys]] as const) {
    if (frob2(m) === 0) {
      warnings.push(`the ${side} anchors carry no signal (all equal after pre-processing): the map is degenerate, and relative error and CKA are undefined (NaN)`);
    }
  }
  if (t.map.determinant !== undefined && t.map.determinant < 0) {
    warnings.push('the orthogonal map contains a reflection (det = −1); use --method rotation to forbid it');
  }
  const sourceCondition = condition(sourceS, sourceRank);
  if ((t.method === 'linear' || t.method === 'affine') && sourceCondition > 1e8) {
    warnings.push(`source anchors are ill-conditioned (condition number ${sourceCondition.toExponential(2)}): least squares may amplify noise; consider ortho or affine with --ridge`);
  }
  return {
    anchors: n,
    sourceDim: dx,
    targetDim: dy,
    underdetermined,
    sourceRank,
    sourceCondition,
    crossCovSingularValues: cs,
    crossCovRank: crossRank,
    crossCovCondition: condition(crossS, crossRank),
    procrustesDisparity: disparity(p, cs),
    determinant: t.map.determinant,
    reflectionFixed: t.map.reflectionFixed,
    scale: t.map.scale,
    lstsqRank: t.map.lstsqRank,
    warnings,
  };
}

function rankOf(s: ArrayLike<number>, dim: number): number {
  const max = s.length > 0 ? s[0] : 0;
  const tol = max * dim * EPS;
  let r = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > tol) r++;
  return r;
}

function condition(s: ArrayLike<number>, rank: number): number {
  if (rank === 0) return Infinity;
  return s[0] / s[rank - 1];
}

/**
 * 1 − (Σσ)² / (‖Xs‖²·‖Ys‖²) on the pre-processed anchors: the residual of
 * the best similarity map between the two clouds scaled to unit Frobenius
 * norm. With a centring prep this is scipy.spatial.procrustes's disparity.
 */
function disparity(p: AnchorProducts, sigmas: number[]): number {
  const nx = frob2(p.xs);
  const ny = frob2(p.ys);
  if (nx === 0 || ny === 0) return 1;
  const s = sigmas.reduce((a, b) => a + b, 0);
  return Math.max(0, 1 - (s * s) / (nx * ny));
}

function frob2(m: { data: ArrayLike<number> }): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return s;
}
