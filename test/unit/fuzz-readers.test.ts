/**
 * Reader fuzzing: no file can crash, hang or over-allocate a reader.
 *
 * Contract checked for every input (see `outcome`):
 * - readEmbeddings either returns a valid table (rows ≥ 1, cols ≥ 1, data length
 *   rows × cols ≤ maxValues, every value finite, ids / labels one per row), or
 *   rejects with a LatentError whose code is one a reader may give and whose message
 *   names the file; an internal exception (TypeError, RangeError, stack overflow…)
 *   re-wrapped as an 'io' error counts as a crash;
 * - it settles within HANG_MS (a Promise.race catches async hangs, the elapsed
 *   time catches synchronous ones);
 * - no single Float32Array / Float64Array is longer than maxValues, and no byte
 *   buffer is larger than the .npz inflate limit (maxValues × 8 + 1 MB + 1): the
 *   typed-array constructors are wrapped while this file runs (`installAllocationSpy`).
 *
 * Inputs: fast-check mutations (fixed seed) of the valid fixtures in
 * test/fixtures/formats (truncation, bit flips, byte overwrites, splices, duplicated
 * regions), header rewrites for .npy / .safetensors / .npz, random text for the
 * text formats, hand-written hostile inputs, and the committed corpus in
 * test/fixtures/broken (scripts/gen-broken-corpus.mjs), whose expected errors are
 * listed in BROKEN_EXPECTED below. The last line printed reports how many inputs were tried.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { LatentError, type ErrorCode } from '../../src/core/errors';
import { readEmbeddings, supportedExtensions, type EmbeddingTable, type ReadOptions } from '../../src/core/io';
import { pairById } from '../../src/core/pairs';
import { fx } from './io-helpers';

const MAX_VALUES = 1_000_000;
const OPTS: ReadOptions = { maxValues: MAX_VALUES };
const HANG_MS = 5000;
/** The .npz reader may inflate a member up to maxValues × 8 + 1 MB (one spare byte). */
const MAX_BYTES = MAX_VALUES * 8 + 1024 * 1024 + 1;
/** Fixed seed; FUZZ_SEED / FUZZ_SCALE (a run multiplier) allow longer ad-hoc runs, e.g. FUZZ_SCALE=20. */
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
const BROKEN = path.resolve(__dirname, '../../../test/fixtures/broken');

/** Codes a reader may give for a bad file. 'usage' only for "choose an array / no such array". */
const READER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['io', 'format', 'unsupported', 'shape', 'value', 'ids', 'cancelled']);

// ---------------------------------------------------------------- accounting

const stats = { tried: 0, valid: 0, rejected: 0 };
after(() => {
  console.log(`fuzz: ${stats.tried} inputs tried, ${stats.valid} valid, ${stats.rejected} rejected with LatentError`);
});

// ---------------------------------------------------------------- allocation spy

/** Largest single allocation seen since the last reset: float elements, and bytes. */
const peak = { floats: 0, bytes: 0, what: '' };
type SpiedName = 'Float32Array' | 'Float64Array' | 'Uint8Array' | 'ArrayBuffer';
const SPIED: SpiedName[] = ['Float32Array', 'Float64Array', 'Uint8Array', 'ArrayBuffer'];
const originals = new Map<SpiedName, unknown>();

function record(name: SpiedName, arg: unknown): void {
  let n: number | undefined;
  if (typeof arg === 'number') n = arg;
  else if (arg !== null && typeof arg === 'object' && !(arg instanceof ArrayBuffer) && !(arg instanceof SharedArrayBuffer)) {
    const len = (arg as { length?: unknown }).length;
    if (typeof len === 'number') n = len;
  }
  if (n === undefined || !Number.isFinite(n)) return;
  if (name === 'Float32Array' || name === 'Float64Array') {
    if (n > peak.floats) {
      peak.floats = n;
      peak.what = `${name}(${n})`;
    }
  } else if (n > peak.bytes) {
    peak.bytes = n;
    if (peak.floats === 0) peak.what = `${name}(${n})`;
  }
}

/** Wraps the global typed-array constructors so every `new X(n)` / `X.from(...)` is recorded. */
function installAllocationSpy(): void {
  const g = globalThis as unknown as Record<SpiedName, unknown>;
  for (const name of SPIED) {
    const Orig = g[name] as new (...args: unknown[]) => unknown;
    originals.set(name, Orig);
    const proxy: unknown = new Proxy(Orig, {
      construct(target, args, newTarget) {
        record(name, args[0]);
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
      },
    });
    g[name] = proxy;
  }
}

function removeAllocationSpy(): void {
  const g = globalThis as unknown as Record<SpiedName, unknown>;
  for (const [name, orig] of originals) g[name] = orig;
  originals.clear();
}

function resetPeak(): void {
  peak.floats = 0;
  peak.bytes = 0;
  peak.what = '';
}

// ---------------------------------------------------------------- the contract

let dir = '';
let counter = 0;

function writeCase(ext: string, bytes: Uint8Array | string, stem = 'case'): string {
  const file = path.join(dir, `${stem}-${++counter}${ext}`);
  writeFileSync(file, bytes);
  return file;
}

const isSystemError = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code);
};

function describeCause(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 6).join('\n') : String(e);
}

