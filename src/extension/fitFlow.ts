/**
 * The guided "Fit Latent Translation" flow: seven QuickPick/InputBox steps with
 * Back buttons, defaults from the settings, and the last answers remembered
 * per workspace. Escape at any step cancels without side effects.
 *
 * Step 1 can also start from raw data and two ONNX encoders (trusted
 * workspaces only): the flow then plans where the two embedding files go and
 * skips step 2; the caller embeds (embedForFit.ts) before fitting.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { supportedExtensions } from '../core/io';
import { METHOD_DESCRIPTIONS, METHOD_NAMES, type MethodName } from '../core/methods';
import { PREP_NAMES, type PrepName } from '../core/prep';
import { settings } from './config';
import type { JobRequest } from './jobRunner';
import { planEmbeddings, type EmbedPlace, type EmbedPlan } from './embedForFit';
import { workspaceModels } from './modelPick';

const STEPS = 7;
const LAST_KEY = 'latentTranslator.lastFit';
export const SOURCE_KEY = 'latentTranslator.source';
export const TARGET_KEY = 'latentTranslator.target';
const LIST_EXTENSIONS = ['.npy', '.json', '.txt'];

interface Answers {
  /** 'models': source and target are embedded from `rawInput` by the two encoders. */
  inputMode: 'files' | 'models';
  rawInput?: string;
  sourceModel?: string;
  targetModel?: string;
  embedPlace?: EmbedPlace;
  source: string;
  target: string;
  anchorMode: 'file' | 'sample' | 'ids';
  anchorFile?: string;
  anchorCount?: number;
  method: MethodName | 'compare-all';
  prep: PrepName;
  heldMode: 'complement' | 'list' | 'files';
  testFile?: string;
  testSource?: string;
  testTarget?: string;
  decoderMode?: 'none' | 'classifier' | 'reconstruction';
  decoder?: string;
  testLabels?: string;
  /** Raw inputs of the held-out items (reconstruction decoders): the originals in the panel's grid; '' for none. */
  testInputs?: string;
}

const BACK = Symbol('back');
type Step<T> = T | typeof BACK | undefined;

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

function title(k: number, name: string): string {
  return `Fit Latent Translation (${k}/${STEPS}): ${name}`;
}

function pick<T>(k: number, name: string, items: Item<T>[], placeholder: string, active?: (v: T) => boolean, back = k > 1): Promise<Step<T>> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item<T>>();
    qp.title = title(k, name);
    qp.placeholder = placeholder;
    qp.items = items;
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = true;
    if (back) qp.buttons = [vscode.QuickInputButtons.Back];
    const act = active ? items.find((i) => active(i.value)) : undefined;
    if (act) qp.activeItems = [act];
    let done = false;
    const finish = (v: Step<T>) => {
      if (done) return;
      done = true;
      resolve(v);
      qp.dispose();
    };
    qp.onDidTriggerButton(() => finish(BACK));
    qp.onDidAccept(() => finish(qp.selectedItems[0]?.value ?? qp.activeItems[0]?.value));
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}

function input(k: number, name: string, prompt: string, value: string, validate: (s: string) => string | undefined): Promise<Step<string>> {
  return new Promise((resolve) => {
    const ib = vscode.window.createInputBox();
    ib.title = title(k, name);
    ib.prompt = prompt;
    ib.value = value;
    ib.ignoreFocusOut = true;
    ib.buttons = [vscode.QuickInputButtons.Back];
    let done = false;
    const finish = (v: Step<string>) => {
      if (done) return;
      done = true;
      resolve(v);
      ib.dispose();
    };
    ib.onDidChangeValue((s) => (ib.validationMessage = validate(s)));
    ib.onDidTriggerButton(() => finish(BACK));
    ib.onDidAccept(() => {
      const err = validate(ib.value);
      if (err) ib.validationMessage = err;
      else finish(ib.value);
    });
    ib.onDidHide(() => finish(undefined));
    ib.show();
  });
}

const BROWSE = '\u0000browse';

