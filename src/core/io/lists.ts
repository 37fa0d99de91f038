/**
 * Anchor / held-out lists.
 *
 * - .npy: a 1-D array (or one row / one column) of non-negative integers → indices.
 *   Float arrays are accepted when every value is a whole number.
 * - .json: an array of integers → indices; an array of strings → ids.
 * - anything else: text, one entry per line. Lines are trimmed; blank lines and the
 *   trailing newline are ignored. When every line is a non-negative integer,
 *   `indices` is set too.
 * `values` always holds the entries as strings (indices in decimal).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LatentError } from '../errors';
import { describeNonFinite, withFile } from './common';
import { readLineBatches } from './lines';
import { readNpyVector } from './npy';

export interface ListContents {
  values: string[];
  indices?: number[];
}

function checkIndex(v: number, where: string, path: string): number {
  if (!Number.isFinite(v)) throw new LatentError('value', `${where} is ${describeNonFinite(v)}, not an index`, path);
  if (!Number.isInteger(v)) throw new LatentError('value', `${where}: ${v} is not a whole number`, path);
  if (v < 0) throw new LatentError('value', `${where}: ${v} is negative`, path);
  if (!Number.isSafeInteger(v)) throw new LatentError('value', `${where}: ${v} is too large for an index`, path);
  return v;
}

export async function readList(path: string): Promise<ListContents> {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    return withFile(path, async (src) => {
      const { values, header } = await readNpyVector(src, path);
      if (header.type.kind === 'b') throw new LatentError('unsupported', 'a boolean array is a mask, not a list of indices', path);
      const indices = Array.from(values, (v, i) => checkIndex(v, `element ${i}`, path));
      if (indices.length === 0) throw new LatentError('shape', 'the list is empty', path);
      return { values: indices.map(String), indices };
    });
  }
  if (ext === '.json') {
    let doc: unknown;
    const text = await readFile(path, 'utf8');
    try {
      doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      throw new LatentError('format', `invalid JSON: ${(e as Error).message}`, path);
    }
    if (!Array.isArray(doc)) throw new LatentError('format', 'expected a JSON array of integers or of strings', path);
    if (doc.length === 0) throw new LatentError('shape', 'the list is empty', path);
    if (typeof doc[0] === 'number') {
      const indices = doc.map((v, i) => {
        if (typeof v !== 'number') throw new LatentError('format', `element ${i}: ${JSON.stringify(v)} is not an integer like element 0`, path);
        return checkIndex(v, `element ${i}`, path);
      });
      return { values: indices.map(String), indices };
    }
    if (typeof doc[0] === 'string') {
      const values = doc.map((v, i) => {
        if (typeof v !== 'string') throw new LatentError('format', `element ${i}: ${JSON.stringify(v)} is not a string like element 0`, path);
        return v;
      });
      return { values };
    }
    throw new LatentError('format', `element 0: ${JSON.stringify(doc[0])} is neither an integer nor a string`, path);
  }
  const values: string[] = [];
  let allIndices = true;
  for await (const batch of readLineBatches(path)) {
    for (let k = 0; k < batch.lines.length; k++) {
      const line = batch.lines[k].trim();
      if (line === '') continue;
      if (line.includes('\0')) throw new LatentError('format', `line ${batch.first + k} contains a NUL byte; is this a text file?`, path);
      if (allIndices && !/^\d+$/.test(line)) allIndices = false;
      if (allIndices && !Number.isSafeInteger(Number(line))) {
        throw new LatentError('value', `line ${batch.first + k}: ${line} is too large for an index`, path);
      }
      values.push(line);
    }
  }
  if (values.length === 0) throw new LatentError('shape', 'the list is empty', path);
  return allIndices ? { values, indices: values.map(Number) } : { values };
}
