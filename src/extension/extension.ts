/**
 * Latent Translator for VS Code: commands, menus, the compute process, the
 * results panels and the runs view. Activation only wires things up; the
 * compute process starts on the first command that needs it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { METHOD_NAMES } from '../core/methods';
import { ComputeClient } from './computeClient';
import { settings } from './config';
import { embedForFit } from './embedForFit';
import { fitFlow, SOURCE_KEY, TARGET_KEY } from './fitFlow';
import { INSPECT_SCHEME, InspectProvider } from './inspect';
import { JobRunner, type JobRequest } from './jobRunner';
import { pickOnnxModel } from './modelPick';
import { ModelJobs, requireTrust, type EmbedDone } from './modelJobs';
import { ResultsPanels, RESULTS_VIEW_TYPE, RunsViewProvider, RUNS_VIEW_ID } from './panels';
import { RunStore, type RunRecord } from './runStore';
import type { EmbedParams, ExportParams } from '../shared/protocol';

/** What activate returns: used by the in-host tests. */
export interface LatentTranslatorApi {
  runJob(request: JobRequest): Promise<RunRecord | undefined>;
  listRuns(): Promise<RunRecord[]>;
  computePid(): number | undefined;
  killCompute(): void;
  /** The message of the last fit/compare job that failed. */
  lastJobError(): string | undefined;
  /** What Embed with ONNX Model runs once its questions are answered; undefined when cancelled, throws on failure. */
  embed(params: EmbedParams, cancel?: vscode.CancellationToken): Promise<EmbedDone | undefined>;
  /** What Export Translator / Export Stitched Model run once the files are chosen; the same contract. */
  exportModel(params: ExportParams, cancel?: vscode.CancellationToken): Promise<{ written: string } | undefined>;
}