async function workspaceFiles(extensions: readonly string[]): Promise<vscode.Uri[]> {
  const glob = `**/*.{${extensions.map((e) => e.slice(1)).join(',')}}`;
  const uris = await vscode.workspace.findFiles(glob, '**/{node_modules,.git}/**', 2000);
  return uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** The file's folder relative to the workspace ('' at the root; the full path outside it). */
function folderOf(u: vscode.Uri): string {
  const dir = path.dirname(vscode.workspace.asRelativePath(u, false));
  return dir === '.' ? '' : dir;
}

function fileItems(uris: vscode.Uri[], marks: Record<string, string>): Item<string>[] {
  const items = uris.map((u) => ({
    label: path.basename(u.fsPath),
    description: [marks[u.fsPath], folderOf(u)].filter(Boolean).join(' · '),
    value: u.fsPath,
  }));
  // marked files (set as source/target, last used) first
  items.sort((a, b) => Number(!!marks[b.value]) - Number(!!marks[a.value]));
  return [...items, { label: '$(folder-opened) Browse…', description: 'choose a file outside the list', value: BROWSE }];
}

interface PickFileOptions {
  /** Items listed before the files (returned as their value). */
  first?: Item<string>[];
  /** Show Back (default: after step 1; the raw-data sub-steps of step 1 need it too). */
  back?: boolean;
}

async function pickFile(k: number, name: string, extensions: readonly string[], placeholder: string, marks: Record<string, string>, previous?: string, { first = [], back = k > 1 }: PickFileOptions = {}): Promise<Step<string>> {
  const uris = await workspaceFiles(extensions);
  const chosen = await pick(k, name, [...first, ...fileItems(uris, marks)], placeholder, (v) => v === previous, back);
  if (first.some((i) => i.value === chosen)) return chosen;
  if (chosen !== BROWSE) return chosen;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: `Use as ${name.toLowerCase()}`,
    filters: { [name]: extensions.map((e) => e.slice(1)) },
  });
  return picked?.[0]?.fsPath ?? BACK;
}

function countValidator(s: string): string | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 2 ? undefined : 'a whole number ≥ 2, or empty';
}

export interface FitPlan {
  request: JobRequest;
  /** Set when the flow starts from raw data: embed these first. */
  embed?: EmbedPlan;
}

/** Runs the flow; undefined when the user cancelled. `storageDir`: where "the extension's storage" puts embeddings. */
export async function fitFlow(state: vscode.Memento, storageDir: string): Promise<FitPlan | undefined> {
  const s = settings();
  const last = state.get<Partial<Answers>>(LAST_KEY, {});
  const marks = (role: 'source' | 'target'): Record<string, string> => {
    const m: Record<string, string> = {};
    const set = state.get<string>(role === 'source' ? SOURCE_KEY : TARGET_KEY);
    const prev = role === 'source' ? last.source : last.target;
    if (prev) m[prev] = 'last used';
    if (set) m[set] = `set as ${role}`;
    return m;
  };
  const a: Partial<Answers> = { ...last };
  // a remembered raw-data start is not offered in Restricted Mode
  if (!vscode.workspace.isTrusted) a.inputMode = 'files';
  let step = 1;
  let movedBack = false;
  while (step >= 1 && step <= STEPS) {
    let r: Step<unknown>;
    switch (step) {
      case 1:
        r = await sourceStep(a, marks('source'), state.get(SOURCE_KEY), storageDir);
        break;
      case 2:
        // from raw data, the target embeddings come from the second model: nothing to ask
        if (a.inputMode === 'models') r = movedBack ? BACK : true;
        else {
          r = await pickFile(2, 'Target embeddings', supportedExtensions, 'The embeddings to translate into', marks('target'), state.get(TARGET_KEY) ?? last.target);
          if (typeof r === 'string') a.target = r;
        }
        break;
      case 3:
        r = await anchorsStep(a, s.anchorCount);
        break;
      case 4: {
        const items: Item<MethodName | 'compare-all'>[] = [
          { label: 'Compare all methods', description: 'fit every method on the same anchors, side by side', value: 'compare-all' },
          ...METHOD_NAMES.map((m) => ({ label: m, description: METHOD_DESCRIPTIONS[m], value: m })),
        ];
        r = await pick(4, 'Method', items, 'The kind of map to fit', (v) => v === (a.method ?? s.defaultMethod));
        if (typeof r === 'string') a.method = r as Answers['method'];
        break;
      }
      case 5: {
        const desc: Record<PrepName, string> = {
          standard: 'per-dimension standard scaling with anchor statistics (the paper’s default)',
          center: 'subtract the anchor mean',
          l2: 'unit-normalise rows; rescale by the mean target norm',
          'center+l2': 'centre, then unit-normalise rows',
          none: 'raw vectors',
        };
        r = await pick(5, 'Pre-processing', PREP_NAMES.map((p) => ({ label: p, description: desc[p], value: p })), 'How both spaces are normalised before fitting', (v) => v === (a.prep ?? s.preprocessing));
        if (typeof r === 'string') a.prep = r as PrepName;
        break;
      }
      case 6:
        r = await heldOutStep(a);
        break;
      case 7:
        r = await decoderStep(a);
        break;
    }
    if (r === undefined) return undefined;
    movedBack = r === BACK;
    step += movedBack ? -1 : 1;
  }
  if (step < 1) return undefined;
  await state.update(LAST_KEY, a);
  if (a.inputMode !== 'models') return { request: toRequest(a as Answers, s.seed, s.anchorCount) };
  // from raw data, the fit reads the two planned embedding files
  const embed = planEmbeddings(a.rawInput!, a.sourceModel!, a.targetModel!, a.embedPlace!, storageDir);
  const request = toRequest({ ...(a as Answers), source: embed.source.out, target: embed.target.out }, s.seed, s.anchorCount);
  return { request: { ...request, title: embed.title, models: { input: embed.input, source: embed.source.model, target: embed.target.model } }, embed };
}

