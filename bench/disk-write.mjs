/**
 * The translate suite's disk probe: writes `bytes` to `file` as `translate` writes its output
 * (O_DIRECT where the platform has it, page-aligned 4 MiB blocks, one write at a time, then fsync) and
 * prints the seconds it took. Run beside ONNX Runtime's in-memory MatMul, it measures what the
 * disk takes while the cores are busy: `translate` must have its output on the disk before it
 * returns, so it cannot be faster than this.
 *
 * node bench/disk-write.mjs FILE BYTES
 */
import { constants, promises as fsp, rmSync } from 'node:fs';

const [file, bytesArg] = process.argv.slice(2);
const total = Number(bytesArg);
const BLOCK = 4 * 2 ** 20;
// a WebAssembly.Memory is page-aligned, as O_DIRECT needs (src/core/io/alignedBlocks.ts)
const block = new Uint8Array(new WebAssembly.Memory({ initial: BLOCK / 65536 }).buffer).fill(0x3f);
const direct = constants.O_DIRECT ?? 0;
const fh = await fsp.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | direct);
const t0 = process.hrtime.bigint();
for (let at = 0; at < total; at += BLOCK) await fh.write(block, 0, Math.min(BLOCK, Math.ceil((total - at) / 4096) * 4096), at);
await fh.sync();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
await fh.close();
rmSync(file, { force: true });
process.stdout.write(`${seconds}\n`);
