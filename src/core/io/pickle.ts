/**
 * Python pickles (and the formats built on them: PyTorch checkpoints, joblib dumps) run
 * arbitrary code when loaded. No reader opens one: they are refused by name, with the way out.
 */
import { extname } from 'node:path';
import { LatentError } from '../errors';

export const PICKLE_EXTENSIONS: readonly string[] = Object.freeze(['.pkl', '.pickle', '.pt', '.pth', '.joblib', '.ckpt']);

const SAVE_ARRAY = 'save the array with numpy.save(..., allow_pickle=False) as .npy, or as .safetensors';
export const EXPORT_MODEL = 'export the model to ONNX (e.g. torch.onnx.export) and give the .onnx file';

/** Throws LatentError('unsupported') when `path` names a pickle-based file; `fix` says what to give instead. */
export function refusePickle(path: string, fix = SAVE_ARRAY): void {
  const ext = extname(path).toLowerCase();
  if (!PICKLE_EXTENSIONS.includes(ext)) return;
  throw new LatentError(
    'unsupported',
    `${ext} files are Python pickles, which can run arbitrary code when loaded, so they are never read; ${fix}`,
    path,
  );
}
