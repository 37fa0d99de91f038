/**
 * JSON readers.
 *
 * .jsonl / .ndjson, one row per non-blank line, either
 *   [0.1, 0.2, ...]                                   (an array of numbers), or
 *   {"id": "w0", "label": "cat", "embedding": [...]}  (an object).
 * The embedding field is `options.array`, else the first of embedding, vector,
 * embeddings, values present in the first object; ids come from `options.idColumn`
 * or "id", labels from `options.labelColumn` or "label" (when the first object has them,
 * every object must). Messages give the 1-based line.
 *
 * .json, one of
 *   [[...], [...]]                                     array of arrays,
 *   [{"id": ..., "embedding": [...]}, ...]             array of objects as above,
 *   {"embeddings": [[...]], "ids": [...], "labels": [...]}  columns (embedding key:
 *       `options.array`, else embeddings / vectors / embedding / vector / values;
 *       ids: `options.idColumn` or "ids"; labels: `options.labelColumn` or "labels"),
 *   {"w0": [...], "w1": [...]}                         word → vector (keys are the ids).
 * Messages give the 0-based element index. The whole file is parsed at once, except a top-level
 * array too large for one string (over 512 MiB), which is parsed element by element.
 *
 * Values are returned as float64 (text has arbitrary precision). Python's NaN /
 * Infinity tokens (not JSON) are refused, or with `allowNonFinite` read as numbers.
 */
import { constants } from 'node:buffer';
import { open, readFile, stat } from 'node:fs/promises';
import { LatentError } from '../errors';
import { checkMaxRows, checkMaxValues, describeNonFinite, GrowableFloat64, readFully, throwIfCancelled, withNonFinite } from './common';
import { readLineBatches } from './lines';
import type { EmbeddingTable, ReadOptions } from './types';

const ROW_FIELDS = ['embedding', 'vector', 'embeddings', 'values'];
const COLUMN_FIELDS = ['embeddings', 'vectors', 'embedding', 'vector', 'values'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Accumulates rows, checking numbers, finiteness (or counting non-finite values, with allowNonFinite) and a constant width. */
class RowSink {
  readonly values = new GrowableFloat64();
  cols = -1;
  rows = 0;
  nonFinite = 0;
  constructor(
    private readonly path: string,
    private readonly options: ReadOptions,
  ) {}

  /** `where` is e.g. "line 3" or "element 3". */
  add(vec: unknown, where: string): void {
    if (!Array.isArray(vec)) throw new LatentError('format', `${where}: the embedding is not an array of numbers`, this.path);
    if (this.cols < 0) {
      if (vec.length === 0) throw new LatentError('shape', `${where}: the embedding is empty`, this.path);
      this.cols = vec.length;
    } else if (vec.length !== this.cols) {
      throw new LatentError('shape', `${where} has ${vec.length} values, expected ${this.cols}`, this.path);
    }
    for (let j = 0; j < vec.length; j++) {
      const v = vec[j];
      if (typeof v !== 'number') {
        throw new LatentError('value', `${where}, value ${j}: ${brief(v)} is not a number`, this.path);
      }
      if (v - v !== 0) {
        if (!this.options.allowNonFinite) throw new LatentError('value', `${where}, value ${j} is ${describeNonFinite(v)}`, this.path);
        this.nonFinite++;
      }
    }
    this.values.pushAll(vec as number[]);
    this.rows++;
    const { maxValues } = this.options;
    if (this.values.length > (maxValues ?? Infinity)) checkMaxValues(this.rows, this.cols, maxValues, this.path);
    checkMaxRows(this.rows, this.options.maxRows, this.path, true);
  }
}

/**
 * An id / label as text: strings as they are, anything else as JSON. A value nested too
 * deeply for JSON.stringify (a stack overflow, which surfaced as an 'io' error) is refused.
 */
function str(v: unknown, path: string, where: string, what: 'id' | 'label'): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v);
  } catch {
    throw new LatentError(what === 'id' ? 'ids' : 'format', `${where}: the ${what} is nested too deeply`, path);
  }
}

/** A short description of a non-number for messages, without serialising a nested value whole. */
function brief(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return JSON.stringify(v)?.slice(0, 40) ?? String(v);
}

/** Python's json.dumps writes NaN / Infinity, which JSON.parse rejects: say so plainly. */
function parseError(e: unknown, text: string, where: string, path: string): LatentError {
  const m = /(?<![\w"])(-?Infinity|NaN)(?![\w"])/.exec(text);
  if (m) return new LatentError('value', `${where} contains ${m[1]} (not valid JSON, and not a finite value)`, path);
  return new LatentError('format', `${where}: invalid JSON: ${(e as Error).message}`, path);
}

