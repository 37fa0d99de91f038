/**
 * The raw model inputs of the held-out items (--test-inputs, e.g. the images
 * the embeddings were computed from), so the panel can draw the original next
 * to the native and stitched decodings. Only the rows the panel shows are
 * read; the file's row count is checked against the held-out set.
 */
import { LatentError } from './errors';
import { formatShape } from './io/common';
import { isUint8, openInputTensor } from './onnx/embed';
import { DECODED_SAMPLES } from './stitching';

export interface HeldInputs {
  file: string;
  /** Shape of one row (the dims after the first), as stored. */
  rowShape: number[];
  dtype: string;
  /** Applied to the stored values for display: 1/255 for uint8 (pixels), else 1 — the embed command's default. */
  scale: number;
  /** The first held-out items' inputs, scaled, in held-out order. */
  rows: number[][];
}

/**
 * `heldSourceRows`: the source row of each held-out pair, when the held-out pairs are rows of the
 * source file (then the file may also hold one row per source row).
 */
export async function loadHeldInputs(file: string, heldCount: number, sourceRows: number, heldSourceRows: number[] | undefined, signal?: AbortSignal): Promise<HeldInputs> {
  const t = await openInputTensor(file, undefined, signal);
  try {
    let rowOf: (i: number) => number;
    if (t.rows === heldCount) rowOf = (i) => i;
    else if (heldSourceRows && t.rows === sourceRows) rowOf = (i) => heldSourceRows[i];
    else {
      throw new LatentError(
        'shape',
        `has ${t.rows} rows (shape ${formatShape(t.shape)}); expected one input per held-out pair (${heldCount})${heldSourceRows ? ` or one per source row (${sourceRows})` : ''}`,
        file,
      );
    }
    const scale = isUint8(t.dtype) ? 1 / 255 : 1;
    const rows: number[][] = [];
    for (let i = 0; i < Math.min(DECODED_SAMPLES, heldCount); i++) {
      const values = await t.read(rowOf(i), 1);
      rows.push(Array.from(values, (v) => Math.round(v * scale * 1000) / 1000));
    }
    return { file, rowShape: t.shape.slice(1), dtype: t.dtype, scale, rows };
  } finally {
    await t.close();
  }
}

/** The 2-D image shape of a row: its dims without the size-1 ones (e.g. [1, 28, 28] → [28, 28]), or a square side × side; null otherwise. */
export function imageShapeOf(rowShape: number[]): [number, number] | null {
  const dims = rowShape.filter((d) => d !== 1);
  if (dims.length === 2) return [dims[0], dims[1]];
  const n = rowShape.reduce((a, b) => a * b, 1);
  const side = Math.round(Math.sqrt(n));
  return dims.length <= 1 && side * side === n && n > 1 ? [side, side] : null;
}
