/**
 * Starts and stops a throwaway code-server (VS Code 1.100.3 server + web workbench) for the
 * end-to-end tests, following the team notes (shared/docs/e2e-recipe.md) §3:
 *   - a fresh RUN folder under os.tmpdir() with its own user-data, extensions and XDG folders
 *     (nothing is written to the home folder);
 *   - a config.yaml binding a free loopback port, no auth, no TLS;
 *   - started detached (its own process group, like setsid) and stopped by killing the whole
 *     group, so the file watcher, pty host, extension hosts and the extension's compute process
 *     all go with it;
 *   - healthy once GET /healthz answers.
 * Every process started from it carries LT_E2E_RUN=<run dir> in its environment, which
 * `leftoverProcesses()` uses to prove that nothing survived a stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The repository root (this file runs from out/test/e2e/). */
export const ROOT = findRoot(__dirname);
export const CODE_SERVER_BIN = path.join(ROOT, 'tools/code-server/node_modules/.bin/code-server');

function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json')) && existsSync(path.join(d, 'tools/code-server/package.json'))) return d;
    if (path.dirname(d) === d) return path.resolve(__dirname, '../../..');
  }
}

export interface CodeServerOptions {
  /** Leave workspace trust on (for trust tests): no --disable-workspace-trust, trust setting true. */
  workspaceTrust?: boolean;
  /** Extra user settings merged over the test defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server (and so for the extension host and its children). */
  env?: Record<string, string>;
  /** Extra command-line arguments. */
  args?: string[];
  /** A label for the run folder and the logs. */
  name?: string;
  /** Milliseconds to wait for /healthz. */
  startTimeout?: number;
}

const DEFAULT_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
};

const live = new Set<CodeServer>();
let exitHooked = false;

