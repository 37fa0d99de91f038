/**
 * Embed and export in the real extension host: cancelling, killing the compute process mid-run
 * and a model that ONNX Runtime fails to run all leave the workspace exactly as it was, with a
 * clear message, and the next command works. The inputs are made at test time, big enough that
 * the cancel or the kill lands while the output is being written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { LatentTranslatorApi } from '../../src/extension/extension';
import { alive, sleep, snapshot, waitFor, writeImages, writeLargeEncoder, writeModelFailingAtRunTime } from './testFiles';

const EXTENSION_ID = 'latent-translator.latent-translator';
/** Rows of the embed input: three 64 MB chunks through the CNN encoder, a few seconds. */
const BIG_ROWS = 60_000;

describe('Embed and export: cancel, kill, a model that fails at run time', function () {
  this.timeout(120_000);
  let api: LatentTranslatorApi;
  let ws: string;
  let tmp: string;
  let bigInput: string;
  let cnn: string;

  const tempFilesIn = (dir: string, name: string) => readdirSync(dir).filter((f) => f.startsWith(`.${name}.tmp-`));
  /** The next command works: a small embed, checked and removed again. */
  const smallEmbedWorks = async () => {
    const out = path.join(tmp, 'small.npy');
    const r = await api.embed({ model: cnn, input: path.join(ws, 'images_test.npy'), out, force: false });
    assert.ok(r, 'the small embed was not cancelled');
    assert.equal(r.rows, 1000);
    assert.equal(r.dims, 48);
    rmSync(out);
  };

  before(async () => {
    api = await vscode.extensions.getExtension<LatentTranslatorApi>(EXTENSION_ID)!.activate();
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    assert.ok(vscode.workspace.isTrusted, 'these tests run in a trusted workspace');
    tmp = mkdtempSync(path.join(tmpdir(), 'lt-host-models-'));
    bigInput = path.join(tmp, 'big_images.npy');
    writeImages(bigInput, BIG_ROWS);
    cnn = path.join(ws, 'models', 'cnn.encoder.onnx');
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('cancelling an Embed run mid-way leaves the workspace as it was', async () => {
    const out = path.join(ws, 'big_images.cnn.npy');
    const before = snapshot(ws);
    const cancel = new vscode.CancellationTokenSource();
    const run = api.embed({ model: cnn, input: bigInput, out, force: false }, cancel.token);
    // The first chunk is done and the output is being written: cancel now.
    await waitFor(() => tempFilesIn(ws, 'big_images.cnn.npy').length > 0, 'the output temp file');
    const t0 = Date.now();
    cancel.cancel();
    const result = await run;
    const ms = Date.now() - t0;
    console.log(`    embed cancelled with a partial output on disk; stopped ${ms} ms after Cancel`);
    assert.equal(result, undefined, 'the embed finished before the cancel (make the input bigger)');
    assert.deepEqual(snapshot(ws), before, 'the workspace changed');
    assert.ok(ms < 1500, `the cancel took ${ms} ms`);
    await smallEmbedWorks();
  });

  it('killing the compute process mid-embed: clear error, no partial file, no orphan process, the next embed works', async () => {
    const out = path.join(ws, 'big_images.cnn.npy');
    const before = snapshot(ws);
    const run = api.embed({ model: cnn, input: bigInput, out, force: false });
    const failed = run.then(
      () => undefined,
      (e: Error) => e,
    );
    await waitFor(() => tempFilesIn(ws, 'big_images.cnn.npy').length > 0, 'the output temp file');
    const pid = api.computePid();
    assert.ok(pid, 'a compute process is running');
    process.kill(pid, 'SIGKILL');
    const error = await failed;
    assert.ok(error, 'the embed did not fail');
    assert.match(error.message, /compute process stopped unexpectedly \(signal SIGKILL\)/);
    assert.deepEqual(snapshot(ws), before, 'the killed embed left a file behind');
    await waitFor(() => !alive(pid), `process ${pid} to go`, 2000);
    await smallEmbedWorks();
    assert.notEqual(api.computePid(), pid, 'the next embed ran in a fresh compute process');
  });

  it('a model that ONNX Runtime fails to run: an error naming the model, nothing written, the next embed works', async () => {
    const bad = path.join(tmp, 'reshape_fails_at_run.onnx');
    writeModelFailingAtRunTime(bad);
    const out = path.join(ws, 'images_test.bad.npy');
    const before = snapshot(ws);
    await assert.rejects(api.embed({ model: bad, input: path.join(ws, 'images_test.npy'), out, force: false }), (e: Error) => {
      assert.ok(e.message.startsWith(`${bad}: running the model failed`), e.message);
      assert.match(e.message, /Reshape/);
      return true;
    });
    assert.deepEqual(snapshot(ws), before, 'the failed embed left a file behind');
    await smallEmbedWorks();
  });

  it('cancelling a stitched export mid-way leaves the workspace as it was; the next export works', async () => {
    const record = await api.runJob({
      title: 'export source',
      source: path.join(ws, 'mlp_a.npy'),
      target: path.join(ws, 'mlp_b.npy'),
      anchors: path.join(ws, 'anchors.npy'),
      anchorCount: 500,
      methods: ['linear'],
      preps: ['standard'],
    });
    assert.ok(record, 'the fit for the translator completed');
    const translator = path.join(record.params.outDir, 'translator.json');
    const encoder = path.join(tmp, 'large.encoder.onnx');
    writeLargeEncoder(encoder, 200, 64);
    const decoder = path.join(ws, 'models', 'mlp_b.classifier.onnx');
    const out = path.join(ws, 'stitched.onnx');
    const before = snapshot(ws);
    const cancel = new vscode.CancellationTokenSource();
    const t0 = Date.now();
    const run = api.exportModel({ translator, encoder, decoder, out, force: false }, cancel.token);
    await sleep(300); // reading and stitching 200 MB takes longer than this
    cancel.cancel();
    const result = await run;
    console.log(`    stitched export cancelled after 300 ms; settled ${Date.now() - t0} ms after the start`);
    assert.equal(result, undefined, 'the export finished before the cancel (make the encoder bigger)');
    assert.deepEqual(snapshot(ws), before, 'the cancelled export left a file behind');
    assert.equal(tempFilesIn(ws, 'stitched.onnx').length, 0);

    const small = await api.exportModel({ translator, out: path.join(tmp, 'translator.onnx'), force: false });
    assert.ok(small && existsSync(small.written), 'the next export wrote its file');
  });
});
