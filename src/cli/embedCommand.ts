/**
 * `latent-translator embed`: runs an ONNX encoder over a file of inputs (e.g. images)
 * and writes the embeddings as a float32 .npy. ONNX Runtime is loaded only when the
 * command runs (core/onnx/model.ts requires it lazily), so --help stays fast.
 */
import { LatentError } from '../core/errors';
import { formatShape } from '../core/io/common';
import { dtypeName, embedFile, formatScale } from '../core/onnx/embed';
import { isPooling, POOLINGS, type Pooling } from '../core/onnx/textEncoder';

export const EMBED_HELP = `latent-translator embed --model <file.onnx> --input <file.npy> --out <file.npy> [options]
latent-translator embed --model <folder> --input <texts.txt|.jsonl|.csv> --out <file.npy> [options]

Runs an ONNX model with one float input (batch axis first) over every row of the
input and writes the chosen output as a float32 .npy of shape (rows, d): the
embeddings of your own data, ready for fit / compare / translate.

The input is a .npy of any rank and numeric dtype with one row per item on its first
axis (streamed in chunks), or a 2-D matrix in any other readable format. Rows are
reshaped to the model's input shape when they hold as many values: (N, 28, 28) and
(N, 784) both become [N, 1, 28, 28] for an input declared [batch, 1, 28, 28].
An output with more than one axis per row is written flattened.

Text encoders: --model may be a local folder as sentence-transformers / transformers.js
export it: tokenizer.json (Hugging Face tokenizers format), optionally
tokenizer_config.json and config.json, and model.onnx or onnx/model.onnx
(onnx/model_quantized.onnx when there is neither) taking input_ids, attention_mask and
optionally token_type_ids. Nothing is downloaded. The input is a file of texts: .txt
(one per line; blank lines are skipped), .jsonl (a "text" field, optional "id") or
.csv (a "text" column, optional "id" column). Texts are truncated to --max-length
tokens, batched with padding, and last_hidden_state is pooled over the real tokens
(a sentence_embedding output is used as it is). The output is float32 (texts, hidden).

  --model <file.onnx|dir>  the model (ONNX Runtime, CPU), or a text encoder folder
  --input <file>           the model inputs, rows on the first axis; texts for a folder
  --out <file.npy>         where to write the outputs (float32, rows × d)
  --output <name>          model output to write (default: the only one)
  --batch-size <n>         rows per model call (default: about 16 MB of input; 32 texts)
  --scale <s>              multiply the input values by s, e.g. 1/255 or 0.5
                           (default: 1/255 for uint8 input, 1 otherwise)
  --input-array <name>     member / tensor / field of an .npz, .safetensors, json or parquet input
  --threads <n>            ONNX Runtime threads (default: all cores)
  --force                  overwrite --out (and --ids-out)
  --quiet                  no progress or notes on stderr

Text encoder options:
  --pooling mean|cls       mean over the real tokens (default), or the first (CLS) token
  --normalize              L2-normalize every embedding
  --max-length <n>         tokens per text, special tokens included (default: the tokenizer's
                           truncation or model_max_length, else 512; at most config.json's
                           max_position_embeddings)
  --text-field <name>      .jsonl field / .csv column holding the texts (default: text)
  --ids-out <file.txt>     also write one id per row: the input's "id" values, or the line
                           numbers of the texts when it has none`;

export interface EmbedCommand {
  model: string;
  input: string;
  out: string;
  output?: string;
  batchSize?: number;
  scale?: number;
  inputArray?: string;
  threads?: number;
  force: boolean;
  quiet?: boolean;
  signal?: AbortSignal;
  /** Text encoders (--model a folder): */
  pooling?: Pooling;
  normalize?: boolean;
  maxLength?: number;
  textField?: string;
  idsOut?: string;
}

/** Parses --pooling. */
export function parsePooling(s: string): Pooling {
  if (!isPooling(s)) throw new LatentError('usage', `--pooling must be ${POOLINGS.join(' or ')}, got "${s}"`);
  return s;
}

/** Parses --scale: a number ("0.5", "1e-3") or a fraction ("1/255"). */
export function parseScale(s: string): number {
  const m = /^\s*([^/\s]+)\s*\/\s*([^/\s]+)\s*$/.exec(s);
  const num = (t: string): number => (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN);
  const v = m ? num(m[1]) / num(m[2]) : num(s.trim());
  if (!Number.isFinite(v) || v === 0) throw new LatentError('usage', `--scale must be a non-zero number or fraction such as 1/255, got "${s}"`);
  return v;
}

export async function runEmbed(o: EmbedCommand): Promise<number> {
  const tty = !o.quiet && process.stderr.isTTY;
  let shown = -1;
  const clear = tty ? '\x1b[2K\r' : '';
  const onProgress = tty
    ? (f: number) => {
        const pct = Math.floor(f * 100);
        if (pct !== shown) {
          shown = pct;
          process.stderr.write(`\r  embed… ${pct}%`);
        }
      }
    : undefined;
  const onMessage = o.quiet ? undefined : (text: string) => process.stderr.write(`${shown >= 0 ? clear : ''}${text}\n`);
  const t0 = performance.now();
  let r;
  try {
    r = await embedFile({
      model: o.model,
      input: o.input,
      out: o.out,
      outputName: o.output,
      batchSize: o.batchSize,
      scale: o.scale,
      inputArray: o.inputArray,
      threads: o.threads,
      force: o.force,
      signal: o.signal,
      onProgress,
      onMessage,
      pooling: o.pooling,
      normalize: o.normalize || undefined,
      maxLength: o.maxLength,
      textField: o.textField,
      idsOut: o.idsOut,
    });
  } finally {
    if (shown >= 0) process.stderr.write(clear);
  }
  const ms = performance.now() - t0;
  const time = ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
  if (r.text) {
    const t = r.text;
    const how = t.pooling === 'model' ? `"${r.outputName}"` : `${t.pooling}-pooled "${r.outputName}"`;
    process.stderr.write(
      `embedded ${r.rows} texts from ${o.input} with ${t.modelFile} → ${how}${t.normalized ? ', L2-normalized' : ''} (${r.rows} × ${r.dims}) into ${r.out} in ${time}\n`,
    );
    return 0;
  }
  process.stderr.write(
    `embedded ${r.rows} rows (${dtypeName(r.inputDtype)} ${formatShape(r.inputShape)}, scale ${formatScale(r.scale)}) with ${o.model} → "${r.outputName}" (${r.rows} × ${r.dims}) into ${r.out} in ${time}\n`,
  );
  return 0;
}

