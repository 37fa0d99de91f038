// Writes the hostile-input corpus in test/fixtures/broken/: files every reader must
// refuse with a LatentError naming the file (test/unit/fuzz-readers.test.ts lists the
// error each one must give). Run from the repository root:
//
//     node scripts/gen-broken-corpus.mjs
//
// Deterministic: no randomness, zip timestamps pinned, so re-running changes nothing.
// Everything is built from bytes here (fflate for zips and deflate, hyparquet-writer for
// Parquet); the whole corpus stays well under 300 KB.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'broken');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) rmSync(join(out, f));

const written = [];
function write(name, bytes) {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  writeFileSync(join(out, name), b);
  written.push([name, b.length]);
}

// ---- the 7 × 5 matrix every valid part is made of (multiples of 1/8, exact in every dtype)
const ROWS = 7;
const COLS = 5;
const M = Array.from({ length: ROWS }, (_, i) => Array.from({ length: COLS }, (_, j) => ((((i * COLS + j) * 37) % 129) - 64) / 8));
const f32 = Buffer.from(new Float32Array(M.flat()).buffer);

// ---- .npy

/** A .npy with a hand-written header dict (padded to 64 bytes like numpy), then `data`. */
function npy(dict, data = f32, { version = 1, headerLength } = {}) {
  const pre = version === 1 ? 10 : 12;
  let header = Buffer.from(dict, 'latin1');
  const total = pre + header.length + 1;
  header = Buffer.concat([header, Buffer.alloc((64 - (total % 64)) % 64, 0x20), Buffer.from('\n')]);
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(headerLength ?? header.length);
  else len.writeUInt32LE(headerLength ?? header.length);
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]), len, header, data]);
}
const dict = (shape, descr = '<f4') => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;

const validNpy = npy(dict('(7, 5)'));
write('npy_shape_lie.npy', npy(dict('(70, 5)'))); // data holds 7 rows
write('npy_shape_overflow.npy', npy(dict('(134217729, 134217729)'))); // product 2^54 + 2^28 + 1 > 2^53
write('npy_shape_2p31_square.npy', npy(dict('(2147483648, 2147483648)')));
write('npy_shape_not_safe_integer.npy', npy(dict('(9007199254740993, 5)')));
write('npy_shape_negative.npy', npy(dict('(-7, 5)')));
write('npy_rows_0.npy', npy(dict('(0, 5)'), Buffer.alloc(0)));
write('npy_cols_0.npy', npy(dict('(5, 0)'), Buffer.alloc(0)));
write('npy_header_past_eof.npy', npy(dict('(7, 5)'), Buffer.alloc(0), { headerLength: 60000 }));
write('npy_header_huge_length.npy', npy(dict('(7, 5)'), f32, { version: 2, headerLength: 0xfffffff0 }));
write('npy_claims_1e12.npy', npy(dict('(1000000, 1000000)')));
write('npy_claims_1e9.npy', npy(dict('(100000, 10000)'))); // within the default maxValues, far more than the file holds
write('npy_dtype_complex.npy', npy(dict('(7, 5)', '<c8'), Buffer.concat([f32, f32])));
write('npy_dtype_object.npy', npy(dict('(7, 5)', '|O'), Buffer.from('\x80\x04N.', 'latin1')));

// ---- .npz

const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const zip = (files) => zipSync(files, { mtime: ZIP_MTIME });

function sig(b, value, fromEnd) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (fromEnd) {
    for (let i = b.length - 4; i >= 0; i--) if (dv.getUint32(i, true) === value) return i;
  } else {
    for (let i = 0; i + 4 <= b.length; i++) if (dv.getUint32(i, true) === value) return i;
  }
  throw new Error(`signature ${value.toString(16)} not found`);
}

/** Sets the uncompressed size of the (only) member in its local and central headers. */
function patchUncompressedSize(z, size) {
  const b = Buffer.from(z);
  b.writeUInt32LE(size, sig(b, 0x04034b50, false) + 22);
  b.writeUInt32LE(size, sig(b, 0x02014b50, true) + 24);
  return b;
}

// A member that inflates to far more than it declares: the npy plus 8 MB of zeros,
// deflated (~8 KB), declaring only the npy's 268 bytes.
const bomb = zip({ 'arr_0.npy': [Buffer.concat([validNpy, Buffer.alloc(8 * 1024 * 1024)]), { level: 9 }] });
write('npz_bomb_more_than_declared.npz', patchUncompressedSize(bomb, validNpy.length));
// The same stream declaring 4 GB (0xFFFFFFF0, not the ZIP64 marker) uncompressed.
write('npz_bomb_declares_4gb.npz', patchUncompressedSize(bomb, 0xfffffff0));
write('npz_traversal_dotdot.npz', zip({ '../x.npy': [validNpy, { level: 0 }] }));
write('npz_traversal_absolute.npz', zip({ '/abs.npy': [validNpy, { level: 0 }] }));
write('npz_traversal_drive.npz', zip({ 'C:\\x.npy': [validNpy, { level: 0 }] }));

// ---- .safetensors

function safetensors(header, data = f32, lengthOverride) {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}
const tensor = (shape, data_offsets, dtype = 'F32') => ({ dtype, shape, data_offsets });

