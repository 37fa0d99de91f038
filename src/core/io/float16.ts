/**
 * IEEE 754 half precision (float16) and bfloat16 to number. Both convert exactly
 * to float32, so readers of f16 / bf16 storage return float32 matrices.
 */

/** Every float16's value, built on first use: ~7 ms that every start of the CLI paid before. */
let halfTable: Float32Array | undefined;

function buildHalfTable(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = halfBitsToNumber(h);
  return t;
}

function halfBitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The value of the float16 with bit pattern `bits` (0..65535). */
export function halfToNumber(bits: number): number {
  halfTable ??= buildHalfTable();
  return halfTable[bits & 0xffff];
}

const BF16_SCRATCH = new Float32Array(1);
const BF16_BITS = new Uint32Array(BF16_SCRATCH.buffer);

/** The value of the bfloat16 with bit pattern `bits`: the top half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  BF16_BITS[0] = (bits & 0xffff) << 16;
  return BF16_SCRATCH[0];
}

/** Nearest float16 bit pattern (round half to even), for writers and tests. */
export function numberToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}
