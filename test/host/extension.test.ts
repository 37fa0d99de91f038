/**
 * Runs inside a real VS Code extension host (code-server's workbench test
 * hook, see test/e2e/hostTests.ts) with the real `vscode` API, on a workspace
 * holding a copy of the bundled sample.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it, before } from 'mocha';
import * as vscode from 'vscode';
import type { LatentTranslatorApi } from '../../src/extension/extension';

const EXTENSION_ID = 'latent-translator.latent-translator';

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return folder.uri.fsPath;
}

/** A float32 .npy of random values, written by the test (C order, format 1.0). */
function writeRandomNpy(file: string, rows: number, cols: number, seed: number): void {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const head = Buffer.from(`\x93NUMPY\x01\x00` + '  ' + header + ' '.repeat(pad % 64) + '\n', 'latin1');
  head.writeUInt16LE(head.length - 10, 8);
  const body = Buffer.alloc(rows * cols * 4);
  let s = seed >>> 0;
  for (let i = 0; i < rows * cols; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    body.writeFloatLE(s / 4294967296 - 0.5, i * 4);
  }
  writeFileSync(file, Buffer.concat([head, body]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Latent Translator in a real extension host', function () {
  this.timeout(120_000);
  let api: LatentTranslatorApi;
  let ws: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<LatentTranslatorApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    ws = workspaceDir();
  });

  it('registers every command, and hides the file commands from the palette', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['fit', 'compare', 'setSource', 'setTarget', 'inspect', 'exportTranslator', 'openLastResults', 'showLog']) {
      assert.ok(all.includes(`latentTranslator.${c}`), c);
    }
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const hidden = pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command);
    assert.ok(hidden.includes('latentTranslator.compare') && hidden.includes('latentTranslator.inspect'));
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.extensionKind, ['workspace']);
  });

  it('fits through the compute process and stores a complete run', async () => {
    const record = await api.runJob({
      title: 'host test',
      source: path.join(ws, 'mlp_a.npy'),
      target: path.join(ws, 'mlp_b.npy'),
      anchors: path.join(ws, 'anchors.npy'),
      anchorCount: 500,
      test: path.join(ws, 'test_idx.npy'),
      methods: ['ortho'],
      preps: ['standard'],
    });
    assert.ok(record, 'the job completed');
    assert.equal(record.heldOut, 1000);
    assert.ok(record.cosine > 0.9, `cosine ${record.cosine}`);
    assert.ok(record.baselineCosine !== null && record.baselineCosine < 0.2);
    const runs = await api.listRuns();
    assert.ok(runs.some((r) => r.id === record.id));
    const pid = api.computePid();
    assert.ok(pid && alive(pid), 'the compute process is a separate, running process');
    assert.notEqual(pid, process.pid);
  });

  it('survives a crash of the compute process mid-job: clear error, nothing stored, next job works', async () => {
    writeRandomNpy(path.join(ws, 'crash_a.npy'), 40000, 128, 1);
    writeRandomNpy(path.join(ws, 'crash_b.npy'), 40000, 128, 2);
    const before = (await api.listRuns()).length;
    const job = api.runJob({ title: 'crash', source: path.join(ws, 'crash_a.npy'), target: path.join(ws, 'crash_b.npy'), methods: ['ortho', 'linear'], preps: ['standard'] });
    // wait until the process is busy, then kill it as a native crash would
    let pid: number | undefined;
    for (let i = 0; i < 100 && !(pid = api.computePid()); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pid);
    await new Promise((r) => setTimeout(r, 700));
    process.kill(pid, 'SIGKILL');
    const outcome = await job;
    assert.equal(outcome, undefined, 'the crashed job reports failure');
    assert.equal((await api.listRuns()).length, before, 'no run was stored');
    for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'no orphan process');
    const again = await api.runJob({ title: 'after crash', source: path.join(ws, 'mlp_a.npy'), target: path.join(ws, 'cnn.npy'), anchors: path.join(ws, 'anchors.npy'), anchorCount: 300, methods: ['linear'], preps: ['standard'] });
    assert.ok(again, 'the next job starts a fresh compute process');
    assert.notEqual(api.computePid(), pid);
  });

  it('inspects a file into a read-only document', async () => {
    await vscode.commands.executeCommand('latentTranslator.inspect', vscode.Uri.file(path.join(ws, 'cnn.npy')));
    const doc = vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d.uri.scheme === 'latent-translator-inspect');
    assert.ok(doc, 'the inspect document is open');
    const text = doc.getText();
    assert.match(text, /\| rows \| 3000 \|/);
    assert.match(text, /\| dimensions \| 48 \|/);
    assert.match(text, /NaN \/ Inf values \| 0 \|/);
  });

  it('remembers Set as Translation Source/Target in the workspace', async () => {
    await vscode.commands.executeCommand('latentTranslator.setSource', vscode.Uri.file(path.join(ws, 'ae.npy')));
    await vscode.commands.executeCommand('latentTranslator.setTarget', vscode.Uri.file(path.join(ws, 'cnn.npy')));
    // the run store lives in the workspace storage, never in the user's folder
    assert.ok(!readdirSync(ws).some((f) => f.endsWith('.tmp') || f === 'runs'));
  });

  it('writes the result files of each run into its own folder', async () => {
    const [latest] = await api.listRuns();
    assert.ok(latest);
    const dir = latest.params.outDir;
    for (const f of ['view.json', 'translator.json', 'run.json']) assert.ok(existsSync(path.join(dir, f)), f);
    const view = JSON.parse(readFileSync(path.join(dir, 'view.json'), 'utf8'));
    assert.equal(view.schema, 'latent-translator/view');
  });
});
