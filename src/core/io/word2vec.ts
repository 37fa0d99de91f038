/**
 * word2vec readers; the words become the ids.
 *
 * Text (.vec, .txt): a header line "count dim", then one line per word:
 * "word v1 ... vdim" separated by spaces (or tabs); trailing spaces are fine.
 * With a header, a word may itself contain spaces (some GloVe/fastText vocabularies
 * do): the last `dim` fields are the vector, the rest is the word. Without a header
 * (GloVe style: the first line is not two integers), the file is accepted when every
 * line has the same number of fields as the first, and then words cannot contain spaces.
 * Values are returned as float64 (text has arbitrary precision).
 *
 * Binary (.bin): header line "count dim\n", then per word: the UTF-8 word up to a
 * space, `dim` little-endian float32 values (4·dim bytes), and an optional "\n".
 * Values are returned as float32, as stored. The file is read in chunks.
 */
import { LatentError } from '../errors';
import {
  CHUNK_BYTES,
  checkFinite,
  checkMaxRows,
  checkMaxValues,
  describeNonFinite,
  GrowableFloat64,
  parseNumber,
  quoteCell,
  throwIfCancelled,
  withFile,
  withNonFinite,
} from './common';
import { parseDecimalCells, SPACE_RUNS } from './decimalCells';
import { readByteLineBatches } from './lines';
import type { EmbeddingTable, ReadOptions } from './types';

const SEP = /[ \t]+/;
const SPACE = 32;
const TAB = 9;

export async function readWord2vecText(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  let count = -1; // from the header, or -1
  let dim = -1;
  let started = false;
  const values = new GrowableFloat64();
  const words: string[] = [];
  let nonFinite = 0;
  const text = new TextDecoder(); // invalid UTF-8 in a word becomes U+FFFD, as it always has here
  let row = new Float64Array(0);
  const pushValue = (v: number, lineNo: number, j: number): void => {
    if (v - v !== 0) {
      if (!options.allowNonFinite) throw new LatentError('value', `line ${lineNo}, value ${j} is ${describeNonFinite(v)}`, path);
      nonFinite++;
    }
    values.push(v);
  };
  const pushWord = (word: string, lineNo: number): void => {
    words.push(word);
    if (count >= 0 && words.length > count) {
      throw new LatentError('shape', `header says ${count} words, but the file has more (line ${lineNo})`, path);
    }
  };
  /**
   * The common line, "word v1 ... vdim" with a word free of blanks, parsed from its bytes
   * (decimalCells.ts; a 1 000 000-word fastText file is 300 M values). False: the line takes
   * the path below, which handles every other case and names what is wrong.
   */
  const fastLine = (bytes: Uint8Array, start: number, end: number, lineNo: number): boolean => {
    let wordEnd = start;
    while (wordEnd < end && bytes[wordEnd] !== SPACE && bytes[wordEnd] !== TAB) wordEnd++;
    if (wordEnd === start || wordEnd === end || !parseDecimalCells(bytes, wordEnd, end, SPACE_RUNS, row)) return false;
    const word = text.decode(bytes.subarray(start, wordEnd));
    if (word.trimStart() !== word) return false; // leading Unicode blanks: trimmed below
    for (let j = 0; j < row.length; j++) pushValue(row[j], lineNo, j + 1);
    pushWord(word, lineNo);
    return true;
  };
  for await (const batch of readByteLineBatches(path, options.signal)) {
    for (let k = 0; k < batch.starts.length; k++) {
      const lineNo = batch.first + k;
      if (started && fastLine(batch.bytes, batch.starts[k], batch.ends[k], lineNo)) continue;
      const line = text.decode(batch.bytes.subarray(batch.starts[k], batch.ends[k])).trim();
      if (line === '') continue;
      const fields = line.split(SEP);
      if (!started) {
        started = true;
        if (fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
          count = Number(fields[0]);
          dim = Number(fields[1]);
          if (count === 0 || dim === 0) throw new LatentError('shape', `line ${lineNo}: header says ${count} words of dimension ${dim}: no vectors`, path);
          checkMaxValues(count, dim, options.maxValues, path);
          checkMaxRows(count, options.maxRows, path);
          row = new Float64Array(dim);
          continue;
        }
        dim = fields.length - 1;
        if (dim < 1) throw new LatentError('format', `line ${lineNo}: expected "count dim" or "word v1 v2 ..."`, path);
        row = new Float64Array(dim);
      }
      let first: number; // index of the first value field
      if (count >= 0) {
        if (fields.length < dim + 1) throw new LatentError('shape', `line ${lineNo} has ${fields.length - 1} values, expected ${dim}`, path);
        first = fields.length - dim;
        for (let j = 1; j < first; j++) {
          if (parseNumber(fields[j]) !== undefined) {
            throw new LatentError('shape', `line ${lineNo} has ${fields.length - 1} values, expected ${dim}`, path);
          }
        }
      } else {
        if (fields.length !== dim + 1) {
          throw new LatentError(
            'shape',
            `line ${lineNo} has ${fields.length - 1} values, expected ${dim} (without a "count dim" header every line must have as many fields as the first)`,
            path,
          );
        }
        first = 1;
      }
      for (let j = first; j < fields.length; j++) {
        const v = parseNumber(fields[j]);
        if (v === undefined) throw new LatentError('value', `line ${lineNo}, value ${j - first + 1}: ${quoteCell(fields[j])} is not a number`, path);
        pushValue(v, lineNo, j - first + 1);
      }
      pushWord(first === 1 ? fields[0] : fields.slice(0, first).join(' '), lineNo);
    }
    checkMaxValues(words.length, Math.max(dim, 0), options.maxValues, path);
    checkMaxRows(words.length, options.maxRows, path, true);
  }
  if (!started) throw new LatentError('format', 'file is empty', path);
  if (count >= 0 && words.length !== count) throw new LatentError('shape', `header says ${count} words, file has ${words.length}`, path);
  if (words.length === 0) throw new LatentError('shape', 'file has no vectors', path);
  const table: EmbeddingTable = { matrix: { rows: words.length, cols: dim, data: values.toArray() }, ids: words, path, format: 'word2vec-text', dtype: 'text' };
  return withNonFinite(table, options, nonFinite);
}