/** Checks a table the way a caller relies on it. */
function checkTable(t: EmbeddingTable, file: string, limit: number): void {
  const { rows, cols, data } = t.matrix;
  const where = `${path.basename(file)}: `;
  assert.ok(Number.isSafeInteger(rows) && rows >= 1, `${where}rows = ${rows}`);
  assert.ok(Number.isSafeInteger(cols) && cols >= 1, `${where}cols = ${cols}`);
  assert.equal(data.length, rows * cols, `${where}data length ${data.length} ≠ ${rows} × ${cols}`);
  assert.ok(rows * cols <= limit, `${where}${rows} × ${cols} values exceed maxValues ${limit}`);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) assert.fail(`${where}value ${k} is ${data[k]} in a table read without allowNonFinite`);
  }
  if (t.ids) assert.equal(t.ids.length, rows, `${where}${t.ids.length} ids for ${rows} rows`);
  if (t.labels) assert.equal(t.labels.length, rows, `${where}${t.labels.length} labels for ${rows} rows`);
  if (t.ids && new Set(t.ids).size !== t.ids.length) {
    // The readers keep duplicate ids; joining by id must then refuse.
    assert.throws(
      () => pairById(t, t),
      (e: unknown) => e instanceof LatentError && e.code === 'ids',
      `${where}duplicate ids, but pairById did not refuse them with 'ids'`,
    );
  }
}

interface Outcome {
  table?: EmbeddingTable;
  error?: LatentError;
}

/**
 * Reads `file` and enforces the contract; returns the table or the LatentError.
 * `bounds` are the allocation limits for this read (defaults: the fuzz limits).
 */
async function outcome(
  file: string,
  options: ReadOptions = OPTS,
  bounds: { floats: number; bytes: number } = { floats: MAX_VALUES, bytes: MAX_BYTES },
): Promise<Outcome> {
  stats.tried++;
  resetPeak();
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS);
  });
  let result: EmbeddingTable | 'hang' | undefined;
  let caught: unknown;
  try {
    result = await Promise.race([readEmbeddings(file, options), hang]);
  } catch (e) {
    caught = e;
  } finally {
    clearTimeout(timer);
  }
  const elapsed = Date.now() - t0;
  const name = path.basename(file);
  assert.ok(result !== 'hang' && elapsed <= HANG_MS, `hang: reading ${name} took more than ${HANG_MS} ms (${elapsed} ms)`);
  assert.ok(
    peak.floats <= bounds.floats,
    `over-allocation: reading ${name} allocated ${peak.what} (more than ${bounds.floats} float values)`,
  );
  assert.ok(peak.bytes <= bounds.bytes, `over-allocation: reading ${name} allocated ${peak.bytes} bytes at once (limit ${bounds.bytes})`);
  if (caught === undefined) {
    checkTable(result as EmbeddingTable, file, options.maxValues ?? 2 ** 31 - 1);
    stats.valid++;
    return { table: result as EmbeddingTable };
  }
  if (!(caught instanceof LatentError)) assert.fail(`crash: reading ${name} threw ${describeCause(caught)}`);
  const err = caught;
  assert.ok(err.message.includes(name), `message does not name the file: ${err.message}`);
  if (err.code === 'usage') {
    assert.match(err.message, /--array|no (array|tensor|column) /, `unexpected usage error: ${err.message}`);
  } else {
    assert.ok(READER_CODES.has(err.code), `unexpected code ${err.code}: ${err.message}`);
  }
  if (err.code === 'io' && err.cause !== undefined && !isSystemError(err.cause)) {
    assert.fail(`crash reported as an io error while reading ${name}: ${describeCause(err.cause)}`);
  }
  stats.rejected++;
  return { error: err };
}

// ---------------------------------------------------------------- mutations

type Pos = { abs: number } | { rel: number };
type Mutation =
  | { kind: 'truncate'; at: Pos }
  | { kind: 'flip'; at: Pos; bit: number }
  | { kind: 'set'; at: Pos; byte: number }
  | { kind: 'splice'; at: Pos; del: number; ins: number[] }
  | { kind: 'dup'; from: Pos; len: number; to: Pos };

const rel = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** Positions: anywhere, or within the first 200 bytes (where the headers are). */
const pos: fc.Arbitrary<Pos> = fc.oneof(
  fc.nat({ max: 200 }).map((abs) => ({ abs })),
  rel.map((r) => ({ rel: r })),
);
const interestingByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0xc3, 0xed, 0x22, 0x27, 0x2c, 0x09, 0x0a, 0x0d, 0x20, 0x28, 0x29, 0x5b, 0x5d, 0x7b, 0x7d, 0x2d, 0x30, 0x31, 0x39),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: pos }),
  fc.record({ kind: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: pos, byte: interestingByte }),
  fc.record({ kind: fc.constant('splice' as const), at: pos, del: fc.nat({ max: 16 }), ins: fc.array(interestingByte, { maxLength: 16 }) }),
  fc.record({ kind: fc.constant('dup' as const), from: pos, len: fc.integer({ min: 1, max: 256 }), to: pos }),
);

function at(p: Pos, len: number): number {
  return 'abs' in p ? Math.min(p.abs, len) : Math.floor(p.rel * len);
}

function mutate(base: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const m of ms) {
    const n = b.length;
    switch (m.kind) {
      case 'truncate':
        b = b.slice(0, at(m.at, n));
        break;
      case 'flip':
        if (n > 0) b[Math.min(at(m.at, n), n - 1)] ^= 1 << m.bit;
        break;
      case 'set':
        if (n > 0) b[Math.min(at(m.at, n), n - 1)] = m.byte;
        break;
      case 'splice': {
        const i = at(m.at, n);
        b = Uint8Array.from([...b.subarray(0, i), ...m.ins, ...b.subarray(Math.min(n, i + m.del))]);
        break;
      }
      case 'dup': {
        const s = at(m.from, n);
        const region = b.slice(s, Math.min(n, s + m.len));
        const t = at(m.to, n);
        b = Uint8Array.from([...b.subarray(0, t), ...region, ...b.subarray(t)]);
        break;
      }
    }
  }
  return b;
}