export function activate(context: vscode.ExtensionContext): LatentTranslatorApi {
  const log = vscode.window.createOutputChannel('Latent Translator', { log: true });
  const storage = context.storageUri ?? context.globalStorageUri;
  const runs = new RunStore(path.join(storage.fsPath, 'runs'));
  const compute = new ComputeClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'compute.js').fsPath, log, () => settings().computeThreads);
  const runner = new JobRunner(compute, runs, log);
  const panels = new ResultsPanels(context.extensionUri, runs, log);
  const inspect = new InspectProvider(compute);
  const modelJobs = new ModelJobs(compute, log);
  void runs.sweep();

  const runAndShow = async (request: JobRequest) => {
    const record = await runner.run(request);
    if (record) await panels.show(record.id);
    return record;
  };

  const runsView = new RunsViewProvider(context.extensionUri, runs, () => runner.running, {
    open: (id) => void panels.show(id),
    rerun: (id) => void vscode.commands.executeCommand('latentTranslator.rerun', id),
    delete: (id) => void vscode.commands.executeCommand('latentTranslator.deleteRun', id),
    fit: () => void vscode.commands.executeCommand('latentTranslator.fit'),
  });

  const command = (id: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log.error(`${id}: ${message}`);
        const action = await vscode.window.showErrorMessage(`Latent Translator: ${message}`, 'Show Log');
        if (action === 'Show Log') log.show();
      }
    });

  context.subscriptions.push(
    log,
    compute,
    runner,
    panels,
    runs,
    runs.onDidChange(() => void runsView.refresh()),
    runner.onRunningChanged(() => void runsView.refresh()),
    vscode.window.registerWebviewViewProvider(RUNS_VIEW_ID, runsView),
    vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, panels.serializer()),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, inspect),

    command('latentTranslator.fit', async () => {
      const plan = await fitFlow(context.workspaceState, storage.fsPath);
      if (!plan) return;
      if (plan.embed && !(await embedForFit(plan.embed, compute, log))) return;
      await runAndShow({ ...plan.request, maxPoints: settings().maxPointsDrawn });
    }),

    command('latentTranslator.compare', async (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
      const files = uris && uris.length ? uris : uri ? [uri] : [];
      if (files.length !== 2) throw new Error('select exactly two embedding files in the explorer to compare them');
      const s = settings();
      const [source, target] = files.map((u) => u.fsPath);
      await runAndShow({
        title: `${path.basename(source)} → ${path.basename(target)}`,
        source,
        target,
        join: 'auto',
        seed: s.seed,
        defaultAnchorCount: s.anchorCount,
        methods: [...METHOD_NAMES],
        preps: [s.preprocessing],
        maxPoints: s.maxPointsDrawn,
      });
    }),

    command('latentTranslator.setSource', async (uri?: vscode.Uri) => {
      if (!uri) throw new Error('right-click an embedding file in the explorer');
      await context.workspaceState.update(SOURCE_KEY, uri.fsPath);
      void vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} is the translation source; run "Fit Latent Translation" to continue.`);
    }),

    command('latentTranslator.setTarget', async (uri?: vscode.Uri) => {
      if (!uri) throw new Error('right-click an embedding file in the explorer');
      await context.workspaceState.update(TARGET_KEY, uri.fsPath);
      void vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} is the translation target; run "Fit Latent Translation" to continue.`);
    }),

    command('latentTranslator.inspect', async (uri?: vscode.Uri) => {
      if (!uri) throw new Error('right-click an embedding file in the explorer');
      const docUri = InspectProvider.uriFor(uri);
      inspect.invalidate(docUri);
      const doc = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Inspecting ${path.basename(uri.fsPath)}…` }, () => vscode.workspace.openTextDocument(docUri));
      await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    }),

    command('latentTranslator.exportTranslator', async (runId?: string) => {
      const id = typeof runId === 'string' ? runId : await chooseRun(runs, panels.last);
      if (!id) return;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        defaultUri: folder ? vscode.Uri.joinPath(folder, 'translator.json') : undefined,
        filters: { 'Translator (JSON)': ['json'], 'ONNX model (raw source → raw target)': ['onnx'], 'Map W (NumPy float32)': ['npy'] },
        saveLabel: 'Export Translator',
      });
      if (!target) return;
      const translator = path.join(runs.dir(id), 'translator.json');
      // The save dialog already confirmed replacing an existing file.
      if (target.fsPath.toLowerCase().endsWith('.json')) await vscode.workspace.fs.copy(vscode.Uri.file(translator), target, { overwrite: true });
      else if (!(await modelJobs.export({ translator, out: target.fsPath, force: true }))) return;
      log.info(`exported translator of run ${id} to ${target.fsPath}`);
      panels.notify(id, true, `Saved ${target.fsPath}`);
      void vscode.window.showInformationMessage(`Translator saved to ${vscode.workspace.asRelativePath(target)}.`);
    }),

    command('latentTranslator.exportStitched', async (runId?: string) => {
      requireTrust('build a stitched model from ONNX models');
      const id = typeof runId === 'string' ? runId : await chooseRun(runs, panels.last);
      if (!id) return;
      const record = await runs.get(id);
      const encoder = await pickOnnxModel({
        title: 'Export Stitched Model (1/3): encoder of the source space',
        placeHolder: 'Its output is a source embedding (the translator’s input)',
        preset: record?.params.models?.source,
        presetNote: 'embedded this run’s source',
      });
      if (!encoder) return;
      const decoder = await pickOnnxModel({
        title: 'Export Stitched Model (2/3): decoder of the target space',
        placeHolder: 'Its input is a target embedding (the translator’s output)',
        preset: record?.params.decoder,
        presetNote: 'the decoder of this run',
      });
      if (!decoder) return;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        title: 'Export Stitched Model (3/3): save as',
        defaultUri: folder ? vscode.Uri.joinPath(folder, 'stitched.onnx') : undefined,
        filters: { 'ONNX model': ['onnx'] },
        saveLabel: 'Export Stitched Model',
      });
      if (!target) return;
      if (!(await modelJobs.export({ translator: path.join(runs.dir(id), 'translator.json'), encoder, decoder, out: target.fsPath, force: true }))) return;
      log.info(`exported stitched model ${encoder} → run ${id} → ${decoder} to ${target.fsPath}`);
      panels.notify(id, true, `Saved ${target.fsPath}`);
      void vscode.window.showInformationMessage(`Stitched model saved to ${vscode.workspace.asRelativePath(target)}: it takes the encoder's input and gives the decoder's output.`);
    }),

    command('latentTranslator.embed', async (uri?: vscode.Uri) => {
      requireTrust('run ONNX models');
      const model = await pickOnnxModel({ title: 'Embed with ONNX Model: encoder', placeHolder: 'The encoder that turns raw data into embeddings', folders: true });
      if (!model) return;
      const input = uri?.fsPath ?? (await vscode.window.showOpenDialog({ title: 'Raw data to embed (.npy tensor, or text: .txt / .jsonl / .csv)', canSelectMany: false }))?.[0]?.fsPath;
      if (!input) return;
      const base = path.basename(input).replace(/\.[^.]+$/, '');
      const target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(path.dirname(input), `${base}.${path.basename(model).replace(/\.onnx$/, '')}.npy`)),
        filters: { 'Embeddings (NumPy float32)': ['npy'] },
        saveLabel: 'Save Embeddings',
      });
      if (!target) return;
      // The save dialog already confirmed replacing an existing file.
      const r = await modelJobs.embed({ model, input, out: target.fsPath, force: true });
      if (!r) return;
      void vscode.window.showInformationMessage(`Embedded ${r.rows} rows into ${vscode.workspace.asRelativePath(r.out)} (${r.dims} dimensions).`);
    }),

    command('latentTranslator.openLastResults', async () => {
      const id = panels.last ?? (await runs.list())[0]?.id;
      if (!id) {
        void vscode.window.showInformationMessage('No results yet: run "Fit Latent Translation" or compare two embedding files first.');
        return;
      }
      await panels.show(id);
    }),

    command('latentTranslator.rerun', async (id?: string) => {
      const record = id ? await runs.get(id) : undefined;
      if (!record) throw new Error('that run no longer exists');
      const { outDir: _outDir, ...request } = record.params;
      await runAndShow(request);
    }),

    command('latentTranslator.deleteRun', async (id?: string) => {
      if (!id) return;
      panels.close(id);
      await runs.delete(id);
      log.info(`deleted run ${id}`);
    }),

    command('latentTranslator.showLog', () => log.show()),
  );
  log.info(`Latent Translator activated (VS Code ${vscode.version}, extension host node ${process.version})`);

  return {
    runJob: (request) => runner.run(request),
    listRuns: () => runs.list(),
    computePid: () => compute.pid,
    killCompute: () => compute.kill(),
    lastJobError: () => runner.lastError,
    embed: (params, cancel) => modelJobs.embed(params, cancel),
    exportModel: (params, cancel) => modelJobs.export(params, cancel),
  };
}

async function chooseRun(runs: RunStore, last?: string): Promise<string | undefined> {
  const list = await runs.list();
  if (list.length === 0) {
    void vscode.window.showInformationMessage('No runs to export yet.');
    return undefined;
  }
  if (last && list.some((r) => r.id === last)) return last;
  const picked = await vscode.window.showQuickPick(
    list.map((r) => ({ label: r.title, description: `${r.method}, ${r.prep} · cosine ${r.cosine.toFixed(4)}`, detail: new Date(r.createdAt).toLocaleString(), id: r.id })),
    { title: 'Export Translator: which run?' },
  );
  return picked?.id;
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the compute process.
}
