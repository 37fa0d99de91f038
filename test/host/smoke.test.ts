/**
 * The smallest in-host check (runs inside code-server's real extension host through
 * test/e2e/runner.js): the extension activates and registers its main command.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';

const EXTENSION_ID = 'latent-translator.latent-translator';

describe('smoke: the extension in a real extension host', function () {
  this.timeout(60_000);

  it('activates and registers latentTranslator.fit', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('latentTranslator.fit'), 'latentTranslator.fit is registered');
  });
});