interface Fixture {
  file: string;
  options?: ReadOptions;
}

const BINARY_FIXTURES: Record<string, Fixture[]> = {
  npy: [
    { file: 'm_f4le.npy' },
    { file: 'm_f8be_fortran.npy' },
    { file: 'm_f2le.npy' },
    { file: 'm_v2_f4.npy' },
    { file: 'm_v3_f4.npy' },
    { file: 'bool_b1.npy' },
    { file: 'signed_i8le.npy' },
  ],
  npz: [{ file: 'm_single.npz' }, { file: 'm_deflated.npz', options: { array: 'embeddings' } }, { file: 'm_stored.npz', options: { array: 'embeddings' } }],
  safetensors: [{ file: 'm_f32.safetensors' }, { file: 'm_bf16.safetensors' }, { file: 'm_f16.safetensors' }, { file: 'm_f64.safetensors' }, { file: 'signed_i32.safetensors' }],
  parquet: [{ file: 'm_float.parquet' }, { file: 'm_double.parquet' }, { file: 'm_float16.parquet' }, { file: 'm_v1.parquet' }, { file: 'm_zstd.parquet' }, { file: 'm_zstd_v2.parquet' }, { file: 'm_lz4_raw.parquet' }, { file: 'm_lz4_hadoop.parquet' }],
  bin: [{ file: 'm.bin' }],
  text: [
    { file: 'm_header.csv' },
    { file: 'm_noheader_ids.csv' },
    { file: 'm_header.tsv' },
    { file: 'm_objects.jsonl' },
    { file: 'm_arrays.jsonl' },
    { file: 'm_vector.ndjson' },
    { file: 'm_objects.json' },
    { file: 'm_columns.json' },
    { file: 'm_arrays.json' },
    { file: 'm.vec' },
    { file: 'm_glove.txt' },
  ],
};

/** Runs per property; the whole file stays well under a minute on 2 cores. */
const RUNS = { mutation: 500, header: 800, text: 700 };

const fuzzOptions = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns: Math.round(numRuns * SCALE), endOnFailure: true });

function setupDir(): void {
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'lt-fuzz-'));
    installAllocationSpy();
  });
  after(() => {
    removeAllocationSpy();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes the case files after each property run so the directory stays small. */
function cleanDir(): void {
  for (const f of readdirSync(dir)) rmSync(path.join(dir, f), { force: true });
}

// ---------------------------------------------------------------- byte-level mutation of every fixture

describe('fuzz: mutated fixtures', () => {
  setupDir();
  afterEach(cleanDir);
  for (const [family, fixtures] of Object.entries(BINARY_FIXTURES)) {
    it(`${family}: truncations, flips, overwrites, splices and duplicated regions end in a table or a LatentError`, async () => {
      const bases = fixtures.map((f) => ({ ...f, bytes: readFileSync(fx(f.file)), ext: path.extname(f.file) }));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (base, ms) => {
          const file = writeCase(base.ext, mutate(base.bytes, ms));
          await outcome(file, { ...OPTS, ...base.options });
          rmSync(file, { force: true });
        }),
        fuzzOptions(family === 'text' ? RUNS.mutation * 2 : RUNS.mutation),
      );
    });
  }
});

// ---------------------------------------------------------------- header rewrites

const F32_DATA = Buffer.from(new Float32Array(Array.from({ length: 35 }, (_, k) => (k % 9) - 4)).buffer);

function npyBytes(dict: string, data: Uint8Array, version = 1, lengthLie?: number): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  let header = Buffer.from(dict, version >= 3 ? 'utf8' : 'latin1');
  const total = pre + header.length + 1;
  header = Buffer.concat([header, Buffer.alloc((64 - (total % 64)) % 64, 0x20), Buffer.from('\n')]);
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  const value = lengthLie ?? header.length;
  if (version === 1) len.writeUInt16LE(value & 0xffff);
  else len.writeUInt32LE(value >>> 0);
  return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version & 0xff, 0]), len, header, data]);
}

const npyDim = fc.oneof(
  fc.integer({ min: 0, max: 12 }).map(String),
  fc.constantFrom(
    '7',
    '5',
    '2147483648',
    '4294967296',
    '9007199254740993',
    '18446744073709551616',
    '99999999999999999999999999',
    '-1',
    '-7',
    '7L',
    '7.0',
    '1e3',
    'None',
    "'7'",
    '0x10',
    '+5',
  ),
);
const npyShape = fc.oneof(
  fc.array(npyDim, { maxLength: 4 }).map((d) => `(${d.join(', ')}${d.length === 1 ? ',' : ''})`),
  fc.constantFrom('(2147483648, 2147483648)', '(1000000, 1000000)', '(7, 5)', '(5, 7)', '(35,)', '()', '[7, 5]', '7', 'None', '(7, (5,))'),
);
const npyDescr = fc.constantFrom(
  "'<f4'",
  "'>f4'",
  "'<f8'",
  "'<f2'",
  "'|u1'",
  "'<i8'",
  "'>u8'",
  "'|b1'",
  "'<c8'",
  "'|O'",
  "'O'",
  "'<U10'",
  "'|S5'",
  "'|V8'",
  "'<M8[ns]'",
  "'<f16'",
  "'<f3'",
  "'f4'",
  "'=f4'",
  "''",
  '4',
  "[('a', '<f4')]",
  "'<f4\\x00'",
);
const npyHeader = fc.record({
  descr: npyDescr,
  fortran: fc.constantFrom('False', 'True', '0', 'None', "'no'"),
  shape: npyShape,
  drop: fc.constantFrom(undefined, 'descr', 'fortran_order', 'shape'),
  extra: fc.constantFrom('', "'extra': 1, ", "'shape': (1, 1), ", '}', '{', "'a': ((((((((((1,),),),),),),),),),), "),
  version: fc.constantFrom(1, 1, 2, 3, 0, 4, 255),
  lengthLie: fc.option(fc.oneof(fc.nat({ max: 70000 }), fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff, 1024 * 1024 + 1)), { freq: 4 }),
  dataLen: fc.oneof(fc.constant(140), fc.nat({ max: 400 })),
});

