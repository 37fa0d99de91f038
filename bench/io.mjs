/**
 * The `io` suite: reading an embedding file, in each format a user brings, against NumPy's own
 * reader of the same file (bench/numpy_io.py: np.load, np.loadtxt, json + np.array), both
 * timed in-process (median of `reps`; ours first, then NumPy's, format by format). Both sides'
 * values are hashed (as float64), so the table says whether they read the same numbers.
 *
 * Binary formats at `rows` × d float32 (.npy, .npz stored and deflated, .safetensors, .parquet:
 * NumPy has no Parquet reader, and pyarrow is not assumed), text formats at `textRows` × d in
 * the spellings writers use: float32's shortest (pandas, our writers), np.savetxt's default
 * '%.18e', float64's shortest with a header and an id column (pandas' to_csv), fastText's .vec
 * (a word, then values with 4 decimals and a trailing blank), JSON lines, and Parquet again in
 * the page layout pyarrow's defaults give.
 * Files are generated here (deterministic) and cached in `dataDir`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng, writeNpy } from './data.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export async function ioSuite({ rows, textRows, d, only, reps, dataDir, python, runTimed, record, median }) {
  const { readEmbeddings, formatFloat32 } = require(path.join(ROOT, 'out/src/core/io'));
  const dir = path.join(dataDir, `io-${rows}-${textRows}-${d}`);
  mkdirSync(dir, { recursive: true });
  // drawn only when a file has to be written (77 M normals at the default sizes)
  let drawn;
  const values = () => {
    const g = rng(5);
    return (drawn ??= Float32Array.from({ length: Math.max(rows, textRows) * d }, () => g.normal()));
  };
  const binary = () => values().subarray(0, rows * d);
  const cases = [
    { kind: 'npy', label: '.npy float32', n: rows, file: 'x.npy', make: (f) => writeNpy(f, binary(), [rows, d]) },
    { kind: 'npz', label: '.npz (np.savez, stored)', n: rows, file: 'stored.npz', make: (f) => writeNpz(f, binary(), rows, d, 0) },
    { kind: 'npz', label: '.npz (np.savez_compressed)', n: rows, file: 'deflated.npz', make: (f) => writeNpz(f, binary(), rows, d, 6) },
    { kind: 'safetensors', label: '.safetensors F32', n: rows, file: 'x.safetensors', make: (f) => writeSafetensors(f, binary(), rows, d) },
    { kind: null, label: '.parquet list<float> + id', n: rows, file: 'x.parquet', make: (f) => writeParquet(f, binary(), rows, d) },
    {
      kind: null,
      label: '.parquet pyarrow layout (v1 pages)',
      n: textRows,
      file: 'v1.parquet',
      make: (f) => writeFileSync(f, writeLayout(Array.from({ length: textRows }, (_, i) => Array.from(values().subarray(i * d, (i + 1) * d))), PYARROW_LAYOUT)),
    },
    { kind: 'csv', label: '.csv float32 shortest', n: textRows, file: 'f32.csv', make: (f) => writeText(f, textRows, (i) => row(values(), i, d, formatFloat32).join(',')) },
    { kind: 'csv', label: ".csv np.savetxt '%.18e'", n: textRows, file: 'e18.csv', make: (f) => writeText(f, textRows, (i) => row(values(), i, d, (v) => v.toExponential(18)).join(',')) },
    {
      kind: 'csv-id',
      label: '.csv float64 shortest, header + id',
      n: textRows,
      file: 'f64-id.csv',
      make: (f) => writeText(f, textRows, (i) => `doc${i},${row(values(), i, d, (v) => String(v * 1.0000001)).join(',')}`, `id,${Array.from({ length: d }, (_, j) => `e${j}`).join(',')}`),
    },
    {
      kind: 'vec',
      label: '.vec fastText text (%.4f)',
      n: textRows,
      file: 'x.vec',
      make: (f) => writeText(f, textRows, (i) => `w${i} ${row(values(), i, d, (v) => v.toFixed(4)).join(' ')} `, `${textRows} ${d}`),
    },
    { kind: 'jsonl', label: '.jsonl {"id", "embedding"}', n: textRows, file: 'x.jsonl', make: (f) => writeText(f, textRows, (i) => JSON.stringify({ id: `doc${i}`, embedding: row(values(), i, d, Number) })) },
  ];
  for (const c of cases.filter((x) => only === undefined || x.label.includes(only))) {
    const file = path.join(dir, c.file);
    if (!existsSync(file)) {
      process.stdout.write(`  (writing ${c.file}…)\n`);
      const tmp = `${file}.tmp`;
      await c.make(tmp);
      renameSync(tmp, file);
    }
    await readEmbeddings(file); // page cache and JIT warm for both sides alike (NumPy: its first rep)
    const times = [];
    let table;
    for (let r = 0; r < reps; r++) {
      const t = process.hrtime.bigint();
      table = await readEmbeddings(file);
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    const ours = hash(table.matrix.data);
    table = undefined;
    let np = null;
    let error;
    if (python && c.kind) {
      [np] = JSON.parse(runTimed('python3', [path.join(ROOT, 'bench/numpy_io.py'), String(reps + 1), c.kind, file]).stdout);
      np.times = np.times.slice(1);
      error = np.sha256 === ours ? "values identical to NumPy's" : "VALUES DIFFER from NumPy's";
    } else if (!c.kind) {
      error = 'no NumPy reader';
    }
    const mb = `${Math.round(statSync(file).size / 2 ** 20)} MB`;
    record({ suite: 'io', op: `read ${c.label}`, size: `${c.n}×${d}, ${mb}`, ours: median(times), numpy: np ? median(np.times) : null, error });
  }
}

const row = (values, i, d, format) => Array.from(values.subarray(i * d, (i + 1) * d), format);

/** sha256 of the values as float64 (numpy_io.py hashes the same). */
function hash(data) {
  return createHash('sha256').update(new Uint8Array(Float64Array.from(data).buffer)).digest('hex');
}