write('safetensors_header_2p62.safetensors', safetensors({ emb: tensor([7, 5], [0, 140]) }, f32, 2n ** 62n));
write('safetensors_header_not_json.safetensors', safetensors("{'emb': {'dtype': 'F32'}}"));
write(
  'safetensors_offsets_overlap.safetensors',
  safetensors({ emb: tensor([7, 5], [0, 140]), other: tensor([5, 5], [40, 140]) }),
);
write('safetensors_offsets_out_of_range.safetensors', safetensors({ emb: tensor([7, 5], [100, 240]) }));
write('safetensors_offsets_reversed.safetensors', safetensors({ emb: tensor([7, 5], [140, 0]) }));
write('safetensors_shape_dtype_mismatch.safetensors', safetensors({ emb: tensor([7, 5], [0, 140], 'F64') }));
write('safetensors_claims_1e12.safetensors', safetensors({ emb: tensor([1000000, 1000000], [0, 140]) }));

// ---- .parquet

const ids = Array.from({ length: ROWS }, (_, i) => `w${i}`);
function listSchema(name, leaf) {
  return [
    { name: 'root', num_children: 2 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', ...leaf },
  ];
}
write(
  'parquet_embedding_string.parquet',
  parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: 'embedding', data: M.map((r) => JSON.stringify(r)), type: 'STRING' },
    ],
  }),
);
write(
  'parquet_embedding_int32.parquet',
  parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: 'embedding', data: M.map((_, i) => i), type: 'INT32' },
    ],
  }),
);
write(
  'parquet_embedding_int32_list.parquet',
  parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids },
      { name: 'embedding', data: M.map((r) => r.map((v) => Math.round(v))) },
    ],
    schema: listSchema('embedding', { type: 'INT32' }),
  }),
);

// A valid list<float> file whose footer then claims 400 000 000 rows (file and row group):
// the footer is decoded with hyparquet and re-encoded with hyparquet-writer's metadata writer.
{
  const good = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: ids },
        { name: 'embedding', data: M },
      ],
      schema: listSchema('embedding', { type: 'FLOAT' }),
      codec: 'UNCOMPRESSED',
    }),
  );
  const footerLength = good.readUInt32LE(good.length - 8);
  const body = good.subarray(0, good.length - 8 - footerLength);
  const metadata = parquetMetadata(good.buffer.slice(good.byteOffset, good.byteOffset + good.length));
  metadata.num_rows = 400_000_000n;
  metadata.row_groups[0].num_rows = 400_000_000n;
  const w = new ByteWriter();
  writeMetadata(w, metadata);
  const footer = Buffer.from(w.getBuffer());
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(footer.length);
  tail.write('PAR1', 4, 'latin1');
  write('parquet_rows_lie.parquet', Buffer.concat([body, footer, tail]));
}

// ---- text formats

const row = (i) => M[i].join(',');
// The id of row 2 is "na\xEFve" in latin-1: not UTF-8.
write(
  'csv_invalid_utf8_id.csv',
  Buffer.concat([
    Buffer.from(`id,d0,d1,d2,d3,d4\nw0,${row(0)}\nw1,${row(1)}\n`),
    Buffer.from('na\xefve', 'latin1'),
    Buffer.from(`,${row(2)}\nw3,${row(3)}\n`),
  ]),
);
const vecLine = (w, i, cols = COLS) => `${w} ${M[i].slice(0, cols).join(' ')}\n`;
write('vec_count_lie.vec', `9 5\n${M.map((_, i) => vecLine(`w${i}`, i)).join('')}`);
write('vec_dim_lie.vec', `7 6\n${M.map((_, i) => vecLine(`w${i}`, i)).join('')}`);
write('vec_duplicate_ids.vec', `4 5\n${vecLine('w0', 0)}${vecLine('w1', 1)}${vecLine('w0', 2)}${vecLine('w3', 3)}`);

function w2vBin(header, rows) {
  const parts = [Buffer.from(`${header}\n`)];
  for (const [w, values] of rows) parts.push(Buffer.from(`${w} `), Buffer.from(new Float32Array(values).buffer), Buffer.from('\n'));
  return Buffer.concat(parts);
}
const binRows = M.map((r, i) => [`w${i}`, r]);
write('bin_count_lie.bin', w2vBin('9 5', binRows));
write('bin_dim_lie.bin', w2vBin('7 8', binRows));
write('bin_claims_2e9.bin', w2vBin('400000000 5', binRows.slice(0, 1))); // 2·10^9 values: within the default maxValues

// ---- an empty file and a 1-byte file (0xFF) of every extension
for (const ext of ['npy', 'npz', 'safetensors', 'csv', 'tsv', 'jsonl', 'ndjson', 'json', 'vec', 'txt', 'bin', 'parquet']) {
  write(`empty.${ext}`, Buffer.alloc(0));
  write(`one_byte.${ext}`, Buffer.from([0xff]));
}

const total = written.reduce((a, [, n]) => a + n, 0);
for (const [name, n] of written) console.log(`${String(n).padStart(7)}  ${name}`);
console.log(`${written.length} files, ${total} bytes`);
if (total >= 300 * 1024) throw new Error('the corpus must stay under 300 KB');
// sanity: nothing else in the directory
if (readdirSync(out).length !== written.length) throw new Error('stray files in test/fixtures/broken');

