/**
 * The alignment methods: each estimates a map y ≈ s·(x·W) + b between
 * pre-processed anchors Xs (n×d_x) and Ys (n×d_y). Math and naming follow
 * method.md §1.6; `ortho` uses the economy-SVD form of zero-padded
 * Procrustes, which gives the same outputs (§1.5).
 */
import type { Linalg, LeastSquares } from './backend';
import { directLeastSquares, gramNullCutoff, POLAR_WITHOUT_SVD_FROM } from './backend/limits';
import { det, polarFromSvd, svd, type Svd } from './backend/dense';
import { completedPolar, freeDirections, polarSpectrum, singularFreeDirections, symmetricFactor, type FreeDirections } from './freeDirections';
import { matrix, padSquare, topLeftBlock, transpose, type Matrix } from './matrix';

export const METHOD_NAMES = ['ortho', 'linear', 'l-ortho', 'affine', 'rotation', 'similarity'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export function isMethodName(s: string): s is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(s);
}

export const METHOD_DESCRIPTIONS: Record<MethodName, string> = {
  ortho: 'orthogonal Procrustes (SVD of XᵀY, zero padding of the smaller side)',
  linear: 'minimum-norm least squares',
  'l-ortho': 'polar factor (nearest orthogonal map) of the least-squares solution',
  affine: 'least squares with a bias term, closed form (optional ridge λ)',
  rotation: 'orthogonal Procrustes restricted to det = +1 (Kabsch)',
  similarity: 'orthogonal Procrustes with an isotropic scale (scipy.spatial.procrustes)',
};

export interface FittedMap {
  /** d_x × d_y */
  W: Matrix;
  bias?: Float64Array;
  /** Isotropic scale (similarity). */
  scale?: number;
  /** det of the square map, for the orthogonal methods when d_x = d_y. */
  determinant?: number;
  /** Kabsch reflection fix applied. */
  reflectionFixed?: boolean;
  /** Rank used by a least-squares solve. */
  lstsqRank?: number;
}

/**
 * Anchors after pre-processing, with the products several methods share, so
 * `compare` computes XᵀY, its SVD and the least-squares solve once per prep.
 */
export class AnchorProducts {
  private cross?: Promise<Matrix>;
  private crossSvd?: Promise<Svd>;
  private crossPolar?: Promise<PolarWithSpectrum>;
  private gramMatrix?: Promise<Matrix>;
  private sourceSpectrum?: Promise<Float64Array>;
  private ls?: Promise<LeastSquares>;
  private free?: Promise<FreeDirections | undefined>;
  private rowBasis?: Promise<Matrix | undefined>;

  constructor(
    readonly xs: Matrix,
    readonly ys: Matrix,
    private readonly la: Linalg,
  ) {}

  /** M = Xsᵀ·Ys (d_x × d_y), the cross-covariance of the pre-processed anchors. */
  crossCovariance(): Promise<Matrix> {
    return (this.cross ??= this.la.crossprod(this.xs, this.ys));
  }

  crossCovarianceSvd(): Promise<Svd> {
    return (this.crossSvd ??= this.crossCovariance().then(svd));
  }

  /** The polar factor of M (the ortho map) and M's singular values, without an SVD at large square d. */
  crossCovariancePolar(): Promise<PolarWithSpectrum> {
    return (this.crossPolar ??= this.crossCovariance().then((m) => polarWithSpectrum(m, this.la, () => this.crossCovarianceSvd(), this.freeDirections())));
  }

  /** With fewer anchors than dimensions, the directions they leave free (freeDirections.ts); otherwise undefined. */
  freeDirections(): Promise<FreeDirections | undefined> | undefined {
    if (this.xs.rows >= Math.min(this.xs.cols, this.ys.cols)) return undefined;
    return (this.free ??= freeDirections(this.xs, this.ys, this.la, this.sourceRowBasis()));
  }

  /** Xsᵀ·Xs, shared by least squares and the source spectrum on large problems. */
  gram(): Promise<Matrix> {
    return (this.gramMatrix ??= this.la.crossprod(this.xs, this.xs));
  }

  /** True when least squares does not take the direct SVD of X (directLeastSquares), so the products are worth sharing. */
  private large(): boolean {
    return !directLeastSquares(this.xs.rows, this.xs.cols);
  }

  leastSquares(): Promise<LeastSquares> {
    return (this.ls ??= this.la.lstsq(this.xs, this.ys, this.large() ? { gram: () => this.gram(), rowBasis: () => this.sourceRowBasis() } : {}));
  }

  /**
   * An orthonormal basis of the source anchors' row space, shared by least squares and
   * freeDirections: for n < d_x, or for rank-deficient anchors (from the shared Gram matrix).
   */
  sourceRowBasis(): Promise<Matrix | undefined> {
    return (this.rowBasis ??= this.la.rowSpaceBasis(this.xs, () => this.gram()));
  }

