/**
 * The runs of this workspace, each a folder in the extension's workspace
 * storage holding the job's outputs (view.json, result/compare.json,
 * translator.json, …) and run.json (its parameters and headline). A folder
 * without run.json is an unfinished run and is never listed.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelView } from '../core/view';
import type { JobParams, RunSummary } from '../shared/protocol';

export interface RunRecord extends RunSummary {
  params: JobParams;
}

export class RunStore {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly root: string) {}

  /** A fresh, empty folder for a new run. */
  async create(): Promise<{ id: string; dir: string }> {
    const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = path.join(this.root, id);
    await fs.mkdir(dir, { recursive: true });
    return { id, dir };
  }

  dir(id: string): string {
    if (!/^[\w-]+$/.test(id)) throw new Error(`invalid run id ${id}`);
    return path.join(this.root, id);
  }

  /** Marks a run complete: only now does it appear in the list. */
  async commit(id: string, params: JobParams, view: PanelView): Promise<RunRecord> {
    const record: RunRecord = {
      id,
      title: view.title,
      createdAt: view.createdAt,
      kind: view.kind,
      method: view.kind === 'compare' ? `best: ${view.method}` : view.method,
      prep: view.prep,
      cosine: view.headline.cosine,
      top1: view.headline.top1,
      mrr: view.headline.mrr,
      baselineCosine: view.baseline?.cosine ?? null,
      heldOut: view.inputs.heldOut.count,
      params,
    };
    const tmp = path.join(this.dir(id), 'run.json.tmp');
    await fs.writeFile(tmp, JSON.stringify(record, null, 2));
    await fs.rename(tmp, path.join(this.dir(id), 'run.json'));
    this.changed.fire();
    return record;
  }

  async discard(id: string): Promise<void> {
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }

  async delete(id: string): Promise<void> {
    await this.discard(id);
    this.changed.fire();
  }

  async get(id: string): Promise<RunRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(id), 'run.json'), 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
  }

  async view(id: string): Promise<PanelView | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(id), 'view.json'), 'utf8')) as PanelView;
    } catch {
      return undefined;
    }
  }

  /** Completed runs, newest first; unfinished folders (no run.json) are cleaned up. */
  async list(): Promise<RunRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.root);
    } catch {
      return [];
    }
    const runs: RunRecord[] = [];
    for (const name of names) {
      const r = await this.get(name);
      if (r) runs.push(r);
    }
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Removes run folders left by a crash or a kill (no run.json and older than a minute). */
  async sweep(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.root);
    } catch {
      return;
    }
    for (const name of names) {
      const dir = path.join(this.root, name);
      const st = await fs.stat(dir).catch(() => undefined);
      if (st?.isDirectory() && Date.now() - st.mtimeMs > 60_000 && !(await this.get(name))) await fs.rm(dir, { recursive: true, force: true });
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
