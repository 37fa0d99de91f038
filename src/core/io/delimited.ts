/**
 * .csv / .tsv reader (and the TensorFlow Embedding Projector metadata.tsv).
 *
 * - Delimiter by extension: "," for .csv, tab for .tsv. CSV follows RFC 4180
 *   (double-quoted fields may hold commas, newlines and "" for a quote). TSV has
 *   no quoting: quotes are ordinary characters (word lists contain `"`).
 * - Line numbers and column numbers in messages are 1-based, as in editors and
 *   spreadsheets; `idColumn` / `labelColumn` indices are 0-based.
 * - Values are returned as float64: text has arbitrary precision, and float64
 *   keeps every value a float32 writer printed (and more) exactly.
 * - The text must be UTF-8: invalid bytes are a format error naming the line (a
 *   replacement character could make two different ids equal).
 * - Lines are read as bytes. When the numeric columns are adjacent (ids and labels
 *   before or after them), an unquoted line's numbers are parsed straight from its
 *   bytes (decimalCells.ts: the same doubles, without a string per cell);
 *   any line that does not fit takes the cell-by-cell path, which names what is wrong.
 *
 * Header, id and label columns when not given by the options:
 * - Header (unless `options.header`): the first line is a header when one of its
 *   cells is not a number while the second line has a number in that column
 *   (so a non-numeric id/label column does not count), or, for a one-line file,
 *   when a cell other than the first is not a number. `idColumn` / `labelColumn`
 *   given as names imply a header.
 * - Ids: the first column, when the header names it `id`, `word`, `token`,
 *   `name` or `key` (any case, plural too), or leaves it unnamed (the index
 *   column pandas writes), or when the first data line's first cell is not a
 *   number. After that every line's first cell is an id, even "1984".
 * - Labels: a header column named `label` (any case).
 * Any other non-numeric cell is an error naming the line and column.
 */
import { LatentError } from '../errors';
import { checkMaxRows, checkMaxValues, GrowableFloat64, isNumberCell, parseNumber, quoteCell, describeNonFinite, withNonFinite } from './common';
import { parseDecimalCells } from './decimalCells';
import { readByteLineBatches, readLineBatches } from './lines';
import type { EmbeddingTable, ReadOptions } from './types';

const ID_NAMES = /^(ids?|words?|tokens?|names?|keys?)$/i;
const LABEL_NAMES = /^labels?$/i;

/** Longest quoted field accepted (it may span lines); past it a quote is taken to be unclosed. */
const MAX_FIELD = 64 * 1024 * 1024;

/**
 * Splits CSV records line by line; a quoted field may continue on the next lines.
 * Incremental: a continued field is resumed where the last line ended, never
 * re-split from the start of the record (re-splitting the growing record on every
 * line made a file with an unclosed quote quadratic: 900 KB took minutes).
 */
class CsvSplitter {
  private fields: string[] = [];
  private field = '';
  /** Inside a quoted field at the end of the last line. */
  private open = false;

  constructor(private readonly delimiter: string) {}

  /** Inside a quoted field: the next line continues it. */
  get continuing(): boolean {
    return this.open;
  }

  get pendingLength(): number {
    return this.field.length;
  }

  /** Feeds one line; returns the fields when the record is complete, undefined when a quoted field continues. */
  feed(text: string): string[] | undefined {
    const delimiter = this.delimiter;
    if (!this.open && !text.includes('"')) return text.split(delimiter);
    const n = text.length;
    let i = 0;
    if (this.open) this.field += '\n';
    for (;;) {
      if (!this.open && text[i] === '"') {
        i++;
        this.open = true;
        this.field = '';
      }
      if (this.open) {
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            this.field += text.slice(i);
            return undefined;
          }
          this.field += text.slice(i, q);
          if (text[q + 1] === '"') {
            this.field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        this.open = false;
        // Text after the closing quote (not RFC 4180) is kept, as Python's csv does.
        const d = text.indexOf(delimiter, i);
        const end = d < 0 ? n : d;
        this.field += text.slice(i, end);
        i = end;
      } else {
        const d = text.indexOf(delimiter, i);
        const end = d < 0 ? n : d;
        this.field = text.slice(i, end);
        i = end;
      }
      this.fields.push(this.field);
      this.field = '';
      if (i >= n) return this.take();
      i += delimiter.length;
      if (i === n) {
        this.fields.push('');
        return this.take();
      }
    }
  }

  private take(): string[] {
    const f = this.fields;
    this.fields = [];
    return f;
  }
}

/**
 * Splits one CSV record. Returns undefined when the text ends inside a quoted
 * field (the record continues on the next line).
 */
export function splitCsv(text: string, delimiter: string): string[] | undefined {
  return new CsvSplitter(delimiter).feed(text);
}

