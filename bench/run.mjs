#!/usr/bin/env node
/**
 * npm run bench [-- options]: our time beside NumPy's, measured in the same run.
 *
 * Suites (--suite a,b; default ops,job,translate):
 *   ops        the heavy steps in-process at N = --rows anchors, for each --dims:
 *              XᵀY, the ortho map (ours: ORT Newton polar; NumPy: SVD), least squares,
 *              retrieval/CSLS/Jaccard over N × N held-out pairs (ours: screened float32)
 *   job        the whole `latent-translator fit` (read, fit, translate, all held-out, anchor and
 *              baseline metrics, write) against bench/numpy_fit.py doing the same work, run
 *              alternately, for each --dims × --methods (and --unequal: also d_y = 3/4·d_x;
 *              --unequal-only: that alone)
 *   warm       the same job as the extension runs it: a request to its compute process (dist/compute.js)
 *              that has served one job already, against numpy_fit.py --serve in an interpreter
 *              that has run it once (a notebook re-running its cell), alternately; --job-dims, --rows,
 *              --methods, --unequal as for job
 *   translate  `latent-translator translate` of --translate-rows × 768 float32 rows, peak RSS,
 *              also with its output through the page cache and into /dev/shm (no device), and
 *              ONNX Runtime's own MatMul on the same shapes in memory (chunks of 4 and 32 MiB;
 *              the faster is the reference), reading the input only, and reading and writing
 *              the files; the disk taking the output's bytes while that MatMul runs
 *              (bench/disk-write.mjs); the CPU time stolen and idle during ours and the MatMul
 *              (/proc/stat); each repetition timing all of them in turn
 *   scale      ortho fit + diagnostics at N ∈ --scale-rows, d ∈ --scale-dims (ours, and NumPy's SVD fit)
 *   lu         the blocked LU's inverse and determinant against ORT's Inverse and the plain LU; the
 *              blocked (pivoted) Cholesky against the row-by-row JS one (d ≤ 1024)
 *              at --lu-dims (default 1024,2048,4096)
 *   eig        eigenvalues of a symmetric (Gram) matrix: the two-stage reduction (ORT GEMMs +
 *              bulge chasing) against the one-stage JS reduction and NumPy's eigvalsh, at
 *              --eig-dims (default 1024,2048,4096)
 *   io         reading an embedding file in each format (.npy, .npz stored/deflated, .safetensors,
 *              .parquet at --io-rows × 768; CSV in three spellings, .vec, JSON lines and a Parquet
 *              file in pyarrow's page layout at --io-text-rows × 768) against NumPy's reader of the
 *              same file (np.load, np.loadtxt, json), values compared by hash (bench/io.mjs,
 *              bench/numpy_io.py); --io-only TEXT keeps the files whose label contains TEXT
 *   panel      the results panel in headless Chromium: first chart and whole render after `show`
 *              for a real fit with --panel-pairs held-out pairs (default 100000; bench/panel.mjs)
 *
 * Every time is the median of --reps runs (default 5). Ratios are ours / NumPy (< 1: we are faster).
 * Errors are against NumPy's float64 results. Prints a table and writes the same as JSON (--out).
 * Synthetic data (bench/data.mjs, deterministic) is cached in $TMPDIR/lt-bench.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readSync, rmSync, statSync, statfsSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePair, rng, writeNpy } from './data.mjs';
import { ioSuite } from './io.mjs';
import { panelSuite } from './panel.mjs';
import { warmJobSuite } from './warm.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const core = (m) => require(path.join(ROOT, 'out/src/core', m));
const CLI = path.join(ROOT, 'dist/cli.js');
const PROBE = path.join(ROOT, 'bench/rss-probe.cjs');

const args = parseArgs(process.argv.slice(2));
const REPS = Number(args.reps ?? 5);
const SUITES = (args.suite ?? 'ops,job,translate').split(',');
const DIMS = (args.dims ?? '384,768,1024').split(',').map(Number);
const JOB_DIMS = (args['job-dims'] ?? '1024').split(',').map(Number);
const METHODS = (args.methods ?? 'ortho').split(',');
const ROWS = Number(args.rows ?? 10000);
const DATA = path.join(tmpdir(), 'lt-bench');
const OUT = args.out ?? path.join(ROOT, 'bench/results/latest.json');
mkdirSync(DATA, { recursive: true });

const python = findNumpy();
const rows = [];
const started = Date.now();

// ------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[key] = argv[++i];
    else out[key] = true;
  }
  return out;
}

function findNumpy() {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? { version: r.stdout.trim() } : undefined;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function record(row) {
  const r = { ...row, ratio: row.numpy ? row.ours / row.numpy : null };
  rows.push(r);
  console.log(`  ${r.suite.padEnd(9)} ${r.op.padEnd(34)} ${r.size.padEnd(22)} ours ${fmt(r.ours)}  numpy ${fmt(r.numpy)}  ratio ${r.ratio ? r.ratio.toFixed(2) : '–'}${r.error !== undefined ? `  error ${r.error}` : ''}`);
}

const fmt = (s) => (s == null ? '     –' : s >= 10 ? `${s.toFixed(1)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`);
const mb = (b) => (b == null ? '–' : `${Math.round(b / 2 ** 20)} MB`);

function printTable(all) {
  console.log('\n| suite | operation | size | ours (median) | NumPy (median) | ours / NumPy | peak RSS ours | peak RSS NumPy | error vs float64 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of all) {
    console.log(`| ${r.suite} | ${r.op} | ${r.size} | ${fmt(r.ours)} | ${fmt(r.numpy)} | ${r.ratio ? r.ratio.toFixed(2) + '×' : '–'} | ${mb(r.rssOurs)} | ${mb(r.rssNumpy)} | ${r.error ?? '–'} |`);
  }
}

/** A cached synthetic pair of n rows (anchors first, then held-out rows). */
function dataPair(n, dx, dy, seed = 1) {
  const base = path.join(DATA, `pair-${n}-${dx}-${dy}-${seed}`);
  const files = { x: `${base}-x.npy`, y: `${base}-y.npy` };
  if (!existsSync(files.y)) {
    process.stdout.write(`  (generating ${n} × ${dx}/${dy} data…)\n`);
    const { x, y } = makePair(n, dx, dy, seed);
    writeNpy(files.x, x, [n, dx]);
    writeNpy(files.y, y, [n, dy]);
  }
  return files;
}

