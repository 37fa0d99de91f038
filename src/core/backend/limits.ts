/**
 * Where the backend switches implementations. A module of its own, without
 * imports, so that code needing only these numbers (and the extension host,
 * through methods.ts) does not pull ONNX Runtime or onnx-proto into its bundle.
 */

/** Below this many values in X, least squares uses a direct SVD of X (exact, like LAPACK gelsd). */
export const DIRECT_LSTSQ_MAX_VALUES = 200_000;

/**
 * From this dimension on, d×d work leaves ml-matrix (SVD 2.9 s at 512, 22 s at 1024):
 * polar factors by Newton iterations in ORT, full-rank least squares by an ORT
 * inverse with one refinement step, spectra by eigenvalues-only reduction.
 */
export const LARGE_DIM = 256;

/**
 * From this dimension on, Linalg.symEigenvalues reduces to tridiagonal form in two stages
 * (bandReduction.ts, ORT GEMMs) instead of one (dense.ts symEigenvalues, JS). Measured on
 * Gram matrices, 2 cores, best of 3: with the band kernels compiled, two-stage vs one-stage
 * 19 vs 16 ms at 256, 27 vs 30 ms at 320, 37 vs 65 ms at 384, 63 vs 117 ms at 512 (with new
 * ORT sessions). The first call in a process also compiles the JS band kernels and grows
 * ORT's arena, about 0.15–0.25 s: 315 vs 226 ms at 512, 400 vs 640 ms at 768. From 512 a
 * lone first call loses at most ~0.1 s and every later one is twice as fast or more.
 */
export const TWO_STAGE_EIGENVALUES_FROM = 512;