function writeText(file, n, line, header) {
  const fd = openSync(file, 'w');
  try {
    if (header) writeSync(fd, `${header}\n`);
    for (let i = 0; i < n; i++) writeSync(fd, `${line(i)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** An .npz of one member, 'emb.npy', stored (level 0) or deflated (fflate; np.savez_compressed uses zlib's level 6 too). */
function writeNpz(file, values, rows, d, level) {
  const { zipSync } = require('fflate');
  const member = `${file}.member.npy`;
  writeNpy(member, values, [rows, d]);
  const bytes = readFileSync(member);
  rmSync(member);
  writeFileSync(file, zipSync({ 'emb.npy': [bytes, { level }] }));
}

function writeSafetensors(file, values, rows, d) {
  const header = Buffer.from(JSON.stringify({ emb: { dtype: 'F32', shape: [rows, d], data_offsets: [0, values.byteLength] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(file, Buffer.concat([length, header, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)]));
}

/**
 * The page layout pyarrow's defaults give a list<float> column: data page v1 of ~1 MiB (262 144
 * levels), Snappy, one row group, a dictionary page with the first page dictionary-encoded
 * (float32s are nearly all distinct, so the 1 MiB dictionary limit ends it there), PLAIN after.
 * Written with the tests' layout writer (test/unit/parquet-layouts.ts), which hyparquet reads alike.
 */
const PYARROW_LAYOUT = { leaf: 'FLOAT', codec: 'SNAPPY', groupRows: 1 << 20, pageValues: 262_144, dictionaryPages: 1 };

function writeLayout(rows, options) {
  return require(path.join(ROOT, 'out/test/unit/parquet-layouts')).writeLayout(rows, options);
}

/** id (string) and embedding (list<float>), row groups of 10 000, as Hugging Face datasets write them. */
async function writeParquet(file, values, rows, d) {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', type: 'FLOAT' },
  ];
  const ids = Array.from({ length: rows }, (_, i) => `doc${i}`);
  const lists = Array.from({ length: rows }, (_, i) => Array.from(values.subarray(i * d, (i + 1) * d)));
  writeFileSync(file, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'id', data: ids }, { name: 'embedding', data: lists }], schema, rowGroupSize: 10000 })));
}