function indexFiles(n) {
  const a = path.join(DATA, `anchors-${n}.npy`);
  const t = path.join(DATA, `test-${n}.npy`);
  if (!existsSync(t)) {
    writeNpy(a, Int32Array.from({ length: n }, (_, i) => i), [n]);
    writeNpy(t, Int32Array.from({ length: n }, (_, i) => n + i), [n]);
  }
  return { anchors: a, test: t };
}

function runTimed(cmd, argv, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { seconds, stdout: r.stdout };
}

function runOurs(argv, env = {}) {
  const rssFile = path.join(DATA, `rss-${process.pid}.txt`);
  const r = runTimed(process.execPath, ['--require', PROBE, CLI, ...argv], { ...env, LT_BENCH_RSS_FILE: rssFile });
  return { ...r, rss: Number(readFileSync(rssFile, 'utf8')) };
}

// ------------------------------------------------------------------------------------------------

async function opsSuite(d) {
  const { Linalg } = core('backend');
  const { polarWithSpectrum } = core('methods');
  const { fitPrep } = core('prep');
  const { retrievalScreened } = core('retrieval');
  const { readEmbeddings } = core('io');
  const { sliceRows } = core('matrix');
  const n = ROWS;
  const files = dataPair(2 * n, d, d);
  const X = (await readEmbeddings(files.x)).matrix;
  const Y = (await readEmbeddings(files.y)).matrix;
  const xs = fitPrep('standard', sliceRows(X, 0, n)).transformed;
  const ys = fitPrep('standard', sliceRows(Y, 0, n)).transformed;
  const la = new Linalg({ threads: Number(args.threads ?? 0) });
  await la.crossprod(sliceRows(xs, 0, 10), sliceRows(ys, 0, 10)); // ORT start-up outside the timings
  const cross = await timedMedian(() => la.crossprod(xs, ys), REPS);
  const polar = await timedMedian(() => polarWithSpectrum(cross.out, la), REPS);
  const lstsq = await timedMedian(() => la.lstsq(xs, ys), REPS);
  const retr = await timedMedian(() => retrievalScreened(sliceRows(X, n, 2 * n), sliceRows(Y, n, 2 * n), la), Math.max(1, Math.min(REPS, 3)));
  await la.dispose();
  let np;
  if (python) {
    const outDir = path.join(DATA, `np-ops-${d}`);
    np = JSON.parse(runTimed('python3', [path.join(ROOT, 'bench/numpy_ops.py'), files.x, files.y, String(REPS), outDir]).stdout);
    const npy = async (f) => (await readEmbeddings(path.join(outDir, f))).matrix;
    const maxAbs = (a, b) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);
    const maxRel = (a, b) => maxAbs(a, b) / b.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    np.errors = {
      ortho: `max |ΔW| ${maxAbs(polar.out.W, await npy('W_ortho.npy')).toExponential(1)}`,
      lstsq: `max |ΔW|/max|W| ${maxRel(lstsq.out.W, await npy('W_lstsq.npy')).toExponential(1)}`,
    };
    const ranks = await npy('ranks.npy');
    let differ = 0;
    for (let i = 0; i < n; i++) if (ranks.data[i] !== retr.out.rank[i] || ranks.data[n + i] !== retr.out.cslsRank[i]) differ++;
    np.errors.retrieval = `${differ} of ${n} ranks differ, Jaccard Δ ${Math.abs(np.jaccard - retr.out.jaccard).toExponential(1)}, ${retr.out.rechecked} float64 rechecks`;
  }
  const size = `N=${n}, d=${d}`;
  const rss = process.resourceUsage().maxRSS * 1024;
  const nt = (op) => (np ? median(np.times[op]) : null);
  record({ suite: 'ops', op: 'M = XᵀY (float64)', size, ours: cross.seconds, numpy: nt('crossprod'), rssOurs: rss, rssNumpy: np?.maxRssBytes });
  record({ suite: 'ops', op: 'ortho map: polar factor + spectrum', size, ours: polar.seconds, numpy: nt('ortho'), error: np?.errors.ortho });
  record({ suite: 'ops', op: 'least squares (linear)', size, ours: lstsq.seconds, numpy: nt('lstsq'), error: np?.errors.lstsq });
  record({ suite: 'ops', op: 'retrieval + CSLS + Jaccard@10', size: `${n}×${n} pairs, d=${d}`, ours: retr.seconds, numpy: nt('retrieval'), error: np?.errors.retrieval });
}