const stDim = fc.oneof(
  fc.integer({ min: 0, max: 12 }),
  fc.constantFrom<unknown>(7, 5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e300, -1, 7.5, '7', null, 35),
);
const stOffset = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom<unknown>(0, 140, 280, 2 ** 53, 2 ** 64, -1, 70.5, '140', null),
);
const stTensor = fc.record({
  dtype: fc.constantFrom<unknown>('F32', 'F16', 'BF16', 'F64', 'I8', 'I32', 'I64', 'U64', 'BOOL', 'F8_E4M3', 'Q4', '', 5, null),
  shape: fc.oneof(fc.constant<unknown>([7, 5]), fc.array(stDim, { maxLength: 3 }), fc.constantFrom<unknown>('7,5', null, {})),
  data_offsets: fc.oneof(fc.constant<unknown>([0, 140]), fc.tuple(stOffset, stOffset), fc.array(stOffset, { maxLength: 3 }), fc.constantFrom<unknown>(null, '0,140')),
});
const stHeader = fc.record({
  tensors: fc.dictionary(fc.constantFrom('emb', 'a', 'b', '__proto__', '__metadata__', ''), stTensor, { minKeys: 0, maxKeys: 3 }),
  raw: fc.option(fc.constantFrom('{not json', '[]', 'null', '"x"', '{"a": 1}', '{"a": {"dtype": "F32"', '\u00ff\u00fe'), { freq: 6 }),
  lengthMode: fc.constantFrom('exact', 'exact', 'exact', 'plus', 'minus', 'zero', 'huge', 'max', 'random'),
  lengthDelta: fc.integer({ min: 1, max: 200 }),
  dataLen: fc.oneof(fc.constant(140), fc.nat({ max: 400 })),
});

interface SafetensorsCase {
  tensors: Record<string, unknown>;
  raw: string | null;
  lengthMode: string;
  lengthDelta: number;
  dataLen: number;
}

function safetensorsBytes(h: SafetensorsCase): Uint8Array {
  const json = Buffer.from(h.raw ?? JSON.stringify(h.tensors));
  const len = Buffer.alloc(8);
  const exact = BigInt(json.length);
  const value: Record<string, bigint> = {
    exact,
    plus: exact + BigInt(h.lengthDelta),
    minus: exact > BigInt(h.lengthDelta) ? exact - BigInt(h.lengthDelta) : 0n,
    zero: 0n,
    huge: 2n ** 62n,
    max: 2n ** 64n - 1n,
    random: BigInt(h.lengthDelta) * 1_000_003n,
  };
  len.writeBigUInt64LE(value[h.lengthMode]);
  const data = Buffer.alloc(h.dataLen);
  F32_DATA.copy(data, 0, 0, Math.min(h.dataLen, F32_DATA.length));
  return Buffer.concat([len, json, data]);
}

/** Offsets of the fields a zip header rewrite may patch, relative to the signatures. */
const ZIP_FIELDS = [
  ['local', 'method', 8, 2],
  ['local', 'crc', 14, 4],
  ['local', 'compressed', 18, 4],
  ['local', 'uncompressed', 22, 4],
  ['local', 'nameLength', 26, 2],
  ['central', 'method', 10, 2],
  ['central', 'crc', 16, 4],
  ['central', 'compressed', 20, 4],
  ['central', 'uncompressed', 24, 4],
  ['central', 'nameLength', 28, 2],
  ['central', 'extraLength', 30, 2],
  ['central', 'localOffset', 42, 4],
  ['eocd', 'count', 10, 2],
  ['eocd', 'cdSize', 12, 4],
  ['eocd', 'cdOffset', 16, 4],
] as const;

const zipPatch = fc.record({
  field: fc.integer({ min: 0, max: ZIP_FIELDS.length - 1 }),
  value: fc.oneof(fc.constantFrom(0, 1, 8, 0xffff, 0xffffffff, 0xfffffff0, 0x7fffffff, 300, 10_000_000), fc.nat()),
});

function findSig(b: Uint8Array, sig: number, fromEnd: boolean): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (fromEnd) {
    for (let i = b.length - 4; i >= 0; i--) if (dv.getUint32(i, true) === sig) return i;
  } else {
    for (let i = 0; i + 4 <= b.length; i++) if (dv.getUint32(i, true) === sig) return i;
  }
  return -1;
}

function patchZip(zip: Uint8Array, patches: { field: number; value: number }[]): Uint8Array {
  const b = Uint8Array.from(zip);
  const dv = new DataView(b.buffer);
  const base = { local: findSig(b, 0x04034b50, false), central: findSig(b, 0x02014b50, true), eocd: findSig(b, 0x06054b50, true) };
  for (const p of patches) {
    const [where, , off, size] = ZIP_FIELDS[p.field];
    const at0 = base[where];
    if (at0 < 0 || at0 + off + size > b.length) continue;
    if (size === 2) dv.setUint16(at0 + off, p.value & 0xffff, true);
    else dv.setUint32(at0 + off, p.value >>> 0, true);
  }
  return b;
}

