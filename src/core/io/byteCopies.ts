/**
 * The two copies of the LZ77-style page decoders (snappy.ts, lz4.ts). Runs of 32 bytes and more
 * are one native copy; shorter ones are copied byte by byte, cheaper than making a subarray.
 */

/** Copies `len` bytes of `src` from `from` into `dst` at `at` (the caller has checked both ranges). */
export function copyLiterals(src: Uint8Array, from: number, dst: Uint8Array, at: number, len: number): void {
  if (len >= 32) dst.set(src.subarray(from, from + len), at);
  else for (let k = 0; k < len; k++) dst[at + k] = src[from + k];
}

/**
 * Writes `len` bytes at `at` that repeat `out`'s bytes from `offset` back (a match; the caller
 * has checked 0 < offset ≤ at and the end). An overlapping match (offset < len) repeats its own
 * output, so only a distant one is a block copy.
 */
export function copyMatch(out: Uint8Array, at: number, offset: number, len: number): void {
  if (offset >= len && len >= 32) out.copyWithin(at, at - offset, at - offset + len);
  else for (let k = 0; k < len; k++) out[at + k] = out[at - offset + k];
}
