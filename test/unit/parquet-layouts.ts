/**
 * Writes small Parquet files with page layouts hyparquet-writer does not produce, for the
 * page-decoder tests (not a test file itself): data page v1 as pyarrow writes by default
 * (the levels inside the compressed page, each behind a 4-byte length; pages that split rows;
 * a dictionary page and dictionary-encoded pages, then PLAIN ones, as pyarrow falls back when
 * its dictionary grows too large), and data page v2 with uncompressed values (is_compressed
 * false). The page headers, the RLE / bit-packed levels, Snappy and the footer come from
 * hyparquet-writer's own modules; only the page layout is assembled here.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';

/* eslint-disable @typescript-eslint/no-require-imports -- hyparquet-writer's inner modules, for tests only */
const { ByteWriter } = require('hyparquet-writer/src/bytewriter.js');
const { writePageHeader } = require('hyparquet-writer/src/datapage.js');
const { writeRleBitPackedHybrid } = require('hyparquet-writer/src/encoding.js');
const { writeMetadata } = require('hyparquet-writer/src/metadata.js');
const { snappyCompress } = require('hyparquet-writer/src/snappy.js');

export type Leaf = 'FLOAT' | 'DOUBLE';
export type Codec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'BROTLI' | 'ZSTD' | 'LZ4_RAW' | 'LZ4' | 'LZO';

export interface LayoutOptions {
  leaf: Leaf;
  codec: Codec;
  /** Compresses a page for `codec` (required for ZSTD, LZ4 and LZO, which Node 20 cannot write: the fixture script passes the zstd and lz4 tools). */
  compressor?: (bytes: Uint8Array) => Uint8Array;
  /** Rows per row group. */
  groupRows: number;
  /** Level entries (values, nulls, empty lists) per data page; v1 pages may end inside a row. */
  pageValues: number;
  /** The first this many data pages of each chunk are dictionary-encoded. */
  dictionaryPages?: number;
  /** Encoding id written for dictionary pages and dictionary-encoded data pages (pyarrow: PLAIN_DICTIONARY in format 1.0 files). */
  dictionaryEncoding?: 'PLAIN_DICTIONARY' | 'RLE_DICTIONARY';
  /** The other data pages. */
  encoding?: 'PLAIN' | 'BYTE_STREAM_SPLIT';
  pageVersion?: 1 | 2;
  /** v2 only: store the values uncompressed whatever the codec (is_compressed = false). */
  uncompressedValues?: boolean;
  /**
   * The list's nodes: 'three' (default), the standard optional group (LIST) > repeated group list >
   * optional element; 'two', the legacy group (LIST) > repeated element; 'bare', a repeated
   * field of floats at the top level.
   */
  listForm?: 'three' | 'two' | 'bare';
  requiredList?: boolean;
  requiredElement?: boolean;
  /** v1 pages declare this many bytes fewer than they inflate to, to write files that lie. */
  understatePages?: number;
  /** Rows the footer declares for each row group (default: the rows given), to write files that lie. */
  declaredGroupRows?: number;
}

/** A row: a list of numbers (null elements allowed), or null (a null list). */
export type Row = (number | null)[] | null;

function compress(codec: Codec, bytes: Uint8Array, compressor?: (bytes: Uint8Array) => Uint8Array): Uint8Array {
  if (compressor) return compressor(bytes);
  if (codec === 'ZSTD' || codec.startsWith('LZ')) throw new Error(`${codec} pages need a compressor`);
  if (codec === 'SNAPPY') return snappyCompress(bytes);
  if (codec === 'GZIP') return gzipSync(bytes);
  if (codec === 'BROTLI') return brotliCompressSync(bytes);
  return bytes;
}

function hybrid(values: number[], width: number): Uint8Array {
  const w = new ByteWriter();
  writeRleBitPackedHybrid(w, values, width);
  return w.getBytes();
}

function plainFloats(values: number[], leaf: Leaf): Uint8Array {
  const size = leaf === 'FLOAT' ? 4 : 8;
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (leaf === 'FLOAT' ? view.setFloat32(i * size, v, true) : view.setFloat64(i * size, v, true)));
  return bytes;
}

