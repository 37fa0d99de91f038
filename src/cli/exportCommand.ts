/**
 * `latent-translator export`: a saved translator as an ONNX graph, stitched
 * between an encoder and a decoder ONNX model, or its map W as a float32 .npy
 * (with the NumPy / PyTorch lines that apply it).
 */
import { exportTranslator, type ExportRequest } from '../core/onnx/exportFiles';
import type { Translator } from '../core/translator';

export type ExportCommand = ExportRequest;

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
  const done = await exportTranslator(o);
  const t = done.translator;
  if (done.kind === 'npy') {
    process.stdout.write(npyReport(t, o.out, o.translator));
    return 0;
  }
  const stitched = o.encoder || o.decoder;
  const chain = [o.encoder && `encoder ${o.encoder}`, `translator ${describe(t)}`, o.decoder && `decoder ${o.decoder}`].filter(Boolean).join(' → ');
  process.stdout.write(
    `wrote ${o.out} (${formatBytes(done.bytes)}): ${chain}\n` +
      done.signature.inputs.map((s) => `  input   ${s}\n`).join('') +
      done.signature.outputs.map((s) => `  output  ${s}\n`).join('') +
      (stitched ? '' : '  float32 graph; agrees with `latent-translator translate` to about 1e-5 relative\n'),
  );
  return 0;
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
