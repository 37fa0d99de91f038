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

/** Line-by-line convenience wrapper: yields [lineNumber, line]. */
export async function* readLines(path: string, signal?: AbortSignal): AsyncGenerator<[number, string]> {
  for await (const batch of readLineBatches(path, signal)) {
    for (let k = 0; k < batch.lines.length; k++) yield [batch.first + k, batch.lines[k]];
  }
}
