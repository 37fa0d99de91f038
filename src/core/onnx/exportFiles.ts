/**
 * Writes a saved translator as a file users deploy: one ONNX graph, the
 * graph stitched between an encoder and a decoder model, or the map W as a
 * float32 .npy. Shared by `latent-translator export` and the extension.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LatentError } from '../errors';
import { writeNpy } from '../io';
import { EXPORT_MODEL, refusePickle } from '../io/pickle';
import { checkOutputs } from '../outputs';
import { translatorFromJson, type Translator } from '../translator';
import { onnxSignature, stitchChain, translatorToOnnx, writeOnnx, type StitchPart } from './index';

export interface ExportRequest {
  translator: string;
  out: string;
  encoder?: string;
  decoder?: string;
  encoderOutput?: string;
  decoderInput?: string;
  /** ai.onnx opset of the translator graph (default 17). */
  opset?: number;
  force: boolean;
  /** Checked between the steps (read, stitch, write): LatentError('cancelled'), nothing written. */
  signal?: AbortSignal;
}

export type ExportDone =
  | { kind: 'npy'; translator: Translator }
  | { kind: 'onnx'; translator: Translator; bytes: number; signature: { inputs: string[]; outputs: string[] } };

export async function exportTranslator(o: ExportRequest): Promise<ExportDone> {
  const ext = path.extname(o.out).toLowerCase();
  if (ext !== '.onnx' && ext !== '.npy') throw new LatentError('usage', `--out must end in .onnx or .npy, got "${o.out}"`);
  if (ext === '.npy' && (o.encoder || o.decoder)) {
    throw new LatentError('usage', '--encoder / --decoder need an .onnx --out (a .npy holds the map W only)');
  }
  if (!o.encoder && o.encoderOutput) throw new LatentError('usage', '--encoder-output needs --encoder');
  if (!o.decoder && o.decoderInput) throw new LatentError('usage', '--decoder-input needs --decoder');
  for (const model of [o.encoder, o.decoder]) if (model) refusePickle(model, EXPORT_MODEL);
  await checkOutputs(path.dirname(o.out), [path.basename(o.out)], o.force);
  const cancelled = () => {
    if (o.signal?.aborted) throw new LatentError('cancelled', 'cancelled');
  };
  const t = await readTranslator(o.translator);
  cancelled();

  if (ext === '.npy') {
    await writeNpy(o.out, t.map.W, { force: o.force });
    return { kind: 'npy', translator: t };
  }
  let bytes = translatorToOnnx(t, { opset: o.opset });
  if (o.encoder || o.decoder) {
    const parts: StitchPart[] = [];
    if (o.encoder) {
      parts.push({ bytes: await readModel(o.encoder, 'encoder'), role: 'encoder', prefix: 'enc/', file: o.encoder, output: o.encoderOutput, outputOption: '--encoder-output' });
    }
    parts.push({ bytes, role: 'translator', prefix: 'tr/', file: o.translator });
    cancelled();
    if (o.decoder) {
      parts.push({ bytes: await readModel(o.decoder, 'decoder'), role: 'decoder', prefix: 'dec/', file: o.decoder, input: o.decoderInput, inputOption: '--decoder-input' });
    }
    cancelled();
    bytes = stitchChain(parts);
  }
  cancelled();
  await writeOnnx(o.out, bytes, { force: o.force, signal: o.signal });
  return { kind: 'onnx', translator: t, bytes: bytes.length, signature: onnxSignature(bytes) };
}

export async function readTranslator(file: string): Promise<Translator> {
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new LatentError('format', `cannot read the translator: ${(e as Error).message}`, file, { cause: e });
  }
  return translatorFromJson(json, file);
}

async function readModel(file: string, role: string): Promise<Uint8Array> {
  refusePickle(file, EXPORT_MODEL);
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
