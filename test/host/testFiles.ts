/** Inputs the in-host tests make at run time (not a test file itself). */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { modelBytes, node, valueInfo } from '../../src/core/backend/onnxGraph';

/** A C-order .npy (format 1.0) of `descr` ('|u1', '<f4') holding `body`. */
export function writeNpy(file: string, descr: string, shape: number[], body: Uint8Array): void {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY\x01\x00', 0, 'latin1');
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  writeFileSync(file, Buffer.concat([head, body]));
}

/** `rows` pseudo-random 28 × 28 uint8 images (an LCG: the same bytes every run). */
export function writeImages(file: string, rows: number, seed = 1): void {
  const body = Buffer.alloc(rows * 784);
  let s = seed >>> 0;
  for (let i = 0; i < body.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    body[i] = s >>> 24;
  }
  writeNpy(file, '|u1', [rows, 28, 28], body);
}

/**
 * An encoder ONNX Runtime loads but cannot run: it reshapes its [n, 784] input to a constant
 * [5, 5], which no batch of images fits (the batch size is only known at run time).
 */
export function writeModelFailingAtRunTime(file: string): void {
  const shape = { name: 'shape', dims: [2], dataType: 7 /* INT64 */, int64Data: [5, 5] };
  writeFileSync(file, modelBytes([node('Reshape', ['image', 'shape'], ['embedding'])], [valueInfo('image', 'float32', ['n', 784])], [valueInfo('embedding', 'float32', ['n', 5])], [shape]));
}

/**
 * A valid encoder [n, 784] → [n, outDims] whose hidden layer makes the file about `megabytes`
 * large (zero weights): big enough that stitching it takes a while.
 */
export function writeLargeEncoder(file: string, megabytes: number, outDims: number): void {
  const hidden = Math.ceil((megabytes * 2 ** 20) / (4 * (784 + outDims)));
  const zeros = (n: number) => ({ rawData: new Uint8Array(4 * n) });
  writeFileSync(
    file,
    modelBytes(
      [node('MatMul', ['image', 'w1'], ['h']), node('MatMul', ['h', 'w2'], ['embedding'])],
      [valueInfo('image', 'float32', ['n', 784])],
      [valueInfo('embedding', 'float32', ['n', outDims])],
      [
        { name: 'w1', dims: [784, hidden], dataType: 1, ...zeros(784 * hidden) },
        { name: 'w2', dims: [hidden, outDims], dataType: 1, ...zeros(hidden * outDims) },
      ],
    ),
  );
}

/** Every file under `dir` (hidden ones included) with its size and mtime: equal snapshots mean nothing was written. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `test` holds (polled every 20 ms), or rejects after `timeout` ms with `what`. */
export async function waitFor(test: () => boolean, what: string, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(20);
  }
}
