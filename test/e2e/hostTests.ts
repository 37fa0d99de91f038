/**
 * Runs mocha suites inside the real extension host of a fresh code-server (the replacement for
 * @vscode/test-electron; e2e-recipe.md §7). The workbench's `payload` query parameter names the
 * development extension folder and the test runner (test/e2e/runner.js); the workbench loads
 * the extension from that folder, require()s the runner in the remote (Node) extension host,
 * calls its run(), and reports the exit code to window.codeAutomationExit.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CodeServer, ROOT, type CodeServerOptions } from './codeServer';
import { Workbench } from './workbench';

export const RUNNER = path.join(ROOT, 'test', 'e2e', 'runner.js');

export interface HostTestResult {
  /** 0 when every test passed; 1 when one failed; -1 on a timeout. */
  exitCode: number;
  /** The runner's report (the last line is "N passed, N failed"). */
  lines: string[];
  /** Everything the extension host logged through the automation hook. */
  log: string[];
  ms: number;
}

export interface HostTestOptions {
  /** Overall timeout in ms (default 10 min). */
  timeout?: number;
  /** Only tests whose full title matches. */
  grep?: string;
  /** Per-test mocha timeout in ms. */
  testTimeout?: number;
  /** Extra code-server options (e.g. workspaceTrust). */
  server?: CodeServerOptions;
  /** VSIXes to install next to the development extension. */
  vsixes?: string[];
  /** Echo the extension host's output as it comes (default true). */
  echo?: boolean;
  /** Called with the server before it starts (e.g. to remember its run folder). */
  onServer?: (cs: CodeServer) => void;
}

/**
 * Starts a fresh code-server, opens `workspaceDir` with `extensionDir` as the development
 * extension, runs the compiled tests `testsPath` (a *.test.js file, or a folder of them; several
 * separated by ':') in the extension host, and tears everything down.
 */
export async function runHostTests(extensionDir: string, testsPath: string, workspaceDir: string, opts: HostTestOptions = {}): Promise<HostTestResult> {
  const t0 = Date.now();
  if (!existsSync(path.join(extensionDir, 'package.json'))) throw new Error(`${extensionDir} is not an extension folder (no package.json)`);
  const server = opts.server ?? {};
  const cs = new CodeServer({
    name: 'host',
    ...server,
    env: {
      ...server.env,
      LT_HOST_TESTS: testsPath,
      ...(opts.grep ? { LT_HOST_GREP: opts.grep } : {}),
      ...(opts.testTimeout ? { LT_HOST_TIMEOUT: String(opts.testTimeout) } : {}),
    },
  });
  const report = path.join(cs.runDir, 'host-report.txt');
  cs.setEnv('LT_HOST_REPORT', report);
  opts.onServer?.(cs);
  const log: string[] = [];
  const echo = opts.echo ?? true;
  let wb: Workbench | undefined;
  let exitCode = -1;
  let ok = false;
  try {
    for (const v of opts.vsixes ?? []) await cs.installVsix(v);
    await cs.start();
    let onExit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => (onExit = resolve));
    wb = await Workbench.launch(cs, {
      expose: {
        codeAutomationLog: (type: string, args: unknown) => {
          const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
          const line = `[${type}] ${text}`;
          log.push(line);
          if (echo) console.log(`  host: ${text}`);
        },
        codeAutomationExit: (code: number) => onExit(code),
      },
    });
    await wb.open(workspaceDir, {
      payload: [
        ['extensionDevelopmentPath', cs.remoteUri(path.resolve(extensionDir))],
        ['extensionTestsPath', cs.remoteUri(RUNNER)],
      ],
      noExplorer: true,
    });
    const timeout = opts.timeout ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    exitCode = await Promise.race([exited, new Promise<number>((resolve) => (timer = setTimeout(() => resolve(-1), timeout)))]);
    clearTimeout(timer);
    ok = exitCode === 0;
    const lines = existsSync(report) ? readFileSync(report, 'utf8').trimEnd().split('\n') : [exitCode === -1 ? `timed out after ${timeout} ms` : 'no report was written', '0 passed, 1 failed'];
    return { exitCode, lines, log, ms: Date.now() - t0 };
  } finally {
    if (!ok) {
      if (wb) await wb.screenshot('host-tests-failure').catch(() => undefined);
      if (wb?.consoleErrors.length) console.error(`browser console errors:\n  ${wb.consoleErrors.slice(-20).join('\n  ')}`);
      cs.printLogs(`in-host tests ended with exit code ${exitCode}`);
    }
    await wb?.close();
    await cs.stop();
  }
}
