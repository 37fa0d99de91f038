/** The extension's settings (package.json `contributes.configuration`), read fresh each time. */
import * as vscode from 'vscode';
import { METHOD_NAMES, type MethodName } from '../core/methods';
import { PREP_NAMES, type PrepName } from '../core/prep';

export interface Settings {
  /** A method, or 'compare-all'. */
  defaultMethod: MethodName | 'compare-all';
  preprocessing: PrepName;
  anchorCount: number;
  seed: number;
  maxPointsDrawn: number;
  computeThreads: number;
  reuseComputeProcess: boolean;
  /** Rows loaded from one file at most (fit, compare, inspect). */
  maxRows: number;
}

/** The setting named in the message that refuses a file with more rows. */
export const MAX_ROWS_SETTING = 'latentTranslator.maxRows';

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('latentTranslator');
  const method = c.get<string>('defaultMethod', 'ortho');
  const prep = c.get<string>('preprocessing', 'standard');
  return {
    defaultMethod: method === 'compare-all' || (METHOD_NAMES as readonly string[]).includes(method) ? (method as Settings['defaultMethod']) : 'ortho',
    preprocessing: (PREP_NAMES as readonly string[]).includes(prep) ? (prep as PrepName) : 'standard',
    anchorCount: Math.max(2, Math.floor(c.get<number>('anchorCount', 1000))),
    seed: Math.max(0, Math.floor(c.get<number>('seed', 0))),
    maxPointsDrawn: Math.max(100, Math.floor(c.get<number>('maxPointsDrawn', 2000))),
    computeThreads: Math.max(0, Math.floor(c.get<number>('computeThreads', 0))),
    reuseComputeProcess: c.get<boolean>('reuseComputeProcess', true),
    maxRows: Math.max(2, Math.floor(c.get<number>('maxRows', 500_000))),
  };
}
