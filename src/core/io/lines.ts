/**
 * Streaming line reader for the text formats: reads the file in 1 MB chunks and
 * yields batches of lines (without "\n" or "\r\n"); a UTF-8 BOM is dropped, a
 * trailing newline does not produce an empty last line. Lines are numbered from 1.
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

export async function* readLineBatches(path: string, signal?: AbortSignal): AsyncGenerator<LineBatch> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let carry = '';
  let lineNo = 1;
  let start = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      throwIfCancelled(signal, path);
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