const RAW = '\u0000raw';
const RAW_EXTENSIONS = ['.npy', '.txt', '.jsonl', '.csv'];

/** Step 1: an embeddings file, or (trusted workspaces) raw data plus two encoders and where their embeddings go. */
async function sourceStep(a: Partial<Answers>, marks: Record<string, string>, setAsSource: string | undefined, storageDir: string): Promise<Step<true>> {
  const trusted = vscode.workspace.isTrusted;
  const raw: Item<string>[] = trusted
    ? [{ label: '$(symbol-event) Embed raw data with two ONNX models…', description: 'source and target encoders; the embeddings are saved where you choose', value: RAW }]
    : [];
  const placeholder = trusted ? 'The embeddings to translate from, or raw data to embed' : 'The embeddings to translate from (raw data + ONNX models: trust this workspace)';
  for (;;) {
    const previous = a.inputMode === 'models' ? RAW : (setAsSource ?? a.source);
    const chosen = await pickFile(1, 'Source embeddings', supportedExtensions, placeholder, marks, previous, { first: raw });
    if (chosen === undefined || chosen === BACK) return chosen;
    if (chosen !== RAW) {
      a.inputMode = 'files';
      a.source = chosen;
      return true;
    }
    const done = await rawDataSteps(a, storageDir);
    if (done === undefined) return undefined;
    if (done === BACK) continue;
    a.inputMode = 'models';
    return true;
  }
}

/** Raw data → source encoder → target encoder → where to write; Back walks back through them. */
async function rawDataSteps(a: Partial<Answers>, storageDir: string): Promise<Step<true>> {
  const name = 'Raw data + two models';
  let k = 0;
  while (k >= 0 && k < 4) {
    let r: Step<string>;
    if (k === 0) {
      r = await pickFile(1, name, RAW_EXTENSIONS, 'Raw data: a .npy tensor (e.g. images) or texts (.txt / .jsonl / .csv); its rows are the pairs', a.rawInput ? { [a.rawInput]: 'last used' } : {}, a.rawInput, { back: true });
      if (typeof r === 'string') a.rawInput = r;
    } else if (k === 1) {
      r = await pickModel(name, 'Source encoder: the model whose space is translated from', a.sourceModel);
      if (typeof r === 'string') a.sourceModel = r;
    } else if (k === 2) {
      r = await pickModel(name, 'Target encoder: the model whose space is translated into', a.targetModel);
      if (typeof r === 'string') a.targetModel = r;
    } else {
      r = await placeStep(name, a as Answers, storageDir);
      if (typeof r === 'string') a.embedPlace = r as EmbedPlace;
    }
    if (r === undefined) return undefined;
    k += r === BACK ? -1 : 1;
  }
  return k < 0 ? BACK : true;
}

