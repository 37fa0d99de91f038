/**
 * The latentTranslator.maxRows setting in the real extension host: a fit or an inspection of a
 * file with more rows is refused with a message naming the file, its row count and the setting;
 * nothing is stored; at the limit it works.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { LatentTranslatorApi } from '../../src/extension/extension';
import type { JobRequest } from '../../src/extension/jobRunner';

const EXTENSION_ID = 'latent-translator.latent-translator';
/** Rows of the sample's embedding files. */
const SAMPLE_ROWS = 3000;

describe('latentTranslator.maxRows', function () {
  this.timeout(120_000);
  let api: LatentTranslatorApi;
  let ws: string;
  const config = () => vscode.workspace.getConfiguration('latentTranslator');
  const job = (): JobRequest => ({ title: 'row limit', source: path.join(ws, 'mlp_a.npy'), target: path.join(ws, 'cnn.npy'), anchors: path.join(ws, 'anchors.npy'), anchorCount: 300, methods: ['linear'], preps: ['standard'] });

  before(async () => {
    api = await vscode.extensions.getExtension<LatentTranslatorApi>(EXTENSION_ID)!.activate();
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const declared = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.configuration.properties['latentTranslator.maxRows'];
    assert.equal(declared?.type, 'integer', 'the setting is declared');
    assert.ok(declared.default > SAMPLE_ROWS, 'the default lets the sample through');
    // User settings, so the test never writes into the workspace folder.
    await config().update('maxRows', SAMPLE_ROWS - 1, vscode.ConfigurationTarget.Global);
  });

  after(() => config().update('maxRows', undefined, vscode.ConfigurationTarget.Global));

  it('refuses a fit on a file with more rows, naming the file, its rows and the setting; stores nothing', async () => {
    const runs = (await api.listRuns()).length;
    const record = await api.runJob(job());
    assert.equal(record, undefined, 'the job ran despite the limit');
    const message = api.lastJobError() ?? '';
    assert.ok(message.startsWith(`${path.join(ws, 'mlp_a.npy')}: file has ${SAMPLE_ROWS} rows, more than the limit of ${SAMPLE_ROWS - 1} rows`), message);
    assert.match(message, /"latentTranslator\.maxRows" setting/);
    assert.equal((await api.listRuns()).length, runs, 'a run was stored');
  });

  it('refuses to inspect such a file, with the same message', async () => {
    // A copy no other test has inspected: an open inspection document would be reused as it is.
    const dir = mkdtempSync(path.join(tmpdir(), 'lt-host-rows-'));
    const file = path.join(dir, 'rows.npy');
    copyFileSync(path.join(ws, 'cnn.npy'), file);
    const uri = vscode.Uri.from({ scheme: 'latent-translator-inspect', path: '/Inspect rows.npy.md', query: encodeURIComponent(file) });
    await assert.rejects(Promise.resolve(vscode.workspace.openTextDocument(uri)), (e: Error) => {
      assert.ok(e.message.includes(`${file}: file has ${SAMPLE_ROWS} rows`), e.message);
      assert.ok(e.message.includes('latentTranslator.maxRows'), e.message);
      return true;
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a file of exactly maxRows rows', async () => {
    await config().update('maxRows', SAMPLE_ROWS, vscode.ConfigurationTarget.Global);
    const record = await api.runJob(job());
    assert.ok(record, `the job failed: ${api.lastJobError()}`);
  });
});
