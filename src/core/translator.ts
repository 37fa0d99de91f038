/**
 * The fitted translator, scikit-learn style: `fitTranslator` estimates it from
 * parallel anchors, `translate` applies it to raw source rows and returns raw
 * target rows (method.md §1.2: normalise with source-anchor statistics, map,
 * de-normalise with target-anchor statistics).
 */
import type { Linalg } from './backend';
import { LatentError } from './errors';
import { matrix, type Matrix } from './matrix';
import { AnchorProducts, fitMethod, type FittedMap, type MethodName, type MethodOptions } from './methods';
import { applyPrep, fitPrep, invertPrep, type PrepName, type PrepState } from './prep';
import { diagnose, type Diagnostics } from './diagnostics';

export const TRANSLATOR_SCHEMA = 'latent-translator/translator';
export const TRANSLATOR_VERSION = 1;

export interface Translator {
  method: MethodName;
  prep: PrepName;
  sourceDim: number;
  targetDim: number;
  sourcePrep: PrepState;
  targetPrep: PrepState;
  map: FittedMap;
  ridge?: number;
  anchorCount: number;
}

export interface FitOptions extends MethodOptions {
  method: MethodName;
  prep: PrepName;
}

/** Pre-processed anchors for one prep, shared by every method fitted on them. */
export interface PreparedAnchors {
  prep: PrepName;
  sourcePrep: PrepState;
  targetPrep: PrepState;
  products: AnchorProducts;
}

export function prepareAnchors(x: Matrix, y: Matrix, prep: PrepName, la: Linalg): PreparedAnchors {
  if (x.rows !== y.rows) {
    throw new LatentError('anchors', `source has ${x.rows} anchor rows but target has ${y.rows}: anchors must be parallel`);
  }
  if (x.rows < 2) throw new LatentError('anchors', `at least 2 anchors are needed, got ${x.rows}`);
  checkMagnitude(x, 'source');
  checkMagnitude(y, 'target');
  const sx = fitPrep(prep, x);
  const sy = fitPrep(prep, y);
  return { prep, sourcePrep: sx.state, targetPrep: sy.state, products: new AnchorProducts(sx.transformed, sy.transformed, la) };
}

/**
 * Sums of squares of values beyond ~1e150 overflow float64 to Infinity and every
 * figure turns into NaN; no embedding model produces such values, so refuse them.
 */
const MAX_MAGNITUDE = 1e100;

function checkMagnitude(m: Matrix, side: string): void {
  let max = 0;
  for (let i = 0; i < m.data.length; i++) max = Math.max(max, Math.abs(m.data[i]));
  if (max > MAX_MAGNITUDE) {
    throw new LatentError('value', `${side} anchor values reach ${max.toExponential(1)}: their squares overflow float64; rescale the embeddings (e.g. divide by ${max.toExponential(0)})`);
  }
}

export async function fitTranslator(
  prepared: PreparedAnchors,
  options: FitOptions,
  la: Linalg,
): Promise<{ translator: Translator; diagnostics: Diagnostics }> {
  const { products } = prepared;
  const map = await fitMethod(options.method, products, la, options);
  const translator: Translator = {
    method: options.method,
    prep: prepared.prep,
    sourceDim: products.xs.cols,
    targetDim: products.ys.cols,
    sourcePrep: prepared.sourcePrep,
    targetPrep: prepared.targetPrep,
    map,
    ridge: options.method === 'affine' ? (options.ridge ?? 0) : undefined,
    anchorCount: products.xs.rows,
  };
  const diagnostics = await diagnose(translator, products);
  return { translator, diagnostics };
}

/** Translates raw source rows to raw target rows (float64). Chunk large inputs at the caller. */
export async function translate(t: Translator, x: Matrix, la: Linalg): Promise<Matrix> {
  if (x.cols !== t.sourceDim) {
    throw new LatentError('shape', `translator expects ${t.sourceDim}-dimensional source vectors, got ${x.cols}`);
  }
  const xs = applyPrep(t.sourcePrep, x);
  const scale = t.map.scale ?? 1;
  // y = s·(xs·W) + b, the order translator.json documents (no method has both today)
  const y = await la.matmul(xs, t.map.W, scale === 1 ? t.map.bias : undefined);
  if (scale !== 1) {
    const b = t.map.bias;
    const d = y.cols;
    for (let i = 0; i < y.data.length; i++) y.data[i] = y.data[i] * scale + (b ? b[i % d] : 0);
  }
  return invertPrep(t.targetPrep, matrix(y.rows, y.cols, y.data instanceof Float64Array ? y.data : Float64Array.from(y.data)));
}

