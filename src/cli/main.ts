/**
 * The latent-translator command line. Results go to stdout (a table, or JSON
 * with --json); progress and warnings go to stderr; any error is one line on
 * stderr and a non-zero exit code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LatentError } from '../core/errors';
import { isMethodName, METHOD_NAMES, type MethodName } from '../core/methods';
import { isPrepName, PREP_NAMES, type PrepName } from '../core/prep';
import type { ProgressEvent } from '../core/progress';
import { COMPARE_HELP, FIT_HELP, MAIN_HELP, TRANSLATE_HELP } from './help';
import { runCompare, runFit, runTranslate } from './commands';
import { EMBED_HELP, parsePooling, parseScale, runEmbed } from './embedCommand';
import { EXPORT_HELP, runExport } from './exportCommand';
import { TOOL_VERSION } from '../core/version';

const inputOptions = {
  source: { type: 'string' },
  target: { type: 'string' },
  'source-array': { type: 'string' },
  'target-array': { type: 'string' },
  'id-column': { type: 'string' },
  'label-column': { type: 'string' },
  'source-metadata': { type: 'string' },
  'target-metadata': { type: 'string' },
  labels: { type: 'string' },
  anchors: { type: 'string' },
  'anchor-count': { type: 'string' },
  seed: { type: 'string' },
  join: { type: 'string' },
  test: { type: 'string' },
  'test-source': { type: 'string' },
  'test-target': { type: 'string' },
  decoder: { type: 'string' },
  'test-labels': { type: 'string' },
  'test-inputs': { type: 'string' },
  prep: { type: 'string' },
  ridge: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(MAIN_HELP + '\n');
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(TOOL_VERSION + '\n');
    return 0;
  }
  if (command === 'help') {
    process.stdout.write(({ fit: FIT_HELP, compare: COMPARE_HELP, translate: TRANSLATE_HELP, embed: EMBED_HELP, export: EXPORT_HELP } as Record<string, string>)[rest[0]] ?? MAIN_HELP);
    process.stdout.write('\n');
    return 0;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  switch (command) {
    case 'fit': {
      const { values } = parse(rest, { ...inputOptions, method: { type: 'string' } });
      if (values.help) return help(FIT_HELP);
      const common = commonOptions(values, controller.signal);
      const out = required(values.out, '--out', 'fit');
      return runFit({ ...common, method: methodOf(values.method ?? 'ortho'), prep: prepOf(values.prep ?? 'standard'), out, force: !!values.force, json: !!values.json });
    }
    case 'compare': {
      const { values } = parse(rest, { ...inputOptions, methods: { type: 'string' } });
      if (values.help) return help(COMPARE_HELP);
      const common = commonOptions(values, controller.signal);
      const methods = values.methods ? values.methods.split(',').map((m) => methodOf(m.trim())) : [...METHOD_NAMES];
      const preps = values.prep === 'all' ? [...PREP_NAMES] : [prepOf(values.prep ?? 'standard')];
      return runCompare({ ...common, methods, preps, out: values.out, force: !!values.force, json: !!values.json });
    }
    case 'translate': {
      const { values } = parse(rest, {
        translator: { type: 'string' },
        input: { type: 'string' },
        'input-array': { type: 'string' },
        out: { type: 'string' },
        'chunk-rows': { type: 'string' },
        threads: { type: 'string' },
        float64: { type: 'boolean' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      });
      if (values.help) return help(TRANSLATE_HELP);
      return runTranslate({
        translator: required(values.translator, '--translator', 'translate'),
        input: required(values.input, '--input', 'translate'),
        inputArray: values['input-array'],
        out: required(values.out, '--out', 'translate'),
        chunkRows: values['chunk-rows'] !== undefined ? positiveInt(values['chunk-rows'], '--chunk-rows') : undefined,
        threads: values.threads !== undefined ? positiveInt(values.threads, '--threads', true) : undefined,
        float64: !!values.float64,
        force: !!values.force,
        signal: controller.signal,
        onEvent: values.quiet ? undefined : stderrProgress(),
      });
    }
    case 'embed': {
      const { values } = parse(rest, {
        model: { type: 'string' },
        input: { type: 'string' },
        out: { type: 'string' },
        output: { type: 'string' },
        'batch-size': { type: 'string' },
        scale: { type: 'string' },
        'input-array': { type: 'string' },
        threads: { type: 'string' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean' },
        pooling: { type: 'string' },
        normalize: { type: 'boolean' },
        'max-length': { type: 'string' },
        'text-field': { type: 'string' },
        'ids-out': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      });
      if (values.help) return help(EMBED_HELP);
      return runEmbed({
        model: required(values.model, '--model', 'embed'),
        input: required(values.input, '--input', 'embed'),
        out: required(values.out, '--out', 'embed'),
        output: values.output,
        batchSize: values['batch-size'] !== undefined ? positiveInt(values['batch-size'], '--batch-size') : undefined,
        scale: values.scale !== undefined ? parseScale(values.scale) : undefined,
        inputArray: values['input-array'],
        threads: values.threads !== undefined ? positiveInt(values.threads, '--threads', true) : undefined,
        force: !!values.force,
        quiet: !!values.quiet,
        signal: controller.signal,
        pooling: values.pooling !== undefined ? parsePooling(values.pooling) : undefined,
        normalize: !!values.normalize,
        maxLength: values['max-length'] !== undefined ? positiveInt(values['max-length'], '--max-length') : undefined,
        textField: values['text-field'],
        idsOut: values['ids-out'],
      });
    }
    case 'export': {
      const { values } = parse(rest, {
        translator: { type: 'string' },
        out: { type: 'string' },
        encoder: { type: 'string' },
        decoder: { type: 'string' },
        'encoder-output': { type: 'string' },
        'decoder-input': { type: 'string' },
        opset: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      });
      if (values.help) return help(EXPORT_HELP);
      return runExport({
        translator: required(values.translator, '--translator', 'export'),
        out: required(values.out, '--out', 'export'),
        encoder: values.encoder,
        decoder: values.decoder,
        encoderOutput: values['encoder-output'],
        decoderInput: values['decoder-input'],
        opset: values.opset !== undefined ? positiveInt(values.opset, '--opset') : undefined,
        force: !!values.force,
      });
    }
    default:
      throw new LatentError('usage', `unknown command "${command}" (expected fit, compare, translate, embed, export or help)`);
  }
}

function help(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new LatentError('usage', (e as Error).message.replace(/\. To specify.*$/s, ''));
  }
}

type InputValues = { [K in keyof typeof inputOptions]?: (typeof inputOptions)[K]['type'] extends 'boolean' ? boolean : string };

function commonOptions(v: InputValues, signal: AbortSignal) {
  const join = v.join ?? 'auto';
  if (join !== 'auto' && join !== 'index' && join !== 'id') throw new LatentError('usage', `--join must be index, id or auto, got "${join}"`);
  return {
    source: required(v.source, '--source'),
    target: required(v.target, '--target'),
    sourceArray: v['source-array'],
    targetArray: v['target-array'],
    idColumn: v['id-column'],
    labelColumn: v['label-column'],
    sourceMetadata: v['source-metadata'],
    targetMetadata: v['target-metadata'],
    labels: v.labels,
    anchors: v.anchors,
    anchorCount: v['anchor-count'] !== undefined ? positiveInt(v['anchor-count'], '--anchor-count') : undefined,
    seed: v.seed !== undefined ? positiveInt(v.seed, '--seed', true) : undefined,
    join: join as 'auto' | 'index' | 'id',
    test: v.test,
    testSource: v['test-source'],
    testTarget: v['test-target'],
    decoder: v.decoder,
    testLabels: v['test-labels'],
    testInputs: v['test-inputs'],
    ridge: v.ridge !== undefined ? nonNegative(v.ridge, '--ridge') : undefined,
    threads: v.threads !== undefined ? positiveInt(v.threads, '--threads', true) : undefined,
    signal,
    onEvent: v.quiet ? undefined : stderrProgress(),
  };
}

function required(v: string | undefined, flag: string, command?: string): string {
  if (!v) throw new LatentError('usage', `${flag} is required${command ? ` for ${command}` : ''} (see --help)`);
  return v;
}

function positiveInt(s: string, flag: string, allowZero = false): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new LatentError('usage', `${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${s}"`);
  return n;
}

function nonNegative(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new LatentError('usage', `${flag} must be a non-negative number, got "${s}"`);
  return n;
}

function methodOf(s: string): MethodName {
  if (!isMethodName(s)) throw new LatentError('usage', `unknown method "${s}" (expected ${METHOD_NAMES.join(', ')})`);
  return s;
}

function prepOf(s: string): PrepName {
  if (!isPrepName(s)) throw new LatentError('usage', `unknown pre-processing "${s}" (expected ${PREP_NAMES.join(', ')})`);
  return s;
}

/** Step lines with timings on stderr; a percentage for long blocked passes when stderr is a terminal. */
function stderrProgress(): (e: ProgressEvent) => void {
  const tty = process.stderr.isTTY;
  return (e) => {
    switch (e.kind) {
      case 'step':
        if (tty) process.stderr.write(`  ${e.step}…\r`);
        break;
      case 'progress':
        if (tty) process.stderr.write(`  ${e.step}… ${Math.round(e.fraction * 100)}%\r`);
        break;
      case 'done':
        process.stderr.write(`${tty ? '\x1b[2K' : ''}  ${e.step} (${formatMs(e.ms)})\n`);
        break;
      case 'warning':
        process.stderr.write(`${tty ? '\x1b[2K' : ''}warning: ${e.message}\n`);
        break;
    }
  };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (e instanceof LatentError) {
        process.stderr.write(`latent-translator: ${e.message}\n`);
        process.exitCode = e.code === 'usage' ? 2 : e.code === 'cancelled' ? 130 : 1;
      } else {
        const err = e as Error;
        process.stderr.write(`latent-translator: unexpected error: ${err?.message ?? String(e)}\n`);
        if (process.env.LATENT_TRANSLATOR_DEBUG) process.stderr.write(`${err?.stack}\n`);
        process.exitCode = 1;
      }
    },
  );
}