const MAX_WORD_BYTES = 1 << 20;

export async function readWord2vecBinary(path: string, options: ReadOptions = {}): Promise<EmbeddingTable> {
  return withFile(path, async (src) => {
    if (src.size === 0) throw new LatentError('format', 'file is empty', path);
    let buf = await src.read(0, Math.min(src.size, CHUNK_BYTES));
    let filePos = buf.length; // next byte of the file to read
    let pos = 0;
    /** Makes at least n unread bytes available if the file has them; returns how many are. */
    const ensure = async (n: number): Promise<number> => {
      while (buf.length - pos < n && filePos < src.size) {
        throwIfCancelled(options.signal, path);
        const more = await src.read(filePos, Math.max(CHUNK_BYTES, n));
        filePos += more.length;
        const next = new Uint8Array(buf.length - pos + more.length);
        next.set(buf.subarray(pos), 0);
        next.set(more, buf.length - pos);
        buf = next;
        pos = 0;
      }
      return buf.length - pos;
    };

    const nl = buf.subarray(0, 256).indexOf(0x0a);
    const headerText = nl >= 0 ? new TextDecoder('latin1').decode(buf.subarray(0, nl)).trim() : '';
    const hm = /^(\d+)\s+(\d+)$/.exec(headerText);
    if (!hm) {
      throw new LatentError('format', 'not a word2vec binary file: the first line is not "count dim" (fastText .bin models are not supported; use the .vec file)', path);
    }
    const count = Number(hm[1]);
    const dim = Number(hm[2]);
    if (count === 0 || dim === 0) throw new LatentError('shape', `header says ${count} words of dimension ${dim}: no vectors`, path);
    checkMaxValues(count, dim, options.maxValues, path);
    checkMaxRows(count, options.maxRows, path);
    pos = nl + 1;
    // Every entry takes at least a space and 4·dim bytes: check the file can hold `count`
    // of them before allocating count × dim floats (a 12-byte "400000000 5" header
    // made this allocate 8 GB).
    const minBytes = count * (4 * dim + 1);
    if (src.size - pos < minBytes) {
      throw new LatentError(
        'format',
        `file is truncated: header says ${count} words of dimension ${dim} (at least ${minBytes} bytes), the file holds ${src.size - pos} after the header`,
        path,
      );
    }
    const out = new Float32Array(count * dim);
    const words: string[] = new Array(count);
    const decoder = new TextDecoder('utf-8');
    let nonFinite = 0;
    const vecBytes = 4 * dim;
    const truncated = (i: number): LatentError =>
      new LatentError('format', `file is truncated: header says ${count} words, found ${i} complete entries`, path);
    for (let i = 0; i < count; i++) {
      // Skip the optional newline (and stray whitespace) before the word.
      for (;;) {
        if ((await ensure(1)) < 1) throw truncated(i);
        const b = buf[pos];
        if (b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09) pos++;
        else break;
      }
      let space = buf.indexOf(0x20, pos);
      while (space < 0) {
        const have = buf.length - pos;
        if (have > MAX_WORD_BYTES) throw new LatentError('format', `entry ${i}: no space within ${MAX_WORD_BYTES} bytes; is this a word2vec binary file?`, path);
        if ((await ensure(have + 1)) <= have) throw truncated(i);
        space = buf.indexOf(0x20, pos);
      }
      const word = decoder.decode(buf.subarray(pos, space));
      pos = space + 1;
      if ((await ensure(vecBytes)) < vecBytes) throw truncated(i);
      const dv = new DataView(buf.buffer, buf.byteOffset + pos, vecBytes);
      const base = i * dim;
      for (let j = 0; j < dim; j++) out[base + j] = dv.getFloat32(4 * j, true);
      pos += vecBytes;
      words[i] = word;
      nonFinite += checkFinite(out.subarray(base, base + dim), dim, i, path, `word ${quoteCell(word)}: `, options.allowNonFinite);
    }
    // Only whitespace may follow the last vector.
    while ((await ensure(1)) > 0) {
      const b = buf[pos];
      if (b !== 0x0a && b !== 0x0d && b !== 0x20 && b !== 0x09) {
        throw new LatentError('shape', `header says ${count} words, but the file has more data after them`, path);
      }
      pos++;
    }
    const table: EmbeddingTable = { matrix: { rows: count, cols: dim, data: out }, ids: words, path, format: 'word2vec-bin', dtype: '<f4' };
    return withNonFinite(table, options, nonFinite);
  });
}