interface RecordLine {
  line: number;
  readonly fields: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8: a replacement character could silently turn two different ids into one. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number, line: number, path: string): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new LatentError('format', `line ${line} is not valid UTF-8 text (save the file as UTF-8)`, path);
  }
}

/**
 * A line with no quoting to undo, kept as bytes: numeric rows are parsed from them
 * (splitNumericRun); the text is decoded only when a field is needed.
 */
class PlainLine implements RecordLine {
  private decoded?: string;
  private split?: string[];
  constructor(
    readonly line: number,
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
    private readonly delimiter: string,
    private readonly path: string,
  ) {}
  get text(): string {
    return (this.decoded ??= decodeUtf8(this.bytes, this.start, this.end, this.line, this.path));
  }
  get fields(): string[] {
    return (this.split ??= this.text.split(this.delimiter));
  }
  /** Blank (only whitespace, as String.prototype.trim sees it). */
  get blank(): boolean {
    for (let i = this.start; i < this.end; i++) {
      const b = this.bytes[i];
      if (b === 32 || (b >= 9 && b <= 13)) continue;
      return b >= 0x80 ? this.text.trim() === '' : false;
    }
    return true;
  }
}

const QUOTE = 34;

/** Yields the records of a delimited file in batches; blank lines are skipped. */
async function* readRecords(path: string, delimiter: string, quoting: boolean, signal?: AbortSignal): AsyncGenerator<RecordLine[]> {
  const splitter = new CsvSplitter(delimiter);
  let pendingLine = 0; // first line of a record whose quoted field continues, or 0
  for await (const batch of readByteLineBatches(path, signal)) {
    const out: RecordLine[] = [];
    const { bytes } = batch;
    for (let k = 0; k < batch.starts.length; k++) {
      const lineNo = batch.first + k;
      const start = batch.starts[k];
      const end = batch.ends[k];
      if (!quoting || (!splitter.continuing && bytes.subarray(start, end).indexOf(QUOTE) < 0)) {
        const line = new PlainLine(lineNo, bytes, start, end, delimiter, path);
        if (!line.blank) out.push(line);
        continue;
      }
      const startLine = pendingLine || lineNo;
      const fields = splitter.feed(decodeUtf8(bytes, start, end, lineNo, path));
      if (fields === undefined) {
        pendingLine = startLine;
        if (splitter.pendingLength > MAX_FIELD) {
          throw new LatentError('format', `line ${startLine}: a quoted field runs on for more than 64 MB; is a quote never closed?`, path);
        }
        continue;
      }
      pendingLine = 0;
      if (!(fields.length === 1 && fields[0].trim() === '')) out.push({ line: startLine, fields });
    }
    if (out.length) yield out;
  }
  if (pendingLine) {
    throw new LatentError('format', `line ${pendingLine}: a quoted field is never closed`, path);
  }
}

/** Resolves a column option (name, or 0-based index) against an optional header. */
function resolveColumn(
  spec: string | undefined,
  header: string[] | undefined,
  what: string,
  path: string,
): number | undefined {
  if (spec === undefined) return undefined;
  if (header) {
    const exact = header.indexOf(spec);
    if (exact >= 0) return exact;
    const folded = header.findIndex((h) => h.trim().toLowerCase() === spec.trim().toLowerCase());
    if (folded >= 0) return folded;
  }
  if (/^\d+$/.test(spec)) return Number(spec);
  if (!header) {
    throw new LatentError('usage', `${what} ${JSON.stringify(spec)} is a column name, but the file has no header line; give a 0-based index`, path);
  }
  throw new LatentError('usage', `no ${what} column named ${JSON.stringify(spec)}; the columns are: ${header.join(', ')}`, path);
}

/**
 * A plain line's numeric fields [from, to) of `width`, parsed from its bytes into `into`
 * (parseDecimalCells), with the fields before and after them (ids, labels) as text;
 * undefined sends the line to the cell-by-cell path, which accepts it or names the bad cell.
 */
function splitNumericRun(rec: PlainLine, sep: number, width: number, from: number, to: number, into: Float64Array, path: string): { before: string[]; after: string[] } | undefined {
  const { bytes, line } = rec;
  const before: string[] = [];
  let start = rec.start;
  for (let k = 0; k < from; k++) {
    let d = start;
    while (d < rec.end && bytes[d] !== sep) d++;
    if (d >= rec.end) return undefined;
    before.push(decodeUtf8(bytes, start, d, line, path));
    start = d + 1;
  }
  const after: string[] = [];
  let end = rec.end;
  for (let k = to; k < width; k++) {
    let d = end - 1;
    while (d >= start && bytes[d] !== sep) d--;
    if (d < start) return undefined;
    after.push(decodeUtf8(bytes, d + 1, end, line, path));
    end = d;
  }
  after.reverse();
  return parseDecimalCells(bytes, start, end, sep, into) ? { before, after } : undefined;
}

