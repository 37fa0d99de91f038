/**
 * One error type for every problem with user input, so the CLI and the
 * extension can show one clear line that names the file and what is wrong.
 */
export type ErrorCode =
  | 'io' // cannot open, read or write
  | 'format' // bytes do not follow the format
  | 'unsupported' // valid format, feature we do not read (dtype, compression…)
  | 'shape' // wrong or mismatched dimensions
  | 'value' // NaN / Inf or other bad numbers
  | 'ids' // ids missing, duplicated or unmatched
  | 'anchors' // too few or invalid anchors
  | 'usage' // bad command-line or option values
  | 'exists' // output exists and overwriting was not allowed
  | 'limit' // more rows than the caller allows (ReadOptions.maxRows)
  | 'cancelled';

export class LatentError extends Error {
  override readonly name = 'LatentError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(file ? `${file}: ${message}` : message, options);
  }
}

export function isLatentError(e: unknown): e is LatentError {
  return e instanceof LatentError;
}
