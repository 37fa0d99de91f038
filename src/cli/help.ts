import { METHOD_DESCRIPTIONS, METHOD_NAMES } from '../core/methods';
import { PREP_NAMES } from '../core/prep';

const methods = METHOD_NAMES.map((m) => `    ${m.padEnd(11)} ${METHOD_DESCRIPTIONS[m]}`).join('\n');

export const MAIN_HELP = `latent-translator — fit, evaluate and apply translations between embedding spaces
(Latent Space Translation via Semantic Alignment, Maiorca et al., NeurIPS 2023)

Usage:
  latent-translator fit --source <file> --target <file> --out <dir> [options]
  latent-translator compare --source <file> --target <file> [options]
  latent-translator translate --translator <translator.json> --input <file> --out <file>
  latent-translator embed --model <file.onnx> --input <file.npy> --out <file.npy>
  latent-translator export --translator <translator.json> --out <file.onnx|file.npy>
  latent-translator help [command]

Commands:
  fit        fit one translation, evaluate it, write result.json, translated.npy,
             translator.json, pairs.csv and view.json into --out
  compare    fit every method side by side on the same anchors and print a table
  translate  apply a saved translator to a file of source vectors (streams .npy)
  embed      run a local ONNX encoder on a .npy tensor, or a text encoder folder
             (tokenizer.json + model.onnx) on texts, and save the embeddings
  export     the translator as ONNX (alone, or stitched between an encoder and a
             decoder), or its map W as .npy

Formats read: .npy .npz .safetensors .csv .tsv .jsonl .ndjson .json .vec .txt (word2vec text)
              .bin (word2vec binary) .parquet
Run 'latent-translator help fit' for every option.`;

const INPUT_OPTIONS = `Inputs:
  --source <file>          source embeddings (the space you translate from)
  --target <file>          target embeddings (the space you translate into)
  --source-array <name>    member of a .npz, tensor of a .safetensors, field/column of json/parquet
  --target-array <name>    the same for the target
  --id-column <col>        csv/tsv/parquet column (name or 0-based index) or json field with row ids
  --label-column <col>     column or field with labels
  --source-metadata <tsv>  Embedding Projector metadata.tsv for a vectors.tsv source
  --target-metadata <tsv>  the same for the target
  --labels <file>          one label per source row (text, json or .npy), shown in pairs.csv

Anchors (the parallel pairs the map is fitted on):
  --anchors <file>         row indices (.npy, .json, or text one per line) into parallel files,
                           or ids (one per line) to join rows by id in any order
  --anchor-count <k>       take the first k entries of --anchors, or sample k pairs
                           (default without --anchors: half the pairs, at most 10000)
  --seed <s>               seed for sampling anchors (default 0)
  --join index|id|auto     pair rows by index or by id (default auto: by id when the lists hold ids)

Held-out pairs (evaluation; default: every paired row that is not an anchor):
  --test <file>            row indices or ids of held-out pairs in the same files
  --test-source <file>     separate held-out source file, row-parallel to
  --test-target <file>     this held-out target file

Stitching (the target space's decoder on translated source embeddings):
  --decoder <file.onnx>    the target's decoder: classifier (with --test-labels) or
                           reconstruction (autoencoder) model taking target embeddings
  --test-labels <file>     class index (0…C−1) per held-out pair, or per source row
  --test-inputs <file>     raw inputs (e.g. images, .npy of any rank) per held-out pair
                           or per source row: the originals shown beside the decoded
                           samples of a reconstruction decoder (uint8 shown as /255)

Fitting:
  --prep <name>            ${PREP_NAMES.join(' | ')} (default standard)
  --ridge <λ>              ridge penalty for affine (default 0)
  --threads <n>            ONNX Runtime threads (default: all cores)

Output:
  --json                   print the result JSON on stdout instead of a table
  --quiet                  no progress on stderr
  --force                  overwrite existing output files`;

export const FIT_HELP = `latent-translator fit --source <file> --target <file> --out <dir> [options]

Fits one translation on the anchors, translates the held-out source rows and
evaluates them against their true targets (and the anchors, to show over-fitting).

Writes into --out (created if needed; existing files are kept unless --force):
  result.json      inputs, options, diagnostics, held-out / anchor / baseline metrics
  translated.npy   float32 translation of the held-out source rows, in held-out order
  translator.json  everything needed to apply the map (latent-translator translate)
  pairs.csv        per held-out pair: key, label, cosine, residual norm, rank, CSLS rank
  view.json        the summaries and samples the VS Code results panel draws

  --method <name>          the map to fit (default ortho):
${methods}

${INPUT_OPTIONS}`;

export const COMPARE_HELP = `latent-translator compare --source <file> --target <file> [options]

Fits every method on the same anchors and prints held-out cosine, MSE, top-1/5,
MRR (plain and CSLS) and anchor cosine side by side, plus the no-translation
baseline when the dimensions match. The best value of each column is marked *.

  --methods <list>         comma-separated subset of: ${METHOD_NAMES.join(',')}
  --prep <name|all>        one pre-processing, or 'all' for every method × prep
  --out <dir>              also write compare.json and view.json (for the panel) there

${INPUT_OPTIONS}`;

export const TRANSLATE_HELP = `latent-translator translate --translator <translator.json> --input <file> --out <file>

Applies a saved translator to source vectors and writes raw target-space vectors.
A C-order .npy input is streamed in chunks with bounded memory through the same fused
float32 ONNX graph \`export\` writes (about 1e-5 relative to float64); other formats are
read whole and translated in float64. The output format follows --out's extension:
.npy (float32), .csv, .json.

  --input-array <name>     member / tensor / field of the input
  --chunk-rows <n>         rows per chunk (default: about 4 MB of input)
  --float64                stream in float64 instead of the float32 graph
  --threads <n>            ONNX Runtime threads (default: all cores)
  --force                  overwrite --out
  --quiet                  no progress on stderr`;
