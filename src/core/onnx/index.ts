/**
 * ONNX export: a fitted translator as one ONNX graph (translatorToOnnx), the
 * translator stitched between an encoder and a decoder (stitchModels), and an
 * atomic writer for the bytes (writeOnnx).
 */
import { onnx } from 'onnx-proto';
import { LatentError } from '../errors';
import { writeAtomically } from '../io/atomic';
import { describeValue } from './stitch';

export {
  translatorToOnnx,
  irVersionForOpset,
  DEFAULT_TRANSLATOR_OPSET,
  MIN_TRANSLATOR_OPSET,
  MAX_TRANSLATOR_OPSET,
  DEFAULT_INPUT_NAME,
  DEFAULT_OUTPUT_NAME,
  ONNX_PRECISION_NOTE,
  type TranslatorOnnxOptions,
} from './exportTranslator';
export { stitchModels, stitchChain, describeValue, type StitchOptions, type StitchPart } from './stitch';

/**
 * Writes ONNX bytes atomically (temp file, fsync, rename). Without `force` an
 * existing file is never replaced: LatentError('exists').
 */
export async function writeOnnx(path: string, bytes: Uint8Array, opts: { force?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  await writeAtomically(path, { force: !!opts.force }, async (tmp) => {
    await tmp.write(bytes);
    // A cancel that came while writing still leaves nothing behind.
    if (opts.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
  });
}

/** Graph inputs (initializer-backed ones left out) and outputs of serialized model bytes, e.g. `image: float32 [batch, 1, 28, 28]`. */
export function onnxSignature(bytes: Uint8Array): { inputs: string[]; outputs: string[] } {
  const g = onnx.ModelProto.decode(bytes).graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const show = (v: onnx.IValueInfoProto) => `${v.name ?? ''}: ${describeValue(v)}`;
  return {
    inputs: (g?.input ?? []).filter((v) => !inits.has(v.name)).map(show),
    outputs: (g?.output ?? []).map(show),
  };
}