describe('fuzz: header rewrites', () => {
  setupDir();
  afterEach(cleanDir);

  it('npy: lying / absurd / negative / overflowing shapes, wrong dtypes, bad versions and header lengths', async () => {
    await fc.assert(
      fc.asyncProperty(npyHeader, async (h) => {
        const keys: [string, string][] = [
          ['descr', h.descr],
          ['fortran_order', h.fortran],
          ['shape', h.shape],
        ];
        const dict = `{${keys
          .filter(([k]) => k !== h.drop)
          .map(([k, v]) => `'${k}': ${v}, `)
          .join('')}${h.extra}}`;
        const data = Buffer.alloc(h.dataLen);
        F32_DATA.copy(data, 0, 0, Math.min(h.dataLen, F32_DATA.length));
        const file = writeCase('.npy', npyBytes(dict, data, h.version, h.lengthLie ?? undefined));
        await outcome(file);
        // the same bytes as the only member of an .npz, stored and deflated
        const bytes = readFileSync(file);
        await outcome(writeCase('.npz', zipSync({ 'arr_0.npy': [bytes, { level: 0 }] })));
        await outcome(writeCase('.npz', zipSync({ 'arr_0.npy': [bytes, { level: 6 }] })));
      }),
      fuzzOptions(RUNS.header),
    );
  });

  it('safetensors: header length lies, non-JSON headers, bad dtypes, shapes and data_offsets', async () => {
    await fc.assert(
      fc.asyncProperty(stHeader, async (h) => {
        await outcome(writeCase('.safetensors', safetensorsBytes(h)), { ...OPTS });
      }),
      fuzzOptions(RUNS.header),
    );
  });

  it('npz: member names, sizes, CRCs, methods and offsets rewritten', async () => {
    const member = readFileSync(fx('m_f4le.npy'));
    const names = fc.constantFrom('arr_0.npy', 'emb.npy', '../x.npy', '/abs.npy', 'C:\\x.npy', 'a/../../b.npy', 'dir/a.npy', '..\\x.npy', '', 'x.txt', 'a.NPY');
    await fc.assert(
      fc.asyncProperty(names, fc.constantFrom(0, 6, 9), fc.array(zipPatch, { minLength: 0, maxLength: 3 }), fc.nat({ max: 4000 }), async (name, level, patches, pad) => {
        // pad: extra zeros after the npy data, so deflated members compress far better than 1:1
        const content = Buffer.concat([member, Buffer.alloc(pad)]);
        const zip = zipSync({ [name || 'unnamed']: [content, { level: level as 0 | 6 | 9 }] });
        const before = readdirSync(path.dirname(dir));
        await outcome(writeCase('.npz', patchZip(zip, patches)));
        // nothing is ever extracted: no file appears next to the case directory
        assert.deepEqual(readdirSync(path.dirname(dir)).filter((f) => !before.includes(f) && f.startsWith('x')), []);
      }),
      fuzzOptions(RUNS.header),
    );
  });
});

// ---------------------------------------------------------------- random text

const INVALID_UTF8: number[][] = [[0xff], [0xfe], [0x80], [0xc3], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];

const numberTok = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noDefaultInfinity: false }).map((v) => String(v)),
  fc.constantFrom('nan', 'NaN', '-nan', 'inf', '-inf', 'Infinity', '-Infinity', '1e999', '-1e999', '-0', '+1', '.5', '5.', '1e', '0x10', '1_000', '١'),
);
const idTok = fc.constantFrom('w0', 'w1', 'w1', 'naïve', 'id', 'word', 'label', '1984', '', ' ', '\uFEFF', '\u0000', 'a b', 'ẞ', '\u{1F600}');
const quoteTok = fc.constantFrom('"', '""', '"a,b"', '"unterminated', 'a"b', '"x""y"', '"\n"', "'");
const cellTok = fc.oneof({ weight: 6, arbitrary: numberTok }, { weight: 2, arbitrary: idTok }, { weight: 1, arbitrary: quoteTok }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) });

/** A text file as bytes: lines of cells, a separator, line endings, maybe a BOM, maybe invalid UTF-8. */
function textFile(sep: fc.Arbitrary<string>, header: fc.Arbitrary<string | null>): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      bom: fc.boolean(),
      header,
      sep,
      eol: fc.constantFrom('\n', '\n', '\r\n', '\r'),
      lines: fc.array(fc.array(cellTok, { minLength: 0, maxLength: 6 }), { maxLength: 10 }),
      bad: fc.array(fc.record({ at: rel, bytes: fc.constantFrom(...INVALID_UTF8) }), { maxLength: 2 }),
      trailing: fc.boolean(),
    })
    .map((r) => {
      const lines = r.lines.map((cells) => cells.join(r.sep));
      if (r.header !== null) lines.unshift(r.header);
      const text = (r.bom ? '\uFEFF' : '') + lines.join(r.eol) + (r.trailing ? r.eol : '');
      let bytes = Uint8Array.from(Buffer.from(text, 'utf8'));
      for (const b of r.bad) {
        const i = Math.floor(b.at * bytes.length);
        bytes = Uint8Array.from([...bytes.subarray(0, i), ...b.bytes, ...bytes.subarray(i)]);
      }
      return bytes;
    });
}

