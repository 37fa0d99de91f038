/**
 * Raw text inputs of a text encoder (`latent-translator embed --model <folder>`):
 *
 * - `.txt`: one text per line. Blank (empty or whitespace-only) lines are skipped, so a
 *   trailing empty line or paragraph breaks do not become empty texts; `lines` records the
 *   line each text came from. A text is the line as it is (the tokenizer normalizes
 *   whitespace).
 * - `.jsonl` / `.ndjson`: one JSON object per line with a string field `text` (or the
 *   `textField` given) and optionally an `id` (string or number). Blank lines are skipped.
 * - `.csv` (RFC 4180: quoted fields may hold commas, newlines and "" for a quote) and
 *   `.tsv` (no quoting): a header line naming a `text` column (or `textField`, matched
 *   exactly first, then ignoring case) and optionally an `id` column. Blank lines are skipped.
 *
 * In .jsonl / .csv / .tsv an empty text is kept (the row may be referenced by its id).
 * Ids are all or nothing: when the first row has one, every row must, and no id may repeat.
 * Every error names the file and, for a bad row, its 1-based line number.
 */
import { extname } from 'node:path';
import { refusePickle } from '../io/pickle';
import { LatentError } from '../errors';
import { toLatentError } from '../io/common';
import { splitCsv } from '../io/delimited';
import { readLineBatches } from '../io/lines';

export interface TextInput {
  path: string;
  texts: string[];
  /** Ids from an `id` field / column, when the input has them (same order as texts). */
  ids?: string[];
  /** 1-based line (record start) each text came from. */
  lines: number[];
  /** Blank lines skipped. */
  skippedBlank: number;
}

export interface TextInputOptions {
  /** Field (.jsonl) or column (.csv/.tsv) holding the texts; default "text". */
  textField?: string;
  signal?: AbortSignal;
}

/** Extensions readTexts accepts. */
export const TEXT_INPUT_EXTENSIONS: readonly string[] = ['.txt', '.jsonl', '.ndjson', '.csv', '.tsv'];

export function isTextInputPath(path: string): boolean {
  return TEXT_INPUT_EXTENSIONS.includes(extname(path).toLowerCase());
}

export async function readTexts(path: string, options: TextInputOptions = {}): Promise<TextInput> {
  refusePickle(path);
  const ext = extname(path).toLowerCase();
  let input: TextInput;
  try {
    if (ext === '.txt') {
      if (options.textField !== undefined) {
        throw new LatentError('usage', 'a text field / column only applies to .jsonl and .csv inputs; a .txt holds one text per line', path);
      }
      input = await readTxt(path, options.signal);
    } else if (ext === '.jsonl' || ext === '.ndjson') {
      input = await readJsonlTexts(path, options.textField ?? 'text', options.signal);
    } else if (ext === '.csv' || ext === '.tsv') {
      input = await readDelimitedTexts(path, options.textField ?? 'text', ext === '.csv' ? ',' : '\t', options.signal);
    } else {
      throw new LatentError('usage', `a text encoder reads texts from a .txt (one per line), .jsonl or .csv file, not a "${ext || 'file without extension'}"`, path);
    }
  } catch (e) {
    throw toLatentError(e, path);
  }
  if (input.texts.length === 0) {
    throw new LatentError('shape', input.skippedBlank > 0 ? 'the file holds no texts (only blank lines)' : 'the file holds no texts', path);
  }
  return input;
}

async function readTxt(path: string, signal?: AbortSignal): Promise<TextInput> {
  const texts: string[] = [];
  const lines: number[] = [];
  let skippedBlank = 0;
  for await (const batch of readLineBatches(path, signal)) {
    for (let k = 0; k < batch.lines.length; k++) {
      const line = batch.lines[k];
      if (line.trim() === '') {
        skippedBlank++;
        continue;
      }
      checkText(line, path, batch.first + k);
      texts.push(line);
      lines.push(batch.first + k);
    }
  }
  return { path, texts, lines, skippedBlank };
}

function checkText(text: string, path: string, line: number): void {
  if (text.includes('\0')) throw new LatentError('format', `line ${line} contains a NUL byte; is this a text file?`, path);
}

/** Collects ids: all rows or none, no repeats. */
class IdCollector {
  private readonly seen = new Map<string, number>();
  readonly ids: string[] = [];
  private has: boolean | undefined;

  constructor(
    private readonly path: string,
    private readonly what: string,
  ) {}

  add(id: string | undefined, line: number): void {
    if (this.has === undefined) this.has = id !== undefined;
    if (!this.has) {
      if (id !== undefined) throw new LatentError('ids', `line ${line} has an ${this.what}, but the first row has none: give every row an id, or none`, this.path);
      return;
    }
    if (id === undefined) throw new LatentError('ids', `line ${line} has no ${this.what}, but the first row has one: give every row an id, or none`, this.path);
    const first = this.seen.get(id);
    if (first !== undefined) throw new LatentError('ids', `line ${line}: id ${JSON.stringify(id)} repeats the id of line ${first}`, this.path);
    this.seen.set(id, line);
    this.ids.push(id);
  }

