/**
 * Dense row-major matrices, the one array type that crosses core modules.
 * Rows are items (embeddings), columns are dimensions; maps apply as `x @ R`.
 */
export type FloatArray = Float32Array | Float64Array;

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values, length rows * cols. */
  readonly data: FloatArray;
}

export function matrix(rows: number, cols: number, data?: FloatArray): Matrix {
  const values = data ?? new Float64Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new RangeError(`matrix data has ${values.length} values, expected ${rows}×${cols}`);
  }
  return { rows, cols, data: values };
}

export function fromRows(rows: ArrayLike<ArrayLike<number>>): Matrix {
  const n = rows.length;
  const d = n > 0 ? rows[0].length : 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row.length !== d) throw new RangeError(`row ${i} has ${row.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = row[j];
  }
  return { rows: n, cols: d, data };
}

export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function row(m: Matrix, i: number): FloatArray {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function toFloat64(m: Matrix): Matrix {
  return m.data instanceof Float64Array ? m : { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

export function toFloat32(m: Matrix): Matrix {
  return m.data instanceof Float32Array ? m : { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) };
}

/** Copies the listed rows (in that order) into a new matrix of the same element type. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const d = m.cols;
  const Ctor = m.data instanceof Float32Array ? Float32Array : Float64Array;
  const data = new Ctor(indices.length * d);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    data.set(m.data.subarray(i * d, (i + 1) * d), k * d);
  }
  return { rows: indices.length, cols: d, data };
}

export function sliceRows(m: Matrix, start: number, end: number): Matrix {
  const e = Math.min(end, m.rows);
  return { rows: e - start, cols: m.cols, data: m.data.subarray(start * m.cols, e * m.cols) };
}

/** Mᵀ (float64), in 32×32 tiles: a row-by-row loop writes every element to a different cache line. */
export function transpose(m: Matrix): Matrix {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * cols);
  for (let i0 = 0; i0 < rows; i0 += 32) {
    const i1 = Math.min(i0 + 32, rows);
    for (let j0 = 0; j0 < cols; j0 += 32) {
      const j1 = Math.min(j0 + 32, cols);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * rows + i] = data[i * cols + j];
    }
  }
  return { rows: cols, cols: rows, data: out };
}

/** Appends zero columns on the right up to `cols` (the latentis ZeroPadding). */
export function padColumns(m: Matrix, cols: number): Matrix {
  if (cols === m.cols) return m;
  const out = new Float64Array(m.rows * cols);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), i * cols);
  return { rows: m.rows, cols, data: out };
}

/** Zero-pads an m×n matrix (m, n ≤ d) to d×d, on the right and at the bottom. */
export function padSquare(m: Matrix, d: number): Matrix {
  if (m.rows === d && m.cols === d) return m;
  const out = new Float64Array(d * d);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), i * d);
  return { rows: d, cols: d, data: out };
}

/** The top-left rows × cols block. */
export function topLeftBlock(m: Matrix, rows: number, cols: number): Matrix {
  if (rows === m.rows && cols === m.cols) return m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(m.data.subarray(i * m.cols, i * m.cols + cols), i * cols);
  return { rows, cols, data: out };
}

/** Keeps the first `cols` columns. */
export function truncateColumns(m: Matrix, cols: number): Matrix {
  if (cols === m.cols) return m;
  const out = new Float64Array(m.rows * cols);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, i * m.cols + cols), i * cols);
  return { rows: m.rows, cols, data: out };
}

export function identity(d: number): Matrix {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return { rows: d, cols: d, data: out };
}