const w2vHeader = fc.option(
  fc.tuple(fc.oneof(fc.nat({ max: 12 }), fc.constantFrom(0, 1000000, 2 ** 31, 2 ** 53)), fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(0, 300, 2 ** 31))).map(([c, d]) => `${c} ${d}`),
  { freq: 2 },
);

const jsonRow = fc.oneof(
  fc.array(fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.integer({ min: -5, max: 5 })), { minLength: 0, maxLength: 5 }).map((v) => JSON.stringify(v)),
  fc
    .record({ id: fc.oneof(idTok, fc.integer(), fc.constant(null)), embedding: fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 5 }), label: fc.option(idTok) })
    .map((o) => JSON.stringify(o)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('[1, NaN, 2]', '[Infinity, 1]', '[-Infinity]', '{"embedding": [1, 2], "id": "w1"}', '{"vector": [1e999]}', '[1, 2', '{', '"x"', '[[1]]', '[1, "2"]', '[true]', '{"values": {}}', '{"embeddings": [[1, 2]], "ids": ["a", "a"]}'),
);
const jsonlFile = fc
  .record({ rows: fc.array(jsonRow, { maxLength: 8 }), eol: fc.constantFrom('\n', '\r\n'), bom: fc.boolean(), bad: fc.option(fc.constantFrom(...INVALID_UTF8)) })
  .map((r) => {
    let bytes = Uint8Array.from(Buffer.from((r.bom ? '\uFEFF' : '') + r.rows.join(r.eol), 'utf8'));
    if (r.bad) bytes = Uint8Array.from([...bytes.subarray(0, bytes.length >> 1), ...r.bad, ...bytes.subarray(bytes.length >> 1)]);
    return bytes;
  });
const jsonFile = fc
  .record({
    shape: fc.constantFrom('rows', 'columns', 'words'),
    rows: fc.array(jsonRow, { maxLength: 6 }),
    ids: fc.array(idTok, { maxLength: 6 }),
    bom: fc.boolean(),
  })
  .map((r) => {
    let text: string;
    if (r.shape === 'rows') text = `[${r.rows.join(',')}]`;
    else if (r.shape === 'columns') text = `{"embeddings": [${r.rows.join(',')}], "ids": ${JSON.stringify(r.ids)}}`;
    else text = `{${r.rows.map((row, i) => `${JSON.stringify(r.ids[i] ?? `w${i}`)}: ${row}`).join(', ')}}`;
    return Uint8Array.from(Buffer.from((r.bom ? '\uFEFF' : '') + text, 'utf8'));
  });

describe('fuzz: random text', () => {
  setupDir();
  afterEach(cleanDir);
  const cases: [string, fc.Arbitrary<Uint8Array>][] = [
    ['.csv', textFile(fc.constantFrom(',', ',', ';', '\t'), fc.option(fc.constantFrom('id,label,d0,d1', ',a,b', 'word,x', 'label', 'id'), { freq: 3 }))],
    ['.tsv', textFile(fc.constantFrom('\t', '\t', ','), fc.option(fc.constantFrom('id\tlabel\td0\td1', '\ta\tb', 'word\tx'), { freq: 3 }))],
    ['.vec', textFile(fc.constantFrom(' ', ' ', '\t', '  '), w2vHeader)],
    ['.txt', textFile(fc.constantFrom(' ', '\t'), w2vHeader)],
    ['.jsonl', jsonlFile],
    ['.ndjson', jsonlFile],
    ['.json', jsonFile],
  ];
  for (const [ext, arb] of cases) {
    it(`${ext}: ragged rows, NaN/Inf tokens, invalid UTF-8, BOMs, CRLF, quotes, duplicate ids`, async () => {
      await fc.assert(
        fc.asyncProperty(arb, async (bytes) => {
          const file = writeCase(ext, bytes);
          await outcome(file);
          rmSync(file, { force: true });
        }),
        fuzzOptions(RUNS.text),
      );
    });
  }
});

// ---------------------------------------------------------------- hand-written hostile inputs

/** Default options (maxValues 2^31 − 1): a tiny file must still not make a reader allocate much. */
const SMALL = { floats: 4_000_000, bytes: 64 * 1024 * 1024 };

async function rejects(file: string, code: ErrorCode, options: ReadOptions = OPTS, fragment?: RegExp): Promise<LatentError> {
  const bounds = options.maxValues === undefined ? SMALL : { floats: MAX_VALUES, bytes: MAX_BYTES };
  const before = process.memoryUsage();
  const { error } = await outcome(file, options, bounds);
  const afterUse = process.memoryUsage();
  assert.ok(error, `${path.basename(file)} was read as a valid table`);
  assert.equal(error.code, code, error.message);
  if (fragment) assert.match(error.message, fragment);
  // memory stays small (the spy is exact; these are a second, coarse look)
  assert.ok(afterUse.arrayBuffers - before.arrayBuffers < 256 * 1024 * 1024, `arrayBuffers grew by ${afterUse.arrayBuffers - before.arrayBuffers}`);
  return error;
}

