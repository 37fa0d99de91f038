/**
 * Runs the target space's decoder for the stitching scores: the native
 * target rows and the untranslated source rows are decoded once per job,
 * the translated rows once per method.
 */
import { LatentError } from './errors';
import type { Matrix } from './matrix';
import { OnnxModel } from './onnx/model';
import type { PreparedJob } from './pipeline';
import { agreement, argmax, classificationScores, decodedSamples, labelIndices, rowMse, type StitchingResult } from './stitching';

export interface Decoder {
  score(translated: Matrix, signal?: AbortSignal): Promise<StitchingResult>;
  release(): Promise<void>;
}

async function decode(model: OnnxModel, m: Matrix, signal?: AbortSignal): Promise<Matrix> {
  const data = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
  const out = await model.run({ data, dims: [m.rows, m.cols] }, { signal });
  const cols = out.dims.slice(1).reduce((a, b) => a * b, 1);
  return { rows: m.rows, cols, data: out.data };
}

export async function openDecoder(path: string, job: PreparedJob, threads?: number): Promise<Decoder> {
  const model = await OnnxModel.load(path, { threads });
  try {
    const native = await decode(model, job.heldY);
    const absolute = job.heldX.cols === job.heldY.cols ? await decode(model, job.heldX) : undefined;
    const labels = job.heldClassLabels;
    if (labels) {
      const classes = native.cols;
      const y = labelIndices(labels.values, classes, labels.file);
      const nativePred = argmax(native);
      const nativeScores = classificationScores(nativePred, y, classes);
      const absoluteScores = absolute ? classificationScores(argmax(absolute), y, classes) : null;
      return {
        score: async (translated, signal) => {
          const pred = argmax(await decode(model, translated, signal));
          return { kind: 'classification', decoder: path, classes, native: nativeScores, stitched: classificationScores(pred, y, classes), absolute: absoluteScores, agreement: agreement(pred, nativePred) };
        },
        release: () => model.release(),
      };
    }
    const absoluteVsNative = absolute ? rowMse(absolute, native).mean : null;
    return {
      score: async (translated, signal) => {
        const out = await decode(model, translated, signal);
        const { mean, perRow } = rowMse(out, native);
        return { kind: 'reconstruction', decoder: path, count: out.rows, outputDim: out.cols, stitchedVsNative: mean, absoluteVsNative, perItem: Array.from(perRow), samples: decodedSamples(native, out) };
      },
      release: () => model.release(),
    };
  } catch (e) {
    await model.release();
    throw e instanceof LatentError ? e : new LatentError('format', `decoder failed: ${(e as Error).message}`, path, { cause: e });
  }
}