// ---- serialisation (translator.json) ----

interface EncodedMatrix {
  shape: [number, number];
  dtype: 'float64';
  /** little-endian float64, base64 */
  base64: string;
}

export interface TranslatorJson {
  schema: typeof TRANSLATOR_SCHEMA;
  version: number;
  method: MethodName;
  prep: PrepName;
  sourceDim: number;
  targetDim: number;
  anchorCount: number;
  /** How to apply it, in words, for users reading the file. */
  formula: string;
  source: PrepState;
  target: PrepState;
  W: EncodedMatrix;
  bias?: number[];
  scale?: number;
  ridge?: number;
  determinant?: number;
}

export function translatorToJson(t: Translator): TranslatorJson {
  return {
    schema: TRANSLATOR_SCHEMA,
    version: TRANSLATOR_VERSION,
    method: t.method,
    prep: t.prep,
    sourceDim: t.sourceDim,
    targetDim: t.targetDim,
    anchorCount: t.anchorCount,
    formula:
      'xs = (x - source.mean) / source.scale; if prep has l2: xs /= |xs|; ' +
      'y = scale * (xs @ W) + bias; if prep has l2: y *= target.meanNorm; y = y * target.scale + target.mean ' +
      '(missing fields: mean 0, scale 1, bias 0)',
    source: t.sourcePrep,
    target: t.targetPrep,
    W: encodeMatrix(t.map.W),
    bias: t.map.bias ? Array.from(t.map.bias) : undefined,
    scale: t.map.scale,
    ridge: t.ridge,
    determinant: t.map.determinant,
  };
}

export function translatorFromJson(json: unknown, file?: string): Translator {
  const j = json as Partial<TranslatorJson>;
  if (!j || j.schema !== TRANSLATOR_SCHEMA) throw new LatentError('format', `not a latent-translator translator file (schema "${String(j?.schema)}")`, file);
  if (j.version !== TRANSLATOR_VERSION) throw new LatentError('unsupported', `translator version ${j.version} is not supported (expected ${TRANSLATOR_VERSION})`, file);
  if (!j.W || !j.source || !j.target || !j.method || !j.prep || !j.sourceDim || !j.targetDim) {
    throw new LatentError('format', 'translator file is missing fields', file);
  }
  const W = decodeMatrix(j.W, file);
  if (W.rows !== j.sourceDim || W.cols !== j.targetDim) {
    throw new LatentError('shape', `W is ${W.rows}×${W.cols} but the file says ${j.sourceDim}→${j.targetDim}`, file);
  }
  return {
    method: j.method,
    prep: j.prep,
    sourceDim: j.sourceDim,
    targetDim: j.targetDim,
    sourcePrep: j.source,
    targetPrep: j.target,
    map: { W, bias: j.bias ? Float64Array.from(j.bias) : undefined, scale: j.scale, determinant: j.determinant },
    ridge: j.ridge,
    anchorCount: j.anchorCount ?? 0,
  };
}

function encodeMatrix(m: Matrix): EncodedMatrix {
  const f64 = m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
  const bytes = Buffer.from(f64.buffer, f64.byteOffset, f64.byteLength);
  return { shape: [m.rows, m.cols], dtype: 'float64', base64: bytes.toString('base64') };
}

function decodeMatrix(e: EncodedMatrix, file?: string): Matrix {
  const bytes = Buffer.from(e.base64, 'base64');
  const [r, c] = e.shape;
  if (bytes.length !== r * c * 8) throw new LatentError('format', `W holds ${bytes.length} bytes, expected ${r * c * 8} for ${r}×${c} float64`, file);
  const data = new Float64Array(r * c);
  new Uint8Array(data.buffer).set(bytes);
  return matrix(r, c, data);
}