  /** Singular values of the pre-processed source anchors, descending (for rank and condition diagnostics). */
  sourceSingularValues(): Promise<Float64Array> {
    if (!this.large()) return this.leastSquares().then((ls) => ls.singularValues);
    if (this.ls) return this.ls.then((ls) => ls.singularValues);
    // the eigenvalues of the smaller Gram matrix alone (n×n with fewer anchors than dimensions):
    // 5–10× cheaper than a least-squares solve a fit may not need
    const smallerGram = () => (this.xs.rows < this.xs.cols ? this.la.matmulNT(this.xs, this.xs) : this.gram());
    // below least squares' cutoff a Gram eigenvalue is a zero singular value, not a tiny one
    // (a dead dimension makes rank d − 1, not a condition number of 1e8)
    return (this.sourceSpectrum ??= smallerGram()
      .then((g) => this.la.symEigenvalues(g))
      .then((values) => {
        const cutoff = gramNullCutoff(values[0] ?? 0, this.xs.rows, this.xs.cols);
        return Float64Array.from(values, (l) => (l > cutoff ? Math.sqrt(l) : 0));
      }));
  }

}

export interface PolarWithSpectrum {
  /** The nearest (semi-)orthogonal map U·Vᵀ. */
  W: Matrix;
  /** Singular values of the factored matrix, descending. */
  singularValues: Float64Array;
  /** det(W) = ±1 when the Newton iteration found it on its way (PolarResult); else the caller computes it. */
  determinantSign?: 1 | -1;
}

/**
 * U·Vᵀ and the singular values of m: with fewer anchors than dimensions by the
 * identity-nearest completion (`free`, freeDirections.ts); from d =
 * POLAR_WITHOUT_SVD_FROM on by ORT Newton iterations and the eigenvalues of the
 * symmetric factor H = Rᵀ·m (which are m's singular values), a rectangular m through
 * the R of its CholeskyQR2, and a singular m by the same completion on its null spaces
 * (singularFreeDirections); otherwise from the SVD.
 */
export async function polarWithSpectrum(
  m: Matrix,
  la: Linalg,
  svdOf: () => Promise<Svd> = async () => svd(m),
  free?: Promise<FreeDirections | undefined>,
): Promise<PolarWithSpectrum> {
  const directions = await free;
  if (directions) {
    const completed = await completedPolar(m, directions, la);
    if (completed) return completed;
  }
  if (m.rows === m.cols && m.rows >= POLAR_WITHOUT_SVD_FROM) {
    const polar = await la.polar(m);
    const singularValues = polar && (await polarSpectrum(polar.R, m, la));
    if (polar && singularValues) return { W: polar.R, singularValues, determinantSign: polar.determinantSign };
  }
  if (m.rows !== m.cols && Math.min(m.rows, m.cols) >= POLAR_WITHOUT_SVD_FROM) {
    // rectangular: M = Q·R with orthonormal Q (CholeskyQR2), so polar(M) = Q·polar(R) and
    // M's singular values are R's; a wide M is handled through its transpose
    const wide = m.rows < m.cols;
    const qr = await la.choleskyQr2(wide ? transpose(m) : m);
    if (qr) {
      const inner = await polarWithSpectrum(qr.R, la, async () => svd(qr.R));
      const w = await la.matmul(qr.Q, inner.W);
      return { W: wide ? transpose(w) : w, singularValues: inner.singularValues };
    }
  }
  if (Math.max(m.rows, m.cols) >= POLAR_WITHOUT_SVD_FROM) {
    // singular (a dead or repeated dimension in the anchors): the same completion as for fewer anchors
    const directions = await singularFreeDirections(m, la);
    const completed = directions && (await completedPolar(m, directions, la));
    if (completed) return completed;
  }
  const s = await svdOf();
  return { W: polarFromSvd(s), singularValues: s.S };
}

/** det(W) of a square orthogonal map: ±1 from the polar iteration when it has it (an LU of W saved: 2 s at d = 4096). */
async function determinantOf(polar: PolarWithSpectrum, la: Linalg): Promise<number> {
  return polar.determinantSign ?? la.det(polar.W);
}

export interface MethodOptions {
  /** Ridge λ for `affine` (0 = plain least squares). */
  ridge?: number;
}

