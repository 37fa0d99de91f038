/**
 * The results panels (one per run, in the editor column beside the active
 * one, restored after a window reload by the serializer) and the side-bar
 * runs view. Both are webviews with a strict CSP that may load only the
 * extension's own dist/webview files; they get summaries, never raw files.
 */
import * as vscode from 'vscode';
import type { FromPanel, FromRunsView, PanelState, ToPanel, ToRunsView } from '../shared/protocol';
import { makeNonce, webviewHtml } from '../shared/webviewHtml';
import { settings } from './config';
import type { RunStore } from './runStore';

export const RESULTS_VIEW_TYPE = 'latentTranslator.results';
export const RUNS_VIEW_ID = 'latentTranslator.runs';

function html(webview: vscode.Webview, extensionUri: vscode.Uri, page: 'results' | 'runs', title: string): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  return webviewHtml({ title, scriptUri: asset(`${page}.js`), styleUris: [asset('codicon.css'), asset(`${page}.css`)], cspSource: webview.cspSource, nonce: makeNonce() });
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

export class ResultsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private lastRunId?: string;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get last(): string | undefined {
    return this.lastRunId;
  }

  /** Opens (or reveals) the panel of a run beside the active editor. */
  async show(runId: string): Promise<void> {
    this.lastRunId = runId;
    const existing = this.panels.get(runId);
    if (existing) {
      existing.reveal(vscode.ViewColumn.Beside);
      return;
    }
    const record = await this.runs.get(runId);
    const panel = vscode.window.createWebviewPanel(RESULTS_VIEW_TYPE, record?.title ?? 'Latent Translator', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, webviewOptions(this.extensionUri));
    this.attach(panel, runId);
  }

  /** Called for new panels and by the serializer after a window reload. */
  attach(panel: vscode.WebviewPanel, runId: string): void {
    this.panels.set(runId, panel);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = html(panel.webview, this.extensionUri, 'results', panel.title);
    const subs: vscode.Disposable[] = [];
    panel.webview.onDidReceiveMessage((m: FromPanel) => this.onMessage(panel, runId, m), undefined, subs);
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.lastRunId = runId;
    }, undefined, subs);
    panel.onDidDispose(() => {
      this.panels.delete(runId);
      subs.forEach((d) => d.dispose());
    }, undefined, subs);
  }

  /** Shows a status line in a run's panel (e.g. after an export started from it). */
  notify(runId: string, ok: boolean, message: string): void {
    void this.panels.get(runId)?.webview.postMessage({ type: 'exported', ok, message } satisfies ToPanel);
  }

  /** Closes the panel of a deleted run. */
  close(runId: string): void {
    this.panels.get(runId)?.dispose();
  }

  private async onMessage(panel: vscode.WebviewPanel, runId: string, m: FromPanel): Promise<void> {
    const post = (msg: ToPanel) => panel.webview.postMessage(msg);
    switch (m.type) {
      case 'ready': {
        const view = await this.runs.view(runId);
        if (!view) {
          void post({ type: 'exported', ok: false, message: 'This run no longer exists (it was deleted).' });
          return;
        }
        panel.title = view.title;
        void post({ type: 'show', runId, view, maxPoints: settings().maxPointsDrawn, modelsAllowed: vscode.workspace.isTrusted });
        return;
      }
      case 'rendered':
        this.log.info(`panel ${runId}: rendered ${m.charts} charts and ${m.tables} tables`);
        return;
      case 'export':
        void post(await this.saveExport(m));
        return;
      case 'exportTranslator':
        await vscode.commands.executeCommand('latentTranslator.exportTranslator', m.runId);
        return;
      case 'exportStitched':
        await vscode.commands.executeCommand('latentTranslator.exportStitched', m.runId);
        return;
      case 'error':
        this.log.error(`panel ${runId}: ${m.message}`);
        return;
    }
  }

  private async saveExport(m: Extract<FromPanel, { type: 'export' }>): Promise<ToPanel> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const filters: Record<string, Record<string, string[]>> = { json: { JSON: ['json'] }, csv: { CSV: ['csv'] }, png: { 'PNG image': ['png'] } };
    const safeName = m.suggestedName.replace(/[\\/:*?"<>|]/g, '_');
    const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, safeName) : undefined, filters: filters[m.format], saveLabel: 'Export' });
    if (!target) return { type: 'exported', ok: false, message: 'Export cancelled.' };
    let bytes: Uint8Array;
    if (m.format === 'png') {
      const match = /^data:image\/png;base64,(.*)$/.exec(m.data);
      if (!match) return { type: 'exported', ok: false, message: 'The chart image could not be read.' };
      bytes = Buffer.from(match[1], 'base64');
    } else bytes = Buffer.from(m.data, 'utf8');
    // The save dialog has already asked before replacing an existing file.
    await vscode.workspace.fs.writeFile(target, bytes);
    this.log.info(`exported ${m.format} to ${target.fsPath}`);
    return { type: 'exported', ok: true, message: `Saved ${target.fsPath}` };
  }

  serializer(): vscode.WebviewPanelSerializer<PanelState> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        if (state?.runId && (await this.runs.get(state.runId))) this.attach(panel, state.runId);
        else panel.dispose();
      },
    };
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
  }
}

export interface RunsViewActions {
  open(id: string): void;
  rerun(id: string): void;
  delete(id: string): void;
  fit(): void;
}

export class RunsViewProvider implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunStore,
    private readonly running: () => string | null,
    private readonly actions: RunsViewActions,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = html(view.webview, this.extensionUri, 'runs', 'Latent Translator runs');
    view.webview.onDidReceiveMessage((m: FromRunsView) => {
      switch (m.type) {
        case 'ready':
          void this.refresh();
          return;
        case 'open':
          return this.actions.open(m.id);
        case 'rerun':
          return this.actions.rerun(m.id);
        case 'delete':
          return this.actions.delete(m.id);
        case 'fit':
          return this.actions.fit();
      }
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    if (!this.view) return;
    const runs = (await this.runs.list()).map(({ params: _params, ...summary }) => summary);
    const msg: ToRunsView = { type: 'runs', runs, running: this.running() };
    void this.view.webview.postMessage(msg);
  }
}