// ------------------------------------------------------------------------------------------------

async function jobSuite(method, dx, dy) {
  const n = ROWS;
  const files = dataPair(2 * n, dx, dy);
  const idx = indexFiles(n);
  const ours = [];
  const theirs = [];
  let rss = 0;
  let rssNp = 0;
  const outOurs = path.join(DATA, `job-ours-${method}-${dx}-${dy}`);
  const outNp = path.join(DATA, `job-np-${method}-${dx}-${dy}`);
  for (let r = 0; r < REPS; r++) {
    const o = runOurs(['fit', '--source', files.x, '--target', files.y, '--anchors', idx.anchors, '--test', idx.test, '--method', method, '--out', outOurs, '--force', '--quiet', '--json']);
    ours.push(o.seconds);
    rss = Math.max(rss, o.rss);
    if (python) {
      rmSync(outNp, { recursive: true, force: true });
      theirs.push(runTimed('python3', [path.join(ROOT, 'bench/numpy_fit.py'), files.x, files.y, idx.anchors, idx.test, outNp, method]).seconds);
      rssNp = Math.max(rssNp, JSON.parse(readFileSync(path.join(outNp, 'result.json'), 'utf8')).maxRssBytes);
    }
  }
  const error = python ? jobMetricsError(JSON.parse(readFileSync(path.join(outOurs, 'result.json'), 'utf8')), JSON.parse(readFileSync(path.join(outNp, 'result.json'), 'utf8')), n, dx, dy, method) : undefined;
  record({ suite: 'job', op: `fit --method ${method} (whole job)`, size: `N=${n}+${n}, d=${dx}→${dy}`, ours: median(ours), numpy: python ? median(theirs) : null, rssOurs: rss, rssNumpy: rssNp || null, error });
}

/**
 * The largest relative difference between two result.json objects' metrics (ours, NumPy's).
 * With fewer anchors than dimensions an orthogonal map is not unique (method.md §1.5): it is
 * fixed on the anchors' row space, where the anchors lie, and each library completes it
 * differently elsewhere, so only the anchors' metrics and the diagnostics can be compared
 * (least squares takes the minimum-norm solution, which is unique).
 */
function jobMetricsError(a, b, n, dx, dy, method) {
  let worst = 0;
  const unique = n >= Math.min(dx, dy) || method === 'linear' || method === 'affine';
  for (const part of unique ? ['heldOut', 'anchors'] : ['anchors']) {
    for (const k of ['cosine', 'mse', 'relativeError', 'top1', 'top5', 'top10', 'mrr', 'meanRank', 'jaccard10', 'cka']) worst = Math.max(worst, relDiff(a[part][k], b[part][k]));
    for (const k of ['top1', 'mrr', 'meanRank']) worst = Math.max(worst, relDiff(a[part].csls[k], b[part].csls[k]));
  }
  if (b.baseline.heldOut) worst = Math.max(worst, relDiff(a.baseline.heldOut.meanRank, b.baseline.heldOut.meanRank), relDiff(a.baseline.heldOut.csls.meanRank, b.baseline.heldOut.csls.meanRank));
  worst = Math.max(worst, relDiff(a.diagnostics.crossCovCondition, b.diagnostics.crossCovCondition), relDiff(a.diagnostics.procrustesDisparity, b.diagnostics.procrustesDisparity));
  return `metrics max rel ${worst.toExponential(1)}${unique ? '' : ' (anchors and diagnostics only: N < d, the map is not unique)'}`;
}

/**
 * |a − b| relative to b, or absolute below 1e-6: an exact fit (fewer anchors than dimensions,
 * least squares) leaves anchor errors of rounding size (MSE ~1e-32, relative error ~1e-15).
 */
function relDiff(a, b) {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
}

// ------------------------------------------------------------------------------------------------

