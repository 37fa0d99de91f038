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
import { AlignedBlocks, type BlockWrite } from './alignedBlocks';
import { toLatentError } from './common';

export interface WriteOptions {
  /** Replace an existing file. Default false: LatentError('exists'). */
  force?: boolean;
}

export interface TempFileOptions extends WriteOptions {
  /**
   * Write with O_DIRECT where the platform has it (Linux), through page-aligned blocks (see
   * alignedBlocks.ts): for large sequential outputs. Falls back to ordinary writes when the file
   * system refuses it; LATENT_TRANSLATOR_DIRECT_IO=0 turns it off.
   */
  direct?: boolean;
  /** Tests only: blocks shifted off alignment by this many bytes, so that O_DIRECT refuses them. */
  directSkew?: number;
}

/** O_DIRECT's flag here, or undefined where the platform has none or it is turned off. */
function directFlag(): number | undefined {
  return process.env.LATENT_TRANSLATOR_DIRECT_IO === '0' ? undefined : (constants as { O_DIRECT?: number }).O_DIRECT;
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
  /** Direct mode: the staging blocks, the writes still staging (in call order), the block writes (one at a time). */
  private staging: Promise<void> = Promise.resolve();
  private blockWrites: Promise<void> = Promise.resolve();
  /** When each block's last write is done (it may be refilled then). */
  private blockFree: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  private blockError: unknown;

  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private fh: FileHandle,
    private readonly force: boolean,
    /** Set when the file was opened with O_DIRECT (cleared if a write is refused and the rest goes through the page cache). */
    private direct: boolean,
    private readonly blocks?: AlignedBlocks,
  ) {}

  static async create(target: string, opts: TempFileOptions = {}): Promise<TempFile> {
    await checkWritable(target, opts.force);
    const tempPath = join(dirname(target), `${tempPrefix(target, process.pid)}${randomBytes(4).toString('hex')}`);
    const odirect = opts.direct ? directFlag() : undefined;
    let fh: FileHandle | undefined;
    try {
      if (odirect !== undefined) {
        // Some file systems refuse O_DIRECT when opening (tmpfs before Linux 6.6, some FUSE
        // mounts), possibly after creating the file: then it is ours to remove, and the ordinary
        // open below reports any error that is not about O_DIRECT.
        fh = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | odirect, 0o644).catch(async (e: unknown) => {
          if (code(e) === 'EEXIST') throw e; // not ours
          await unlink(tempPath).catch(() => undefined);
          return undefined;
        });
      }
      if (fh) return new TempFile(target, tempPath, fh, !!opts.force, true, new AlignedBlocks(undefined, opts.directSkew));
      fh = await open(tempPath, 'wx', 0o644);
    } catch (e) {
      if (code(e) === 'ENOENT') {
        throw new LatentError('io', `cannot write file: directory ${dirname(target)} does not exist`, target, { cause: e });
      }
      throw toLatentError(e, target, 'cannot write file');
    }
    return new TempFile(target, tempPath, fh, !!opts.force, false);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** True while writes bypass the page cache (O_DIRECT). */
  get isDirect(): boolean {
    return this.direct;
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
      if (this.blocks) {
        // copied into the blocks in call order; resolves once `data` may be reused
        const staged = this.staging.then(() => this.stage(bytes));
        this.staging = staged.catch(() => undefined);
        await staged;
      } else {
        await writeFully(this.fh, bytes, bytes.length, at);
      }
    } catch (e) {
      await this.abort();
      throw toLatentError(e, this.target, 'cannot write file');
    }
  }

  private async stage(bytes: Uint8Array): Promise<void> {
    const blocks = this.blocks!;
    let done = 0;
    while (done < bytes.length) {
      const { index, empty } = blocks.next;
      if (empty) await this.blockFree[index];
      if (this.blockError) throw this.blockError;
      const { copied, full } = blocks.put(bytes, done);
      done += copied;
      if (full) this.issue(full);
    }
  }

  /** Queues a block write behind the previous one; a failure is kept for the next write or commit. */
  private issue(w: BlockWrite): void {
    this.blockWrites = this.blockWrites
      .then(() => (this.blockError || this.state === 'aborted' ? undefined : this.writeBlock(w)))
      .catch((e: unknown) => {
        this.blockError ??= e;
      });
    this.blockFree[w.index] = this.blockWrites;
  }

  private async writeBlock(w: BlockWrite): Promise<void> {
    try {
      await writeFully(this.fh, w.bytes, w.length, w.at);
    } catch (e) {
      if (!this.direct || code(e) !== 'EINVAL') throw e;
      // the file system or device refused O_DIRECT at this alignment: the rest goes through the page cache
      const buffered = await open(this.tempPath, 'r+');
      await this.fh.close().catch(() => undefined);
      this.fh = buffered;
      this.direct = false;
      await writeFully(this.fh, w.bytes, w.length, w.at);
    }
  }

  /** Direct mode: writes the padded last block, waits for every block, and cuts the padding off. */
  private async finishBlocks(): Promise<void> {
    await this.staging;
    const { write, end } = this.blocks!.tail();
    if (write) this.issue(write);
    await this.blockWrites;
    if (this.blockError) throw this.blockError;
    if (write) await this.fh.truncate(end);
  }

  /**
   * Starts writing what has been written so far to disk without waiting (one datasync at a
   * time), so a large output reaches the disk while the next chunks are computed and
   * commit()'s fsync finds little left to do. Errors surface in commit().
   */
  flushInBackground(): void {
    // written with O_DIRECT, nothing waits in the page cache
    if (this.state !== 'open' || this.direct) return;
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
      if (this.blocks) await this.finishBlocks();
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
    await this.staging;
    await this.blockWrites;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Writes `length` bytes of `bytes` at `at`, however many calls that takes. */
async function writeFully(fh: FileHandle, bytes: Uint8Array, length: number, at: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(bytes, done, length - done, at + done);
    done += bytesWritten;
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
