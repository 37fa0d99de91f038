/**
 * Which source row goes with which target row, which of those pairs are
 * anchors and which are held out. Pairing is by row index (parallel files) or
 * by shared id (both files carry ids, in any order).
 */
import { LatentError } from './errors';
import type { EmbeddingTable } from './io/types';

export type JoinMode = 'index' | 'id';

/** Parallel lists of row numbers: pair p is (source row sourceRows[p], target row targetRows[p]). */
export interface Pairing {
  join: JoinMode;
  sourceRows: Int32Array;
  targetRows: Int32Array;
  /** Display key of each pair: its id, or its row number. */
  keys: string[];
  /** Ids present on one side only (id joins). */
  missing: { sourceOnly: string[]; targetOnly: string[] };
}

export function pairByIndex(source: EmbeddingTable, target: EmbeddingTable): Pairing {
  if (source.matrix.rows !== target.matrix.rows) {
    throw new LatentError(
      'shape',
      `source ${source.path} has ${source.matrix.rows} rows but target ${target.path} has ${target.matrix.rows}: ` +
        'row-parallel files must have the same number of rows (or give both files ids and join by id)',
    );
  }
  const n = source.matrix.rows;
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  return { join: 'index', sourceRows: rows, targetRows: rows, keys: source.ids ?? target.ids ?? Array.from({ length: n }, (_, i) => String(i)), missing: { sourceOnly: [], targetOnly: [] } };
}

export function pairById(source: EmbeddingTable, target: EmbeddingTable): Pairing {
  const sIds = requireIds(source);
  const tIds = requireIds(target);
  const tIndex = indexIds(tIds, target.path);
  const sIndex = indexIds(sIds, source.path);
  const sourceRows: number[] = [];
  const targetRows: number[] = [];
  const keys: string[] = [];
  const sourceOnly: string[] = [];
  for (let i = 0; i < sIds.length; i++) {
    const t = tIndex.get(sIds[i]);
    if (t === undefined) sourceOnly.push(sIds[i]);
    else {
      sourceRows.push(i);
      targetRows.push(t);
      keys.push(sIds[i]);
    }
  }
  const targetOnly = tIds.filter((id) => !sIndex.has(id));
  if (keys.length === 0) {
    throw new LatentError('ids', `no id of source ${source.path} occurs in target ${target.path} (e.g. "${sIds[0]}" vs "${tIds[0]}")`);
  }
  return { join: 'id', sourceRows: Int32Array.from(sourceRows), targetRows: Int32Array.from(targetRows), keys, missing: { sourceOnly, targetOnly } };
}

function requireIds(t: EmbeddingTable): string[] {
  if (!t.ids) throw new LatentError('ids', 'joining by id needs row ids, and this file has none (give --id-column, or use row-index anchors)', t.path);
  return t.ids;
}

function indexIds(ids: string[], file: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const prev = m.get(ids[i]);
    if (prev !== undefined) throw new LatentError('ids', `id "${ids[i]}" appears twice (rows ${prev} and ${i}): ids must be unique to join by id`, file);
    m.set(ids[i], i);
  }
  return m;
}

/** A list given by the user: row indices, or ids. */
export interface PairList {
  values: string[];
  indices?: number[];
  file: string;
}

export interface Selection {
  /** Pair numbers (indices into the Pairing). */
  pairs: Int32Array;
  /** Entries of the list that matched nothing (ids absent from a side). */
  unmatched: string[];
}

/**
 * Resolves a user list against a pairing: integers are row numbers of the
 * parallel files when joined by index, anything else is an id.
 */
export function selectFromList(list: PairList, pairing: Pairing, what: string, limit?: number): Selection {
  const byIndex = pairing.join === 'index';
  if (byIndex && !list.indices) {
    throw new LatentError('usage', `${what} list holds ids (e.g. "${list.values[0]}") but the files are paired by row index: use --join id`, list.file);
  }
  const wanted = limit !== undefined ? Math.min(limit, list.values.length) : list.values.length;
  if (limit !== undefined && list.values.length < limit) {
    throw new LatentError('anchors', `${what} list has ${list.values.length} entries but ${limit} were requested`, list.file);
  }
  const lookup = new Map<string, number>();
  if (!byIndex) pairing.keys.forEach((k, p) => lookup.set(k, p));
  const seen = new Set<number>();
  const pairs: number[] = [];
  const unmatched: string[] = [];
  for (let e = 0; e < wanted; e++) {
    let p: number | undefined;
    if (byIndex) {
      const idx = list.indices![e];
      if (idx < 0 || idx >= pairing.sourceRows.length) {
        throw new LatentError('anchors', `entry ${e + 1} of the ${what} list is row ${idx}, outside 0…${pairing.sourceRows.length - 1}`, list.file);
      }
      p = idx;
    } else {
      p = lookup.get(list.values[e]);
      if (p === undefined) {
        unmatched.push(list.values[e]);
        continue;
      }
    }
    if (seen.has(p)) throw new LatentError('anchors', `entry ${e + 1} of the ${what} list ("${list.values[e]}") repeats an earlier one`, list.file);
    seen.add(p);
    pairs.push(p);
  }
  return { pairs: Int32Array.from(pairs), unmatched };
}

/** k pairs drawn uniformly without replacement, reproducibly from `seed`. */
export function samplePairs(count: number, k: number, seed: number, exclude?: Set<number>): Int32Array {
  const pool: number[] = [];
  for (let p = 0; p < count; p++) if (!exclude?.has(p)) pool.push(p);
  if (k > pool.length) throw new LatentError('anchors', `cannot sample ${k} anchors from ${pool.length} available pairs`);
  const rand = mulberry32(seed);
  // partial Fisher–Yates: the first k slots are the sample, in draw order
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return Int32Array.from(pool.slice(0, k));
}

/** Every pair not in `used`, in pairing order. */
export function complement(count: number, used: Int32Array): Int32Array {
  const taken = new Uint8Array(count);
  for (const p of used) taken[p] = 1;
  const out: number[] = [];
  for (let p = 0; p < count; p++) if (!taken[p]) out.push(p);
  return Int32Array.from(out);
}

/** Small, well-tested 32-bit PRNG; seeds give the same sample on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
