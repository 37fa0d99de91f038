// The in-host test runner: loaded by the workbench's extension-test hook (`extensionTestsPath`
// in the `payload` query parameter, see test/e2e/hostTests.ts and e2e-recipe.md §7) inside the
// real (Node) extension host of code-server, where require('vscode') is the real API.
// It runs the compiled mocha suites (out/test/host/*.test.js by default), writes a report whose
// last line is "N passed, N failed", and rejects when a test failed (the workbench then reports
// exit code 1 to window.codeAutomationExit).
//
// Environment (set on the code-server process, inherited by the extension host):
//   LT_HOST_TESTS   test files or folders, separated by ':' (default <repo>/out/test/host)
//   LT_HOST_REPORT  report file (default <repo>/test-results/host-report.txt)
//   LT_HOST_GREP    only tests whose full title matches this regular expression
//   LT_HOST_TIMEOUT per-test timeout in ms (default 60000)
'use strict';
const fs = require('fs');
const path = require('path');
const util = require('util');

const ROOT = path.resolve(__dirname, '..', '..');

function testFiles(spec) {
  const files = [];
  for (const p of spec.split(path.delimiter).filter(Boolean)) {
    const abs = path.resolve(ROOT, p);
    if (!fs.existsSync(abs)) throw new Error(`no such test file or folder: ${abs}`);
    if (fs.statSync(abs).isDirectory()) {
      for (const f of fs.readdirSync(abs).sort()) if (f.endsWith('.test.js')) files.push(path.join(abs, f));
    } else files.push(abs);
  }
  if (!files.length) throw new Error(`no *.test.js files in ${spec} (compile the tests first: tsc -p tsconfig.test.json)`);
  return files;
}

exports.run = function run() {
  const Mocha = require('mocha');
  const report = process.env.LT_HOST_REPORT || path.join(ROOT, 'test-results', 'host-report.txt');
  const lines = [];
  const say = (...a) => {
    const s = util.format(...a);
    lines.push(s);
    console.log(s);
  };

  return new Promise((resolve, reject) => {
    let files;
    try {
      files = testFiles(process.env.LT_HOST_TESTS || path.join(ROOT, 'out', 'test', 'host'));
    } catch (e) {
      say(`runner: ${e.message}`);
      say('0 passed, 1 failed');
      fs.mkdirSync(path.dirname(report), { recursive: true });
      fs.writeFileSync(report, lines.join('\n') + '\n');
      reject(e);
      return;
    }

    function Reporter(runner, options) {
      Mocha.reporters.Base.call(this, runner, options);
      let depth = 0;
      runner.on('suite', (s) => {
        if (s.title) say(`${'  '.repeat(depth)}${s.title}`);
        if (s.title) depth++;
      });
      runner.on('suite end', (s) => {
        if (s.title) depth--;
      });
      runner.on('pass', (t) => say(`${'  '.repeat(depth)}✓ ${t.title} (${t.duration} ms)`));
      runner.on('pending', (t) => say(`${'  '.repeat(depth)}- ${t.title} (pending)`));
      runner.on('fail', (t, err) => say(`${'  '.repeat(depth)}✗ ${t.title}\n${String((err && (err.stack || err.message)) || err).replace(/^/gm, `${'  '.repeat(depth + 2)}`)}`));
    }

    const mocha = new Mocha({ ui: 'bdd', color: false, timeout: Number(process.env.LT_HOST_TIMEOUT || 60000) });
    mocha.reporter(Reporter);
    if (process.env.LT_HOST_GREP) mocha.grep(new RegExp(process.env.LT_HOST_GREP));
    for (const f of files) mocha.addFile(f);
    say(`runner: ${files.length} file(s): ${files.map((f) => path.relative(ROOT, f)).join(', ')}; extension host node ${process.version}`);
    const t0 = Date.now();
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats || {};
        say(`runner: ${((Date.now() - t0) / 1000).toFixed(1)} s${stats.pending ? `, ${stats.pending} pending` : ''}`);
        say(`${stats.passes || 0} passed, ${failures} failed`);
        fs.mkdirSync(path.dirname(report), { recursive: true });
        fs.writeFileSync(report, lines.join('\n') + '\n');
        if (failures) reject(new Error(`${failures} host test(s) failed`));
        else resolve();
      });
    } catch (e) {
      say(`runner: ${e.stack || e}`);
      say('0 passed, 1 failed');
      fs.mkdirSync(path.dirname(report), { recursive: true });
      fs.writeFileSync(report, lines.join('\n') + '\n');
      reject(e);
    }
  });
};
