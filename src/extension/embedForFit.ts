/**
 * "Fit from raw data": embeds one raw input with the source and the target
 * encoders in the compute process (cancellable progress), before the fit
 * runs on the two embedding files. Files next to the raw data are never
 * replaced without asking; a cancelled or failed embedding removes what this
 * command created (each file itself is written atomically by the compute
 * process, so a half-written file never appears).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ComputeRequestError, type ComputeClient } from './computeClient';
import { requireTrust } from './modelJobs';

/** 'beside': next to the raw data; 'storage': the extension's workspace storage. */
export type EmbedPlace = 'beside' | 'storage';

export interface EmbedPlan {
  input: string;
  place: EmbedPlace;
  source: { model: string; out: string };
  target: { model: string; out: string };
  /** The run's title: "<raw file>: <source model> → <target model>". */
  title: string;
}

/** A model's short name: the .onnx file without its extension, or a text encoder folder's name. */
export function modelName(model: string): string {
  return path.basename(model).replace(/\.onnx$/i, '');
}

export function planEmbeddings(input: string, sourceModel: string, targetModel: string, place: EmbedPlace, storageDir: string): EmbedPlan {
  const base = path.basename(input).replace(/\.[^.]+$/, '');
  const dir = place === 'beside' ? path.dirname(input) : path.join(storageDir, 'embeddings');
  let [src, tgt] = [modelName(sourceModel), modelName(targetModel)];
  // two models of the same file name (e.g. two model.onnx) must not write the same file
  if (src === tgt) [src, tgt] = [`${src}.source`, `${tgt}.target`];
  return {
    input,
    place,
    source: { model: sourceModel, out: path.join(dir, `${base}.${src}.npy`) },
    target: { model: targetModel, out: path.join(dir, `${base}.${tgt}.npy`) },
    title: `${path.basename(input)}: ${modelName(sourceModel)} → ${modelName(targetModel)}`,
  };
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Embeds with both models; true when both files are ready. Existing files next to the raw data
 * are replaced only if the user says so (or kept and reused).
 */
export async function embedForFit(plan: EmbedPlan, compute: ComputeClient, log: vscode.LogOutputChannel): Promise<boolean> {
  requireTrust('run ONNX models (or fit two embedding files)');
  const jobs = [plan.source, plan.target];
  const todo: (EmbedPlan['source'] & { existed: boolean })[] = [];
  for (const job of jobs) {
    const existed = await exists(job.out);
    if (plan.place === 'beside' && existed) {
      const answer = await vscode.window.showWarningMessage(
        `${vscode.workspace.asRelativePath(job.out)} already exists.`,
        { modal: true, detail: `Replace it with the embeddings of ${path.basename(plan.input)} by ${modelName(job.model)}, or use the existing file as it is?` },
        'Replace',
        'Use Existing',
      );
      if (!answer) return false;
      if (answer === 'Use Existing') {
        log.info(`fit from raw data: using the existing ${job.out}`);
        continue;
      }
    }
    todo.push({ ...job, existed });
  }
  if (plan.place === 'storage') await fs.mkdir(path.dirname(plan.source.out), { recursive: true });
  const written: string[] = [];
  try {
    for (const [i, job] of todo.entries()) {
      const t0 = Date.now();
      const r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Latent Translator: embedding ${path.basename(plan.input)} with ${modelName(job.model)} (${i + 1}/${todo.length})`, cancellable: true },
        (progress, token) =>
          compute.embed({ model: job.model, input: plan.input, out: job.out, force: true }, token, (m) => {
            if (m.type === 'progress' && m.fraction !== undefined) progress.report({ message: `${Math.round(m.fraction * 100)}%` });
          }),
      );
      if (!job.existed) written.push(r.out);
      log.info(`fit from raw data: embedded ${r.rows} rows of ${plan.input} with ${job.model} into ${r.out} (${r.dims} dims, ${Date.now() - t0} ms)`);
    }
    return true;
  } catch (e) {
    // nothing half-done stays behind: files this command created go too (replaced ones stay replaced)
    await Promise.all(written.map((f) => fs.rm(f, { force: true })));
    if (e instanceof ComputeRequestError && e.cancelled) {
      log.info(`fit from raw data: embedding cancelled; removed ${written.length ? written.join(', ') : 'nothing'}`);
      void vscode.window.showInformationMessage('Latent Translator: the embedding was cancelled; no embedding file was left behind and nothing was fitted.');
      return false;
    }
    throw e;
  }
}
