/**
 * Runs a fit/compare job in the compute process with a cancellable progress
 * notification and a status-bar item, logs every step with its timing, and
 * stores the run only when it completed: a cancelled or failed job leaves
 * nothing behind.
 */
import * as vscode from 'vscode';
import type { JobParams } from '../shared/protocol';
import { ComputeRequestError, type ComputeClient } from './computeClient';
import { settings } from './config';
import type { RunRecord, RunStore } from './runStore';

export type JobRequest = Omit<JobParams, 'outDir'>;

export class JobRunner implements vscode.Disposable {
  private readonly status: vscode.StatusBarItem;
  private readonly runningChanged = new vscode.EventEmitter<string | null>();
  readonly onRunningChanged = this.runningChanged.event;
  private runningTitle: string | null = null;
  /** The message of the last job that failed (for the in-host tests). */
  lastError: string | undefined;

  constructor(
    private readonly compute: ComputeClient,
    private readonly runs: RunStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status = vscode.window.createStatusBarItem('latentTranslator.job', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'Latent Translator job';
    this.status.command = 'latentTranslator.showLog';
  }

  get running(): string | null {
    return this.runningTitle;
  }

  /** Returns the stored run, or undefined when the job was cancelled or failed (already reported). */
  async run(request: JobRequest): Promise<RunRecord | undefined> {
    if (request.decoder && !vscode.workspace.isTrusted) {
      throw new Error('this workspace is in Restricted Mode: trust it to run the decoder model (or fit without a decoder)');
    }
    const { id, dir } = await this.runs.create();
    const params: JobParams = { ...request, outDir: dir, maxPoints: request.maxPoints ?? settings().maxPointsDrawn, maxRows: settings().maxRows };
    const title = request.title ?? 'Latent Translator';
    const what = request.methods.length * request.preps.length > 1 ? `comparing ${request.methods.length * request.preps.length} translations` : `fitting ${request.methods[0]}`;
    this.setRunning(title, what);
    this.log.info(`run ${id}: ${what}, ${title}`);
    this.log.info(`run ${id}: ${JSON.stringify({ ...params, outDir: undefined })}`);
    const t0 = Date.now();
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Latent Translator: ${what}`, cancellable: true },
        (progress, token) =>
          this.compute.job(params, token, (m) => {
            if (m.type === 'warning') {
              this.log.warn(`run ${id}: ${m.message}`);
              return;
            }
            if (m.done) this.log.info(`run ${id}: ${m.step} (${Math.round(m.ms ?? 0)} ms)`);
            else progress.report({ message: m.fraction !== undefined ? `${m.step} ${Math.round(m.fraction * 100)}%` : `${m.step}…` });
          }),
      );
      const record = await this.runs.commit(id, params, result.view);
      this.log.info(`run ${id}: done in ${Date.now() - t0} ms; held-out cosine ${result.view.headline.cosine.toFixed(4)}`);
      return record;
    } catch (e) {
      await this.runs.discard(id);
      if (e instanceof ComputeRequestError && e.cancelled) {
        this.log.info(`run ${id}: cancelled after ${Date.now() - t0} ms; nothing was written`);
        void vscode.window.showInformationMessage('Latent Translator: the job was cancelled; nothing was written.');
        return undefined;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.lastError = message;
      this.log.error(`run ${id}: failed: ${message}${e instanceof ComputeRequestError && e.error.cause ? `\n${e.error.cause}` : ''}`);
      void vscode.window.showErrorMessage(`Latent Translator: ${message}`, 'Show Log').then((a) => {
        if (a === 'Show Log') this.log.show();
      });
      return undefined;
    } finally {
      this.setRunning(null);
      if (!settings().reuseComputeProcess) this.compute.releaseIfIdle();
    }
  }

  private setRunning(title: string | null, what = ''): void {
    this.runningTitle = title;
    if (title) {
      this.status.text = `$(sync~spin) Latent Translator: ${what}`;
      this.status.tooltip = `${title} — click for the log`;
      this.status.show();
    } else this.status.hide();
    this.runningChanged.fire(title);
  }

  dispose(): void {
    this.status.dispose();
    this.runningChanged.dispose();
  }
}