describe('fuzz: hostile inputs', () => {
  setupDir();
  const dict = (shape: string, descr = '<f4'): string => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;

  it('npy headers claiming 10^12 or more values are refused before anything is allocated', async () => {
    for (const options of [OPTS, {}]) {
      await rejects(writeCase('.npy', npyBytes(dict('(1000000, 1000000)'), F32_DATA)), 'unsupported', options, /maxValues/);
      await rejects(writeCase('.npy', npyBytes(dict('(2147483648, 2147483648)'), F32_DATA)), 'unsupported', options);
      await rejects(writeCase('.npy', npyBytes(dict('(134217729, 134217729)'), F32_DATA)), 'unsupported', options);
    }
    // within the default limit but far more than the file holds: truncated, before allocating
    await rejects(writeCase('.npy', npyBytes(dict('(100000, 10000)'), F32_DATA)), 'format', {}, /truncated/);
    await rejects(writeCase('.npy', npyBytes(dict('(100000, 10000)'), F32_DATA)), 'unsupported', OPTS);
  });

  it('deeply nested .npy headers are a format error, not a stack overflow', async () => {
    await rejects(writeCase('.npy', npyBytes(dict('('.repeat(60000)), F32_DATA, 2)), 'format');
    await rejects(writeCase('.npy', npyBytes(`{'descr': ${'['.repeat(30000)}`, F32_DATA, 2)), 'format');
  });

  it('deeply nested JSON values are a format or value error, not a stack overflow', async () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    await rejects(writeCase('.json', `[[1], ${deep}]`), 'value');
    await rejects(writeCase('.json', deep), 'value');
    await rejects(writeCase('.jsonl', `[1, ${deep}]\n`), 'value');
    await rejects(writeCase('.jsonl', `{"id": ${deep}, "embedding": [1, 2]}\n`), 'ids');
    await rejects(writeCase('.json', `[{"id": ${deep}, "embedding": [1, 2]}]`), 'ids');
  });

  it('word2vec binary headers claiming more words than the file holds are refused before allocating', async () => {
    await rejects(writeCase('.bin', '200000000 5\nw '), 'format', {}, /truncated|holds/);
    await rejects(writeCase('.bin', '400 4000000\nw '), 'format', {}, /truncated|holds/);
    await rejects(writeCase('.bin', '2000000 5\nw '), 'unsupported', OPTS);
  });

  it('a csv whose first quoted field never closes is refused in linear time', async () => {
    // 300 000 lines inside one open quoted field: re-splitting the growing record on every line was quadratic
    await rejects(writeCase('.csv', `"${'a,\n'.repeat(300000)}`), 'format', OPTS, /never closed|longer/);
    // a field that closes and reopens on every line
    await rejects(writeCase('.csv', `1,"${'",\n"'.repeat(100000)}`), 'value');
  });

  it('npz members declaring 4 GB, or inflating past their declared size, are refused without allocating it', async () => {
    const npy = readFileSync(fx('m_f4le.npy'));
    const bomb = Buffer.concat([npy, Buffer.alloc(8 * 1024 * 1024)]);
    const zip = zipSync({ 'arr_0.npy': [bomb, { level: 9 }] });
    // declared size: the real npy (268 bytes), in the local and the central header
    const small = patchZip(zip, [
      { field: 3, value: npy.length },
      { field: 8, value: npy.length },
    ]);
    await rejects(writeCase('.npz', small), 'format', OPTS, /more than/);
    await rejects(writeCase('.npz', small), 'format', {}, /more than/);
    const huge = patchZip(zip, [
      { field: 3, value: 0xfffffff0 },
      { field: 8, value: 0xfffffff0 },
    ]);
    await rejects(writeCase('.npz', huge), 'unsupported', OPTS, /limit/);
    await rejects(writeCase('.npz', huge), 'format', {}, /4294967280/);
  });

  it('a ZIP64 extra field too short for the sizes it stands for is a format error, not a RangeError', async () => {
    const npy = readFileSync(fx('m_f4le.npy'));
    const zip = zipSync({ 'arr_0.npy': [npy, { level: 0, extra: { 1: new Uint8Array(4) } }] });
    // central sizes 0xFFFFFFFF: both must come from the 4-byte ZIP64 record, which holds half of one
    const patched = patchZip(zip, [
      { field: 7, value: 0xffffffff },
      { field: 8, value: 0xffffffff },
    ]);
    await rejects(writeCase('.npz', patched), 'format', OPTS, /64-bit field/);
  });

  it('parquet footers claiming more rows than the row groups hold are refused before rows are materialised', async () => {
    // test/fixtures/broken/parquet_rows_lie.parquet: num_rows 400 000 000 in the file and row-group metadata
    await rejects(path.join(BROKEN, 'parquet_rows_lie.parquet'), 'format', {});
    await rejects(path.join(BROKEN, 'parquet_rows_lie.parquet'), 'unsupported', OPTS);
  });
});

// ---------------------------------------------------------------- committed corpus

/**
 * What each file of test/fixtures/broken must give, read with default options
 * ('pair': the reader accepts it; joining it with itself by id must then fail).
 */
