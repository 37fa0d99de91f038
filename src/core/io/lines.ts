/**
 * Streaming line reader for the text formats: reads the file in 1 MB chunks and
 * yields batches of lines (without "\n" or "\r\n"); a UTF-8 BOM is dropped, a
 * trailing newline does not produce an empty last line. Lines are numbered from 1.
 * Invalid UTF-8 becomes U+FFFD, unless `fatal`: then it is a format error naming the line.
 */
import { createReadStream } from 'node:fs';
import { LatentError } from '../errors';
import { throwIfCancelled } from './common';

const MAX_LINE = 64 * 1024 * 1024;

export interface LineBatch {
  /** Line number (1-based) of lines[0]. */
  first: number;
  lines: string[];
}

/** The line (counted from `lineNo`) of the first invalid UTF-8 sequence in `chunk` (approximate if it also holds a literal U+FFFD). */
function invalidLine(chunk: Uint8Array, lineNo: number): number {
  const text = new TextDecoder('utf-8').decode(chunk);
  const bad = text.indexOf('\uFFFD');
  let n = lineNo;
  for (let k = text.indexOf('\n'); k >= 0 && (bad < 0 || k < bad); k = text.indexOf('\n', k + 1)) n++;
  return n;
}

export async function* readLineBatches(path: string, signal?: AbortSignal, options: { fatal?: boolean } = {}): AsyncGenerator<LineBatch> {
  const stream = createReadStream(path, options.fatal ? { highWaterMark: 1 << 20 } : { encoding: 'utf8', highWaterMark: 1 << 20 });
  const decoder = options.fatal ? new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }) : undefined;
  const notUtf8 = (line: number): LatentError =>
    new LatentError('format', `line ${line} is not valid UTF-8 text (save the file as UTF-8)`, path);
  let carry = '';
  let lineNo = 1;
  let start = true;
  try {
    for await (const raw of stream as AsyncIterable<string | Buffer>) {
      throwIfCancelled(signal, path);
      let chunk: string;
      if (decoder) {
        try {
          chunk = decoder.decode(raw as Buffer, { stream: true });
        } catch {
          throw notUtf8(invalidLine(raw as Buffer, lineNo));
        }
      } else {
        chunk = raw as string;
      }
      let text = carry + chunk;
      if (start) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        start = false;
      }
      const lines: string[] = [];
      let pos = 0;
      for (;;) {
        const nl = text.indexOf('\n', pos);
        if (nl < 0) break;
        const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        lines.push(text.slice(pos, end));
        pos = nl + 1;
      }
      carry = text.slice(pos);
      if (carry.length > MAX_LINE) {
        throw new LatentError('format', `line ${lineNo + lines.length} is longer than 64 MB; is this a text file?`, path);
      }
      if (lines.length > 0) {
        yield { first: lineNo, lines };
        lineNo += lines.length;
      }
    }
    if (decoder) {
      try {
        carry += decoder.decode();
      } catch {
        throw notUtf8(lineNo);
      }
    }
    if (carry.length > 0) yield { first: lineNo, lines: [carry.endsWith('\r') ? carry.slice(0, -1) : carry] };
  } finally {
    stream.destroy();
  }
}

export interface ByteLineBatch {
  /** Line number (1-based) of the first line. */
  first: number;
  /** Holds every line of the batch. */
  bytes: Buffer;
  /** Line k is bytes[starts[k], ends[k]), without its "\n" or "\r\n". */
  starts: number[];
  ends: number[];
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * The lines of a file as byte ranges, for a reader that decodes only what it needs as text
 * (the CSV reader parses numeric cells from bytes). Line breaks, BOM, line numbers and the
 * 64 MB line limit as readLineBatches; UTF-8 is the caller's to check.
 */
export async function* readByteLineBatches(path: string, signal?: AbortSignal): AsyncGenerator<ByteLineBatch> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let carry: Buffer | undefined;
  let lineNo = 1;
  let start = true;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      throwIfCancelled(signal, path);
      const bytes = carry ? Buffer.concat([carry, raw]) : raw;
      let pos = 0;
      if (start && bytes.length >= BOM.length) {
        if (BOM.every((b, k) => bytes[k] === b)) pos = BOM.length;
        start = false;
      }
      const starts: number[] = [];
      const ends: number[] = [];
      for (;;) {
        const nl = bytes.indexOf(10, pos);
        if (nl < 0) break;
        starts.push(pos);
        ends.push(nl > pos && bytes[nl - 1] === 13 ? nl - 1 : nl);
        pos = nl + 1;
      }
      carry = pos < bytes.length ? bytes.subarray(pos) : undefined;
      if (carry && carry.length > MAX_LINE) {
        throw new LatentError('format', `line ${lineNo + starts.length} is longer than 64 MB; is this a text file?`, path);
      }
      if (starts.length > 0) {
        yield { first: lineNo, bytes, starts, ends };
        lineNo += starts.length;
      }
    }
    if (carry) {
      let from = 0;
      if (start && carry.length >= BOM.length && BOM.every((b, k) => carry![k] === b)) from = BOM.length;
      const end = carry.length > from && carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
      if (end > from || from === 0) yield { first: lineNo, bytes: carry, starts: [from], ends: [end] };
    }
  } finally {
    stream.destroy();
  }
}

/** Line-by-line convenience wrapper: yields [lineNumber, line]. */
export async function* readLines(path: string, signal?: AbortSignal): AsyncGenerator<[number, string]> {
  for await (const batch of readLineBatches(path, signal)) {
    for (let k = 0; k < batch.lines.length; k++) yield [batch.first + k, batch.lines[k]];
  }
}
