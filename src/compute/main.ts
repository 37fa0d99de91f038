/**
 * The compute process: core running in a child Node process, so a long fit
 * or a native crash never freezes the editor. It answers the typed requests
 * of src/shared/protocol.ts over Node IPC ('advanced' serialization: typed
 * arrays and buffers cross as binary).
 */
import { isLatentError } from '../core/errors';
import { inspectFile } from '../core/inspect';
import { runJob } from '../core/jobs';
import { embedFile } from '../core/onnx/embed';
import { exportTranslator } from '../core/onnx/exportFiles';
import type { ComputeError, ComputeMessage, ComputeRequest, JobParams } from '../shared/protocol';

const running = new Map<number, AbortController>();

function send(m: ComputeMessage): void {
  process.send?.(m);
}

function toComputeError(e: unknown): ComputeError {
  if (isLatentError(e)) return { message: e.message, code: e.code, file: e.file, cause: e.cause instanceof Error ? e.cause.message : undefined };
  const err = e as Error;
  return { message: err?.message ?? String(e), code: 'internal', cause: err?.stack };
}

async function handle(req: Exclude<ComputeRequest, { type: 'cancel' }>): Promise<void> {
  const controller = new AbortController();
  running.set(req.id, controller);
  try {
    switch (req.type) {
      case 'ping':
        send({ type: 'result', id: req.id, result: { pong: true, pid: process.pid } });
        return;
      case 'job':
        send({ type: 'result', id: req.id, result: await runJobRequest(req.id, req.params, controller.signal) });
        return;
      case 'inspect':
        send({ type: 'result', id: req.id, result: await inspectFile(req.params.path, { array: req.params.array, maxRows: req.params.maxRows, signal: controller.signal }) });
        return;
      case 'export':
        await exportTranslator({ ...req.params, signal: controller.signal });
        send({ type: 'result', id: req.id, result: { written: req.params.out } });
        return;
      case 'embed': {
        const r = await embedFile({ ...req.params, signal: controller.signal, onProgress: (fraction) => send({ type: 'progress', id: req.id, step: 'embed', fraction }) });
        send({ type: 'result', id: req.id, result: { rows: r.rows, dims: r.dims, out: r.out } });
        return;
      }
    }
  } catch (e) {
    send({ type: 'error', id: req.id, error: toComputeError(e) });
  } finally {
    running.delete(req.id);
  }
}

async function runJobRequest(id: number, p: JobParams, signal: AbortSignal) {
  const outcome = await runJob({
    ...p,
    out: p.outDir,
    force: false,
    signal,
    onEvent: (e) => {
      if (e.kind === 'warning') send({ type: 'warning', id, message: e.message });
      else if (e.kind === 'step') send({ type: 'progress', id, step: e.step });
      else if (e.kind === 'done') send({ type: 'progress', id, step: e.step, done: true, ms: e.ms });
      else send({ type: 'progress', id, step: e.step, fraction: e.fraction });
    },
  });
  return { view: outcome.view, files: outcome.files };
}

process.on('message', (req: ComputeRequest) => {
  if (req.type === 'cancel') {
    running.get(req.id)?.abort();
    return;
  }
  void handle(req);
});

// The host going away (window closed, extension host crash) must not leave us running.
process.on('disconnect', () => process.exit(0));
send({ type: 'log', level: 'info', message: `compute process ${process.pid} ready (node ${process.version})` });