function isHeaderLine(first: string[], second: string[] | undefined): boolean {
  if (second) return first.some((cell, j) => !isNumberCell(cell) && j < second.length && isNumberCell(second[j]));
  return first.some((cell, j) => j > 0 && !isNumberCell(cell));
}

export async function readDelimited(path: string, options: ReadOptions = {}, format: 'csv' | 'tsv'): Promise<EmbeddingTable> {
  const delimiter = format === 'csv' ? ',' : '\t';
  const namedColumn = (spec?: string): boolean => spec !== undefined && !/^\d+$/.test(spec);
  let header: string[] | undefined;
  let decided = false;
  let buffered: RecordLine[] = [];
  let idCol: number | undefined;
  let labelCol: number | undefined;
  let width = 0; // fields per line
  let cols = 0; // values per line
  let isData: boolean[] = [];
  /** The numeric columns as one run [from, to), when they are one (no id or label between them). */
  let numericRun: { from: number; to: number } | undefined;
  let rowValues = new Float64Array(0);
  const values = new GrowableFloat64();
  const ids: string[] = [];
  const labels: string[] = [];
  let rows = 0;
  let nonFinite = 0;
  const maxValues = options.maxValues;
  let headerLine = 0;

  const colName = (j: number): string => (header && header[j] !== undefined && header[j] !== '' ? ` (${JSON.stringify(header[j])})` : '');

  const decide = (records: RecordLine[]): RecordLine[] => {
    const first = records[0];
    const wantHeader =
      options.header ?? (namedColumn(options.idColumn) || namedColumn(options.labelColumn) || isHeaderLine(first.fields, records[1]?.fields));
    let data = records;
    if (wantHeader) {
      header = first.fields.map((h) => h.trim());
      headerLine = first.line;
      data = records.slice(1);
    }
    idCol = resolveColumn(options.idColumn, header, 'id', path);
    labelCol = resolveColumn(options.labelColumn, header, 'label', path);
    if (labelCol === undefined && header) {
      const j = header.findIndex((h) => LABEL_NAMES.test(h));
      if (j >= 0 && j !== idCol) labelCol = j;
    }
    if (idCol === undefined && labelCol !== 0) {
      if (header && (ID_NAMES.test(header[0]) || header[0] === '')) idCol = 0;
      else if (data.length > 0 && !isNumberCell(data[0].fields[0])) idCol = 0;
    }
    width = header ? header.length : data.length > 0 ? data[0].fields.length : 0;
    for (const [j, what] of [
      [idCol, 'id'],
      [labelCol, 'label'],
    ] as const) {
      if (j !== undefined && width > 0 && j >= width) {
        throw new LatentError('usage', `${what} column ${j} does not exist: line ${header ? headerLine : data[0].line} has ${width} columns`, path);
      }
    }
    isData = Array.from({ length: width }, (_, j) => j !== idCol && j !== labelCol);
    cols = isData.filter(Boolean).length;
    if (width > 0 && cols === 0) throw new LatentError('shape', 'no numeric columns: every column is an id or a label', path);
    const from = isData.indexOf(true);
    numericRun = isData.lastIndexOf(true) - from + 1 === cols ? { from, to: from + cols } : undefined;
    rowValues = new Float64Array(cols);
    decided = true;
    return data;
  };

  const pushValue = (v: number, rec: RecordLine, j: number): void => {
    if (v - v !== 0) {
      if (!options.allowNonFinite) throw new LatentError('value', `line ${rec.line}, column ${j + 1}${colName(j)} is ${describeNonFinite(v)}`, path);
      nonFinite++;
    }
    values.push(v);
  };

  const consume = (rec: RecordLine): void => {
    const fast =
      numericRun && rec instanceof PlainLine ? splitNumericRun(rec, delimiter.charCodeAt(0), width, numericRun.from, numericRun.to, rowValues, path) : undefined;
    if (fast) {
      const { from, to } = numericRun!;
      for (let q = 0; q < cols; q++) pushValue(rowValues[q], rec, from + q);
      const field = (j: number): string => (j < from ? fast.before[j] : fast.after[j - to]);
      if (idCol !== undefined) ids.push(field(idCol));
      if (labelCol !== undefined) labels.push(field(labelCol));
      rows++;
      return;
    }
    const f = rec.fields;
    if (f.length !== width) {
      const extra = (idCol !== undefined ? 1 : 0) + (labelCol !== undefined ? 1 : 0);
      throw new LatentError('shape', `line ${rec.line} has ${Math.max(0, f.length - extra)} values, expected ${cols}`, path);
    }
    for (let j = 0; j < width; j++) {
      if (!isData[j]) continue;
      const v = parseNumber(f[j]);
      if (v === undefined) {
        throw new LatentError('value', `line ${rec.line}, column ${j + 1}${colName(j)}: ${quoteCell(f[j])} is not a number`, path);
      }
      pushValue(v, rec, j);
    }
    if (idCol !== undefined) ids.push(f[idCol]);
    if (labelCol !== undefined) labels.push(f[labelCol]);
    rows++;
  };

  for await (const batch of readRecords(path, delimiter, format === 'csv', options.signal)) {
    let recs = batch;
    if (!decided) {
      buffered = buffered.concat(batch);
      if (buffered.length < 2) continue;
      recs = decide(buffered);
      buffered = [];
    }
    for (const rec of recs) consume(rec);
    checkMaxValues(rows, cols, maxValues, path);
    checkMaxRows(rows, options.maxRows, path, true);
  }
  if (!decided) {
    if (buffered.length === 0) throw new LatentError('format', 'file is empty (no lines with values)', path);
    for (const rec of decide(buffered)) consume(rec);
  }
  if (rows === 0) throw new LatentError('shape', header ? 'file has a header line but no rows' : 'file has no rows', path);
  checkMaxValues(rows, cols, maxValues, path);
  checkMaxRows(rows, options.maxRows, path);
  const table: EmbeddingTable = {
    matrix: { rows, cols, data: values.toArray() },
    ids: idCol !== undefined ? ids : undefined,
    labels: labelCol !== undefined ? labels : undefined,
    path,
    format,
    dtype: 'text',
  };
  return withNonFinite(table, options, nonFinite);
}

