// Checks the ONNX models of the bundled sample against its saved embeddings.
//   node scripts/check_sample_onnx.mjs [samples/fmnist]
// For every space in manifest.json: the encoder run on images_test.npy (uint8 / 255,
// shape [1000,1,28,28]) must reproduce rows 2000..2999 of <space>.npy to 1e-4 max abs
// difference, and the classifier run on those saved rows must reach exactly the
// manifest's test_correct_sample. The AE decoder must return [1000,784] values in [0,1].
// Exits 1 on any mismatch.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'samples', 'fmnist'));
const TOL = 1e-4;

/** Minimal .npy reader: versions 1-3, little-endian, C order, dtypes <f4 <f8 <i8 |u1. */
function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order not supported`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const types = { '<f4': Float32Array, '<f8': Float64Array, '<i8': BigInt64Array, '|u1': Uint8Array };
  const T = types[descr];
  if (!T) throw new Error(`${path}: unsupported dtype ${descr}`);
  const bytes = buf.subarray(start, start + count * T.BYTES_PER_ELEMENT);
  const data = new T(count);
  new Uint8Array(data.buffer).set(bytes); // copy: the payload offset need not be aligned
  return { shape, data, descr };
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const testIdx = readNpy(join(dir, 'test_idx.npy')).data;
const labels = readNpy(join(dir, 'labels.npy')).data;
const images = readNpy(join(dir, 'images_test.npy'));
const nTest = testIdx.length;
const first = Number(testIdx[0]);
if (images.shape[0] !== nTest || images.shape[1] !== 28 || images.shape[2] !== 28) throw new Error(`images_test.npy: unexpected shape [${images.shape}]`);
for (let i = 0; i < nTest; i++) if (Number(testIdx[i]) !== first + i) throw new Error('test_idx.npy is not a contiguous range');
const pixels = Float32Array.from(images.data, (v) => v / 255);
const imageTensor = new ort.Tensor('float32', pixels, [nTest, 1, 28, 28]);

let failures = 0;
const check = (ok, msg) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); if (!ok) failures++; };

async function run(file, inputName, outputName, tensor) {
  const session = await ort.InferenceSession.create(join(dir, file));
  check(session.inputNames[0] === inputName && session.outputNames[0] === outputName,
    `${file}: io names ${session.inputNames[0]} -> ${session.outputNames[0]}`);
  return (await session.run({ [inputName]: tensor }))[outputName];
}

console.log(`sample: ${dir} (rows ${first}..${first + nTest - 1})`);
for (const space of manifest.spaces) {
  const emb = readNpy(join(dir, space.file));
  const d = space.latent_dim;
  check(emb.descr === '<f4' && emb.shape[0] === manifest.n && emb.shape[1] === d, `${space.file}: ${emb.descr} [${emb.shape}]`);
  const rows = emb.data.subarray(first * d, (first + nTest) * d);

  const enc = space.models.encoder;
  const out = await run(enc.file, enc.input.name, enc.output.name, imageTensor);
  let maxDiff = 0;
  for (let i = 0; i < rows.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - rows[i]));
  check(out.dims.join() === `${nTest},${d}` && maxDiff <= TOL,
    `${enc.file}: [${out.dims}] vs ${space.file} rows: max abs diff ${maxDiff.toExponential(2)} (tol ${TOL})`);

  const cls = space.models.classifier;
  const logits = await run(cls.file, cls.input.name, cls.output.name, new ort.Tensor('float32', Float32Array.from(rows), [nTest, d]));
  let correct = 0;
  for (let i = 0; i < nTest; i++) {
    const row = logits.data.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === Number(labels[first + i])) correct++;
  }
  check(correct === space.test_correct_sample,
    `${cls.file}: accuracy on the ${nTest} test rows ${(correct / nTest).toFixed(4)} (manifest ${space.test_accuracy_sample})`);

  const dec = space.models.decoder;
  if (dec) {
    const rec = await run(dec.file, dec.input.name, dec.output.name, new ort.Tensor('float32', Float32Array.from(rows), [nTest, d]));
    let lo = Infinity, hi = -Infinity, se = 0;
    for (let i = 0; i < rec.data.length; i++) {
      lo = Math.min(lo, rec.data[i]); hi = Math.max(hi, rec.data[i]);
      se += (rec.data[i] - pixels[i]) ** 2;
    }
    check(rec.dims.join() === `${nTest},784` && lo >= 0 && hi <= 1,
      `${dec.file}: [${rec.dims}] in [${lo.toFixed(3)}, ${hi.toFixed(3)}], MSE on the ${nTest} test rows ${(se / rec.data.length).toFixed(5)} (manifest, all 10k: ${space.reconstruction_mse_test})`);
  }
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
