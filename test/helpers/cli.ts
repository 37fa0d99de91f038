import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(ROOT, 'dist/cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (a separate node process). */
export function cli(args: string[], cwd = ROOT): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LATENT_TRANSLATOR_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A deliberately separate, minimal .npy parser (little-endian f4/f8/i8 and u1, C order)
 * so CLI outputs are checked without the reader under test.
 */
export function loadNpy(file: string): { shape: number[]; data: Float64Array } {
  const buf = readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1].split(',').filter((s) => s.trim()).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order not handled by the test parser');
  const body = buf.subarray(start + headerLen);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  const read: Record<string, (i: number) => number> = {
    '<f4': (i) => body.readFloatLE(i * 4),
    '<f8': (i) => body.readDoubleLE(i * 8),
    '|u1': (i) => body[i],
    '<i8': (i) => Number(body.readBigInt64LE(i * 8)),
  };
  if (!read[descr]) throw new Error(`test parser: dtype ${descr}`);
  for (let i = 0; i < n; i++) data[i] = read[descr](i);
  return { shape, data };
}
