/**
 * The one typed protocol between the extension host, the compute process and
 * the webviews. Every message has a `type`; requests carry an `id` that their
 * response and progress events repeat. Typed arrays cross the compute
 * process boundary as binary (Node IPC with 'advanced' serialization).
 */
import type { InputOptions } from '../core/pipeline';
import type { PanelView } from '../core/view';
import type { MethodName } from '../core/methods';
import type { PrepName } from '../core/prep';
import type { Inspection } from '../core/inspect';
import type { ExportRequest } from '../core/onnx/exportFiles';
import type { EmbedOptions } from '../core/onnx/embed';

// ---------------------------------------------------------------- compute process

/** Everything a fit or compare job needs; paths are absolute. */
export interface JobParams extends Omit<InputOptions, 'signal' | 'onEvent'> {
  methods: MethodName[];
  preps: PrepName[];
  ridge?: number;
  /** Folder that receives result.json, translator.json, translated.npy, pairs.csv, view.json. */
  outDir: string;
  /** Points drawn in the PCA chart. */
  maxPoints?: number;
  title?: string;
  /** Set when the flow embedded raw data itself: the raw input and the two encoders (for a later stitched export). */
  models?: { input: string; source: string; target: string };
}

export interface JobResult {
  view: PanelView;
  /** Files written into outDir. */
  files: string[];
}

export interface InspectParams {
  path: string;
  array?: string;
  /** Refuse files with more rows (the latentTranslator.maxRows setting). */
  maxRows?: number;
}

export type InspectResult = Inspection;

/** A run's translator as .onnx (alone, or stitched between an encoder and a decoder) or its map W as .npy. */
export type ExportParams = Omit<ExportRequest, 'signal'>;

/** Raw data through a local ONNX encoder into a .npy of embeddings. */
export type EmbedParams = Pick<EmbedOptions, 'model' | 'input' | 'out' | 'force'>;

export type ComputeRequest =
  | { type: 'job'; id: number; params: JobParams }
  | { type: 'inspect'; id: number; params: InspectParams }
  | { type: 'export'; id: number; params: ExportParams }
  | { type: 'embed'; id: number; params: EmbedParams }
  | { type: 'cancel'; id: number }
  | { type: 'ping'; id: number };

export interface ComputeError {
  message: string;
  /** LatentError code, or 'internal' for an unexpected failure. */
  code: string;
  file?: string;
  /** The underlying error's message, when there is one. */
  cause?: string;
}

export type ComputeMessage =
  | { type: 'progress'; id: number; step: string; fraction?: number; done?: boolean; ms?: number }
  | { type: 'warning'; id: number; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'result'; id: number; result: JobResult | InspectResult | { written: string } | { rows: number; dims: number; out: string } | { pong: true; pid: number } }
  | { type: 'error'; id: number; error: ComputeError };

// ---------------------------------------------------------------- webviews

/** A stored run, as the side bar lists it. */
export interface RunSummary {
  id: string;
  title: string;
  createdAt: string;
  kind: 'fit' | 'compare';
  method: string;
  prep: string;
  cosine: number;
  top1: number;
  mrr: number;
  baselineCosine: number | null;
  heldOut: number;
}

/** Host → results panel. */
export type ToPanel =
  /** `modelsAllowed` false: Restricted Mode, so actions that load ONNX models are disabled (absent: allowed). */
  | { type: 'show'; runId: string; view: PanelView; maxPoints: number; modelsAllowed?: boolean }
  | { type: 'exported'; ok: boolean; message: string };

/** Results panel → host. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'rendered'; runId: string; charts: number; tables: number }
  | { type: 'export'; format: 'json' | 'csv' | 'png'; suggestedName: string; data: string }
  | { type: 'exportTranslator'; runId: string }
  /** Encoder A → this run's translator → decoder B as one ONNX file (the host asks for the models and where to save). */
  | { type: 'exportStitched'; runId: string }
  | { type: 'error'; message: string };

/** Host → runs view (side bar). */
export type ToRunsView = { type: 'runs'; runs: RunSummary[]; running: string | null };

/** Runs view → host. */
export type FromRunsView =
  | { type: 'ready' }
  | { type: 'open'; id: string }
  | { type: 'rerun'; id: string }
  | { type: 'delete'; id: string }
  | { type: 'fit' };

/** Persisted webview state (acquireVsCodeApi().setState), used by the panel serializer. */
export interface PanelState {
  runId: string;
}
