/**
 * Staging for O_DIRECT appends: the bytes of a sequential write are copied into page-aligned
 * blocks, and each full block goes to the file at an aligned offset in one write. Why: a large
 * output written through the page cache costs the kernel an allocation, a zeroing and a copy
 * per 4 KiB page, on the same cores as the products (on our VMs more than the copy itself;
 * `npm run bench -- --suite translate` prints both ways); written with O_DIRECT it goes from
 * these blocks to the device. O_DIRECT wants the memory, the offset and the length aligned to
 * the device's logical block; JS cannot align an ArrayBuffer, but a WebAssembly.Memory is
 * page-aligned.
 */

/** Alignment of offsets and lengths: a 4 KiB page covers 512-byte and 4 KiB logical blocks. */
export const DIRECT_ALIGN = 4096;
/** Bytes per block: large writes, little memory (two blocks per file). */
export const DIRECT_BLOCK = 4 * 2 ** 20;
const WASM_PAGE = 65536;

/** Node's WebAssembly global (its type is in lib.dom, which core does not include). */
const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;

/** A block ready to be written: `length` bytes of `bytes` (a multiple of DIRECT_ALIGN) at file offset `at`. */
export interface BlockWrite {
  bytes: Uint8Array;
  length: number;
  at: number;
  /** Index of the block, for waiting until it can be filled again. */
  index: number;
}

export class AlignedBlocks {
  private readonly blocks: Uint8Array[];
  private current = 0;
  private fill = 0;
  /** File offset of the current block's first byte. */
  private start = 0;

  /** `skew` > 0 shifts the blocks off alignment: only tests use it, to make O_DIRECT refuse them. */
  constructor(
    readonly blockBytes = DIRECT_BLOCK,
    skew = 0,
  ) {
    if (blockBytes % DIRECT_ALIGN !== 0 || blockBytes <= 0) throw new RangeError(`block size ${blockBytes} is not a positive multiple of ${DIRECT_ALIGN}`);
    const memory = new wasm.Memory({ initial: Math.ceil((2 * blockBytes + skew) / WASM_PAGE) });
    this.blocks = [new Uint8Array(memory.buffer, skew, blockBytes), new Uint8Array(memory.buffer, skew + blockBytes, blockBytes)];
  }

  /** Index of the block the next byte goes to, and whether it is still empty (so it may still be in flight). */
  get next(): { index: number; empty: boolean } {
    return { index: this.current, empty: this.fill === 0 };
  }

  /**
   * Copies as much of `data` (from `offset`) as fits into the current block; returns the bytes
   * copied and, when that filled the block, the write to issue (the next block becomes current).
   */
  put(data: Uint8Array, offset: number): { copied: number; full?: BlockWrite } {
    const block = this.blocks[this.current];
    const copied = Math.min(this.blockBytes - this.fill, data.length - offset);
    block.set(data.subarray(offset, offset + copied), this.fill);
    this.fill += copied;
    if (this.fill < this.blockBytes) return { copied };
    return { copied, full: this.advance(this.blockBytes) };
  }

  /** The partly filled last block, zero-padded to DIRECT_ALIGN (truncate the file to `end` after writing it). */
  tail(): { write?: BlockWrite; end: number } {
    const end = this.start + this.fill;
    if (this.fill === 0) return { end };
    const length = Math.ceil(this.fill / DIRECT_ALIGN) * DIRECT_ALIGN;
    this.blocks[this.current].fill(0, this.fill, length);
    return { write: this.advance(length), end };
  }

  private advance(length: number): BlockWrite {
    const write = { bytes: this.blocks[this.current], length, at: this.start, index: this.current };
    this.start += this.blockBytes;
    this.current ^= 1;
    this.fill = 0;
    return write;
  }
}