async function translateSuite(n, d) {
  const { ort } = core('backend/ort');
  const { readEmbeddings } = core('io');
  // a translator fitted on a small parallel pair of the same dimension
  const pair = dataPair(20000, d, d, 7);
  const idx = indexFiles(10000);
  const fitDir = path.join(DATA, `translate-fit-${d}`);
  runOurs(['fit', '--source', pair.x, '--target', pair.y, '--anchors', idx.anchors, '--test', idx.test, '--out', fitDir, '--force', '--quiet']);
  const translator = path.join(fitDir, 'translator.json');
  const input = path.join(DATA, `translate-in-${n}-${d}.npy`);
  if (!existsSync(input) || statSync(input).size < n * d * 4) {
    process.stdout.write(`  (writing ${n} × ${d} float32 input, ${((n * d * 4) / 2 ** 30).toFixed(1)} GiB…)\n`);
    writeRandomNpy(input, n, d, 11);
  }
  const out = path.join(DATA, `translate-out-${n}-${d}.npy`);
  // ONNX Runtime's own MatMul on the same shapes from memory, n rows in chunks of 4 MiB (the CLI's)
  // and 32 MiB of float32 (the CLI's before: each output copy then lands in freshly faulted pages);
  // the faster is the reference. Timed in each repetition beside ours, so a drift of this VM
  // moves both.
  const { modelBytes, node, valueInfo } = core('backend/onnxGraph');
  const session = await ort().InferenceSession.create(modelBytes([node('MatMul', ['A', 'B'], ['Y'])], [valueInfo('A', 'float32', ['m', d]), valueInfo('B', 'float32', [d, d])], [valueInfo('Y', 'float32', ['m', d])]), {
    intraOpNumThreads: 0,
    interOpNumThreads: 1,
  });
  const g = rng(3);
  const maxChunk = Math.floor((32 * 2 ** 20) / (4 * d));
  const A = Float32Array.from({ length: maxChunk * d }, () => g.normal());
  const B = Float32Array.from({ length: d * d }, () => g.normal() / Math.sqrt(d));
  const { Tensor } = ort();
  const ortInMemory = async (mib, rows = n) => {
    const chunk = Math.floor((mib * 2 ** 20) / (4 * d));
    const t0 = process.hrtime.bigint();
    for (let start = 0; start < rows; start += chunk) {
      const m = Math.min(chunk, rows - start);
      const res = await session.run({ A: new Tensor('float32', A.subarray(0, m * d), [m, d]), B: new Tensor('float32', B, [d, d]) });
      res.Y.dispose?.();
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  // the same MatMul with the same file traffic: read the input chunk by chunk and, when `write`,
  // write the output (plain writes, no checks, no fsync): what any tool has to pay for
  // 2 × n·d·4 bytes of I/O; without `write`, what the reads alone cost
  const ortWithFileIo = async (write) => {
    const chunk = Math.floor((4 * 2 ** 20) / (4 * d));
    const inFd = openSync(input, 'r');
    const inBuf = new Float32Array(chunk * d);
    const dataStart = statSync(input).size - n * d * 4;
    settleDisk(out);
    const t0 = process.hrtime.bigint();
    const outFd = write ? openSync(out, 'w') : undefined;
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      readSync(inFd, new Uint8Array(inBuf.buffer, 0, m * d * 4), 0, m * d * 4, dataStart + start * d * 4);
      const res = await session.run({ A: new Tensor('float32', inBuf.subarray(0, m * d), [m, d]), B: new Tensor('float32', B, [d, d]) });
      const y = res.Y.data;
      if (outFd !== undefined) writeSync(outFd, new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
    }
    if (outFd !== undefined) closeSync(outFd);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    closeSync(inFd);
    return seconds;
  };
  const ortTimes = { '4 MiB': [], '32 MiB': [] };
  const ioTimes = [];
  const readOnlyTimes = [];
  // the disk taking the same bytes as our output while ORT's MatMul keeps the cores busy
  const diskTimes = [];
  // ours as shipped (O_DIRECT output on Linux) and with the output through the page cache, alternately
  const ours = [];
  const oursBuffered = [];
  let rss = 0;
  const translateArgs = ['translate', '--translator', translator, '--input', input, '--out', out, '--quiet'];
  // and into a memory-backed file system when there is one with room (Linux's /dev/shm): no
  // device in the way, so what is left of the gap to ORT's MatMul is the pipeline's own cost
  const memOut = memoryBackedOutput(n * d * 4);
  const oursInMemory = [];
  // the machine's CPU time stolen by the hypervisor and left idle during our runs and ORT's
  // in-memory MatMul: on a VM, writing the output costs CPU time that no longer shows in-process
  const cpuOurs = [];
  const cpuOrt = [];
  for (let r = 0; r < REPS; r++) {
    settleDisk(out);
    const { result: o, cpu } = await withCpuShares(() => runOurs(translateArgs));
    if (cpu) cpuOurs.push(cpu);
    ours.push(o.seconds);
    rss = Math.max(rss, o.rss);
    settleDisk(out);
    oursBuffered.push(runOurs(translateArgs, { LATENT_TRANSLATOR_DIRECT_IO: '0' }).seconds);
    if (memOut) {
      rmSync(memOut, { force: true });
      oursInMemory.push(runOurs(['translate', '--translator', translator, '--input', input, '--out', memOut, '--quiet']).seconds);
      rmSync(memOut, { force: true });
    }
    for (const mib of [4, 32]) {
      const { result: seconds, cpu } = await withCpuShares(() => ortInMemory(mib));
      ortTimes[`${mib} MiB`].push(seconds);
      if (cpu && mib === 4) cpuOrt.push(cpu);
    }
    ioTimes.push(await ortWithFileIo(true));
    readOnlyTimes.push(await ortWithFileIo(false));
    settleDisk(out);
    // the load in steps of ~0.1 s of MatMul, so that it stops soon after the write
    diskTimes.push(await diskWriteUnderLoad(out, n * d * 4, () => ortInMemory(4, Math.min(n, 10_000))));
  }
  rmSync(out, { force: true });
  const ortByChunk = Object.fromEntries(Object.entries(ortTimes).map(([k, v]) => [k, median(v)]));
  // error of the float32 graph against the float64 path, on the 20 000-row pair
  const o32 = path.join(DATA, 'translate-check-32.npy');
  const o64 = path.join(DATA, 'translate-check-64.npy');
  runOurs(['translate', '--translator', translator, '--input', pair.x, '--out', o32, '--force', '--quiet']);
  runOurs(['translate', '--translator', translator, '--input', pair.x, '--out', o64, '--force', '--quiet', '--float64']);
  const a = (await readEmbeddings(o32)).matrix.data;
  const b = (await readEmbeddings(o64)).matrix.data;
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  await session.release();
  const oursMed = median(ours);
  const bufferedMed = median(oursBuffered);
  const ortMed = Math.min(...Object.values(ortByChunk));
  const ioMed = median(ioTimes);
  rows.push({
    suite: 'translate',
    op: 'translate (stream .npy → .npy)',
    size: `${n}×${d} f32`,
    ours: oursMed,
    numpy: null,
    ortMatMul: ortMed,
    ortMatMulByChunk: ortByChunk,
    throughputVsOrt: ortMed / oursMed,
    // each repetition's ratio (its own ORT reference beside it): less exposed to drifts of the machine
    throughputVsOrtPerRun: ours.map((t, r) => Math.min(ortTimes['4 MiB'][r], ortTimes['32 MiB'][r]) / t),
    oursThroughPageCache: bufferedMed,
    oursToMemoryFs: memOut ? median(oursInMemory) : null,
    throughputVsOrtToMemoryFs: memOut ? ortMed / median(oursInMemory) : null,
    ortMatMulWithFileIo: ioMed,
    throughputVsOrtWithFileIo: ioMed / oursMed,
    ortMatMulReadingOnly: median(readOnlyTimes),
    diskWriteUnderLoad: median(diskTimes),
    rowsPerSecond: n / oursMed,
    // medians over the repetitions of the whole machine's CPU time shares (Linux, else null)
    cpuShareOurs: cpuShares(cpuOurs),
    cpuShareOrtMatMul: cpuShares(cpuOrt),
    rssOurs: rss,
    error: `max |Δ|/(1+|y|) ${err.toExponential(1)} vs float64`,
    ratio: null,
  });
  console.log(
    `  translate ${n}×${d}: ${fmt(oursMed)} (${Math.round(n / oursMed).toLocaleString('en')} rows/s; output through the page cache instead: ${fmt(bufferedMed)});` +
      ` ORT MatMul in memory ${Object.entries(ortByChunk).map(([k, v]) => `${fmt(v)} in ${k} chunks`).join(', ')} → ${((100 * ortMed) / oursMed).toFixed(0)}% of its best throughput` +
      ` (${ours.map((t, r) => `${((100 * Math.min(ortTimes['4 MiB'][r], ortTimes['32 MiB'][r])) / t).toFixed(0)}%`).join(', ')} run by run);` +
      ` ORT MatMul reading and writing the same files ${fmt(ioMed)} → ${((100 * ioMed) / oursMed).toFixed(0)}%;` +
      ` reading the input only ${fmt(median(readOnlyTimes))};` +
      ` the disk alone taking ${((n * d * 4) / 2 ** 30).toFixed(1)} GiB (O_DIRECT + fsync) while that MatMul runs: ${fmt(median(diskTimes))};` +
      (memOut ? ` ours writing to ${path.dirname(memOut)} (no device) ${fmt(median(oursInMemory))} → ${((100 * ortMed) / median(oursInMemory)).toFixed(0)}% of ORT's in-memory MatMul;` : '') +
      (cpuOurs.length ? ` CPU time stolen by the hypervisor ${pct(cpuShares(cpuOurs).steal)} during ours, ${pct(cpuShares(cpuOrt).steal)} during ORT's in-memory MatMul (idle ${pct(cpuShares(cpuOurs).idle)} and ${pct(cpuShares(cpuOrt).idle)});` : '') +
      ` peak RSS ${mb(rss)}; error ${err.toExponential(1)}`,
  );
}

/**
 * Seconds bench/disk-write.mjs takes to write `bytes` to `file` (as translate writes, O_DIRECT
 * + fsync) while `load` runs in this process.
 */
async function diskWriteUnderLoad(file, bytes, load) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/disk-write.mjs'), file, String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (b) => (stdout += b));
  const exited = new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`disk-write.mjs failed (${code})`)))));
  // keep the cores busy until the write is done (ORT's MatMul is what translate runs meanwhile)
  let done = false;
  exited.finally(() => (done = true)).catch(() => undefined);
  while (!done) await load();
  await exited;
  return Number(stdout.trim());
}