function streamSplit(values: number[], leaf: Leaf): Uint8Array {
  const size = leaf === 'FLOAT' ? 4 : 8;
  const plain = plainFloats(values, leaf);
  const out = new Uint8Array(plain.length);
  for (let i = 0; i < values.length; i++) for (let k = 0; k < size; k++) out[k * values.length + i] = plain[i * size + k];
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A file with an `id` column (REQUIRED strings) and an `embedding` list column laid out as `o` says. */
export function writeLayout(rows: Row[], o: LayoutOptions): Uint8Array {
  const version = o.pageVersion ?? 1;
  const dictEncoding = o.dictionaryEncoding ?? 'PLAIN_DICTIONARY';
  const form = o.listForm ?? 'three';
  const listDef = form === 'bare' || o.requiredList ? 0 : 1; // an empty (or, bare, absent) list
  const maxDef = listDef + 1 + (form === 'three' && !o.requiredElement ? 1 : 0);
  const defWidth = 32 - Math.clz32(maxDef);
  const w = new ByteWriter();
  w.appendBytes(new TextEncoder().encode('PAR1'));
  const rowGroups = [];
  for (let first = 0; first < rows.length; first += o.groupRows) {
    const group = rows.slice(first, first + o.groupRows);
    // levels and values of the group, in order (the Dremel encoding of a one-level list)
    const reps: number[] = [];
    const defs: number[] = [];
    const present: (number | undefined)[] = []; // per level entry: the value, or undefined
    for (const row of group) {
      if (row === null || row.length === 0) {
        reps.push(0);
        defs.push(row === null ? 0 : listDef);
        present.push(undefined);
        continue;
      }
      row.forEach((v, j) => {
        reps.push(j === 0 ? 0 : 1);
        defs.push(v === null ? maxDef - 1 : maxDef);
        present.push(v === null ? undefined : v);
      });
    }
    // embedding column chunk
    const chunkStart = w.offset;
    let dictionaryOffset: bigint | undefined;
    let dictionary: number[] = [];
    const index = new Map<number, number>();
    const dictPages = o.dictionaryPages ?? 0;
    // the data pages' level ranges
    const pages: [number, number][] = [];
    for (let start = 0; start < reps.length; ) {
      let end = Math.min(reps.length, start + o.pageValues);
      // v2 pages must hold whole rows
      if (version === 2) while (end < reps.length && reps[end] !== 0) end++;
      pages.push([start, end]);
      start = end;
    }
    if (dictPages > 0) {
      // the values of the dictionary-encoded pages, as a writer collects them before it falls back
      for (const [start, end] of pages.slice(0, dictPages)) {
        for (const v of present.slice(start, end)) if (v !== undefined && !index.has(v)) index.set(v, index.size);
      }
      dictionary = [...index.keys()];
      const body = plainFloats(dictionary, o.leaf);
      const packed = compress(o.codec, body, o.compressor);
      dictionaryOffset = BigInt(w.offset);
      writePageHeader(w, {
        type: 'DICTIONARY_PAGE',
        uncompressed_page_size: body.length,
        compressed_page_size: packed.length,
        // the dictionary itself is PLAIN (PLAIN_DICTIONARY in format 1.0 files)
        dictionary_page_header: { num_values: dictionary.length, encoding: dictEncoding === 'PLAIN_DICTIONARY' ? dictEncoding : 'PLAIN' },
      });
      w.appendBytes(packed);
    }
    const dataOffset = BigInt(w.offset);
    let uncompressedTotal = 0;
    for (const [p, [start, end]] of pages.entries()) {
      const values = present.slice(start, end).filter((v): v is number => v !== undefined);
      const useDict = p < dictPages;
      const encoding = useDict ? dictEncoding : (o.encoding ?? 'PLAIN');
      let valueBytes: Uint8Array;
      if (useDict) {
        const ids = values.map((v) => index.get(v)!);
        const width = 32 - Math.clz32(Math.max(0, dictionary.length - 1));
        valueBytes = concat([new Uint8Array([width]), hybrid(ids, width)]);
      } else {
        valueBytes = encoding === 'BYTE_STREAM_SPLIT' ? streamSplit(values, o.leaf) : plainFloats(values, o.leaf);
      }
      const repBytes = hybrid(reps.slice(start, end), 1);
      const defBytes = hybrid(defs.slice(start, end), defWidth);
      const n = end - start;
      if (version === 1) {
        const body = concat([u32(repBytes.length), repBytes, u32(defBytes.length), defBytes, valueBytes]);
        const packed = compress(o.codec, body, o.compressor);
        writePageHeader(w, {
          type: 'DATA_PAGE',
          uncompressed_page_size: body.length - (o.understatePages ?? 0),
          compressed_page_size: packed.length,
          data_page_header: { num_values: n, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
        });
        w.appendBytes(packed);
        uncompressedTotal += body.length;
      } else {
        const packed = o.uncompressedValues ? valueBytes : compress(o.codec, valueBytes, o.compressor);
        const levels = repBytes.length + defBytes.length;
        writePageHeader(w, {
          type: 'DATA_PAGE_V2',
          uncompressed_page_size: levels + valueBytes.length,
          compressed_page_size: levels + packed.length,
          data_page_header_v2: {
            num_values: n,
            num_nulls: n - values.length,
            num_rows: reps.slice(start, end).filter((r) => r === 0).length,
            encoding,
            definition_levels_byte_length: defBytes.length,
            repetition_levels_byte_length: repBytes.length,
            is_compressed: !o.uncompressedValues,
          },
        });
        w.appendBytes(concat([repBytes, defBytes, packed]));
        uncompressedTotal += levels + valueBytes.length;
      }
    }
    const embeddingChunk = {
      file_offset: BigInt(chunkStart),
      meta_data: {
        type: o.leaf,
        encodings: [...new Set(['RLE', dictPages > 0 ? dictEncoding : 'PLAIN', o.encoding ?? 'PLAIN'])],
        path_in_schema: form === 'three' ? ['embedding', 'list', 'element'] : form === 'two' ? ['embedding', 'element'] : ['embedding'],
        codec: o.codec,
        num_values: BigInt(reps.length),
        total_uncompressed_size: BigInt(uncompressedTotal),
        total_compressed_size: BigInt(w.offset - chunkStart),
        data_page_offset: dataOffset,
        dictionary_page_offset: dictionaryOffset,
      },
    };
    // id column chunk: one uncompressed v1 PLAIN page (REQUIRED: no levels)
    const idStart = w.offset;
    const encoder = new TextEncoder();
    const idBody = concat(
      group.flatMap((_, r) => {
        const text = encoder.encode(`row${first + r}`);
        return [u32(text.length), text];
      }),
    );
    writePageHeader(w, {
      type: 'DATA_PAGE',
      uncompressed_page_size: idBody.length,
      compressed_page_size: idBody.length,
      data_page_header: { num_values: group.length, encoding: 'PLAIN', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
    });
    w.appendBytes(idBody);
    const idChunk = {
      file_offset: BigInt(idStart),
      meta_data: {
        type: 'BYTE_ARRAY',
        encodings: ['PLAIN'],
        path_in_schema: ['id'],
        codec: 'UNCOMPRESSED',
        num_values: BigInt(group.length),
        total_uncompressed_size: BigInt(w.offset - idStart),
        total_compressed_size: BigInt(w.offset - idStart),
        data_page_offset: BigInt(idStart),
      },
    };
    rowGroups.push({ columns: [idChunk, embeddingChunk], total_byte_size: BigInt(w.offset - chunkStart), num_rows: BigInt(o.declaredGroupRows ?? group.length) });
  }
  writeMetadata(w, {
    version: 1,
    schema: [
      { name: 'schema', num_children: 2 },
      { name: 'id', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
      ...(form === 'bare'
        ? [{ name: 'embedding', type: o.leaf, repetition_type: 'REPEATED' }]
        : [
            { name: 'embedding', repetition_type: o.requiredList ? 'REQUIRED' : 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
            ...(form === 'two'
              ? [{ name: 'element', type: o.leaf, repetition_type: 'REPEATED' }]
              : [
                  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
                  { name: 'element', type: o.leaf, repetition_type: o.requiredElement ? 'REQUIRED' : 'OPTIONAL' },
                ]),
          ]),
    ],
    num_rows: BigInt(rowGroups.reduce((a, g) => a + Number(g.num_rows), 0)),
    row_groups: rowGroups,
    created_by: 'latent-translator tests (parquet-layouts.ts)',
  });
  w.appendBytes(new TextEncoder().encode('PAR1'));
  return w.getBytes();
}
