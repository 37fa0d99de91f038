/**
 * Deterministic synthetic embedding pairs for the benchmark, written as float32 .npy.
 * X has power-law column scales (i^-0.75) in a rotated basis, like real embeddings;
 * Y = X·R + noise for a random orthogonal R (truncated when d_y < d_x), so every method has
 * a real signal to find. Plain JS so the benchmark runs without Python.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

/** mulberry32: small, fast, seedable. */
export function rng(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare = NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** Applies k random Householder reflections to every row of a (rows × d, row-major) in place: a random-ish orthogonal map in O(rows·d·k). */
function reflect(a, rows, d, k, r) {
  for (let h = 0; h < k; h++) {
    const v = new Float64Array(d);
    let norm = 0;
    for (let j = 0; j < d; j++) norm += (v[j] = r.normal()) ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) v[j] /= norm;
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += a[o + j] * v[j];
      dot *= 2;
      for (let j = 0; j < d; j++) a[o + j] -= dot * v[j];
    }
  }
}

function permuteColumns(a, rows, d, r) {
  const perm = Array.from({ length: d }, (_, i) => i);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(r.uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const row = new Float64Array(d);
  for (let i = 0; i < rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) row[j] = a[o + perm[j]];
    a.set(row, o);
  }
}

/** rows × dx source and rows × dy target, float32, parallel by row. */
export function makePair(rows, dx, dy, seed = 1) {
  const r = rng(seed);
  const d = Math.max(dx, dy);
  const x = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) for (let j = 0; j < dx; j++) x[i * d + j] = r.normal() * (j + 1) ** -0.75;
  reflect(x, rows, d, 6, r); // rotate the power-law axes away from the coordinate basis (in the dx-dim subspace when padded)
  if (dx < d) for (let i = 0; i < rows; i++) for (let j = dx; j < d; j++) x[i * d + j] = 0;
  const y = Float64Array.from(x);
  reflect(y, rows, d, 6, r);
  permuteColumns(y, rows, d, r);
  const sx = new Float32Array(rows * dx);
  const sy = new Float32Array(rows * dy);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dx; j++) sx[i * dx + j] = x[i * d + j];
    for (let j = 0; j < dy; j++) sy[i * dy + j] = y[i * d + j] + 0.02 * r.normal() * (j + 1) ** -0.75;
  }
  return { x: sx, y: sy };
}

export function writeNpy(path, data, shape) {
  const dict = `{'descr': '${data instanceof Float64Array ? '<f8' : data instanceof Int32Array ? '<i4' : '<f4'}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  pre.writeUInt16LE(header.length, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, Buffer.from(header, 'latin1'));
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let o = 0; o < bytes.length; o += 1 << 26) writeSync(fd, bytes.subarray(o, Math.min(bytes.length, o + (1 << 26))));
  } finally {
    closeSync(fd);
  }
}