/**
 * Reads a TensorFlow Embedding Projector metadata.tsv for `rows` vectors.
 * One column (no tab on the first line): no header, one label per line (blank
 * lines are empty labels). Several columns: the first line is the header; labels
 * from `labelColumn` or a column named `label`, ids from `idColumn` or a column
 * named id/word/name/token/key; when neither is found the first column gives the labels.
 */
export async function readProjectorMetadata(
  metaPath: string,
  vectorsPath: string,
  rows: number,
  options: Pick<ReadOptions, 'idColumn' | 'labelColumn' | 'signal'> = {},
): Promise<{ ids?: string[]; labels?: string[] }> {
  const lines: [number, string][] = [];
  for await (const batch of readLineBatches(metaPath, options.signal)) {
    for (let k = 0; k < batch.lines.length; k++) lines.push([batch.first + k, batch.lines[k]]);
  }
  if (lines.length === 0) throw new LatentError('format', 'metadata file is empty', metaPath);
  const mismatch = (n: number): LatentError =>
    new LatentError('shape', `metadata has ${n} rows but ${vectorsPath} has ${rows} vectors; they must match one to one`, metaPath);
  if (!lines[0][1].includes('\t')) {
    if (options.idColumn !== undefined || options.labelColumn !== undefined) {
      const bad = (options.idColumn ?? options.labelColumn)!;
      if (!/^0?$/.test(bad)) throw new LatentError('usage', `metadata has a single column and no header; column ${JSON.stringify(bad)} does not exist`, metaPath);
    }
    if (lines.length !== rows) throw mismatch(lines.length);
    const values = lines.map(([, l]) => l);
    return options.idColumn !== undefined ? { ids: values } : { labels: values };
  }
  const header = lines[0][1].split('\t').map((h) => h.trim());
  let idCol = resolveColumn(options.idColumn, header, 'id', metaPath);
  let labelCol = resolveColumn(options.labelColumn, header, 'label', metaPath);
  if (labelCol === undefined) {
    const j = header.findIndex((h) => LABEL_NAMES.test(h));
    if (j >= 0 && j !== idCol) labelCol = j;
  }
  if (idCol === undefined) {
    const j = header.findIndex((h) => ID_NAMES.test(h));
    if (j >= 0 && j !== labelCol) idCol = j;
  }
  if (labelCol === undefined && idCol === undefined) labelCol = 0;
  const body = lines.slice(1);
  if (body.length !== rows) throw mismatch(body.length);
  const ids: string[] = [];
  const labels: string[] = [];
  for (const [lineNo, line] of body) {
    const f = line.split('\t');
    if (f.length !== header.length) {
      throw new LatentError('shape', `line ${lineNo} has ${f.length} columns, expected ${header.length} (as in the header)`, metaPath);
    }
    if (idCol !== undefined) ids.push(f[idCol]);
    if (labelCol !== undefined) labels.push(f[labelCol]);
  }
  return { ids: idCol !== undefined ? ids : undefined, labels: labelCol !== undefined ? labels : undefined };
}
