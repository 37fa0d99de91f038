// Writes Parquet fixtures in test/fixtures/formats/ with page layouts hyparquet-writer does not
// produce: pyarrow's (data page v1, a dictionary page first), ZSTD pages (Polars' default) and
// LZ4 pages (LZ4_RAW, and the older LZ4 codec framed as Hadoop writes it or as a bare block).
// Node 20 compresses neither, so they go through the `zstd` and `lz4` tools (Debian's `zstd` and
// `lz4` packages); lz4_blocks.json holds blocks the `lz4` tool made from data with long and
// overlapping matches, for lz4.ts's tests. The layout comes from the tests' writer, so build the
// tests first:
//
//     npx tsc -p tsconfig.test.json && node scripts/gen-parquet-layout-fixtures.mjs
//
// The matrix is test/fixtures/formats/expected.json's; ids are row0, row1, …
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'formats');
const { writeLayout } = createRequire(import.meta.url)(join(root, 'out', 'test', 'unit', 'parquet-layouts.js'));
const { matrix } = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
const zstd = (bytes) => new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: bytes }));

/** `bytes` as one LZ4 block, by the `lz4` tool: its frame's only block, or a literals-only block where the tool stored the data as is. */
function lz4Block(bytes) {
  const f = execFileSync('lz4', ['-q', '-c', '-9', '--no-frame-crc'], { input: bytes });
  if (f.readUInt32LE(0) !== 0x184d2204) throw new Error('lz4: not an LZ4 frame');
  const flags = f[4];
  let p = 6 + (flags & 8 ? 8 : 0) + (flags & 1 ? 4 : 0) + 1; // FLG BD [content size] [dictionary id] HC
  const word = f.readUInt32LE(p);
  p += 4;
  const data = f.subarray(p, p + (word & 0x7fffffff));
  if (f.readUInt32LE(p + data.length + (flags & 0x10 ? 4 : 0)) !== 0) throw new Error('lz4: more than one block');
  if (!(word & 0x80000000)) return new Uint8Array(data);
  const lengthBytes = [];
  for (let v = data.length - 15; v >= 0; v -= 255) lengthBytes.push(Math.min(v, 255));
  return data.length < 15 ? new Uint8Array([data.length << 4, ...data]) : new Uint8Array([0xf0, ...lengthBytes, ...data]);
}

/** Hadoop's framing of one block: the uncompressed and compressed sizes, big-endian, then the block. */
function hadoopFrame(bytes) {
  const block = lz4Block(bytes);
  const out = Buffer.alloc(8 + block.length);
  out.writeUInt32BE(bytes.length, 0);
  out.writeUInt32BE(block.length, 4);
  out.set(block, 8);
  return new Uint8Array(out);
}

function write(file, options) {
  const bytes = writeLayout(matrix, { groupRows: 4, ...options });
  writeFileSync(join(out, file), bytes);
  console.log(`wrote ${file} (${bytes.length} bytes)`);
}

// list<float> in pyarrow's layout with Snappy: data page v1 (pages splitting rows), a dictionary
// page, the first data page dictionary-encoded, PLAIN after (the fuzz tests mutate it)
write('m_v1.parquet', { leaf: 'FLOAT', codec: 'SNAPPY', pageValues: 8, dictionaryPages: 1 });

const ZSTD = { codec: 'ZSTD', compressor: zstd };
// the same layout with ZSTD pages
write('m_zstd.parquet', { ...ZSTD, leaf: 'FLOAT', pageValues: 8, dictionaryPages: 1 });
// list<double>, data page v2
write('m_zstd_v2.parquet', { ...ZSTD, leaf: 'DOUBLE', pageValues: 10, pageVersion: 2 });
// pages that inflate to 4 bytes more than their headers declare
write('bad_zstd_size.parquet', { ...ZSTD, leaf: 'FLOAT', pageValues: 40, understatePages: 4 });

// list<float> in pyarrow's layout with LZ4_RAW pages (pyarrow's compression="lz4")
write('m_lz4_raw.parquet', { leaf: 'FLOAT', codec: 'LZ4_RAW', compressor: lz4Block, pageValues: 8, dictionaryPages: 1 });
// list<double>, data page v2, the older LZ4 codec with Hadoop's framing (parquet-mr's)
write('m_lz4_hadoop.parquet', { leaf: 'DOUBLE', codec: 'LZ4', compressor: hadoopFrame, pageValues: 10, pageVersion: 2 });
// the older LZ4 codec holding bare blocks (older Arrow's)
write('m_lz4_bare.parquet', { leaf: 'FLOAT', codec: 'LZ4', compressor: lz4Block, pageValues: 8, dictionaryPages: 1 });
// LZ4_RAW pages that inflate to 4 bytes more than their headers declare
write('bad_lz4_size.parquet', { leaf: 'FLOAT', codec: 'LZ4_RAW', compressor: lz4Block, pageValues: 40, understatePages: 4 });

// LZ4 blocks of data with long runs (matches longer than 15 + 255 bytes, offsets of 1), repeated
// rows (distant matches), text, and random bytes (literals only), with the data they hold
const rand = (() => {
  let a = 7; // xorshift32
  return () => {
    a ^= a << 13;
    a ^= a >>> 17;
    a ^= a << 5;
    return (a >>> 24) & 255;
  };
})();
const row = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i) * 3);
const inputs = {
  zeros: new Uint8Array(2000),
  rows: new Uint8Array(Float32Array.from({ length: 96 * 24 }, (_, i) => row[i % 96] + (i % 7 === 0 ? 1 : 0)).buffer),
  text: new TextEncoder().encode('the same items embedded by both encoders, '.repeat(60) + 'a closed-form map between two spaces. '.repeat(30)),
  random: Uint8Array.from({ length: 2048 }, rand),
};
const blocks = Object.entries(inputs).map(([name, data]) => ({ name, data: Buffer.from(data).toString('base64'), block: Buffer.from(lz4Block(data)).toString('base64') }));
writeFileSync(join(out, 'lz4_blocks.json'), JSON.stringify({ note: 'made by scripts/gen-parquet-layout-fixtures.mjs with the lz4 tool', blocks }, null, 1) + '\n');
console.log(`wrote lz4_blocks.json (${blocks.map((b) => `${b.name}: ${Buffer.from(b.data, 'base64').length} → ${Buffer.from(b.block, 'base64').length} bytes`).join(', ')})`);
