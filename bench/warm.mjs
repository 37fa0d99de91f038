/**
 * The `warm` suite: the whole job as the extension runs it, a `job` request to its compute
 * process (dist/compute.js, over the same typed protocol and IPC as src/extension/computeClient.ts)
 * after that process has served one job already, against bench/numpy_fit.py in a Python
 * interpreter that has run it once already (--serve: a notebook re-running its cell), alternately.
 * The `job` suite measures the cold case: a fresh process for every run (the CLI, a script).
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPUTE = path.join(ROOT, 'dist/compute.js');

/**
 * Records one row for `method` at n anchors + n held-out pairs, d_x → d_y. `files` and `idx`
 * are run.mjs's cached data and index files; `compare(ours, numpy)` its metrics check of two
 * result.json objects.
 */
export async function warmJobSuite({ method, n, dx, dy, reps, dataDir, files, idx, python, record, median, compare }) {
  const compute = new ComputeProcess();
  const numpy = python ? new NumpyServer() : undefined;
  const ours = [];
  const theirs = [];
  const oursDir = (r) => path.join(dataDir, `warm-ours-${method}-${dx}-${dy}-${r}`);
  const npDir = path.join(dataDir, `warm-np-${method}-${dx}-${dy}`);
  try {
    // r = 0 warms both up and is not counted
    for (let r = 0; r <= reps; r++) {
      rmSync(oursDir(r), { recursive: true, force: true });
      const params = { source: files.x, target: files.y, anchors: idx.anchors, test: idx.test, methods: [method], preps: ['standard'], outDir: oursDir(r) };
      const t = await compute.job(params);
      if (r > 0) ours.push(t);
      if (numpy) {
        const s = await numpy.job([files.x, files.y, idx.anchors, idx.test, npDir, method]);
        if (r > 0) theirs.push(s);
      }
      if (r < reps) rmSync(oursDir(r), { recursive: true, force: true });
    }
    const rss = compute.peakRss();
    let error;
    let rssNumpy = null;
    if (numpy) {
      const b = JSON.parse(readFileSync(path.join(npDir, 'result.json'), 'utf8'));
      rssNumpy = b.maxRssBytes;
      error = compare(JSON.parse(readFileSync(path.join(oursDir(reps), 'result.json'), 'utf8')), b);
    }
    record({ suite: 'warm', op: `job in the compute process (--method ${method})`, size: `N=${n}+${n}, d=${dx}→${dy}`, ours: median(ours), numpy: numpy ? median(theirs) : null, rssOurs: rss, rssNumpy, error });
  } finally {
    compute.close();
    numpy?.close();
    rmSync(oursDir(reps), { recursive: true, force: true });
  }
}

/** dist/compute.js as the extension starts it: forked, advanced serialization, one request at a time. */
class ComputeProcess {
  constructor() {
    this.child = fork(COMPUTE, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
    this.nextId = 1;
    this.waiting = new Map();
    this.child.on('message', (m) => {
      const w = this.waiting.get(m.id);
      if (!w || (m.type !== 'result' && m.type !== 'error')) return;
      this.waiting.delete(m.id);
      if (m.type === 'result') w.resolve();
      else w.reject(new Error(`compute process: ${m.error.message}`));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`compute process exited (${code})`));
    });
  }

  /** Seconds from sending the request to its result (what the extension waits for). */
  async job(params) {
    const id = this.nextId++;
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ type: 'job', id, params });
    });
    return (performance.now() - t0) / 1000;
  }

  /** The process's peak resident set so far (VmHWM), in bytes. */
  peakRss() {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  }

  close() {
    this.child.kill();
  }
}

/** bench/numpy_fit.py --serve: one job per line, its wall time (inside Python) back. */
class NumpyServer {
  constructor() {
    this.child = spawn('python3', [path.join(ROOT, 'bench/numpy_fit.py'), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async job(argv) {
    this.child.stdin.write(`${JSON.stringify(argv)}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('numpy_fit.py --serve stopped');
    return JSON.parse(value).seconds;
  }

  close() {
    this.child.stdin.end();
  }
}
