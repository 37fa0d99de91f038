/**
 * Model stitching: encoder A → translator → decoder B as one ONNX model that
 * takes A's raw input and gives B's output.
 *
 * Each sub-graph keeps its nodes and initializers, renamed with a prefix
 * (`enc/`, `tr/`, `dec/`) so nothing collides; the encoder's graph inputs and
 * the decoder's graph outputs keep their names. The encoder's output becomes
 * the translator's input and the translator's output the decoder's input
 * (by renaming, no extra nodes). A graph holds one opset version per domain,
 * so the opset imports are merged by taking the highest version of each
 * domain; models whose nodes would change meaning under that version are
 * refused with the operator and the versions involved.
 *
 * Limits: tensors in external data files are refused (the stitched bytes
 * have no directory to resolve them against); training_info is dropped;
 * fields newer than the ONNX 1.10 schema of onnx-proto (e.g. IR 10 node
 * metadata) are not carried over.
 */
import { onnx } from 'onnx-proto';
import { LatentError } from '../errors';
import { TOOL_VERSION } from '../version';

export interface StitchOptions {
  /** Encoder output to feed the translator, when the encoder has several outputs. */
  encoderOutput?: string;
  /** Decoder input to feed from the translator, when the decoder has several inputs. */
  decoderInput?: string;
  /** Labels for error messages (usually the file paths): the error names that file. */
  names?: { encoder?: string; translator?: string; decoder?: string };
}

/** One model of a chain. The parts are connected output → input in order. */
export interface StitchPart {
  bytes: Uint8Array;
  /** Role in messages, e.g. "encoder". */
  role: string;
  /** Name prefix of its nodes, values and initializers, e.g. "enc/". */
  prefix: string;
  /** File the bytes came from (named by errors). */
  file?: string;
  /** Graph input that receives the previous part's output (default: the only one). */
  input?: string;
  /** Graph output passed to the next part (default: the only one). */
  output?: string;
  /** How a user picks the input/output, shown when it is ambiguous (e.g. "--decoder-input"). */
  inputOption?: string;
  outputOption?: string;
}

/**
 * Merges encoder → translator → decoder (three serialized ModelProtos) into one
 * model. Throws LatentError naming the model (options.names) for bytes that are
 * not ONNX, unconnectable inputs/outputs, shape or type mismatches and opset
 * conflicts.
 */
export function stitchModels(encoder: Uint8Array, translator: Uint8Array, decoder: Uint8Array, options: StitchOptions = {}): Uint8Array {
  return stitchChain([
    { bytes: encoder, role: 'encoder', prefix: 'enc/', file: options.names?.encoder, output: options.encoderOutput, outputOption: 'encoderOutput (--encoder-output)' },
    { bytes: translator, role: 'translator', prefix: 'tr/', file: options.names?.translator },
    { bytes: decoder, role: 'decoder', prefix: 'dec/', file: options.names?.decoder, input: options.decoderInput, inputOption: 'decoderInput (--decoder-input)' },
  ]);
}