export async function fitMethod(method: MethodName, p: AnchorProducts, la: Linalg, options: MethodOptions = {}): Promise<FittedMap> {
  const dx = p.xs.cols;
  const dy = p.ys.cols;
  switch (method) {
    case 'ortho': {
      const polar = await p.crossCovariancePolar();
      return { W: polar.W, determinant: dx === dy ? await determinantOf(polar, la) : undefined };
    }
    case 'similarity': {
      const polar = await p.crossCovariancePolar();
      let sumSigma = 0;
      for (const v of polar.singularValues) sumSigma += v;
      const normX2 = sumSquares(p.xs);
      return { W: polar.W, scale: normX2 > 0 ? sumSigma / normX2 : 1, determinant: dx === dy ? await determinantOf(polar, la) : undefined };
    }
    case 'rotation':
      return Math.max(dx, dy) >= POLAR_WITHOUT_SVD_FROM ? fitRotationFromPolar(p, la) : fitRotation(await p.crossCovariance(), dx, dy);
    case 'linear': {
      const ls = await p.leastSquares();
      return { W: ls.W, lstsqRank: ls.rank };
    }
    case 'l-ortho': {
      const ls = await p.leastSquares();
      // the minimum-norm W maps the same row spaces as M, so n < d leaves the same directions free
      const polar = await polarWithSpectrum(ls.W, la, undefined, p.freeDirections());
      return { W: polar.W, lstsqRank: ls.rank, determinant: dx === dy ? await determinantOf(polar, la) : undefined };
    }
    case 'affine':
      return fitAffine(p, la, options.ridge ?? 0);
  }
}

/**
 * Kabsch: the best orthogonal map with det = +1. With unequal dims the map is
 * the top-left block of a d×d rotation of the zero-padded spaces, and a
 * reflection can always hide in the padded directions, so it equals `ortho`.
 */
function fitRotation(m: Matrix, dx: number, dy: number): FittedMap {
  const d = Math.max(dx, dy);
  const padded = padSquare(m, d);
  const s = svd(padded);
  let R = polarFromSvd(s);
  const dt = det(R);
  let reflectionFixed = false;
  if (dt < 0) {
    // Flip the singular direction with the smallest singular value (last column of U).
    for (let i = 0; i < d; i++) s.U.data[i * d + (d - 1)] *= -1;
    R = polarFromSvd(s);
    reflectionFixed = true;
  }
  const W = topLeftBlock(R, dx, dy);
  return { W, determinant: det(R), reflectionFixed };
}

/**
 * Kabsch without a d×d SVD (from POLAR_WITHOUT_SVD_FROM on; ml-matrix's takes 22 s at d = 1024):
 * when det(W) = −1, U·diag(1, …, 1, −1)·Vᵀ = W·(I − 2·v·vᵀ) with v the right singular vector
 * of M's smallest singular value, which is the eigenvector of H = Wᵀ·M for its smallest
 * eigenvalue (Linalg.smallestEigenvector; H's eigenvalues are M's singular values, which the
 * polar factor came with). With unequal dims the reflection hides in the padded directions
 * (see fitRotation), so the map is ortho's and nothing needs fixing.
 */
async function fitRotationFromPolar(p: AnchorProducts, la: Linalg): Promise<FittedMap> {
  const polar = await p.crossCovariancePolar();
  const W = polar.W;
  const d = W.rows;
  if (W.rows !== W.cols) return { W, determinant: 1, reflectionFixed: false };
  const determinant = await determinantOf(polar, la);
  if (determinant > 0) return { W, determinant, reflectionFixed: false };
  const m = await p.crossCovariance();
  const v = await la.smallestEigenvector(await symmetricFactor(W, m, la), polar.singularValues);
  if (!v) return fitRotation(m, d, d);
  const w = W.data;
  const r = Float64Array.from(w);
  for (let i = 0; i < d; i++) {
    // row i of W − 2·(W·v)·vᵀ
    let wv = 0;
    for (let j = 0; j < d; j++) wv += w[i * d + j] * v[j];
    const f = 2 * wv;
    for (let j = 0; j < d; j++) r[i * d + j] -= f * v[j];
  }
  return { W: matrix(d, d, r), determinant: -determinant, reflectionFixed: true };
}

async function fitAffine(p: AnchorProducts, la: Linalg, ridge: number): Promise<FittedMap> {
  const xm = columnMeans(p.xs);
  const ym = columnMeans(p.ys);
  const xc = subtractRow(p.xs, xm);
  const yc = subtractRow(p.ys, ym);
  // After centring the least-squares intercept is ȳ − x̄·W; with standard scaling both means are 0,
  // so unregularised closed-form affine equals `linear` (method.md §1.6).
  const ls = await la.lstsq(xc, yc, { ridge });
  const W = ls.W;
  const bias = new Float64Array(p.ys.cols);
  for (let j = 0; j < W.cols; j++) {
    let s = ym[j];
    for (let t = 0; t < W.rows; t++) s -= xm[t] * W.data[t * W.cols + j];
    bias[j] = s;
  }
  return { W, bias, lstsqRank: ls.rank };
}

function sumSquares(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return s;
}

export function columnMeans(m: Matrix): Float64Array {
  const out = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j] += m.data[i * m.cols + j];
  for (let j = 0; j < m.cols; j++) out[j] /= Math.max(m.rows, 1);
  return out;
}

function subtractRow(m: Matrix, v: Float64Array): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = m.data[i * m.cols + j] - v[j];
  return matrix(m.rows, m.cols, out);
}