const NAN_MARK = '\u0000NaN';

/**
 * JSON.parse; with allowNonFinite, Python's NaN / Infinity / -Infinity tokens are read as
 * numbers. Only retried after a plain parse fails, so valid JSON costs nothing extra.
 */
function parseJson(text: string, where: string, path: string, options: ReadOptions): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (!options.allowNonFinite) throw parseError(e, text, where, path);
  }
  // Strings are matched first so tokens inside them stay as they are; ±1e999 parses to ±Infinity,
  // and NaN, which has no JSON spelling, goes through a marker string.
  const fixed = text.replace(/"(?:[^"\\]|\\.)*"|(-?)(Infinity|NaN)/g, (m, sign?: string, word?: string) =>
    word === undefined ? m : word === 'NaN' ? JSON.stringify(NAN_MARK) : `${sign}1e999`,
  );
  try {
    return JSON.parse(fixed, (_key, v: unknown) => (v === NAN_MARK ? NaN : v));
  } catch (e) {
    throw new LatentError('format', `${where}: invalid JSON: ${(e as Error).message}`, path);
  }
}

export async function readJsonl(path: string, options: ReadOptions = {}, format = 'jsonl'): Promise<EmbeddingTable> {
  const sink = new RowSink(path, options);
  const ids: string[] = [];
  const labels: string[] = [];
  let mode: 'array' | 'object' | undefined;
  let field: string | undefined = options.array;
  let idField: string | undefined;
  let labelField: string | undefined;
  // JSON text is UTF-8 (RFC 8259); strict decoding keeps invalid bytes from becoming U+FFFD ids.
  for await (const batch of readLineBatches(path, options.signal, { fatal: true })) {
    for (let k = 0; k < batch.lines.length; k++) {
      const line = batch.lines[k];
      if (line.trim() === '') continue;
      const where = `line ${batch.first + k}`;
      const value = parseJson(line, where, path, options);
      if (mode === undefined) {
        if (Array.isArray(value)) mode = 'array';
        else if (isObject(value)) {
          mode = 'object';
          field ??= ROW_FIELDS.find((f) => f in value);
          if (field === undefined || !(field in value)) {
            throw new LatentError(
              'format',
              `${where}: no embedding field (${options.array !== undefined ? JSON.stringify(options.array) : ROW_FIELDS.join(', ')}); fields are: ${Object.keys(value).join(', ')}`,
              path,
            );
          }
          const idName = options.idColumn ?? 'id';
          const labelName = options.labelColumn ?? 'label';
          if (idName in value) idField = idName;
          else if (options.idColumn !== undefined) throw new LatentError('usage', `${where}: no id field ${JSON.stringify(idName)}`, path);
          if (labelName in value) labelField = labelName;
          else if (options.labelColumn !== undefined) throw new LatentError('usage', `${where}: no label field ${JSON.stringify(labelName)}`, path);
        } else {
          throw new LatentError('format', `${where}: expected an array of numbers or an object with an embedding field`, path);
        }
      }
      if (mode === 'array') {
        if (!Array.isArray(value)) throw new LatentError('format', `${where}: expected an array of numbers like the lines before`, path);
        sink.add(value, where);
      } else {
        if (!isObject(value)) throw new LatentError('format', `${where}: expected an object like the lines before`, path);
        if (!(field! in value)) throw new LatentError('format', `${where}: no ${JSON.stringify(field)} field`, path);
        sink.add(value[field!], where);
        if (idField !== undefined) {
          if (value[idField] === undefined || value[idField] === null) throw new LatentError('ids', `${where}: no ${JSON.stringify(idField)}`, path);
          ids.push(str(value[idField], path, where, 'id'));
        }
        if (labelField !== undefined) labels.push(value[labelField] === undefined || value[labelField] === null ? '' : str(value[labelField], path, where, 'label'));
      }
    }
  }
  if (sink.rows === 0) throw new LatentError('format', 'file is empty (no lines with values)', path);
  const table: EmbeddingTable = {
    matrix: { rows: sink.rows, cols: sink.cols, data: sink.values.toArray() },
    ids: idField !== undefined ? ids : undefined,
    labels: labelField !== undefined ? labels : undefined,
    path,
    format,
    dtype: 'text',
    arrayName: mode === 'object' ? field : undefined,
  };
  return withNonFinite(table, options, sink.nonFinite);
}

