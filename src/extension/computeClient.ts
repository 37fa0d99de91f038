/**
 * Talks to the compute process (dist/compute.js) through the typed protocol:
 * starts it on first use, matches responses to requests by id, forwards
 * progress, cancels (and kills it when a cancel is not honoured within a
 * second), and turns a crash into a clear error; the next request starts a
 * fresh process. A process killed while writing a file cannot remove its
 * temporary file: the client removes it once the process has exited.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { removeTempFilesOf } from '../core/io/atomic';
import { MAX_ROWS_SETTING } from './config';
import type { ComputeError, ComputeMessage, ComputeRequest, EmbedParams, ExportParams, InspectParams, InspectResult, JobParams, JobResult } from '../shared/protocol';

type RequestBody =
  | { type: 'job'; params: JobParams }
  | { type: 'inspect'; params: InspectParams }
  | { type: 'export'; params: ExportParams }
  | { type: 'embed'; params: EmbedParams }
  | { type: 'ping' };

export class ComputeRequestError extends Error {
  constructor(readonly error: ComputeError) {
    // The extension's only row limit is the setting: say which one to raise.
    super(error.code === 'limit' ? `${error.message} (the "${MAX_ROWS_SETTING}" setting); raise it to load this file` : error.message);
  }
  get cancelled(): boolean {
    return this.error.code === 'cancelled';
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (m: Extract<ComputeMessage, { type: 'progress' | 'warning' }>) => void;
  /** Files the request writes (atomically): their temporary files go if the process dies. */
  outputs: string[];
  /** Cancel requested and not honoured in time: the process was killed for it. */
  killedForCancel?: boolean;
  /** The process serving it (an old process exiting late must not fail a new one's requests). */
  child: ChildProcess;
}

/** How long a cancel may take before the process is killed. */
const CANCEL_GRACE_MS = 800;

export class ComputeClient implements vscode.Disposable {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly scriptPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly threads: () => number,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  job(params: JobParams, token?: vscode.CancellationToken, onProgress?: Pending['onProgress']): Promise<JobResult> {
    return this.request({ type: 'job', params: { ...params, threads: params.threads ?? this.threads() } }, token, onProgress) as Promise<JobResult>;
  }

  inspect(params: InspectParams, token?: vscode.CancellationToken): Promise<InspectResult> {
    return this.request({ type: 'inspect', params }, token) as Promise<InspectResult>;
  }

  exportTranslator(params: ExportParams, token?: vscode.CancellationToken): Promise<{ written: string }> {
    return this.request({ type: 'export', params }, token, undefined, [params.out]) as Promise<{ written: string }>;
  }

  embed(params: EmbedParams, token?: vscode.CancellationToken, onProgress?: Pending['onProgress']): Promise<{ rows: number; dims: number; out: string }> {
    return this.request({ type: 'embed', params }, token, onProgress, [params.out]) as Promise<{ rows: number; dims: number; out: string }>;
  }

  ping(): Promise<{ pong: true; pid: number }> {
    return this.request({ type: 'ping' }) as Promise<{ pong: true; pid: number }>;
  }

  private request(body: RequestBody, token?: vscode.CancellationToken, onProgress?: Pending['onProgress'], outputs: string[] = []): Promise<unknown> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress, outputs, child });
      const cancel = token?.onCancellationRequested(() => this.cancel(id));
      const done = () => cancel?.dispose();
      const p = this.pending.get(id)!;
      p.resolve = (v) => {
        done();
        resolve(v);
      };
      p.reject = (e) => {
        done();
        reject(e);
      };
      child.send({ ...body, id } as ComputeRequest);
      if (token?.isCancellationRequested) this.cancel(id);
    });
  }

  private cancel(id: number): void {
    if (!this.pending.has(id)) return;
    this.log.info(`cancel requested for request ${id}`);
    this.child?.send({ type: 'cancel', id } satisfies ComputeRequest);
    const child = this.child;
    setTimeout(() => {
      // A step that does not check the signal (a long decomposition) is stopped the hard way;
      // the request settles as cancelled when the process has exited (see ensure()).
      const p = this.pending.get(id);
      if (p && this.child === child) {
        this.log.warn(`request ${id} did not stop within ${CANCEL_GRACE_MS} ms: stopping the compute process`);
        p.killedForCancel = true;
        this.kill();
      }
    }, CANCEL_GRACE_MS);
  }

  private ensure(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const t0 = Date.now();
    const child = fork(this.scriptPath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // In desktop VS Code process.execPath is Electron: make it behave as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
    });
    this.child = child;
    this.log.info(`started compute process ${child.pid}`);
    child.stdout?.on('data', (d: Buffer) => this.log.info(`[compute] ${d.toString().trimEnd()}`));
    child.stderr?.on('data', (d: Buffer) => this.log.warn(`[compute] ${d.toString().trimEnd()}`));
    child.on('message', (m: ComputeMessage) => this.onMessage(m, t0));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      const inFlight = [...this.pending].filter(([, p]) => p.child === child);
      if (inFlight.length) this.log.error(`compute process ${child.pid} stopped (${reason}) with ${inFlight.length} request(s) in flight`);
      else this.log.info(`compute process ${child.pid} stopped (${reason})`);
      for (const [id, p] of inFlight) {
        const error = p.killedForCancel ? { message: 'cancelled', code: 'cancelled' } : { message: `the compute process stopped unexpectedly (${reason})`, code: 'crash' };
        this.pending.delete(id);
        void this.removeTempFiles(p.outputs, child.pid).finally(() => p.reject(new ComputeRequestError(error)));
      }
    });
    child.on('error', (e) => this.log.error(`compute process error: ${e.message}`));
    return child;
  }

  private onMessage(m: ComputeMessage, t0: number): void {
    if (m.type === 'log') {
      this.log[m.level](`[compute] ${m.message}${m.message.includes('ready') ? ` after ${Date.now() - t0} ms` : ''}`);
      return;
    }
    if (m.type === 'progress' || m.type === 'warning') {
      this.pending.get(m.id)?.onProgress?.(m);
      return;
    }
    this.settle(m.id, m);
  }

  private settle(id: number, m: Extract<ComputeMessage, { type: 'result' | 'error' }>): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(new ComputeRequestError(m.error));
  }

  private async removeTempFiles(outputs: string[], pid: number | undefined): Promise<void> {
    if (pid === undefined) return;
    for (const out of outputs) {
      for (const f of await removeTempFilesOf(out, pid)) this.log.info(`removed ${f}, left by the stopped compute process`);
    }
  }

  /** Stops the process (the next request starts a new one). */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }

  /** Ends an idle process, for `reuseComputeProcess: false`. */
  releaseIfIdle(): void {
    if (this.pending.size === 0) this.kill();
  }

  dispose(): void {
    this.kill();
  }
}