/** The general form: any chain of two or more models (e.g. encoder → translator alone). */
export function stitchChain(parts: StitchPart[]): Uint8Array {
  if (parts.length < 2) throw new LatentError('usage', 'stitching needs at least two models');
  const models = parts.map((p) => decodeModel(p));
  const last = parts.length - 1;

  // ---- which values connect the parts ----
  const inputs: (onnx.IValueInfoProto | undefined)[] = [undefined];
  const outputs: (onnx.IValueInfoProto | undefined)[] = [];
  for (let i = 0; i < last; i++) {
    outputs.push(connectedOutput(parts[i], models[i]));
    inputs.push(connectedInput(parts[i + 1], models[i + 1]));
    checkCompatible(parts[i], outputs[i]!, parts[i + 1], inputs[i + 1]!);
  }

  // ---- opsets ----
  const opsets = mergeOpsets(parts, models);

  // ---- rename and merge ----
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const sparse: onnx.ISparseTensorProto[] = [];
  const graphInputs: onnx.IValueInfoProto[] = [];
  const graphOutputs: onnx.IValueInfoProto[] = [];
  const valueInfo: onnx.IValueInfoProto[] = [];
  const annotations: onnx.ITensorAnnotation[] = [];
  let previousOutput = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const g = models[i].graph!;
    const inits = new Set(list(g.initializer).map((t) => t.name ?? ''));
    const keep = new Set<string>();
    if (i === 0) for (const v of list(g.input)) keep.add(v.name ?? '');
    if (i === last) for (const v of list(g.output)) keep.add(v.name ?? '');
    const connected = inputs[i]?.name;
    const upstream = previousOutput;
    const rn = (name: string): string => {
      if (name === '') return '';
      if (connected !== undefined && name === connected) return upstream;
      if (keep.has(name)) return name;
      return p.prefix + name;
    };
    const r = renameGraph(g, rn, p.prefix);
    nodes.push(...list(r.node));
    initializers.push(...list(r.initializer));
    sparse.push(...list(r.sparseInitializer));
    annotations.push(...list(r.quantizationAnnotation));
    valueInfo.push(...list(r.valueInfo));
    if (i === 0) {
      graphInputs.push(...list(g.input));
    } else {
      // the connected input is fed by the previous part; initializer-backed inputs are constants;
      // any other input stays an input of the stitched model
      valueInfo.push({ ...inputs[i]!, name: upstream });
      for (const v of list(g.input)) {
        const name = v.name ?? '';
        if (name !== connected && !inits.has(name)) graphInputs.push({ ...v, name: rn(name) });
      }
    }
    if (i === last) {
      for (const v of list(g.output)) {
        const name = v.name ?? '';
        const mapped = rn(name);
        if (mapped !== name) {
          // the model passes its input straight through: keep the output name with an Identity
          nodes.push({ name: `${p.prefix}passthrough/${name}`, opType: 'Identity', domain: '', input: [mapped], output: [name] });
        }
        graphOutputs.push({ ...v, name });
      }
    } else {
      previousOutput = rn(outputs[i]!.name ?? '');
      valueInfo.push({ ...outputs[i]!, name: previousOutput });
    }
  }

  // ---- every value defined once ----
  checkUnique(parts, graphInputs, initializers, sparse, nodes, graphOutputs);
  const ioNames = new Set([...graphInputs, ...graphOutputs].map((v) => v.name));
  const seen = new Set<string>();
  const info = valueInfo.filter((v) => {
    const name = v.name ?? '';
    if (!name || ioNames.has(name) || seen.has(name)) return false;
    seen.add(name);
    return true;
  });

  const functions = mergeFunctions(parts, models);
  const irVersion = Math.max(...models.map((m) => toNumber(m.irVersion)));
  const chain = parts.map((p, i) => `${p.role} (${describeModel(models[i])})`).join(' → ');
  const metadata: onnx.IStringStringEntryProto[] = [{ key: 'stitched', value: parts.map((p) => p.role).join(' → ') }];
  for (let i = 0; i < parts.length; i++) {
    const m = models[i];
    metadata.push({ key: `${parts[i].role}.producer`, value: describeModel(m) });
    for (const e of list(m.metadataProps)) metadata.push({ key: `${parts[i].role}.${e.key ?? ''}`, value: e.value ?? '' });
  }

  const model = onnx.ModelProto.create({
    irVersion,
    producerName: 'latent-translator',
    producerVersion: TOOL_VERSION,
    docString: `Stitched by latent-translator ${TOOL_VERSION}: ${chain}.`,
    opsetImport: opsets,
    metadataProps: metadata,
    functions,
    graph: {
      name: 'latent_translator_stitched',
      docString: `${chain}. Sub-graph names are prefixed ${parts.map((p) => `"${p.prefix}"`).join(', ')}.`,
      node: nodes,
      initializer: initializers,
      sparseInitializer: sparse,
      input: graphInputs,
      output: graphOutputs,
      valueInfo: info,
      quantizationAnnotation: annotations,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- decoding and checks ----

const where = (p: StitchPart) => (p.file ? `the ${p.role}` : `the ${p.role} model`);

function fail(code: 'format' | 'shape' | 'unsupported' | 'usage', p: StitchPart, message: string): LatentError {
  return new LatentError(code, message, p.file);
}

/** Decodes and sanity-checks a ModelProto: random bytes often decode "successfully" as protobuf. */
function decodeModel(p: StitchPart): onnx.ModelProto {
  const notOnnx = (why: string, cause?: unknown) =>
    new LatentError('format', `${where(p)} is not an ONNX model (${why})`, p.file, cause === undefined ? undefined : { cause });
  if (p.bytes.length === 0) throw notOnnx('the file is empty');
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(p.bytes);
  } catch (e) {
    throw notOnnx(`the bytes do not decode as an ONNX ModelProto: ${(e as Error).message}`, e);
  }
  const ir = toNumber(m.irVersion);
  if (!m.graph) throw notOnnx('it has no graph');
  if (!(ir >= 3 && ir <= 100)) throw notOnnx(`IR version ${ir} is not one ONNX defines`);
  if (list(m.opsetImport).length === 0) throw notOnnx('it imports no operator set');
  if (list(m.graph.output).length === 0) throw notOnnx('its graph has no outputs');
  for (const n of list(m.graph.node)) {
    if (!n.opType) throw notOnnx('a node has no operator type');
  }
  for (const t of allTensors(m.graph)) {
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      throw fail(
        'unsupported',
        p,
        `${where(p)} keeps tensor "${t.name ?? ''}" in an external data file; save it with the tensors inside the .onnx (onnx.save_model(m, path, save_as_external_data=False)) before stitching`,
      );
    }
  }
  return m;
}

function realInputs(g: onnx.IGraphProto): onnx.IValueInfoProto[] {
  const inits = new Set(list(g.initializer).map((t) => t.name ?? ''));
  return list(g.input).filter((v) => !inits.has(v.name ?? ''));
}

function connectedInput(p: StitchPart, m: onnx.ModelProto): onnx.IValueInfoProto {
  const candidates = realInputs(m.graph!);
  const names = candidates.map((v) => `"${v.name ?? ''}"`).join(', ');
  if (p.input !== undefined) {
    const v = candidates.find((c) => c.name === p.input);
    if (!v) throw fail('usage', p, `${where(p)} has no input "${p.input}" (its inputs: ${names || 'none'})`);
    return v;
  }
  if (candidates.length !== 1) {
    throw fail(
      'usage',
      p,
      `${where(p)} has ${candidates.length} inputs (${names || 'none'}); ` +
        (p.inputOption ? `name the one that takes the embedding with ${p.inputOption}` : 'it must have exactly one'),
    );
  }
  return candidates[0];
}

function connectedOutput(p: StitchPart, m: onnx.ModelProto): onnx.IValueInfoProto {
  const outs = list(m.graph!.output);
  const names = outs.map((v) => `"${v.name ?? ''}"`).join(', ');
  if (p.output !== undefined) {
    const v = outs.find((c) => c.name === p.output);
    if (!v) throw fail('usage', p, `${where(p)} has no output "${p.output}" (its outputs: ${names})`);
    return v;
  }
  if (outs.length !== 1) {
    throw fail(
      'usage',
      p,
      `${where(p)} has ${outs.length} outputs (${names}); ` + (p.outputOption ? `name the embedding output with ${p.outputOption}` : 'it must have exactly one'),
    );
  }
  return outs[0];
}

const ELEM_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

interface ShapeInfo {
  elem: number; // 0: unknown
  dims?: (number | string | undefined)[]; // undefined: unknown rank; a dim: number, symbol, or unknown
  kind: 'tensor' | 'other';
}

const own = (o: object | null | undefined, k: string) => !!o && Object.prototype.hasOwnProperty.call(o, k);

function shapeOf(v: onnx.IValueInfoProto): ShapeInfo {
  const tt = v.type?.tensorType;
  if (!tt) return { elem: 0, kind: v.type && Object.keys(v.type).length > 0 ? 'other' : 'tensor' };
  const elem = tt.elemType ?? 0;
  if (!own(tt, 'shape') || !tt.shape) return { elem, kind: 'tensor' };
  const dims = list(tt.shape.dim).map((d) => (own(d, 'dimValue') ? toNumber(d.dimValue) : own(d, 'dimParam') && d.dimParam ? d.dimParam : undefined));
  return { elem, dims, kind: 'tensor' };
}

export function describeValue(v: onnx.IValueInfoProto): string {
  const s = shapeOf(v);
  if (s.kind === 'other') return 'a non-tensor value';
  const elem = s.elem ? (ELEM_NAMES[s.elem] ?? `type ${s.elem}`) : 'tensor';
  const dims = s.dims ? `[${s.dims.map((d) => (d === undefined ? '?' : String(d))).join(', ')}]` : '[unknown shape]';
  return `${elem} ${dims}`;
}

/** Static dims must be equal, ranks and element types too (when both sides declare them). */
function checkCompatible(producer: StitchPart, out: onnx.IValueInfoProto, consumer: StitchPart, inp: onnx.IValueInfoProto): void {
  const a = shapeOf(out);
  const b = shapeOf(inp);
  let problem: string | undefined;
  if (a.kind !== 'tensor' || b.kind !== 'tensor') problem = 'only tensor values can be connected';
  else if (a.elem && b.elem && a.elem !== b.elem) problem = 'the element types differ';
  else if (a.dims && b.dims && a.dims.length !== b.dims.length) problem = `the ranks differ (${a.dims.length} vs ${b.dims.length})`;
  else if (a.dims && b.dims) {
    const k = a.dims.findIndex((d, i) => typeof d === 'number' && typeof b.dims![i] === 'number' && d !== b.dims![i]);
    if (k >= 0) problem = `dimension ${k} differs (${String(a.dims[k])} vs ${String(b.dims[k])})`;
  }
  if (!problem) return;
  const outDesc = `${describeValue(out)} (output "${out.name ?? ''}")`;
  const inDesc = `${describeValue(inp)} (input "${inp.name ?? ''}")`;
  // blame the model the user chose to put around the translator
  if (consumer.role === 'translator') {
    throw fail(
      'shape',
      producer,
      `cannot connect ${where(producer)} to the ${consumer.role}${consumer.file ? ` ${consumer.file}` : ''}: ${problem}. ` +
        `The ${consumer.role} expects ${inDesc}, but ${where(producer)} gives ${outDesc}`,
    );
  }
  throw fail(
    'shape',
    consumer,
    `cannot connect the ${producer.role}${producer.file ? ` ${producer.file}` : ''} to ${where(consumer)}: ${problem}. ` +
      `The ${producer.role} gives ${outDesc}, so ${where(consumer)} must take ${describeValue(out)}, but it takes ${inDesc}`,
  );
}

// ---- opsets ----

/**
 * ai.onnx operators whose signature changed incompatibly at these versions: a node
 * written for an older opset does not mean the same (or is invalid) at or after them.
 * Changes before opset 8 are not listed; models older than opset 7 are refused.
 */
const BREAKING: Record<string, number[]> = {
  Upsample: [9, 10],
  Scan: [9],
  BatchNormalization: [9],
  Slice: [10],
  TopK: [10],
  Resize: [11],
  Clip: [11],
  Pad: [11],
  Scatter: [11],
  Dropout: [12],
  Split: [13, 18],
  Squeeze: [13],
  Unsqueeze: [13],
  ReduceSum: [13],
  Softmax: [13],
  LogSoftmax: [13],
  Hardmax: [13],
  ReduceMean: [18],
  ReduceMax: [18],
  ReduceMin: [18],
  ReduceProd: [18],
  ReduceL1: [18],
  ReduceL2: [18],
  ReduceLogSum: [18],
  ReduceLogSumExp: [18],
  ReduceSumSquare: [18],
  DFT: [20],
  GroupNormalization: [21],
};

const normDomain = (d: string | null | undefined) => (!d || d === 'ai.onnx' ? '' : d);

function mergeOpsets(parts: StitchPart[], models: onnx.ModelProto[]): onnx.IOperatorSetIdProto[] {
  const versions = new Map<string, number>();
  const per = models.map((m) => {
    const mine = new Map<string, number>();
    for (const o of list(m.opsetImport)) {
      const d = normDomain(o.domain);
      mine.set(d, Math.max(mine.get(d) ?? 0, toNumber(o.version)));
    }
    return mine;
  });
  for (const mine of per) for (const [d, v] of mine) versions.set(d, Math.max(versions.get(d) ?? 0, v));

  for (let i = 0; i < models.length; i++) {
    const p = parts[i];
    const used = nodesOf(models[i].graph!);
    for (const [d, v] of per[i]) {
      const target = versions.get(d)!;
      if (v === target) continue;
      const higher = parts[per.findIndex((o) => o.get(d) === target)];
      const domainName = d || 'ai.onnx';
      const inDomain = used.filter((n) => normDomain(n.domain) === d);
      if (inDomain.length === 0) continue;
      if (d !== '') {
        throw fail(
          'unsupported',
          p,
          `${where(p)} uses ${domainName} opset ${v} but the ${higher.role} uses ${domainName} opset ${target}; ` +
            'a model holds one version per domain and latent-translator cannot check that these operators mean the same in both versions',
        );
      }
      if (v < 7) {
        throw fail('unsupported', p, `${where(p)} uses ai.onnx opset ${v}; it cannot be merged with opset ${target} (from the ${higher.role}); re-export it with opset ${target}`);
      }
      const changed = new Map<string, number>();
      for (const n of inDomain) {
        const at = BREAKING[n.opType ?? '']?.find((b) => b > v && b <= target);
        if (at !== undefined) changed.set(n.opType ?? '', at);
      }
      if (changed.size > 0) {
        const ops = [...changed].map(([op, at]) => `${op} (changed at opset ${at})`).join(', ');
        throw fail(
          'unsupported',
          p,
          `${where(p)} uses ai.onnx opset ${v}, but the stitched model needs opset ${target} (from the ${higher.role}), ` +
            `and these operators changed in between: ${ops}. Re-export ${where(p)} with opset ${target}` +
            (higher.role === 'translator' ? ` or export the translator with opset ${v} (--opset ${v})` : ''),
        );
      }
    }
  }
  return [...versions].map(([domain, version]) => ({ domain, version }));
}

function mergeFunctions(parts: StitchPart[], models: onnx.ModelProto[]): onnx.IFunctionProto[] {
  const byKey = new Map<string, { f: onnx.IFunctionProto; bytes: string; role: string }>();
  for (let i = 0; i < models.length; i++) {
    for (const f of list(models[i].functions)) {
      const key = `${normDomain(f.domain)}::${f.name ?? ''}`;
      const bytes = Buffer.from(onnx.FunctionProto.encode(f).finish()).toString('base64');
      const prev = byKey.get(key);
      if (!prev) byKey.set(key, { f, bytes, role: parts[i].role });
      else if (prev.bytes !== bytes) {
        throw fail('unsupported', parts[i], `${where(parts[i])} and the ${prev.role} both define a different local function "${f.name ?? ''}" (domain "${f.domain ?? ''}")`);
      }
    }
  }
  return [...byKey.values()].map((e) => e.f);
}

function checkUnique(
  parts: StitchPart[],
  inputs: onnx.IValueInfoProto[],
  inits: onnx.ITensorProto[],
  sparse: onnx.ISparseTensorProto[],
  nodes: onnx.INodeProto[],
  outputs: onnx.IValueInfoProto[],
): void {
  const defined = new Map<string, string>();
  const dup = (name: string, what: string) =>
    new LatentError(
      'format',
      `cannot stitch ${parts.map((p) => p.file ?? p.role).join(' → ')}: the value "${name}" would be defined twice (${defined.get(name)} and ${what}); rename it in one of the models`,
    );
  const define = (name: string, what: string) => {
    if (!name) return;
    if (defined.has(name)) throw dup(name, what);
    defined.set(name, what);
  };
  const initNames = new Set(inits.map((t) => t.name ?? ''));
  for (const v of inputs) if (!initNames.has(v.name ?? '')) define(v.name ?? '', 'a graph input');
  for (const t of inits) define(t.name ?? '', 'an initializer');
  for (const s of sparse) define(s.values?.name ?? '', 'a sparse initializer');
  for (const n of nodes) for (const o of list(n.output)) define(o, `the output of node "${n.name ?? n.opType ?? ''}"`);
  const outNames = new Set<string>();
  for (const v of outputs) {
    const name = v.name ?? '';
    if (outNames.has(name)) throw new LatentError('format', `cannot stitch: the graph output "${name}" appears twice`);
    outNames.add(name);
    if (!defined.has(name)) throw new LatentError('format', `cannot stitch: nothing computes the graph output "${name}"`);
  }
}

// ---- renaming ----

function renameGraph(g: onnx.IGraphProto, rn: (s: string) => string, prefix: string): onnx.IGraphProto {
  const vi = (v: onnx.IValueInfoProto): onnx.IValueInfoProto => ({ ...v, name: rn(v.name ?? '') });
  return {
    ...g,
    name: g.name ? prefix + g.name : g.name,
    node: list(g.node).map((n) => ({
      ...n,
      name: n.name ? prefix + n.name : n.name,
      input: list(n.input).map(rn),
      output: list(n.output).map(rn),
      attribute: list(n.attribute).map((a) => renameAttribute(a, rn, prefix)),
    })),
    initializer: list(g.initializer).map((t) => ({ ...t, name: rn(t.name ?? '') })),
    sparseInitializer: list(g.sparseInitializer).map((s) => ({
      ...s,
      values: s.values ? { ...s.values, name: rn(s.values.name ?? '') } : s.values,
    })),
    input: list(g.input).map(vi),
    output: list(g.output).map(vi),
    valueInfo: list(g.valueInfo).map(vi),
    quantizationAnnotation: list(g.quantizationAnnotation).map((q) => ({
      ...q,
      tensorName: rn(q.tensorName ?? ''),
      quantParameterTensorNames: list(q.quantParameterTensorNames).map((e) => ({ ...e, value: rn(e.value ?? '') })),
    })),
  };
}

function renameAttribute(a: onnx.IAttributeProto, rn: (s: string) => string, prefix: string): onnx.IAttributeProto {
  if (!own(a, 'g') && !own(a, 'graphs')) return a;
  const out: onnx.IAttributeProto = { ...a };
  if (a.g) out.g = renameGraph(a.g, rn, prefix);
  if (a.graphs && a.graphs.length > 0) out.graphs = a.graphs.map((s) => renameGraph(s, rn, prefix));
  return out;
}

// ---- small helpers ----

function list<T>(v: T[] | null | undefined): T[] {
  return v ?? [];
}

function toNumber(v: number | { toNumber(): number } | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** Every node of a graph and of the sub-graphs in its attributes (If, Loop, Scan bodies). */
function nodesOf(g: onnx.IGraphProto): onnx.INodeProto[] {
  const out: onnx.INodeProto[] = [];
  for (const n of list(g.node)) {
    out.push(n);
    for (const a of list(n.attribute)) {
      if (a.g) out.push(...nodesOf(a.g));
      for (const s of list(a.graphs)) out.push(...nodesOf(s));
    }
  }
  return out;
}

function allTensors(g: onnx.IGraphProto): onnx.ITensorProto[] {
  const out: onnx.ITensorProto[] = [...list(g.initializer)];
  for (const s of list(g.sparseInitializer)) if (s.values) out.push(s.values);
  for (const n of list(g.node)) {
    for (const a of list(n.attribute)) {
      if (a.t) out.push(a.t);
      out.push(...list(a.tensors));
      if (a.g) out.push(...allTensors(a.g));
      for (const s of list(a.graphs)) out.push(...allTensors(s));
    }
  }
  return out;
}

function describeModel(m: onnx.ModelProto): string {
  const producer = [m.producerName, m.producerVersion].filter(Boolean).join(' ') || 'unknown producer';
  const opset = list(m.opsetImport).find((o) => normDomain(o.domain) === '');
  return `${producer}${m.graph?.name ? `, graph "${m.graph.name}"` : ''}${opset ? `, opset ${toNumber(opset.version)}` : ''}`;
}