/** Median steal and idle shares of several runs, or null when none was measured. */
function cpuShares(list) {
  return list.length ? { steal: median(list.map((c) => c.steal)), idle: median(list.map((c) => c.idle)) } : null;
}

const pct = (x) => `${(100 * x).toFixed(0)}%`;

/** An output path on a memory-backed file system with room for `bytes` (twice over), or undefined. */
function memoryBackedOutput(bytes) {
  const dir = '/dev/shm';
  try {
    const st = statfsSync(dir);
    if (st.type !== 0x01021994 /* TMPFS_MAGIC */ || st.bavail * st.bsize < 2 * bytes) return undefined;
  } catch {
    return undefined;
  }
  return path.join(dir, `latent-translator-bench-${process.pid}.npy`);
}

/**
 * The whole machine's CPU time by state since boot, from /proc/stat's first line (Linux; else
 * undefined), in clock ticks. `steal` is time the hypervisor ran something else on our
 * virtual CPUs (on a VM it includes the host's work for our disk writes).
 */
function cpuTicks() {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  } catch {
    return undefined;
  }
}

/** Runs f and returns its result with the share of the machine's CPU time that was stolen and idle meanwhile. */
async function withCpuShares(f) {
  const a = cpuTicks();
  const result = await f();
  const b = cpuTicks();
  if (!a || !b) return { result, cpu: undefined };
  const d = { busy: b.busy - a.busy, idle: b.idle - a.idle, steal: b.steal - a.steal };
  const total = d.busy + d.idle + d.steal;
  return { result, cpu: total > 0 ? { steal: d.steal / total, idle: d.idle / total } : undefined };
}

