/**
 * The Parquet page decoder (src/core/io/parquetPages.ts) and Snappy (src/core/io/snappy.ts)
 * against hyparquet, the reader they stand in for: for every page layout writers produce (data
 * page v1 as pyarrow writes it, v2 as hyparquet-writer does; PLAIN, dictionary, byte stream
 * split; each codec) the decoder must take the chunk (not hand it back) and read exactly what
 * hyparquet reads; for what it does not read (nulls, empty or ragged lists, corrupt pages) it must
 * hand the chunk back, and readEmbeddings must then fail or succeed as before.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { mulberry32 } from '../../src/core/pairs';
import { readEmbeddings } from '../../src/core/io';
import { FileSource, MemorySource } from '../../src/core/io/common';
import { lz4HadoopDecompress, lz4RawDecompress } from '../../src/core/io/lz4';
import { decompress } from '../../src/core/io/parquet';
import { readFloatListChunk, type FloatListColumn } from '../../src/core/io/parquetPages';
import { readPageHeader } from '../../src/core/io/parquetThrift';
import { snappyDecompress } from '../../src/core/io/snappy';
import { expected, fx, rejectsWith, tempDir } from './io-helpers';
import { writeLayout, type LayoutOptions, type Row } from './parquet-layouts';

/* eslint-disable @typescript-eslint/no-require-imports -- ES modules, loaded as tests load them elsewhere */
const hyparquet = require('hyparquet');
const { parquetWriteBuffer } = require('hyparquet-writer');
const { snappyCompress } = require('hyparquet-writer/src/snappy.js');
const { gzipSync, gunzipSync, brotliCompressSync, brotliDecompressSync } = require('node:zlib');
const { decompress: zstdDecompress } = require('fzstd');

const { dir, cleanup } = tempDir();
after(cleanup);

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** rows × cols float32-exact normals, with `repeats` distinct values when given (so a dictionary pays). */
function matrix(rows: number, cols: number, seed: number, repeats?: number): number[][] {
  const rand = mulberry32(seed);
  const pool = repeats ? Array.from({ length: repeats }, () => Math.fround(rand() * 4 - 2)) : undefined;
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (pool ? pool[Math.floor(rand() * pool.length)] : Math.fround(rand() * 4 - 2))));
}

/** What hyparquet reads: the embedding lists and ids. */
async function oracle(bytes: Uint8Array, column = 'embedding'): Promise<{ rows: number[][]; ids: string[] }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  // hyparquet has no LZ4: the LZ4 fixtures' pages go through lz4.ts here too (lz4.test.ts checks it against the lz4 tool)
  const compressors = {
    GZIP: (b: Uint8Array) => gunzipSync(b),
    BROTLI: (b: Uint8Array) => brotliDecompressSync(b),
    ZSTD: (b: Uint8Array) => zstdDecompress(b),
    LZ4_RAW: lz4RawDecompress,
    LZ4: lz4HadoopDecompress,
  };
  const objects = await hyparquet.parquetReadObjects({ file, compressors });
  return { rows: objects.map((o: Record<string, unknown>) => Array.from(o[column] as number[])), ids: objects.map((o: Record<string, unknown>) => String(o.id)) };
}

/**
 * Each row group's embedding chunk through the page decoder; undefined where it hands a chunk back.
 * `read`: from `bytes` in memory (default) or from the file at that path, `windowBytes` at a time.
 */