/**
 * V8 holds at most this many UTF-16 code units in one string (2²⁹ − 24, 512 MiB of ASCII). A
 * larger .json document cannot be parsed in one piece: a top-level array is then read element by
 * element from the file's bytes (arrayElements); any other document is refused before it is read.
 */
const MAX_JSON_TEXT = constants.MAX_STRING_LENGTH;

function tooLarge(bytes: number, path: string): LatentError {
  return new LatentError(
    'unsupported',
    `the file is ${Math.round(bytes / 2 ** 20)} MiB and not an array; a .json object is parsed in one piece, and Node holds at most ${Math.round(MAX_JSON_TEXT / 2 ** 20)} MiB of text in one string: save it as an array of rows, JSON lines (.jsonl), .npy or Parquet`,
    path,
  );
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The elements of the top-level array in `b` (its '[' at `open`), each decoded and parsed on its
 * own, so no string holds more than one element. An element ends at a comma or the closing ']'
 * outside strings and brackets; JSON.parse checks each element and the loop checks what lies
 * between them.
 */
function* arrayElements(b: Uint8Array, open: number, path: string, options: ReadOptions): Generator<unknown> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const n = b.length;
  let i = open + 1;
  while (i < n && isBlank(b[i])) i++;
  if (b[i] === 0x5d) {
    i++;
  } else {
    for (let index = 0; ; index++) {
      const from = i;
      let depth = 0;
      for (; i < n; i++) {
        const c = b[i];
        if (c === 0x22) {
          // a string: skip to its closing quote, past escaped characters
          for (i++; i < n && b[i] !== 0x22; i++) if (b[i] === 0x5c) i++;
        } else if (c === 0x5b || c === 0x7b) {
          depth++;
        } else if (c === 0x5d || c === 0x7d) {
          if (depth === 0) break;
          depth--;
        } else if (c === 0x2c && depth === 0) {
          break;
        }
      }
      if (i >= n) throw new LatentError('format', `the file ends inside element ${index} of the top-level array`, path);
      if (b[i] === 0x7d) throw new LatentError('format', `element ${index}: invalid JSON: a '}' closes the top-level array (byte ${i})`, path);
      if ((index & 1023) === 0) throwIfCancelled(options.signal, path);
      let text: string;
      try {
        text = decoder.decode(b.subarray(from, i));
      } catch {
        throw new LatentError('format', `element ${index}: not valid UTF-8 text (save the file as UTF-8)`, path);
      }
      yield parseJson(text, `element ${index}`, path, options);
      if (b[i++] === 0x5d) break;
    }
  }
  while (i < n && isBlank(b[i])) i++;
  if (i < n) throw new LatentError('format', `invalid JSON: more after the top-level array (byte ${i})`, path);
}

export async function readJson(path: string, options: ReadOptions = {}, streamFrom = MAX_JSON_TEXT): Promise<EmbeddingTable> {
  const bytes = (await stat(path)).size;
  if (bytes > streamFrom) return readLargeJson(path, options, bytes);
  let text: string;
  try {
    // JSON text is UTF-8 (RFC 8259); strict decoding keeps invalid bytes from becoming U+FFFD ids.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await readFile(path));
  } catch (e) {
    if (e instanceof TypeError) throw new LatentError('format', 'the file is not valid UTF-8 text (save it as UTF-8)', path);
    if ((e as { code?: string }).code === 'ERR_STRING_TOO_LONG') return readLargeJson(path, options, bytes); // grew since the stat
    throw e;
  }
  throwIfCancelled(options.signal, path);
  if (text.trim() === '') throw new LatentError('format', 'file is empty', path);
  const doc = parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, 'the file', path, options);
  if (Array.isArray(doc)) return arrayTable(doc, path, options);
  const sink = new RowSink(path, options);
  const table = (ids?: string[], labels?: string[], arrayName?: string) => jsonTable(sink, path, options, ids, labels, arrayName);

  if (isObject(doc)) {
    const key = options.array ?? COLUMN_FIELDS.find((f) => Array.isArray(doc[f]));
    if (key !== undefined && Array.isArray(doc[key])) {
      const rows = doc[key] as unknown[];
      rows.forEach((row, i) => sink.add(row, `${key}[${i}]`));
      const column = (name: string, given: boolean): string[] | undefined => {
        const v = doc[name];
        if (v === undefined) {
          if (given) throw new LatentError('usage', `no ${JSON.stringify(name)} field`, path);
          return undefined;
        }
        if (!Array.isArray(v)) throw new LatentError('format', `"${name}" is not an array`, path);
        if (v.length !== rows.length) {
          throw new LatentError('shape', `"${name}" has ${v.length} entries but "${key}" has ${rows.length}`, path);
        }
        return v.map((x, i) => str(x, path, `${name}[${i}]`, name === (options.idColumn ?? 'ids') ? 'id' : 'label'));
      };
      const ids = column(options.idColumn ?? 'ids', options.idColumn !== undefined);
      const labels = column(options.labelColumn ?? 'labels', options.labelColumn !== undefined);
      return table(ids, labels, key);
    }
    if (options.array !== undefined) throw new LatentError('usage', `no array field ${JSON.stringify(options.array)}`, path);
    const entries = Object.entries(doc);
    if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v))) {
      for (const [word, vec] of entries) sink.add(vec, `key ${JSON.stringify(word)}`);
      return table(entries.map(([w]) => w));
    }
    throw new LatentError(
      'format',
      `expected an array of vectors, an array of objects, {"embeddings": [...], "ids": [...]} or {"word": [...]}; found an object with keys: ${Object.keys(doc).slice(0, 10).join(', ')}`,
      path,
    );
  }
  throw new LatentError('format', 'expected an array or an object at the top level', path);
}

