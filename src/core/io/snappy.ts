/**
 * Snappy decompression (the raw block format Parquet pages use: google/snappy's
 * format_description.txt). Hand-written because measured speed demanded it: hyparquet's
 * `snappyUncompress` copies byte by byte, and float embeddings hardly compress, so a page is
 * mostly long literals; in a CPU profile (`node --cpu-prof`) of reading the 100 000 × 768
 * float32 file of `npm run bench -- --suite io` with the page decoder, it took half the time.
 * Here literals and long back references are block copies (byteCopies.ts).
 * hyparquet's decoder is the reference in the tests.
 */

import { copyLiterals, copyMatch } from './byteCopies';

/** Decompresses `input` into `output`, which must be exactly the uncompressed size; throws on malformed input. */
export function snappyDecompress(input: Uint8Array, output: Uint8Array): void {
  const n = input.length;
  let pos = 0;
  // preamble: the uncompressed length, a varint
  let declared = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= n || shift > 28) throw new Error('snappy: bad length preamble');
    const c = input[pos++];
    declared += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) break;
  }
  if (declared !== output.length) throw new Error(`snappy: data says ${declared} bytes, the page ${output.length}`);
  let out = 0;
  while (pos < n) {
    const tag = input[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const bytes = len - 60; // 1–4 little-endian length bytes follow
        if (pos + bytes > n) throw new Error('snappy: literal length past the end');
        len = 0;
        for (let k = bytes - 1; k >= 0; k--) len = len * 256 + input[pos + k];
        len += 1;
        pos += bytes;
      }
      if (pos + len > n || out + len > output.length) throw new Error('snappy: literal past the end');
      copyLiterals(input, pos, output, out, len);
      pos += len;
      out += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= n) throw new Error('snappy: copy past the end');
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | input[pos++];
    } else if (kind === 2) {
      if (pos + 2 > n) throw new Error('snappy: copy past the end');
      len = (tag >>> 2) + 1;
      offset = input[pos] | (input[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 4 > n) throw new Error('snappy: copy past the end');
      len = (tag >>> 2) + 1;
      offset = (input[pos] | (input[pos + 1] << 8) | (input[pos + 2] << 16)) + input[pos + 3] * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > out || out + len > output.length) throw new Error('snappy: bad back reference');
    copyMatch(output, out, offset, len);
    out += len;
  }
  if (out !== output.length) throw new Error(`snappy: data ends after ${out} of ${output.length} bytes`);
}