async function pickModel(name: string, placeholder: string, previous?: string): Promise<Step<string>> {
  const models = await workspaceModels();
  // text encoders are folders holding tokenizer.json (and model.onnx)
  const tokenizers = await vscode.workspace.findFiles('**/tokenizer.json', '**/{node_modules,.git}/**', 200);
  const items: Item<string>[] = [
    ...models.map((u) => ({ label: path.basename(u.fsPath), description: [previous === u.fsPath ? 'last used' : '', folderOf(u)].filter(Boolean).join(' · '), value: u.fsPath })),
    ...tokenizers.map((u) => {
      const dir = path.dirname(u.fsPath);
      return { label: `$(folder) ${path.basename(dir)}`, description: ['text encoder folder', previous === dir ? 'last used' : '', folderOf(vscode.Uri.file(dir))].filter(Boolean).join(' · '), value: dir };
    }),
    { label: '$(folder-opened) Browse…', description: 'an .onnx file, or a folder with tokenizer.json and model.onnx', value: BROWSE },
  ];
  const chosen = await pick(1, name, items, placeholder, (v) => v === previous, true);
  if (chosen !== BROWSE) return chosen;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, canSelectFiles: true, canSelectFolders: true, openLabel: 'Use this encoder', filters: { 'ONNX model': ['onnx'] } });
  return picked?.[0]?.fsPath ?? BACK;
}

/** Where the two embedding files go: next to the raw data (named after the models), or out of the workspace. */
async function placeStep(name: string, a: Answers, storageDir: string): Promise<Step<string>> {
  const beside = planEmbeddings(a.rawInput!, a.sourceModel!, a.targetModel!, 'beside', storageDir);
  const rel = (p: string) => vscode.workspace.asRelativePath(p, false);
  const items: Item<EmbedPlace>[] = [
    { label: 'Next to the raw data', description: `${path.basename(beside.source.out)}, ${path.basename(beside.target.out)} in ${rel(path.dirname(beside.source.out))} (asks before replacing)`, value: 'beside' },
    { label: 'In the extension’s storage', description: 'kept out of the workspace; Re-run finds them there', value: 'storage' },
  ];
  return pick<EmbedPlace>(1, name, items, 'Where the two embedding files are written (float32 .npy)', (v) => v === (a.embedPlace ?? 'beside'), true);
}

async function anchorsStep(a: Partial<Answers>, defaultCount: number): Promise<Step<true>> {
  for (;;) {
    const mode = await pick<Answers['anchorMode']>(
      3,
      'Anchors',
      [
        { label: 'Anchor file (row indices or ids)…', description: '.npy / .json / one per line; ids join the files by id', value: 'file' },
        { label: 'Sample anchors at random', description: 'k paired rows, seeded', value: 'sample' },
        { label: 'Join by shared ids, then sample', description: 'both files carry ids (word2vec, id column, …)', value: 'ids' },
      ],
      'The parallel pairs the map is fitted on',
      (v) => v === a.anchorMode,
    );
    if (mode === undefined || mode === BACK) return mode;
    a.anchorMode = mode;
    if (mode === 'file') {
      const file = await pickFile(3, 'Anchors', LIST_EXTENSIONS, 'Anchor file: row indices or ids', a.anchorFile ? { [a.anchorFile]: 'last used' } : {}, a.anchorFile);
      if (file === undefined) return undefined;
      if (file === BACK) continue;
      a.anchorFile = file;
    }
    const count = await input(3, 'Anchors', mode === 'file' ? 'Number of anchors (the first k entries; empty: all)' : 'Number of anchors to sample', a.anchorCount ? String(a.anchorCount) : mode === 'file' ? '' : String(defaultCount), countValidator);
    if (count === undefined) return undefined;
    if (count === BACK) continue;
    a.anchorCount = count.trim() === '' ? undefined : Number(count);
    return true;
  }
}

async function heldOutStep(a: Partial<Answers>): Promise<Step<true>> {
  for (;;) {
    const mode = await pick<Answers['heldMode']>(
      6,
      'Held-out pairs',
      [
        { label: 'Every pair that is not an anchor', description: 'the default', value: 'complement' },
        { label: 'Held-out list (row indices or ids)…', description: 'rows of the same files', value: 'list' },
        { label: 'Separate held-out files…', description: 'a source and a target file, row-parallel', value: 'files' },
      ],
      'The pairs the translation is tested on',
      (v) => v === a.heldMode,
    );
    if (mode === undefined || mode === BACK) return mode;
    a.heldMode = mode;
    if (mode === 'list') {
      const file = await pickFile(6, 'Held-out pairs', LIST_EXTENSIONS, 'Held-out list: row indices or ids', a.testFile ? { [a.testFile]: 'last used' } : {}, a.testFile);
      if (file === undefined) return undefined;
      if (file === BACK) continue;
      a.testFile = file;
    } else if (mode === 'files') {
      const src = await pickFile(6, 'Held-out pairs', supportedExtensions, 'Held-out source file', {}, a.testSource);
      if (src === undefined) return undefined;
      if (src === BACK) continue;
      const tgt = await pickFile(6, 'Held-out pairs', supportedExtensions, 'Held-out target file (row-parallel to the source)', {}, a.testTarget);
      if (tgt === undefined) return undefined;
      if (tgt === BACK) continue;
      a.testSource = src;
      a.testTarget = tgt;
    }
    return true;
  }
}

