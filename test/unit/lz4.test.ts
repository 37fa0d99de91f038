/**
 * LZ4 decompression (src/core/io/lz4.ts) against blocks the `lz4` tool made
 * (test/fixtures/formats/lz4_blocks.json, scripts/gen-parquet-layout-fixtures.mjs): runs longer
 * than 15 + 255 bytes with offsets of 1, distant and short matches, literals only; Hadoop's
 * framing and the bare-block fallback of the older LZ4 codec; and malformed blocks, each refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lz4HadoopDecompress, lz4RawDecompress } from '../../src/core/io/lz4';
import { fx } from './io-helpers';

const fixture: { blocks: { name: string; data: string; block: string }[] } = JSON.parse(readFileSync(fx('lz4_blocks.json'), 'utf8'));
const blocks = fixture.blocks.map((b) => ({ name: b.name, data: new Uint8Array(Buffer.from(b.data, 'base64')), block: new Uint8Array(Buffer.from(b.block, 'base64')) }));

/** Hadoop's framing: per block its uncompressed and compressed sizes, big-endian, then the block. */
function hadoop(...parts: { data: Uint8Array; block: Uint8Array }[]): Uint8Array {
  const out = Buffer.alloc(parts.reduce((s, p) => s + 8 + p.block.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32BE(p.data.length, at);
    out.writeUInt32BE(p.block.length, at + 4);
    out.set(p.block, at + 8);
    at += 8 + p.block.length;
  }
  return new Uint8Array(out);
}

const concat = (...arrays: Uint8Array[]) => new Uint8Array(Buffer.concat(arrays));

describe('LZ4 blocks made by the lz4 tool', () => {
  it('the fixture covers what it is for', () => {
    const byName = Object.fromEntries(blocks.map((b) => [b.name, b]));
    assert.ok(byName.zeros.block.length < 40 && byName.zeros.data.length === 2000, 'a long run: extra length bytes, an overlapping match');
    assert.ok(byName.rows.block.length < byName.rows.data.length / 4, 'repeated rows: distant matches');
    assert.ok(byName.random.block.length > byName.random.data.length, 'random bytes: literals only');
  });
  for (const { name, data, block } of blocks) {
    it(`${name}: LZ4_RAW, a bare block under LZ4, and Hadoop-framed`, () => {
      assert.deepEqual(lz4RawDecompress(block, data.length), data);
      assert.deepEqual(lz4HadoopDecompress(block, data.length), data);
      assert.deepEqual(lz4HadoopDecompress(hadoop({ data, block }), data.length), data);
    });
  }
  it('several Hadoop frames fill one page in order', () => {
    const [a, b, c] = blocks;
    assert.deepEqual(lz4HadoopDecompress(hadoop(a, b, c), a.data.length + b.data.length + c.data.length), concat(a.data, b.data, c.data));
  });
});

describe('LZ4: malformed input is refused', () => {
  const literals = (text: string) => concat(new Uint8Array([text.length << 4]), new TextEncoder().encode(text)); // < 15 bytes
  it('a block filling less or more than the page declares', () => {
    const block = blocks.find((b) => b.name === 'text')!;
    assert.throws(() => lz4RawDecompress(block.block, block.data.length + 1), /lz4: data ends after 3660 of the 3661 bytes/);
    assert.throws(() => lz4RawDecompress(block.block, block.data.length - 1), /lz4: /);
    assert.throws(() => lz4RawDecompress(literals('abcdef'), 5), /lz4: literals past the end/);
  });
  for (const [what, bytes, message] of [
    ['no bytes at all', [], /ends before its last literals/],
    ['literals past the end of the block', [0x50, 0x41], /literals past the end/],
    ['a literal length cut short', [0xf0, 0xff], /literal length past the end/],
    ['a match offset cut short', [0x10, 0x41, 0x01], /match offset past the end/],
    ['a match length cut short', [0x1f, 0x41, 0x01, 0x00], /match length past the end/],
    ['a match offset of 0', [0x10, 0x41, 0x00, 0x00, 0x10, 0x42], /bad match/],
    ['a match reaching before the block', [0x10, 0x41, 0x02, 0x00, 0x10, 0x42], /bad match/],
    ['a match then no last literals', [0x10, 0x41, 0x01, 0x00], /ends before its last literals/],
  ] as const) {
    it(what, () => assert.throws(() => lz4RawDecompress(new Uint8Array(bytes), 64), message));
  }
  it('an overlapping match repeats its bytes, a block copy does not', () => {
    // 'ab', then 8 bytes from offset 2 (overlapping), then 'c'
    assert.deepEqual(new TextDecoder().decode(lz4RawDecompress(new Uint8Array([0x24, 0x61, 0x62, 0x02, 0x00, 0x10, 0x63]), 11)), 'ababababab' + 'c');
  });
  it("Hadoop frames are independent: a match into the previous frame's output is not Hadoop, and not a bare block either", () => {
    const first = { data: new TextEncoder().encode('abcd'), block: literals('abcd') };
    // 0 literals, 4 bytes from offset 4, then 'A': valid only if it may reach into 'abcd'
    const second = { data: new TextEncoder().encode('abcdA'), block: new Uint8Array([0x00, 0x04, 0x00, 0x10, 0x41]) };
    assert.throws(() => lz4HadoopDecompress(hadoop(first, second), 9), /lz4: /);
  });
  it('framing that does not add up falls back to a bare block (and fails there when it is none)', () => {
    const { data, block } = blocks.find((b) => b.name === 'rows')!;
    const framed = hadoop({ data, block });
    framed[3] ^= 1; // the uncompressed size off by one
    assert.throws(() => lz4HadoopDecompress(framed, data.length), /lz4: /);
    assert.throws(() => lz4HadoopDecompress(concat(hadoop({ data, block }), new Uint8Array([0])), data.length), /lz4: /);
  });
});