async function decodeChunks(bytes: Uint8Array, column = 'embedding', read?: { file: string; windowBytes: number }): Promise<(number[] | undefined)[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const metadata = hyparquet.parquetMetadata(file);
  const schema = hyparquet.parquetSchema(metadata);
  const node = schema.children.find((c: { element: { name: string } }) => c.element.name === column);
  const pathNodes = [node, ...(node.children.length ? [node.children[0]] : []), ...(node.children[0]?.children.length ? [node.children[0].children[0]] : [])];
  const leafElement = pathNodes[pathNodes.length - 1].element;
  const leaf = leafElement.type === 'DOUBLE' ? 'double' : leafElement.type === 'FLOAT' ? 'float' : 'float16';
  const levels: FloatListColumn = {
    leaf,
    maxDefinition: pathNodes.filter((n: { element: { repetition_type: string } }) => n.element.repetition_type !== 'REQUIRED').length,
    maxRepetition: pathNodes.filter((n: { element: { repetition_type: string } }) => n.element.repetition_type === 'REPEATED').length,
  };
  const out: (number[] | undefined)[] = [];
  for (const rg of metadata.row_groups) {
    const meta = rg.columns.find((c: { meta_data: { path_in_schema: string[] } }) => c.meta_data.path_in_schema[0] === column).meta_data;
    const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const src = read ? await FileSource.open(read.file) : new MemorySource(bytes);
    try {
      const extent = { start, length: Number(meta.total_compressed_size), totalValues: Number(meta.num_values), rows: Number(rg.num_rows), codec: meta.codec };
      const r = await readFloatListChunk(src, extent, levels, decompress, { windowBytes: read?.windowBytes });
      out.push(r && Array.from(r.values));
    } finally {
      if (src instanceof FileSource) await src.close();
    }
  }
  return out;
}

/** The decoder takes every chunk and reads what hyparquet reads; so does readEmbeddings. */
async function assertSameAsHyparquet(bytes: Uint8Array, name: string, written: number[][], column = 'embedding'): Promise<void> {
  const want = await oracle(bytes, column);
  assert.deepEqual(want.rows, written, `${name}: hyparquet reads the rows written`);
  const chunks = await decodeChunks(bytes, column);
  assert.ok(chunks.every((c) => c !== undefined), `${name}: the page decoder handed back chunk ${chunks.findIndex((c) => c === undefined)}`);
  assert.deepEqual(chunks.flatMap((c) => c!), want.rows.flat(), `${name}: decoded values`);
  const t = await readEmbeddings(write(name, bytes), { array: column });
  assert.equal(t.matrix.rows, want.rows.length);
  assert.deepEqual(Array.from(t.matrix.data), want.rows.flat(), `${name}: readEmbeddings`);
  assert.deepEqual(t.ids, want.ids, `${name}: ids`);
}

describe('snappy', () => {
  const reference = (input: Uint8Array, size: number): Uint8Array => {
    const out = new Uint8Array(size);
    hyparquet.snappyUncompress(input, out);
    return out;
  };
  it('decompresses what hyparquet decompresses: random, repetitive and float data of many lengths', () => {
    const rand = mulberry32(7);
    for (const length of [0, 1, 5, 31, 32, 33, 60, 61, 64, 255, 256, 300, 4096, 65535, 65536, 70000, 200_003]) {
      const inputs = [
        Uint8Array.from({ length }, () => Math.floor(rand() * 256)),
        Uint8Array.from({ length }, (_, i) => (i % 7) + (Math.floor(i / 1000) % 3)), // short overlapping back references
        Uint8Array.from({ length }, (_, i) => (i % 300 < 150 ? i % 150 : Math.floor(rand() * 256))), // distant ones
        new Uint8Array(new Float32Array(Array.from({ length: Math.ceil(length / 4) }, () => Math.fround(rand() - 0.5))).buffer).subarray(0, length),
      ];
      for (const data of inputs) {
        const packed = snappyCompress(data);
        const out = new Uint8Array(length);
        snappyDecompress(packed, out);
        assert.deepEqual(out, data, `length ${length}`);
        assert.deepEqual(out, reference(packed, length));
      }
    }
  });
  it('reads a literal with a 2-byte length and a copy with a 4-byte offset, which compressors rarely write', () => {
    const literal = Uint8Array.from({ length: 400 }, (_, i) => (i * 31) % 251);
    const input = Uint8Array.from([
      0xb8, 0x03, // preamble: 440 bytes
      61 << 2, 0x8f, 0x01, // a literal whose length - 1 (399) follows in 2 bytes
      ...literal,
      (39 << 2) | 3, 0x2c, 0x01, 0x00, 0x00, // copy 40 bytes from 300 back
    ]);
    const out = new Uint8Array(440);
    snappyDecompress(input, out);
    assert.deepEqual(out.subarray(0, 400), literal);
    assert.deepEqual(out.subarray(400), literal.subarray(100, 140));
    assert.deepEqual(out, reference(input, 440));
  });
  it('refuses malformed input', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 13);
    const packed: Uint8Array = snappyCompress(data);
    assert.throws(() => snappyDecompress(packed, new Uint8Array(999)), /data says 1000 bytes/);
    assert.throws(() => snappyDecompress(packed.subarray(0, packed.length - 3), new Uint8Array(1000)), /snappy/);
    assert.throws(() => snappyDecompress(Uint8Array.from([4, 0x01 | (0 << 2), 9]), new Uint8Array(4)), /back reference/); // a copy before any byte
    assert.throws(() => snappyDecompress(Uint8Array.from([2, 0x08, 1, 2]), new Uint8Array(2)), /literal past the end/); // literal of 3 into 2
    assert.throws(() => snappyDecompress(Uint8Array.from([0x80]), new Uint8Array(0)), /preamble/);
  });
});