/** Kills every still-running server group synchronously (process exit / signals). */
function killAllSync(): void {
  for (const cs of live) cs.killSync();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync();
      process.kill(process.pid, sig);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A clean environment for code-server: no VS Code / node:test variables from the caller. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_|NODE_TEST_CONTEXT$|NODE_OPTIONS$|NODE_CHANNEL_FD$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export class CodeServer {
  readonly runDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly configFile: string;
  readonly logFile: string;
  port = 0;
  private proc?: ChildProcess;
  private pgid?: number;
  private exited?: Promise<void>;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly options: CodeServerOptions = {}) {
    if (!existsSync(CODE_SERVER_BIN)) throw new Error(`code-server is not installed (${CODE_SERVER_BIN}): run bash scripts/install-tools.sh`);
    this.runDir = mkdtempSync(path.join(tmpdir(), `lt-e2e-${options.name ?? 'cs'}-`));
    this.userDataDir = path.join(this.runDir, 'ud');
    this.extensionsDir = path.join(this.runDir, 'ext');
    this.configFile = path.join(this.runDir, 'config.yaml');
    this.logFile = path.join(this.runDir, 'cs.log');
    mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    mkdirSync(this.extensionsDir, { recursive: true });
    const settings = { ...DEFAULT_SETTINGS, ...(options.workspaceTrust ? { 'security.workspace.trust.enabled': true } : {}), ...options.settings };
    writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    this.env = childEnv({
      XDG_DATA_HOME: path.join(this.runDir, 'xdg-data'),
      XDG_CONFIG_HOME: path.join(this.runDir, 'xdg-config'),
      LT_E2E_RUN: this.runDir,
      ...options.env,
    });
  }

  /** Sets an environment variable for the server (before start()). */
  setEnv(key: string, value: string): void {
    if (this.proc) throw new Error('setEnv after start');
    this.env[key] = value;
  }

  /** Creates the run folder and starts the server. */
  static async start(options: CodeServerOptions = {}, vsixes: string[] = []): Promise<CodeServer> {
    const cs = new CodeServer(options);
    for (const v of vsixes) await cs.installVsix(v);
    await cs.start();
    return cs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** code-server's remote authority: the Host header the browser sends. */
  get authority(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A vscode-remote:// URI for a server-side path (for the workbench `payload`). */
  remoteUri(p: string): string {
    return `vscode-remote://${this.authority}${p}`;
  }

  private baseArgs(): string[] {
    return ['--config', this.configFile, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  /**
   * Installs a VSIX into this server's extensions folder. Works before start() (the usual way)
   * and while running: a workbench opened afterwards sees it.
   */
  async installVsix(vsix: string): Promise<void> {
    const file = path.resolve(vsix);
    if (!existsSync(file)) throw new Error(`no such VSIX: ${file}`);
    if (!this.port) this.writeConfig(await freePort());
    const r = spawnSync(CODE_SERVER_BIN, [...this.baseArgs(), '--install-extension', file, '--force'], { env: this.env, encoding: 'utf8', timeout: 120_000 });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`installing ${path.basename(file)} failed (exit ${r.status}):\n${out}`);
  }

  private writeConfig(port: number): void {
    this.port = port;
    writeFileSync(this.configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  }

  async start(): Promise<void> {
    if (this.proc) throw new Error('already started');
    hookExit();
    if (!this.port) this.writeConfig(await freePort());
    const ws = path.join(this.runDir, 'ws');
    mkdirSync(ws, { recursive: true });
    const args = [
      ...this.baseArgs(),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(this.options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      ...(this.options.args ?? []),
      ws,
    ];
    const fd = openSync(this.logFile, 'a');
    const t0 = Date.now();
    // detached: the child calls setsid(), so its pid is the group id of everything it starts.
    const proc = spawn(CODE_SERVER_BIN, args, { env: this.env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.proc = proc;
    this.pgid = proc.pid;
    live.add(this);
    let exitInfo: string | undefined;
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        exitInfo = `exit ${code ?? signal}`;
        resolve();
      }),
    );
    proc.once('error', (e) => (exitInfo = String(e)));
    const timeout = this.options.startTimeout ?? 60_000;
    for (;;) {
      if (exitInfo) {
        this.printLogs(`code-server stopped during start (${exitInfo})`);
        await this.stop();
        throw new Error(`code-server did not start: ${exitInfo}`);
      }
      try {
        const res = await fetch(`${this.url}healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() - t0 > timeout) {
        this.printLogs('code-server did not answer /healthz');
        await this.stop();
        throw new Error(`code-server did not answer /healthz within ${timeout} ms`);
      }
      await sleep(100);
    }
    this.startMs = Date.now() - t0;
  }

  /** Milliseconds from spawn to /healthz answering. */
  startMs = 0;

  get running(): boolean {
    return !!this.pgid && groupAlive(this.pgid);
  }

  /** Stops the whole process group: SIGTERM, then SIGKILL after a grace period. Idempotent. */
  async stop({ keepRunDir = false }: { keepRunDir?: boolean } = {}): Promise<void> {
    const pgid = this.pgid;
    if (pgid) {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const end = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < end) await sleep(100);
      if (groupAlive(pgid)) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
        const end2 = Date.now() + 5000;
        while (groupAlive(pgid) && Date.now() < end2) await sleep(100);
      }
      await Promise.race([this.exited, sleep(2000)]);
      this.pgid = undefined;
      this.proc = undefined;
    }
    // Processes that left the group (none expected) but still carry our marker.
    for (const pid of this.leftoverProcesses()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    live.delete(this);
    if (!keepRunDir && !process.env.LT_E2E_KEEP) rmSync(this.runDir, { recursive: true, force: true });
  }

  /** Synchronous last-resort kill (process exit). */
  killSync(): void {
    if (this.pgid) {
      try {
        process.kill(-this.pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Pids of live processes whose environment carries this server's LT_E2E_RUN marker. */
  leftoverProcesses(): number[] {
    return processesWithMarker(`LT_E2E_RUN=${this.runDir}`);
  }

  /** Every log file of the run: code-server's own, then the server's VS Code logs (remote extension host, output channels). */
  logFiles(): string[] {
    const files = [this.logFile];
    const logs = path.join(this.userDataDir, 'logs');
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.log')) files.push(p);
      }
    };
    walk(logs);
    // the remote extension host log first, then the extension's own output channel
    const rank = (f: string) => (f === this.logFile ? 0 : /remoteexthost\.log$/.test(f) ? 1 : /Latent Translator/i.test(f) ? 2 : /exthost/.test(f) ? 3 : 4);
    return files.sort((a, b) => rank(a) - rank(b));
  }

  /** Prints code-server's log and the remote extension host logs (last lines of each). */
  printLogs(reason: string, maxLines = 150): void {
    const out: string[] = [`----- code-server logs (${reason}); run dir ${this.runDir} -----`];
    for (const f of this.logFiles()) {
      if (!existsSync(f) || statSync(f).size === 0) continue;
      const rel = path.relative(this.runDir, f);
      if (!(f === this.logFile || /exthost|Latent Translator|remoteagent|server/i.test(rel))) continue;
      const lines = readFileSync(f, 'utf8').split('\n');
      out.push(`--- ${rel} (${lines.length} lines${lines.length > maxLines ? `, last ${maxLines}` : ''}) ---`, ...lines.slice(-maxLines));
    }
    out.push('----- end of logs -----');
    console.error(out.join('\n'));
  }
}

/** Pids of processes (not this one) whose environment contains `marker` (e.g. LT_E2E_RUN=<dir>). */
export function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, 'latin1');
      if (env.split('\0').includes(marker)) pids.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** Every live process started by any e2e code-server of any run (LT_E2E_RUN set). */
export function anyE2eProcesses(): number[] {
  const pids: number[] = [];
  for (const e of existsSync('/proc') ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes('\0LT_E2E_RUN=') || readFileSync(`/proc/${e}/environ`, 'latin1').startsWith('LT_E2E_RUN=')) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** `pgrep -f code-server` as [pid, command line] pairs (empty when none). */
export function pgrepCodeServer(): { pid: number; cmd: string }[] {
  const r = spawnSync('pgrep', ['-af', 'code-server'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf(' ');
      return { pid: Number(l.slice(0, i)), cmd: l.slice(i + 1) };
    })
    .filter((p) => p.pid !== process.pid);
}
