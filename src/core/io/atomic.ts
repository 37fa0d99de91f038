/**
 * Atomic file writing: data goes to a temporary file in the target's directory
 * (".<name>.tmp-<pid>-<random>", matched by .gitignore's "*.tmp-*"), is fsynced,
 * then moved into place. Without `force` an existing target is never replaced:
 * the move is a hard link, which fails if the target appeared meanwhile (falling
 * back to check-then-rename on file systems without hard links). On any failure
 * the temporary file is removed.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LatentError } from '../errors';
import { toLatentError } from './common';

export interface WriteOptions {
  /** Replace an existing file. Default false: LatentError('exists'). */
  force?: boolean;
}

const code = (e: unknown): string | undefined => (e as { code?: string })?.code;

function existsError(path: string): LatentError {
  return new LatentError('exists', 'file already exists; use --force to overwrite', path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws LatentError('exists') if `path` exists and `force` is not set. */
export async function checkWritable(path: string, force: boolean | undefined): Promise<void> {
  if (!force && (await exists(path))) throw existsError(path);
}

/** The start of the name of every temporary file process `pid` writes for `target`. */
function tempPrefix(target: string, pid: number): string {
  return `.${basename(target)}.tmp-${pid}-`;
}

/**
 * Removes the temporary files a process that was killed (and so could not abort them) left
 * for `target`; returns their paths. For the process that started that one, once it has exited.
 */
export async function removeTempFilesOf(target: string, pid: number): Promise<string[]> {
  const dir = dirname(target);
  const prefix = tempPrefix(target, pid);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(prefix)).map((n) => join(dir, n));
  await Promise.all(stale.map((p) => unlink(p).catch(() => undefined)));
  return stale;
}

/** A temporary file that becomes `target` on commit(). */
export class TempFile {
  private state: 'open' | 'committed' | 'aborted' = 'open';
  /** Bytes written so far (next write position). */
  position = 0;
  /** A datasync started by flushInBackground(), awaited before commit or abort. */
  private flushing: Promise<void> = Promise.resolve();
  private flushError: unknown;

  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private readonly fh: FileHandle,
    private readonly force: boolean,
  ) {}

  static async create(target: string, opts: WriteOptions = {}): Promise<TempFile> {
    await checkWritable(target, opts.force);
    const tempPath = join(dirname(target), `${tempPrefix(target, process.pid)}${randomBytes(4).toString('hex')}`);
    let fh: FileHandle;
    try {
      fh = await open(tempPath, 'wx', 0o644);
    } catch (e) {
      if (code(e) === 'ENOENT') {
        throw new LatentError('io', `cannot write file: directory ${dirname(target)} does not exist`, target, { cause: e });
      }
      throw toLatentError(e, target, 'cannot write file');
    }
    return new TempFile(target, tempPath, fh, !!opts.force);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Appends `data`. The file position is reserved synchronously, so writes started
   * without awaiting the previous one still land in call order.
   */
  async write(data: Uint8Array | string): Promise<void> {
    if (this.state !== 'open') throw new LatentError('io', `cannot write: the output is already ${this.state}`, this.target);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const at = this.position;
    this.position += bytes.length;
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, at + done);
        done += bytesWritten;
      }
    } catch (e) {
      await this.abort();
      throw toLatentError(e, this.target, 'cannot write file');
    }
  }

  /**
   * Starts writing what has been written so far to disk without waiting (one datasync at a
   * time), so a large output reaches the disk while the next chunks are computed and
   * commit()'s fsync finds little left to do. Errors surface in commit().
   */
  flushInBackground(): void {
    if (this.state !== 'open') return;
    this.flushing = this.flushing
      .then(() => this.fh.datasync())
      .catch((e: unknown) => {
        this.flushError ??= e;
      });
  }

  /** fsync, close and move into place. On failure the temporary file is removed. */
  async commit(): Promise<void> {
    if (this.state !== 'open') throw new LatentError('io', `cannot commit: the output is already ${this.state}`, this.target);
    try {
      await this.flushing;
      if (this.flushError) throw this.flushError;
      await this.fh.sync();
      await this.fh.close();
      if (this.force) {
        await rename(this.tempPath, this.target);
      } else {
        let linked = false;
        try {
          await link(this.tempPath, this.target);
          linked = true;
        } catch (e) {
          if (code(e) === 'EEXIST') throw existsError(this.target);
          if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EINVAL', 'EMLINK'].includes(code(e) ?? '')) throw e;
          // No hard links here: check, then rename (a small window for a race).
          if (await exists(this.target)) throw existsError(this.target);
          await rename(this.tempPath, this.target);
        }
        if (linked) await unlink(this.tempPath).catch(() => undefined);
      }
      this.state = 'committed';
    } catch (e) {
      this.state = 'aborted';
      await this.fh.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw toLatentError(e, this.target, 'cannot write file');
    }
    await syncDirectory(dirname(this.target));
  }

  /** Closes and removes the temporary file. Safe to call more than once, and after a failed commit. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.flushing;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Best effort: makes the rename durable on POSIX file systems. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // some file systems do not support fsync on directories
  }
}

/**
 * Writes `data` to `path` atomically (temp file, fsync, rename). Refuses to
 * replace an existing file unless `opts.force`: LatentError('exists').
 */
export async function atomicWriteFile(path: string, data: Uint8Array | string, opts: WriteOptions = {}): Promise<void> {
  await writeAtomically(path, opts, (tmp) => tmp.write(data));
}

/** Runs `fill` against a TempFile, then commits; on any failure removes the temp file and rethrows. */
export async function writeAtomically(path: string, opts: WriteOptions, fill: (tmp: TempFile) => Promise<void>): Promise<void> {
  const tmp = await TempFile.create(path, opts);
  try {
    await fill(tmp);
  } catch (e) {
    await tmp.abort();
    throw toLatentError(e, path, 'cannot write file');
  }
  await tmp.commit();
}
