/** Shared helpers for the io tests (not a test file itself). */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LatentError, type ErrorCode } from '../../src/core/errors';
import type { FloatArray, Matrix } from '../../src/core/matrix';

/** test/fixtures/formats, from out/test/unit (compiled) or test/unit (sources). */
export const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/formats');
export const fx = (name: string): string => path.join(FIXTURES, name);

export interface Expected {
  shape: [number, number];
  matrix: number[][];
  ids: string[];
  labels: string[];
  int_matrix: number[][];
  signed_matrix: number[][];
}

export const expected: Expected = JSON.parse(readFileSync(fx('expected.json'), 'utf8'));

export function assertMatrix(m: Matrix, rows: number[][], ctor?: typeof Float32Array | typeof Float64Array): void {
  assert.equal(m.rows, rows.length, 'rows');
  assert.equal(m.cols, rows[0].length, 'cols');
  assert.equal(m.data.length, m.rows * m.cols, 'data length');
  if (ctor) assert.equal(m.data.constructor, ctor, `element type ${m.data.constructor.name}`);
  assert.deepEqual(Array.from(m.data), rows.flat());
}

/** Asserts that `p` rejects with a LatentError of `code` whose message contains every fragment. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, ...fragments: string[]): Promise<LatentError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a LatentError(${code}), but nothing was thrown`);
  assert.ok(caught instanceof LatentError, `expected a LatentError, got ${String(caught)}`);
  assert.equal(caught.code, code, `code of: ${caught.message}`);
  for (const f of fragments) assert.ok(caught.message.includes(f), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`);
  return caught;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lt-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Files in `dir` that look like leftover temporary files. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

export function mat(rows: number[][], ctor: typeof Float32Array | typeof Float64Array = Float64Array): Matrix {
  const data: FloatArray = ctor.from(rows.flat());
  return { rows: rows.length, cols: rows[0].length, data };
}