/** Removes a previous output and flushes dirty pages (untimed), so each timed run starts from the same disk state. */
function settleDisk(file) {
  rmSync(file, { force: true });
  spawnSync('sync');
}

/** Streams n × d float32 rows with power-law column scales into an .npy without holding them. */
function writeRandomNpy(file, n, d, seed) {
  const g = rng(seed);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = Buffer.from(dict + ' '.repeat(pad % 64) + '\n', 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, pre);
    writeSync(fd, header);
    const rowsPer = 8192;
    const buf = new Float32Array(rowsPer * d);
    for (let start = 0; start < n; start += rowsPer) {
      const m = Math.min(rowsPer, n - start);
      for (let i = 0; i < m * d; i++) buf[i] = g.normal() * ((i % d) + 1) ** -0.75;
      writeSync(fd, new Uint8Array(buf.buffer, 0, m * d * 4));
    }
  } finally {
    closeSync(fd);
  }
}

// ------------------------------------------------------------------------------------------------

async function scaleSuite() {
  const { Linalg } = core('backend');
  const { prepareAnchors, fitTranslator } = core('translator');
  const { matrix } = core('matrix');
  const Ns = (args['scale-rows'] ?? '1000,10000,100000').split(',').map(Number);
  const Ds = (args['scale-dims'] ?? '256,1024,4096').split(',').map(Number);
  for (const d of Ds) {
    for (const n of Ns) {
      const { x, y } = makePair(n, d, d, 5);
      const la = new Linalg({ threads: Number(args.threads ?? 0) });
      const X = matrix(n, d, x);
      const Y = matrix(n, d, y);
      // one run where a fit takes minutes (d = 4096 or N·d² > 1e12), else up to 3
      const reps = d >= 4096 || n * d * d > 1e12 ? 1 : Math.max(1, Math.min(REPS, 3));
      const t = [];
      for (let r = 0; r < reps; r++) {
        const t0 = process.hrtime.bigint();
        await fitTranslator(prepareAnchors(X, Y, 'standard', la), { method: 'ortho' }, la);
        t.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
      await la.dispose();
      let np = null;
      // NumPy would hold X, Y and their standardised copies in float64 (4·N·d·8 bytes) beside this
      // process's own copies: skipped beyond 8 GB (N = 100 000 at d = 4096) on a 24 GB machine
      const numpyBytes = 4 * n * d * 8;
      if (python && !args['scale-no-numpy'] && numpyBytes <= 8 * 2 ** 30) {
        const xf = path.join(DATA, 'scale-x.npy');
        const yf = path.join(DATA, 'scale-y.npy');
        writeNpy(xf, x, [n, d]);
        writeNpy(yf, y, [n, d]);
        const code = `import numpy as np, time, json
X=np.load('${xf}').astype(np.float64); Y=np.load('${yf}').astype(np.float64); ts=[]
for _ in range(${reps}):
  t=time.perf_counter(); xs=(X-X.mean(0))/X.std(0,ddof=1); ys=(Y-Y.mean(0))/Y.std(0,ddof=1); M=xs.T@ys
  U,S,Vt=np.linalg.svd(M,full_matrices=False); W=U@Vt; sv=np.linalg.eigvalsh(xs.T@xs); d=np.linalg.det(W); ts.append(time.perf_counter()-t)
print(json.dumps(ts))`;
        np = median(JSON.parse(runTimed('python3', ['-c', code]).stdout));
      }
      record({ suite: 'scale', op: 'ortho fit + diagnostics', size: `N=${n}, d=${d}`, ours: median(t), numpy: np, rssOurs: process.resourceUsage().maxRSS * 1024 });
    }
  }
}

/**
 * The blocked LU (blockedLu.ts) against what it replaces, in-process on a random d×d matrix:
 * ORT's single-threaded com.microsoft Inverse, and the plain row-major LU determinant.
 */
/** The median wall time of `reps` runs of fn, and its last result. */
async function timedMedian(fn, reps) {
  const t = [];
  let out;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    out = await fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds: median(t), out };
}

