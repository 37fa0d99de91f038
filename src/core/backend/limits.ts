/**
 * Where the backend switches implementations. A module of its own, without
 * imports, so that code needing only these numbers (and the extension host,
 * through methods.ts) does not pull ONNX Runtime or onnx-proto into its bundle.
 */

/**
 * Least squares by a direct SVD of X (exact, like LAPACK gelsd) while ml-matrix's SVD is cheap:
 * it costs about 25–30 ns × max(n, d)·min(n, d)² on our machines (64 × 64: 8 ms; 256 × 256:
 * 0.47 s; 2 000 × 100: 0.50 s; 500 × 384: 2.1 s), where the Gram route (ORT products,
 * eigenvalues, a refined inverse) takes milliseconds. This bound keeps the SVD under ~30 ms.
 */
export const DIRECT_LSTSQ_MAX_WORK = 1_000_000;

/** True when least squares of an n×d X goes through the direct SVD (see DIRECT_LSTSQ_MAX_WORK). */
export function directLeastSquares(n: number, d: number): boolean {
  const small = Math.min(n, d);
  return Math.max(n, d) * small * small <= DIRECT_LSTSQ_MAX_WORK;
}

/**
 * From this dimension on, the polar factor of a d×d (or the R of a tall) cross-covariance comes
 * from ORT Newton iterations and its singular values from the eigenvalues of H = Rᵀ·M, not from
 * ml-matrix's SVD; so do Kabsch's flip (methods.ts fitRotationFromPolar) and the completion of a
 * singular one (freeDirections.ts singularFreeDirections). Medians of 5, 2 cores: SVD 8 / 59 / 196 / 454 ms at d = 64 / 128 / 192 / 255,
 * polar factor 4.5 / 7.9 / 16 / 34 ms and eigenvalues 0.4 / 2.4 / 7.2 / 16 ms.
 */
export const POLAR_WITHOUT_SVD_FROM = 64;

/**
 * From this dimension on, d×d work leaves ml-matrix (SVD 2.9 s at 512, 22 s at 1024):
 * polar factors by Newton iterations in ORT, full-rank least squares by an ORT
 * inverse with one refinement step, spectra by eigenvalues-only reduction.
 */
export const LARGE_DIM = 256;

/**
 * From this dimension on, Linalg.symEigenvalues reduces to tridiagonal form in two stages
 * (bandReduction.ts, ORT GEMMs) instead of one (dense.ts symEigenvalues, JS). `npm run bench
 * -- --suite eig --eig-dims 320,384,448,512` (median of 5, after a warm-up call): two-stage
 * 23 / 29 / 39 / 50 ms, one-stage 43 / 50 / 77 / 115 ms. The first call in a process also
 * compiles the band kernels: 27 ms more than the one-stage's first call at 384, 37 at 320,
 * none at 448 (ad hoc, a fresh process each). A fit takes two calls, so from 384 it is even in
 * a fresh process (the CLI) and ~40 ms faster in one that has fitted before (the extension's
 * compute process).
 */
export const TWO_STAGE_EIGENVALUES_FROM = 384;

/**
 * The eigenvalue of an n×d X's Gram matrix at or below which least squares treats a direction
 * as null (its rank cutoff): the Gram matrix resolves eigenvalues only to ~ε·λ_max, so the
 * cutoff is on λ, not on λ's square root.
 */
export function gramNullCutoff(lambdaMax: number, n: number, d: number): number {
  return Math.max(lambdaMax, 0) * Math.max(n, d) * 4 * Number.EPSILON;
}

/**
 * From this dimension on, the results panel's two PCA axes come from subspace iteration
 * (Linalg.topEigenpairs) instead of a full eigendecomposition. Held-out targets of the
 * benchmark data, 2 000 rows, first call in a process: 38 / 25 / 75 / 171 ms for the full one at
 * d = 64 / 128 / 192 / 255, 22 / 17 / 11 / 18 ms by subspace iteration with its products still
 * in JS (ORT's now, which only makes it cheaper), the same leading values.
 */
export const PCA_BY_SUBSPACE_ITERATION_FROM = 64;

/**
 * From this dimension on Linalg.det takes the blocked LU (trailing updates as ORT GEMMs)
 * instead of dense.ts's row-major one. It computes det(W) of the orthogonal fits where the
 * polar iteration did not bring its sign (below 512, where its Newton steps use ORT's
 * Inverse). `npm run bench -- --suite lu --lu-dims 128,160,192,224,256,384 --reps 7`: blocked
 * 1.7 / 2.1 / 3.0 / 3.2 / 3.5 / 8.7 ms against 0.9 / 1.8 / 3.0 / 4.4 / 6.8 / 20.8 ms.
 */
export const BLOCKED_DET_FROM = 224;