  result(): string[] | undefined {
    return this.has ? this.ids : undefined;
  }
}

async function readJsonlTexts(path: string, field: string, signal?: AbortSignal): Promise<TextInput> {
  const texts: string[] = [];
  const lines: number[] = [];
  const ids = new IdCollector(path, '"id" field');
  let skippedBlank = 0;
  for await (const batch of readLineBatches(path, signal)) {
    for (let k = 0; k < batch.lines.length; k++) {
      const lineNo = batch.first + k;
      const line = batch.lines[k];
      if (line.trim() === '') {
        skippedBlank++;
        continue;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch (e) {
        throw new LatentError('format', `line ${lineNo}: invalid JSON (${(e as Error).message})`, path);
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw new LatentError('format', `line ${lineNo}: expected a JSON object with a "${field}" field, got ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)}`, path);
      }
      const rec = doc as Record<string, unknown>;
      const text = rec[field];
      if (text === undefined) {
        const keys = Object.keys(rec);
        throw new LatentError(
          'format',
          `line ${lineNo} has no "${field}" field${keys.length ? ` (its fields: ${keys.map((x) => JSON.stringify(x)).join(', ')})` : ''}${field === 'text' ? '; name the field with --text-field' : ''}`,
          path,
        );
      }
      if (typeof text !== 'string') throw new LatentError('format', `line ${lineNo}: field "${field}" is ${JSON.stringify(text)}, not a string`, path);
      checkText(text, path, lineNo);
      const id = rec.id;
      if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
        throw new LatentError('ids', `line ${lineNo}: "id" is ${JSON.stringify(id)}; ids must be strings or numbers`, path);
      }
      ids.add(id === undefined || id === null ? undefined : String(id), lineNo);
      texts.push(text);
      lines.push(lineNo);
    }
  }
  return { path, texts, ids: ids.result(), lines, skippedBlank };
}

/** Columns named `spec` exactly, else ignoring case and surrounding space. */
function findColumn(header: string[], spec: string): number {
  const exact = header.indexOf(spec);
  if (exact >= 0) return exact;
  return header.findIndex((h) => h.trim().toLowerCase() === spec.trim().toLowerCase());
}

async function readDelimitedTexts(path: string, field: string, delimiter: string, signal?: AbortSignal): Promise<TextInput> {
  const quoting = delimiter === ',';
  const texts: string[] = [];
  const lines: number[] = [];
  const ids = new IdCollector(path, '"id" value');
  let skippedBlank = 0;
  let header: string[] | undefined;
  let textCol = -1;
  let idCol = -1;
  let pending: string | undefined;
  let pendingLine = 0;
  const record = (fields: string[], lineNo: number): void => {
    if (fields.length === 1 && fields[0].trim() === '') {
      skippedBlank++;
      return;
    }
    if (!header) {
      header = fields;
      textCol = findColumn(header, field);
      if (textCol < 0) {
        throw new LatentError(
          'format',
          `line ${lineNo}: the header has no "${field}" column (its columns: ${header.map((h) => JSON.stringify(h)).join(', ')})${field === 'text' ? '; name the column with --text-field' : ''}`,
          path,
        );
      }
      idCol = findColumn(header, 'id');
      return;
    }
    if (fields.length !== header.length) {
      throw new LatentError('format', `line ${lineNo} has ${fields.length} fields, but the header has ${header.length}`, path);
    }
    const text = fields[textCol];
    checkText(text, path, lineNo);
    if (idCol >= 0) {
      const id = fields[idCol].trim();
      if (id === '') throw new LatentError('ids', `line ${lineNo}: the "id" value is empty`, path);
      ids.add(id, lineNo);
    }
    texts.push(text);
    lines.push(lineNo);
  };
  for await (const batch of readLineBatches(path, signal)) {
    for (let k = 0; k < batch.lines.length; k++) {
      const lineNo = batch.first + k;
      const line = batch.lines[k];
      if (!quoting) {
        record(line.split(delimiter), lineNo);
        continue;
      }
      // A quoted field may span lines: keep joining until the record closes.
      const text = pending === undefined ? line : `${pending}\n${line}`;
      const startLine = pending === undefined ? lineNo : pendingLine;
      const fields = splitCsv(text, delimiter);
      if (fields === undefined) {
        pending = text;
        pendingLine = startLine;
        continue;
      }
      pending = undefined;
      record(fields, startLine);
    }
  }
  if (pending !== undefined) throw new LatentError('format', `line ${pendingLine}: a quoted field is never closed`, path);
  if (!header) return { path, texts, lines, skippedBlank };
  return { path, texts, ids: idCol >= 0 ? ids.result() : undefined, lines, skippedBlank };
}