describe('Parquet page decoder: layouts writers produce', () => {
  const m = matrix(37, 9, 1);
  const repeated = matrix(37, 9, 2, 50);
  const v1: [string, Partial<LayoutOptions>, number[][]][] = [
    ['v1 PLAIN, pages splitting rows', { pageValues: 40 }, m],
    ['v1 dictionary pages then PLAIN (pyarrow fallback)', { pageValues: 50, dictionaryPages: 3 }, repeated],
    ['v1 RLE_DICTIONARY every page', { pageValues: 64, dictionaryPages: 99, dictionaryEncoding: 'RLE_DICTIONARY' }, repeated],
    ['v1 one distinct value (dictionary bit width 0)', { pageValues: 100, dictionaryPages: 99 }, m.map((r) => r.map(() => 0.5))],
    ['v1 BYTE_STREAM_SPLIT', { pageValues: 33, encoding: 'BYTE_STREAM_SPLIT' }, m],
    ['v1 required list and element', { pageValues: 45, requiredList: true, requiredElement: true }, m],
    ['v1 legacy 2-level list (group > repeated element)', { pageValues: 45, listForm: 'two' }, m],
    ['v2 bare repeated field', { pageValues: 45, listForm: 'bare', pageVersion: 2 }, m],
    ['v1 one value per row', { pageValues: 10 }, m.map((r) => r.slice(0, 1))],
    ['v2 values stored uncompressed (is_compressed false)', { pageValues: 40, pageVersion: 2, uncompressedValues: true }, m],
    ['v2 dictionary then BYTE_STREAM_SPLIT', { pageValues: 40, pageVersion: 2, dictionaryPages: 2, encoding: 'BYTE_STREAM_SPLIT' }, repeated],
  ];
  for (const [name, options, rows] of v1) {
    for (const leaf of ['FLOAT', 'DOUBLE'] as const) {
      for (const codec of ['SNAPPY', 'UNCOMPRESSED', 'GZIP', 'BROTLI'] as const) {
        it(`${name}, ${leaf}, ${codec}`, async () => {
          const bytes = writeLayout(rows, { leaf, codec, groupRows: 15, ...options } as LayoutOptions);
          await assertSameAsHyparquet(bytes, `layout-${leaf}-${codec}.parquet`, rows);
        });
      }
    }
  }

  const schema = (name: string, element: Record<string, unknown>) => [
    { name: 'root', num_children: 2 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', ...element },
  ];
  const hw: [string, Record<string, unknown>, Record<string, unknown>, number[][]][] = [
    ['float, small pages', { type: 'FLOAT' }, { pageSize: 200 }, m],
    ['double, dictionary', { type: 'DOUBLE' }, {}, repeated],
    ['float16', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' } }, { pageSize: 100 }, m.map((r) => r.map((v) => Math.round(v * 64) / 64))],
    ['float, BYTE_STREAM_SPLIT', { type: 'FLOAT' }, { encoding: 'BYTE_STREAM_SPLIT' }, m],
  ];
  for (const [name, element, extra, rows] of hw) {
    for (const codec of ['SNAPPY', 'UNCOMPRESSED', 'GZIP'] as const) {
      it(`hyparquet-writer (v2 pages): ${name}, ${codec}`, async () => {
        const { encoding, ...write } = extra as { encoding?: string };
        const buffer = parquetWriteBuffer({
          columnData: [
            { name: 'id', data: rows.map((_, i) => `row${i}`) },
            { name: 'vec', data: rows, encoding },
          ],
          schema: schema('vec', element),
          codec,
          compressors: { GZIP: (b: Uint8Array) => gzipSync(b), BROTLI: (b: Uint8Array) => brotliCompressSync(b) },
          rowGroupSize: 10,
          ...write,
        });
        await assertSameAsHyparquet(new Uint8Array(buffer), `hw-${codec}.parquet`, rows, 'vec');
      });
    }
  }
});

describe('Parquet page decoder: pyarrow-layout, ZSTD and LZ4 fixtures (scripts/gen-parquet-layout-fixtures.mjs)', () => {
  const ids = expected.matrix.map((_, i) => `row${i}`);
  for (const [file, round] of [
    ['m_v1.parquet', Math.fround],
    ['m_zstd.parquet', Math.fround],
    ['m_zstd_v2.parquet', (v: number) => v],
    ['m_lz4_raw.parquet', Math.fround],
    ['m_lz4_hadoop.parquet', (v: number) => v],
    ['m_lz4_bare.parquet', Math.fround],
  ] as const) {
    it(`${file}: read by the decoder, as hyparquet reads it`, async () => {
      const bytes = new Uint8Array(readFileSync(fx(file)));
      const rows = expected.matrix.map((r) => r.map(round));
      assert.deepEqual((await oracle(bytes)).rows, rows);
      const chunks = await decodeChunks(bytes);
      assert.ok(chunks.length > 1 && chunks.every((c) => c !== undefined));
      assert.deepEqual(chunks.flatMap((c) => c!), rows.flat());
      const t = await readEmbeddings(fx(file));
      assert.deepEqual(Array.from(t.matrix.data), rows.flat());
      assert.deepEqual(t.ids, ids);
    });
  }
  it('a ZSTD page that inflates to more than it declares: handed back, and refused', async () => {
    assert.ok((await decodeChunks(new Uint8Array(readFileSync(fx('bad_zstd_size.parquet'))))).every((c) => c === undefined));
    await rejectsWith(readEmbeddings(fx('bad_zstd_size.parquet')), 'format', 'bad_zstd_size.parquet', 'a ZSTD page inflates to more than the');
  });
  it('LZO pages: handed back, and refused as unsupported, naming the codecs that are read', async () => {
    // the pages are not LZO at all: the codec is refused before any page is decompressed
    const bytes = writeLayout(expected.matrix, { leaf: 'FLOAT', codec: 'LZO', compressor: (b) => b, groupRows: 4, pageValues: 8 });
    assert.ok((await decodeChunks(bytes)).every((c) => c === undefined));
    await rejectsWith(readEmbeddings(write('lzo.parquet', bytes)), 'unsupported', 'lzo.parquet', 'LZO', 'only uncompressed, Snappy, GZIP, Brotli, ZSTD and LZ4 Parquet files');
  });
  it('an LZ4_RAW page that inflates to more than it declares: handed back, and refused', async () => {
    assert.ok((await decodeChunks(new Uint8Array(readFileSync(fx('bad_lz4_size.parquet'))))).every((c) => c === undefined));
    await rejectsWith(readEmbeddings(fx('bad_lz4_size.parquet')), 'format', 'bad_lz4_size.parquet', 'lz4: ');
  });
});

describe('Parquet page decoder: reading a chunk a window at a time', () => {
  it('pages and headers straddling reads, from a file and from memory, give the same values', async () => {
    const rows = matrix(40, 12, 11, 30);
    for (const pageVersion of [1, 2] as const) {
      const bytes = writeLayout(rows, { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 25, pageValues: 70, pageVersion, dictionaryPages: 2 });
      const file = write(`windows-${pageVersion}.parquet`, bytes);
      const whole = await decodeChunks(bytes);
      assert.deepEqual(whole.flatMap((c) => c!), rows.flat());
      for (const windowBytes of [1, 7, 100, 333, 1 << 20]) {
        assert.deepEqual(await decodeChunks(bytes, 'embedding', { file, windowBytes }), whole, `window ${windowBytes}`);
      }
    }
  });
});

describe('Parquet page decoder: cancellation', () => {
  it('a read cancelled inside a row group stops at the next read of its pages', async () => {
    // one row group of 200 × 64 float32 in pages of ~4 KB; the source aborts after its second read
    const bytes = writeLayout(matrix(200, 64, 12), { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 200, pageValues: 1024 });
    const file = write('cancel.parquet', bytes);
    const controller = new AbortController();
    let reads = 0;
    const readInto = FileSource.prototype.readInto;
    FileSource.prototype.readInto = async function (this: FileSource, position: number, target: Uint8Array) {
      if (++reads === 2) controller.abort();
      return readInto.call(this, position, target);
    };
    try {
      // windows of 4 KB through the reader's own path need a file far larger than its 8 MB window,
      // so the decoder is driven here with small windows and the reader's cancellation check
      const src = await FileSource.open(file);
      try {
        const meta = hyparquet.parquetMetadata(bytes.slice().buffer).row_groups[0].columns[1].meta_data;
        const extent = { start: Number(meta.data_page_offset), length: Number(meta.total_compressed_size), totalValues: Number(meta.num_values), rows: 200, codec: meta.codec };
        const cancelled = () => {
          if (controller.signal.aborted) throw new Error('cancelled');
        };
        await assert.rejects(readFloatListChunk(src, extent, { leaf: 'float', maxDefinition: 3, maxRepetition: 1 }, decompress, { beforeRead: cancelled, windowBytes: 4096 }), /cancelled/);
        assert.equal(reads, 2);
      } finally {
        await src.close();
      }
    } finally {
      FileSource.prototype.readInto = readInto;
    }
  });
});

describe('Parquet reader: cancellation inside a row group', () => {
  it('readEmbeddings stops before the decoder reads the chunk when cancelled after the page check', async () => {
    const bytes = writeLayout(matrix(50, 8, 13), { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 50, pageValues: 100 });
    const file = write('cancel-reader.parquet', bytes);
    const meta = hyparquet.parquetMetadata(bytes.slice().buffer).row_groups[0].columns[1].meta_data;
    const controller = new AbortController();
    const { read, readInto } = FileSource.prototype;
    let chunkReads = 0;
    // the page-header check reads through read(); the decoder through readInto()
    FileSource.prototype.read = function (this: FileSource, position: number, length: number) {
      const chunkStart = Number(meta.data_page_offset);
      if (position >= chunkStart && position < chunkStart + Number(meta.total_compressed_size)) controller.abort();
      return read.call(this, position, length);
    };
    FileSource.prototype.readInto = function (this: FileSource, position: number, target: Uint8Array) {
      chunkReads++;
      return readInto.call(this, position, target);
    };
    try {
      await rejectsWith(readEmbeddings(file, { signal: controller.signal }), 'cancelled', 'cancel-reader.parquet');
      assert.equal(chunkReads, 0);
    } finally {
      Object.assign(FileSource.prototype, { read, readInto });
    }
  });
});

describe('Parquet page decoder: what it hands back to hyparquet', () => {
  // 12 values a row, so the repetition levels hold RLE runs (8 or more equal levels) as well as bit-packed groups
  const m = matrix(12, 12, 3, 40);
  const cases: [string, Row[], string, string][] = [
    ['a null list', m.map((r, i) => (i === 7 ? null : r)), 'value', 'row 7: "embedding" is null'],
    ['an empty list', m.map((r, i) => (i === 7 ? [] : r)), 'shape', 'row 7 has 0 values, expected 12'],
    ['a null element', m.map((r, i) => (i === 7 ? r.map((v, j) => (j === 2 ? null : v)) : r)), 'value', 'row 7, column 2 is null'],
    ['a short row', m.map((r, i) => (i === 7 ? r.slice(1) : r)), 'shape', 'row 7 has 11 values, expected 12'],
    // as many values as 12 rows of 12: only the levels tell
    ['a long and a short row', m.map((r, i) => (i === 7 ? [...r, 1] : i === 8 ? r.slice(1) : r)), 'shape', 'row 7 has 13 values, expected 12'],
    ['a short row and a long one', m.map((r, i) => (i === 7 ? r.slice(1) : i === 8 ? [...r, 1] : r)), 'shape', 'row 7 has 11 values, expected 12'],
  ];
  for (const [name, rows, code, message] of cases) {
    for (const pageVersion of [1, 2] as const) {
      for (const dictionaryPages of [0, 99]) {
        it(`${name} (data page v${pageVersion}${dictionaryPages ? ', dictionary' : ''})`, async () => {
          const bytes = writeLayout(rows, { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 12, pageValues: 40, pageVersion, dictionaryPages });
          assert.deepEqual(await decodeChunks(bytes), [undefined]);
          const p = write(`back-${pageVersion}.parquet`, bytes);
          await rejectsWith(readEmbeddings(p), code as never, path.basename(p), message);
        });
      }
    }
  }
  it('a row as long as two, in a group that declares one row more than it holds: the levels tell', async () => {
    // 11 lists (one of 24 values) where the footer says 12 rows of 12: the values divide, the row starts do not
    // match (position 96 is inside the long row's run of repetition level 1, an RLE run)
    const rows = matrix(11, 12, 9).map((r, i) => (i === 8 ? [...r, ...r] : r));
    for (const pageVersion of [1, 2] as const) {
      const bytes = writeLayout(rows, { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 11, declaredGroupRows: 12, pageValues: 200, pageVersion });
      assert.deepEqual(await decodeChunks(bytes), [undefined]);
      await rejectsWith(readEmbeddings(write('merged.parquet', bytes)), 'format', 'merged.parquet', 'declares 12 rows', 'holds 11');
    }
  });
  it('rows of another length in a later row group', async () => {
    const rows = [...matrix(6, 5, 4), ...matrix(6, 4, 5)];
    const bytes = writeLayout(rows, { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 6, pageValues: 16 });
    // each group alone is regular, so the decoder takes both; the reader compares their lengths
    assert.ok((await decodeChunks(bytes)).every((c) => c !== undefined));
    await rejectsWith(readEmbeddings(write('cols.parquet', bytes)), 'shape', 'row 6 has 4 values, expected 5');
  });
  it('a corrupt Snappy page: handed back, and hyparquet reports it', async () => {
    const bytes = writeLayout(matrix(12, 5, 6), { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 12, pageValues: 60 });
    const file = bytes.slice().buffer;
    const meta = hyparquet.parquetMetadata(file).row_groups[0].columns.find((c: { meta_data: { path_in_schema: string[] } }) => c.meta_data.path_in_schema[0] === 'embedding').meta_data;
    // the page's first Snappy tag (after its header and the length preamble) becomes a copy from before the start
    let at = Number(meta.data_page_offset) + readPageHeader(bytes.subarray(Number(meta.data_page_offset))).headerLength;
    while (bytes[at] & 0x80) at++;
    const broken = bytes.slice();
    broken.set([0x02 | (10 << 2), 0xff, 0xff], at + 1);
    assert.deepEqual(await decodeChunks(broken), [undefined]);
    await rejectsWith(readEmbeddings(write('corrupt.parquet', broken)), 'format', 'corrupt.parquet');
  });
  it('a GZIP or Brotli page that inflates to more than it declares is refused at the declared size', async () => {
    for (const codec of ['GZIP', 'BROTLI'] as const) {
      const bytes = writeLayout(matrix(12, 5, 10), { leaf: 'FLOAT', codec, groupRows: 12, pageValues: 60, understatePages: 100 });
      assert.deepEqual(await decodeChunks(bytes), [undefined]);
      await rejectsWith(readEmbeddings(write('bomb.parquet', bytes)), 'format', 'bomb.parquet', 'larger than');
    }
  });
  it('NaN and Inf through the decoder: the row and column named, or counted with allowNonFinite', async () => {
    const rows = matrix(30, 4, 8);
    rows[22][3] = NaN;
    rows[25][0] = -Infinity;
    const bytes = writeLayout(rows, { leaf: 'DOUBLE', codec: 'SNAPPY', groupRows: 10, pageValues: 16 });
    assert.ok((await decodeChunks(bytes)).every((c) => c !== undefined));
    const p = write('nan-pages.parquet', bytes);
    await rejectsWith(readEmbeddings(p), 'value', 'nan-pages.parquet', 'row 22, column 3 is NaN (0-based)');
    const t = await readEmbeddings(p, { allowNonFinite: true });
    assert.equal(t.nonFinite, 2);
    assert.ok(Number.isNaN(t.matrix.data[22 * 4 + 3]));
    assert.equal(t.matrix.data[25 * 4], -Infinity);
  });
});