async function luSuite() {
  const { OrtGemm } = core('backend/ort');
  const { blockedInverse, blockedLu } = core('backend/blockedLu');
  const { blockedCholesky, blockedPivotedCholesky } = core('backend/blockedCholesky');
  const { cholesky, det, pivotedCholesky } = core('backend/dense');
  const { matrix } = core('matrix');
  for (const d of (args['lu-dims'] ?? '1024,2048,4096').split(',').map(Number)) {
    const g = rng(d);
    const a = matrix(d, d, Float64Array.from({ length: d * d }, () => g.normal()));
    const gemm = new OrtGemm({ threads: Number(args.threads ?? 0) });
    const time = async (fn) => (await timedMedian(fn, Math.min(REPS, d >= 4096 ? 1 : 3))).seconds;
    await gemm.inverse(matrix(8, 8, Float64Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 1 : 0)))); // session warm-up
    const ortInverse = await time(() => gemm.inverse(a));
    const blockedInv = await time(() => blockedInverse(a, gemm));
    const plainDet = await time(async () => det(a));
    const blockedDet = await time(() => blockedLu(a, gemm));
    // CholeskyQR's factorisations (fewer anchors than dimensions: n ≈ 1000), against the
    // row-by-row JS ones; those take seconds beyond d = 1024, so only up to there
    let chol;
    if (d <= 1024) {
      const gram = await gemm.crossprod(a, a);
      chol = {
        plain: await time(async () => cholesky(gram)),
        blocked: await time(() => blockedCholesky(gram, gemm)),
        plainPivoted: await time(async () => pivotedCholesky(gram, 1e-12)),
        blockedPivoted: await time(() => blockedPivotedCholesky(gram, 1e-12, gemm)),
      };
    }
    await gemm.dispose();
    rows.push({ suite: 'lu', op: 'inverse: blocked LU vs ORT Inverse', size: `d=${d}`, ours: blockedInv, numpy: null, reference: ortInverse, vsReference: blockedInv / ortInverse, ratio: null });
    rows.push({ suite: 'lu', op: 'determinant: blocked vs plain LU', size: `d=${d}`, ours: blockedDet, numpy: null, reference: plainDet, vsReference: blockedDet / plainDet, ratio: null });
    console.log(`  lu d=${d}: inverse ${fmt(blockedInv)} (ORT Inverse ${fmt(ortInverse)}), determinant ${fmt(blockedDet)} (plain LU ${fmt(plainDet)})`);
    if (chol) {
      rows.push({ suite: 'lu', op: 'Cholesky: blocked vs row by row', size: `d=${d}`, ours: chol.blocked, numpy: null, reference: chol.plain, vsReference: chol.blocked / chol.plain, ratio: null });
      rows.push({ suite: 'lu', op: 'pivoted Cholesky: blocked vs unblocked', size: `d=${d}`, ours: chol.blockedPivoted, numpy: null, reference: chol.plainPivoted, vsReference: chol.blockedPivoted / chol.plainPivoted, ratio: null });
      console.log(`  lu d=${d}: Cholesky ${fmt(chol.blocked)} (row by row ${fmt(chol.plain)}), pivoted ${fmt(chol.blockedPivoted)} (unblocked ${fmt(chol.plainPivoted)})`);
    }
  }
}

