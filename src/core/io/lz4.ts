/**
 * LZ4 decompression for Parquet pages: LZ4_RAW (a bare LZ4 block, lz4's block_format.md) and the
 * deprecated LZ4 codec, which writers filled either with Hadoop's framing (blocks each behind
 * their big-endian uncompressed and compressed sizes) or with a bare block; like Arrow's reader
 * (cpp/src/arrow/util/compression_lz4.cc), the framing is tried first and a bare block is the
 * fallback. Hand-written: the one JS decoder made for Parquet (hyparquet-compressors') copies
 * byte by byte and neither checks the output's bounds nor that the data fill the declared size;
 * here literals and distant matches are block copies (byteCopies.ts) and every malformed input
 * throws.
 */

import { copyLiterals, copyMatch } from './byteCopies';

/**
 * Decompresses one LZ4 block `input` into `output` from `at`; returns the bytes written. Matches
 * may reach back only into this block's own output (`at` on).
 */
function decodeBlock(input: Uint8Array, output: Uint8Array, at: number): number {
  const n = input.length;
  let pos = 0;
  let out = at;
  for (;;) {
    if (pos >= n) throw new Error('lz4: block ends before its last literals');
    const token = input[pos++];
    let literals = token >>> 4;
    if (literals === 15) {
      for (let b = 255; b === 255; ) {
        if (pos >= n) throw new Error('lz4: literal length past the end');
        b = input[pos++];
        literals += b;
      }
    }
    if (pos + literals > n || out + literals > output.length) throw new Error('lz4: literals past the end');
    copyLiterals(input, pos, output, out, literals);
    pos += literals;
    out += literals;
    // the last sequence is literals only
    if (pos === n) return out - at;
    if (pos + 2 > n) throw new Error('lz4: match offset past the end');
    const offset = input[pos] | (input[pos + 1] << 8);
    pos += 2;
    let len = token & 15;
    if (len === 15) {
      for (let b = 255; b === 255; ) {
        if (pos >= n) throw new Error('lz4: match length past the end');
        b = input[pos++];
        len += b;
      }
    }
    len += 4;
    if (offset === 0 || offset > out - at || out + len > output.length) throw new Error('lz4: bad match');
    copyMatch(output, out, offset, len);
    out += len;
  }
}

/** An LZ4_RAW page: one block of exactly `size` bytes. */
export function lz4RawDecompress(input: Uint8Array, size: number): Uint8Array {
  const output = new Uint8Array(size);
  const written = decodeBlock(input, output, 0);
  if (written !== size) throw new Error(`lz4: data ends after ${written} of the ${size} bytes the page declares`);
  return output;
}

/** A page of the deprecated LZ4 codec: Hadoop-framed blocks if the framing holds exactly, else one bare block. */
export function lz4HadoopDecompress(input: Uint8Array, size: number): Uint8Array {
  return hadoopFrames(input, size) ?? lz4RawDecompress(input, size);
}

/** The page as Hadoop frames filling exactly `size` bytes, or undefined when it is not framed so. */
function hadoopFrames(input: Uint8Array, size: number): Uint8Array | undefined {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const output = new Uint8Array(size);
  let pos = 0;
  let out = 0;
  while (input.length - pos >= 8) {
    const expectOut = view.getUint32(pos);
    const expectIn = view.getUint32(pos + 4);
    pos += 8;
    if (expectIn > input.length - pos || expectOut > size - out) return undefined;
    let written: number;
    try {
      written = decodeBlock(input.subarray(pos, pos + expectIn), output.subarray(0, out + expectOut), out);
    } catch {
      return undefined;
    }
    if (written !== expectOut) return undefined;
    pos += expectIn;
    out += expectOut;
  }
  return pos === input.length && out === size ? output : undefined;
}