async function decoderStep(a: Partial<Answers>): Promise<Step<true>> {
  const trusted = vscode.workspace.isTrusted;
  for (;;) {
    const items: Item<NonNullable<Answers['decoderMode']>>[] = [
      { label: 'No decoder', description: trusted ? 'latent figures only' : 'ONNX models need a trusted workspace', value: 'none' },
      ...(trusted
        ? [
            { label: 'Classifier of the target space (.onnx)…', description: 'stitched vs native accuracy; needs class labels', value: 'classifier' as const },
            { label: 'Reconstruction decoder of the target space (.onnx)…', description: 'e.g. an autoencoder’s decoder', value: 'reconstruction' as const },
          ]
        : []),
    ];
    const mode = await pick(7, 'Stitched decoder (optional)', items, 'Feed translated embeddings to the target model’s own decoder', (v) => v === (trusted ? a.decoderMode : 'none'));
    if (mode === undefined || mode === BACK) return mode;
    a.decoderMode = mode;
    if (mode === 'none') return true;
    const model = await pickFile(7, 'Stitched decoder (optional)', ['.onnx'], 'Decoder model: its input is a target embedding', a.decoder ? { [a.decoder]: 'last used' } : {}, a.decoder);
    if (model === undefined) return undefined;
    if (model === BACK) continue;
    a.decoder = model;
    if (mode === 'classifier') {
      const labels = await pickFile(7, 'Stitched decoder (optional)', LIST_EXTENSIONS, 'Class labels (indices 0…C−1), per held-out pair or per source row', a.testLabels ? { [a.testLabels]: 'last used' } : {}, a.testLabels);
      if (labels === undefined) return undefined;
      if (labels === BACK) continue;
      a.testLabels = labels;
    } else {
      const originals = await testInputsStep(a.testInputs);
      if (originals === undefined) return undefined;
      if (originals === BACK) continue;
      a.testInputs = originals;
    }
    return true;
  }
}

const NO_ORIGINALS = '';

/** Optional raw inputs of the held-out items, drawn beside their decodings; NO_ORIGINALS to skip. */
async function testInputsStep(previous?: string): Promise<Step<string>> {
  const uris = await workspaceFiles(['.npy']);
  const files = fileItems(uris, previous ? { [previous]: 'last used' } : {});
  const items: Item<string>[] = [{ label: 'No original inputs', description: 'show the native and stitched decodings only', value: NO_ORIGINALS }, ...files];
  const chosen = await pick(7, 'Stitched decoder (optional)', items, 'Original inputs of the held-out items (e.g. images, one per held-out pair or per source row), shown beside the decodings', (v) => v === (previous ?? NO_ORIGINALS));
  if (chosen !== BROWSE) return chosen;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use as original inputs', filters: { 'NumPy array': ['npy'] } });
  return picked?.[0]?.fsPath ?? BACK;
}

function toRequest(a: Answers, seed: number, defaultCount: number): JobRequest {
  const compareAll = a.method === 'compare-all';
  return {
    title: `${path.basename(a.source)} → ${path.basename(a.target)}`,
    source: a.source,
    target: a.target,
    anchors: a.anchorMode === 'file' ? a.anchorFile : undefined,
    anchorCount: a.anchorCount,
    defaultAnchorCount: defaultCount,
    join: a.anchorMode === 'ids' ? 'id' : 'auto',
    seed,
    test: a.heldMode === 'list' ? a.testFile : undefined,
    testSource: a.heldMode === 'files' ? a.testSource : undefined,
    testTarget: a.heldMode === 'files' ? a.testTarget : undefined,
    methods: compareAll ? [...METHOD_NAMES] : [a.method as MethodName],
    preps: [a.prep],
    decoder: a.decoderMode && a.decoderMode !== 'none' && vscode.workspace.isTrusted ? a.decoder : undefined,
    testLabels: a.decoderMode === 'classifier' && vscode.workspace.isTrusted ? a.testLabels : undefined,
    testInputs: a.decoderMode === 'reconstruction' && vscode.workspace.isTrusted && a.testInputs ? a.testInputs : undefined,
  };
}
