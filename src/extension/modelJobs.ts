/**
 * Embed and export runs in the compute process, each with a cancellable progress
 * notification. The output is either written whole or not at all: a cancel, an error or a
 * crash of the compute process leaves the user's folder as it was (the core writes
 * atomically; the compute client removes what a killed process left).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EmbedParams, ExportParams } from '../shared/protocol';
import { ComputeRequestError, type ComputeClient } from './computeClient';

export interface EmbedDone {
  rows: number;
  dims: number;
  out: string;
}

/** ONNX models run only in trusted workspaces (Restricted Mode still inspects and fits files). */
export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) throw new Error(`this workspace is in Restricted Mode: trust it to ${what}`);
}

export class ModelJobs {
  constructor(
    private readonly compute: ComputeClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Runs `params.model` over `params.input`; undefined when cancelled. `cancel` is an extra token (the in-host tests). */
  async embed(params: EmbedParams, cancel?: vscode.CancellationToken): Promise<EmbedDone | undefined> {
    requireTrust('run ONNX models');
    const r = await this.withCancel(`Embedding ${path.basename(params.input)}`, cancel, (token, progress) =>
      this.compute.embed(params, token, (m) => {
        if (m.type === 'progress' && m.fraction !== undefined) progress.report({ message: `${Math.round(m.fraction * 100)}%` });
      }),
    );
    if (r) this.log.info(`embedded ${r.rows} rows of ${params.input} with ${params.model} into ${r.out} (${r.dims} dims)`);
    return r;
  }

  /** Writes a translator (.onnx / .npy), stitched when an encoder or decoder is given; undefined when cancelled. */
  async export(params: ExportParams, cancel?: vscode.CancellationToken): Promise<{ written: string } | undefined> {
    if (params.encoder || params.decoder) requireTrust('build a stitched model from ONNX models');
    return this.withCancel(`Exporting ${path.basename(params.out)}`, cancel, (token) => this.compute.exportTranslator(params, token));
  }

  private async withCancel<T>(
    title: string,
    extra: vscode.CancellationToken | undefined,
    run: (token: vscode.CancellationToken, progress: vscode.Progress<{ message?: string }>) => Promise<T>,
  ): Promise<T | undefined> {
    const source = new vscode.CancellationTokenSource();
    const fromExtra = extra?.onCancellationRequested(() => source.cancel());
    if (extra?.isCancellationRequested) source.cancel();
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Latent Translator: ${title}`, cancellable: true }, (progress, token) => {
        const fromUser = token.onCancellationRequested(() => source.cancel());
        return run(source.token, progress).finally(() => fromUser.dispose());
      });
    } catch (e) {
      if (e instanceof ComputeRequestError && e.cancelled) {
        this.log.info(`${title}: cancelled; nothing was written`);
        void vscode.window.showInformationMessage(`Latent Translator: ${title.toLowerCase()} was cancelled; nothing was written.`);
        return undefined;
      }
      throw e;
    } finally {
      fromExtra?.dispose();
      source.dispose();
    }
  }
}
