/**
 * `latent-translator export`: a saved translator as an ONNX graph, stitched
 * between an encoder and a decoder ONNX model, or its map W as a float32 .npy
 * (with the NumPy / PyTorch lines that apply it).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LatentError } from '../core/errors';
import { writeNpy } from '../core/io';
import { checkOutputs } from '../core/outputs';
import { onnxSignature, stitchChain, translatorToOnnx, writeOnnx, type StitchPart } from '../core/onnx';
import { translatorFromJson, type Translator } from '../core/translator';

export interface ExportCommand {
  translator: string;
  out: string;
  encoder?: string;
  decoder?: string;
  encoderOutput?: string;
  decoderInput?: string;
  /** ai.onnx opset of the translator graph (default 17). */
  opset?: number;
  force: boolean;
}

export const EXPORT_HELP = `latent-translator export --translator <translator.json> --out <file.onnx | file.npy> [options]

Exports a saved translator (the translator.json written by 'fit'):

  latent-translator export --translator t.json --out t.onnx
      one ONNX graph: input "source_embedding" float32 [batch, d_x] (raw source
      vectors) → output "target_embedding" float32 [batch, d_y] (raw target vectors),
      pre-processing, map and de-normalisation included (float32; matches
      'translate' to about 1e-5 relative)
  latent-translator export --translator t.json --encoder a.onnx --decoder b.onnx --out ab.onnx
      one model: encoder A → translator → decoder B; it takes A's input and gives
      B's outputs (names kept); either of --encoder / --decoder may be left out
  latent-translator export --translator t.json --out W.npy
      the map W (d_x × d_y, float32) alone, and the NumPy / PyTorch lines that
      apply it with the statistics in translator.json

  --encoder <a.onnx>       model whose output is a source embedding [batch, d_x]
  --decoder <b.onnx>       model whose input is a target embedding [batch, d_y]
  --encoder-output <name>  the encoder output to use, when it has several
  --decoder-input <name>   the decoder input to feed, when it has several
  --opset <n>              ai.onnx opset of the translator graph (13–21, default 17)
  --force                  overwrite --out`;

export async function runExport(o: ExportCommand): Promise<number> {
  const ext = path.extname(o.out).toLowerCase();
  if (ext !== '.onnx' && ext !== '.npy') throw new LatentError('usage', `--out must end in .onnx or .npy, got "${o.out}"`);
  if (ext === '.npy' && (o.encoder || o.decoder)) {
    throw new LatentError('usage', '--encoder / --decoder need an .onnx --out (a .npy holds the map W only)');
  }
  if (!o.encoder && o.encoderOutput) throw new LatentError('usage', '--encoder-output needs --encoder');
  if (!o.decoder && o.decoderInput) throw new LatentError('usage', '--decoder-input needs --decoder');
  await checkOutputs(path.dirname(o.out), [path.basename(o.out)], o.force);
  const t = await readTranslator(o.translator);

  if (ext === '.npy') {
    await writeNpy(o.out, t.map.W, { force: o.force });
    process.stdout.write(npyReport(t, o.out, o.translator));
    return 0;
  }

  let bytes = translatorToOnnx(t, { opset: o.opset });
  if (o.encoder || o.decoder) {
    const parts: StitchPart[] = [];
    if (o.encoder) {
      parts.push({ bytes: await readModel(o.encoder, 'encoder'), role: 'encoder', prefix: 'enc/', file: o.encoder, output: o.encoderOutput, outputOption: '--encoder-output' });
    }
    parts.push({ bytes, role: 'translator', prefix: 'tr/', file: o.translator });
    if (o.decoder) {
      parts.push({ bytes: await readModel(o.decoder, 'decoder'), role: 'decoder', prefix: 'dec/', file: o.decoder, input: o.decoderInput, inputOption: '--decoder-input' });
    }
    bytes = stitchChain(parts);
  }
  await writeOnnx(o.out, bytes, { force: o.force });
  const sig = onnxSignature(bytes);
  const chain = [o.encoder && `encoder ${o.encoder}`, `translator ${describe(t)}`, o.decoder && `decoder ${o.decoder}`].filter(Boolean).join(' → ');
  process.stdout.write(
    `wrote ${o.out} (${formatBytes(bytes.length)}): ${chain}\n` +
      sig.inputs.map((s) => `  input   ${s}\n`).join('') +
      sig.outputs.map((s) => `  output  ${s}\n`).join('') +
      (o.encoder || o.decoder ? '' : '  float32 graph; agrees with `latent-translator translate` to about 1e-5 relative\n'),
  );
  return 0;
}