function jsonTable(sink: RowSink, path: string, options: ReadOptions, ids?: string[], labels?: string[], arrayName?: string): EmbeddingTable {
  if (sink.rows === 0) throw new LatentError('shape', 'no embeddings in the file', path);
  const matrix = { rows: sink.rows, cols: sink.cols, data: sink.values.toArray() };
  return withNonFinite({ matrix, ids, labels, path, format: 'json', dtype: 'text', arrayName }, options, sink.nonFinite);
}

/** A top-level array's elements (parsed already, or one by one from the file): arrays of numbers, or objects with the embedding field. */
function arrayTable(elements: Iterable<unknown>, path: string, options: ReadOptions): EmbeddingTable {
  const sink = new RowSink(path, options);
  const ids: string[] = [];
  const labels: string[] = [];
  let byObject: { field: string; idName: string; labelName: string; hasIds: boolean; hasLabels: boolean } | undefined;
  let i = 0;
  for (const element of elements) {
    if (i === 0 && isObject(element)) {
      const field = options.array ?? ROW_FIELDS.find((f) => f in element);
      if (field === undefined || !(field in element)) {
        throw new LatentError('format', `element 0: no embedding field; fields are: ${Object.keys(element).join(', ')}`, path);
      }
      const idName = options.idColumn ?? 'id';
      const labelName = options.labelColumn ?? 'label';
      byObject = { field, idName, labelName, hasIds: idName in element, hasLabels: labelName in element };
    }
    if (!byObject) {
      sink.add(element, `element ${i}`);
    } else {
      const { field, idName, labelName, hasIds, hasLabels } = byObject;
      if (!isObject(element)) throw new LatentError('format', `element ${i}: expected an object like element 0`, path);
      sink.add(element[field], `element ${i}`);
      if (hasIds) {
        if (element[idName] === undefined || element[idName] === null) throw new LatentError('ids', `element ${i}: no ${JSON.stringify(idName)}`, path);
        ids.push(str(element[idName], path, `element ${i}`, 'id'));
      }
      if (hasLabels) labels.push(element[labelName] === undefined || element[labelName] === null ? '' : str(element[labelName], path, `element ${i}`, 'label'));
    }
    i++;
  }
  if (i === 0) throw new LatentError('shape', 'the array is empty', path);
  return byObject ? jsonTable(sink, path, options, byObject.hasIds ? ids : undefined, byObject.hasLabels ? labels : undefined, byObject.field) : jsonTable(sink, path, options);
}

/**
 * A .json file too large for one string: a top-level array is read element by element; anything
 * else is refused from its first bytes, before the file is read.
 */
async function readLargeJson(path: string, options: ReadOptions, bytes: number): Promise<EmbeddingTable> {
  const fh = await open(path, 'r');
  let head: Uint8Array;
  try {
    head = await readFully(fh, 0, 64 * 1024);
  } finally {
    await fh.close();
  }
  const start = (b: Uint8Array): number => {
    let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0; // a UTF-8 byte order mark
    while (i < b.length && isBlank(b[i])) i++;
    return i;
  };
  if (head[start(head)] !== 0x5b) throw tooLarge(bytes, path);
  const b = await readFile(path);
  throwIfCancelled(options.signal, path);
  return arrayTable(arrayElements(b, start(b), path, options), path, options);
}
