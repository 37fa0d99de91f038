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
