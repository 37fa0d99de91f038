/**
 * Writes a job's output files as one unit: every file is first written to a
 * temporary name in the output folder, and only when all of them succeeded
 * are they renamed into place. Existing files are never replaced unless the
 * user said --force, and that is checked before any work starts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LatentError } from './errors';

export interface OutputFile {
  name: string;
  /** Writes the complete file at `tempPath`. */
  write(tempPath: string): Promise<void>;
}

/** Fails early, before a long job, if any output exists and --force was not given. */
export async function checkOutputs(dir: string, names: string[], force: boolean): Promise<void> {
  if (force) return;
  for (const name of names) {
    const p = path.join(dir, name);
    if (await exists(p)) throw new LatentError('exists', 'already exists; use --force to overwrite', p);
  }
}

export async function writeOutputs(dir: string, files: OutputFile[], force: boolean): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new LatentError('io', `cannot create the output folder: ${e.code ?? e.message}`, dir, { cause: e });
  });
  await checkOutputs(dir, files.map((f) => f.name), force);
  const tag = `.tmp-${process.pid}-${Date.now().toString(36)}`;
  const staged: { temp: string; final: string }[] = [];
  try {
    for (const f of files) {
      const final = path.join(dir, f.name);
      const temp = final + tag;
      staged.push({ temp, final });
      await f.write(temp);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => fs.rm(s.temp, { force: true })));
    throw e instanceof LatentError ? e : new LatentError('io', `cannot write outputs: ${(e as Error).message}`, dir, { cause: e });
  }
  for (const s of staged) await fs.rename(s.temp, s.final);
  return staged.map((s) => s.final);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}