const BROKEN_EXPECTED: Record<string, { code: ErrorCode; match?: RegExp; stage?: 'read' | 'pair' }> = {
  'npy_shape_lie.npy': { code: 'format', match: /truncated/ },
  'npy_shape_overflow.npy': { code: 'unsupported', match: /maxValues/ },
  'npy_shape_2p31_square.npy': { code: 'unsupported', match: /maxValues/ },
  'npy_shape_not_safe_integer.npy': { code: 'format', match: /non-negative integers/ },
  'npy_shape_negative.npy': { code: 'format', match: /non-negative integers/ },
  'npy_rows_0.npy': { code: 'shape', match: /\(0, 5\)/ },
  'npy_cols_0.npy': { code: 'shape', match: /\(5, 0\)/ },
  'npy_header_past_eof.npy': { code: 'format', match: /truncated inside the header/ },
  'npy_header_huge_length.npy': { code: 'format', match: /implausibly large/ },
  'npy_claims_1e12.npy': { code: 'unsupported', match: /maxValues/ },
  'npy_claims_1e9.npy': { code: 'format', match: /truncated/ },
  'npy_dtype_complex.npy': { code: 'unsupported', match: /complex/ },
  'npy_dtype_object.npy': { code: 'unsupported', match: /pickled/ },
  'npz_bomb_more_than_declared.npz': { code: 'format', match: /inflates to more than/ },
  'npz_bomb_declares_4gb.npz': { code: 'format', match: /4294967280/ },
  'npz_traversal_dotdot.npz': { code: 'format', match: /\.\.\/x\.npy/ },
  'npz_traversal_absolute.npz': { code: 'format', match: /\/abs\.npy/ },
  'npz_traversal_drive.npz': { code: 'format', match: /C:\\\\x\.npy/ },
  'safetensors_header_2p62.safetensors': { code: 'format', match: /100 MB/ },
  'safetensors_header_not_json.safetensors': { code: 'format', match: /not valid JSON/ },
  'safetensors_offsets_overlap.safetensors': { code: 'format', match: /overlap/ },
  'safetensors_offsets_out_of_range.safetensors': { code: 'format', match: /outside the file/ },
  'safetensors_offsets_reversed.safetensors': { code: 'format', match: /outside the file/ },
  'safetensors_shape_dtype_mismatch.safetensors': { code: 'format', match: /needs 280 bytes/ },
  'safetensors_claims_1e12.safetensors': { code: 'unsupported', match: /maxValues/ },
  'parquet_embedding_string.parquet': { code: 'unsupported', match: /expected a list of floats/ },
  'parquet_embedding_int32.parquet': { code: 'unsupported', match: /expected a list of floats/ },
  'parquet_embedding_int32_list.parquet': { code: 'unsupported', match: /list<INT32>/ },
  'parquet_rows_lie.parquet': { code: 'format', match: /rows/ },
  'csv_invalid_utf8_id.csv': { code: 'format', match: /UTF-8/ },
  'vec_count_lie.vec': { code: 'shape', match: /header says 9 words/ },
  'vec_dim_lie.vec': { code: 'shape', match: /expected 6/ },
  'bin_count_lie.bin': { code: 'format', match: /truncated|holds/ },
  'bin_dim_lie.bin': { code: 'format', match: /truncated|holds/ },
  'bin_claims_2e9.bin': { code: 'format', match: /truncated|holds/ },
  'vec_duplicate_ids.vec': { code: 'ids', match: /appears twice/, stage: 'pair' },
};
/** The 1-byte files hold 0xFF: not UTF-8, not a number, not any magic number or header. */
const ONE_BYTE: Record<string, RegExp> = {
  '.npy': /magic/,
  '.npz': /too short/,
  '.safetensors': /shorter than the 8-byte header length/,
  '.parquet': /PAR1/,
  '.bin': /not a word2vec binary file/,
  '.vec': /expected "count dim"/,
  '.txt': /expected "count dim"/,
  '.json': /not valid UTF-8/,
  '.jsonl': /not valid UTF-8/,
  '.ndjson': /not valid UTF-8/,
  '.csv': /not valid UTF-8/,
  '.tsv': /not valid UTF-8/,
};
for (const ext of supportedExtensions) {
  BROKEN_EXPECTED[`empty${ext}`] = { code: 'format', match: /file is empty/ };
  BROKEN_EXPECTED[`one_byte${ext}`] = { code: 'format', match: ONE_BYTE[ext] };
}

describe('fuzz: committed corpus test/fixtures/broken', () => {
  setupDir();
  const files = existsSync(BROKEN) ? readdirSync(BROKEN) : [];

  it('has an expectation for every file, and a file for every expectation', () => {
    assert.deepEqual([...files].sort(), Object.keys(BROKEN_EXPECTED).sort());
  });

  for (const name of files) {
    const want = BROKEN_EXPECTED[name];
    if (!want) continue;
    it(`${name}: ${want.stage === 'pair' ? 'reads, then pairing by id refuses' : 'refused'} with '${want.code}'`, async () => {
      const file = path.join(BROKEN, name);
      if (want.stage === 'pair') {
        const { table } = await outcome(file, {}, SMALL);
        assert.ok(table, `${name} should be readable`);
        assert.throws(
          () => pairById(table, table),
          (e: unknown) => e instanceof LatentError && e.code === want.code && e.message.includes(name) && (!want.match || want.match.test(e.message)),
        );
        return;
      }
      const { error } = await outcome(file, {}, SMALL);
      assert.ok(error, `${name} was read as a valid table`);
      assert.equal(error.code, want.code, error.message);
      if (want.match) assert.match(error.message, want.match);
    });
  }

  it('npz members named ../x.npy, /abs.npy or C:\\x.npy are refused and nothing is written anywhere', async () => {
    const parent = path.dirname(BROKEN);
    const beforeParent = readdirSync(parent);
    const beforeTmp = readdirSync(tmpdir());
    for (const name of ['npz_traversal_dotdot.npz', 'npz_traversal_absolute.npz', 'npz_traversal_drive.npz']) {
      const { error } = await outcome(path.join(BROKEN, name), {}, SMALL);
      assert.equal(error?.code, 'format');
    }
    assert.deepEqual(readdirSync(parent), beforeParent);
    assert.deepEqual(readdirSync(BROKEN).sort(), [...files].sort());
    assert.ok(!existsSync('/abs.npy'));
    assert.ok(!existsSync(path.join(process.cwd(), 'x.npy')));
    assert.ok(!existsSync(path.join(process.cwd(), 'C:\\x.npy')));
    assert.deepEqual(readdirSync(tmpdir()).filter((f) => !beforeTmp.includes(f) && !f.startsWith('lt-')), []);
  });
});