async function readTranslator(file: string): Promise<Translator> {
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new LatentError('format', `cannot read the translator: ${(e as Error).message}`, file, { cause: e });
  }
  return translatorFromJson(json, file);
}

async function readModel(file: string, role: string): Promise<Uint8Array> {
  try {
    const st = await fs.stat(file);
    if (st.isDirectory()) throw new LatentError('io', `cannot read the ${role} model: is a directory`, file);
    return new Uint8Array(await fs.readFile(file));
  } catch (e) {
    if (e instanceof LatentError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
    throw new LatentError('io', `cannot read the ${role} model: ${why}`, file, { cause: e });
  }
}

function describe(t: Translator): string {
  return `${t.sourceDim} → ${t.targetDim}, ${t.method}, prep ${t.prep}`;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A Python string literal for a path (JSON escapes are valid Python escapes). */
const py = (s: string) => JSON.stringify(s);

/**
 * The lines that apply W with the translator's statistics: line 1 loads, line 2
 * pre-processes the raw source rows x, line 3 maps and de-normalises to raw target rows.
 */
export function applyLines(t: Translator, npyPath: string, translatorPath: string): { numpy: string[]; torch: string[] } {
  const l2 = t.prep === 'l2' || t.prep === 'center+l2';
  const hasScale = t.map.scale !== undefined && t.map.scale !== 1;
  const lines = (lib: 'numpy' | 'torch'): string[] => {
    const arr = (e: string) => (lib === 'numpy' ? `np.asarray(${e})` : `torch.tensor(${e})`);
    const load =
      lib === 'numpy'
        ? `import json, numpy as np; t = json.load(open(${py(translatorPath)})); W = np.load(${py(npyPath)})`
        : `import json, numpy as np, torch; t = json.load(open(${py(translatorPath)})); W = torch.from_numpy(np.load(${py(npyPath)}))`;
    let pre = 'x';
    if (t.sourcePrep.mean) pre = `(${pre} - ${arr('t["source"]["mean"]')})`;
    if (t.sourcePrep.scale) pre = `${pre} / ${arr('t["source"]["scale"]')}`;
    let prep = `xs = ${pre}`;
    if (l2) {
      prep +=
        lib === 'numpy'
          ? '; xs = xs / np.maximum(np.linalg.norm(xs, axis=1, keepdims=True), 1e-12)'
          : '; xs = torch.nn.functional.normalize(xs, dim=1, eps=1e-12)';
    }
    let y = '(xs @ W)';
    if (hasScale) y = `${y} * t["scale"]`;
    if (t.map.bias) y = `${y} + ${arr('t["bias"]')}`;
    if (l2) y = `(${y}) * t["target"]["meanNorm"]`;
    if (t.targetPrep.scale) y = `(${y}) * ${arr('t["target"]["scale"]')}`;
    if (t.targetPrep.mean) y = `${y} + ${arr('t["target"]["mean"]')}`;
    return [load, prep, `y = ${y}`];
  };
  return { numpy: lines('numpy'), torch: lines('torch') };
}

function npyReport(t: Translator, out: string, translatorPath: string): string {
  const { numpy, torch } = applyLines(t, out, translatorPath);
  const plain = !t.sourcePrep.mean && !t.sourcePrep.scale && t.prep === 'none' && !t.map.bias && (t.map.scale ?? 1) === 1 && !t.targetPrep.mean && !t.targetPrep.scale;
  return (
    `wrote ${out}: W, ${t.sourceDim} × ${t.targetDim} float32 (${t.method}, prep ${t.prep})\n` +
    (plain
      ? 'W maps raw source rows to raw target rows: y = x @ W.\n'
      : `W maps pre-processed source rows to pre-processed target rows; the statistics are in ${translatorPath}.\n`) +
    `Apply it to x (raw source rows, float32 [n, ${t.sourceDim}]) to get y (raw target rows [n, ${t.targetDim}]):\n\n` +
    `NumPy:\n${numpy.map((l) => `  ${l}\n`).join('')}\n` +
    `PyTorch (x a float32 tensor):\n${torch.map((l) => `  ${l}\n`).join('')}`
  );
}