async function eigSuite() {
  const { OrtGemm } = core('backend/ort');
  const { symEigenvaluesTwoStage } = core('backend/bandReduction');
  const { symEigenvalues } = core('backend/dense');
  const { matrix } = core('matrix');
  for (const d of (args['eig-dims'] ?? '1024,2048,4096').split(',').map(Number)) {
    const g = rng(d);
    const x = matrix(2 * d, d, Float64Array.from({ length: 2 * d * d }, () => g.normal()));
    const gemm = new OrtGemm({ threads: Number(args.threads ?? 0) });
    const gram = await gemm.crossprod(x, x);
    const reps = Math.min(REPS, d >= 4096 ? 1 : 3);
    const time = (fn) => timedMedian(fn, reps);
    await symEigenvaluesTwoStage(matrix(256, 256, gram.data.subarray(0, 256 * 256)), gemm); // sessions and JIT warm-up
    const twoStage = await time(() => symEigenvaluesTwoStage(gram, gemm));
    const oneStage = await time(async () => symEigenvalues(gram));
    await gemm.dispose();
    let worst = 0;
    for (let i = 0; i < d; i++) worst = Math.max(worst, Math.abs(twoStage.out[i] - oneStage.out[i]));
    let np = null;
    if (python) {
      const script = `import numpy as np, time, sys\nd=${d}\nx=np.random.default_rng(1).standard_normal((2*d,d))\ng=x.T@x\nt=[]\nfor _ in range(${reps}):\n t0=time.perf_counter(); np.linalg.eigvalsh(g); t.append(time.perf_counter()-t0)\nprint(sorted(t)[len(t)//2])`;
      np = Number(runTimed('python3', ['-c', script]).stdout.trim());
    }
    const error = `max |Δλ| / λmax vs one-stage ${(worst / oneStage.out[0]).toExponential(1)}`;
    // NumPy times eigvalsh on a Gram matrix of the same size and kind (its own random draw)
    record({ suite: 'eig', op: 'symmetric eigenvalues (two-stage)', size: `d=${d}`, ours: twoStage.seconds, numpy: np, reference: oneStage.seconds, vsReference: twoStage.seconds / oneStage.seconds, error });
    console.log(`    one-stage JS reduction: ${fmt(oneStage.seconds)}`);
  }
}

// ------------------------------------------------------------------------------------------------

async function main() {
  console.log(`latent-translator benchmark: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${python ? `NumPy ${python.version}` : 'no python3 with NumPy: our figures only'}`);
  console.log(`reps ${REPS} (median), suites ${SUITES.join(', ')}\n`);

  if (SUITES.includes('ops')) for (const d of DIMS) await opsSuite(d);
  const targetDims = (d) => (args['unequal-only'] ? [Math.round((d * 3) / 4)] : args.unequal ? [d, Math.round((d * 3) / 4)] : [d]);
  if (SUITES.includes('job')) for (const d of JOB_DIMS) for (const method of METHODS) for (const dy of targetDims(d)) await jobSuite(method, d, dy);
  if (SUITES.includes('warm')) {
    for (const d of JOB_DIMS) {
      for (const method of METHODS) {
        for (const dy of targetDims(d)) {
          const compare = (a, b) => jobMetricsError(a, b, ROWS, d, dy, method);
          await warmJobSuite({ method, n: ROWS, dx: d, dy, reps: REPS, dataDir: DATA, files: dataPair(2 * ROWS, d, dy), idx: indexFiles(ROWS), python, record, median, compare });
        }
      }
    }
  }
  if (SUITES.includes('translate')) await translateSuite(Number(args['translate-rows'] ?? 1_000_000), 768);
  if (SUITES.includes('scale')) await scaleSuite();
  if (SUITES.includes('lu')) await luSuite();
  if (SUITES.includes('eig')) await eigSuite();
  if (SUITES.includes('io')) await ioSuite({ rows: Number(args['io-rows'] ?? 100000), textRows: Number(args['io-text-rows'] ?? 20000), d: 768, only: args['io-only'], reps: REPS, dataDir: DATA, python, runTimed, record, median });
  if (SUITES.includes('panel')) await panelSuite({ pairs: Number(args['panel-pairs'] ?? 100000), reps: REPS, dataDir: DATA, dataPair, record, median, fmt });

  printTable(rows);
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(
    OUT,
    JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, memGiB: totalmem() / 2 ** 30, node: process.version, numpy: python?.version ?? null }, reps: REPS, seconds: (Date.now() - started) / 1000, rows }, null, 1),
  );
  console.log(`\nwrote ${path.relative(ROOT, OUT)} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
}

await main();
