/**
 * "Inspect Embedding File": a read-only Markdown document with the file's
 * shape, dtype, norms, non-finite count and variance spectrum, computed in
 * the compute process.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Inspection } from '../core/inspect';
import type { ComputeClient } from './computeClient';
import { settings } from './config';

export const INSPECT_SCHEME = 'latent-translator-inspect';

const fmt = (v: number, d = 4) => (Number.isFinite(v) ? (Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(d - 1) : v.toFixed(d)) : String(v));

/** Markdown-escapes text that comes from a file (names, dtypes). */
const md = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

export function inspectionMarkdown(r: Inspection): string {
  const rows: [string, string][] = [
    ['rows', String(r.rows)],
    ['dimensions', String(r.dims)],
    ['format', md(r.format)],
    ['dtype', md(r.dtype)],
    ...(r.arrayName ? [['array', md(r.arrayName)] as [string, string]] : []),
    ['ids', r.hasIds ? 'yes' : 'no'],
    ['labels', r.hasLabels ? 'yes' : 'no'],
    ['NaN / Inf values', r.nonFinite ? `${r.nonFinite} ⚠ a file with these cannot be fitted` : '0'],
    ['L2 norm: mean / median', `${fmt(r.norms.mean)} / ${fmt(r.norms.median)}`],
    ['L2 norm: min / max', `${fmt(r.norms.min)} / ${fmt(r.norms.max)}`],
    ['zero vectors', String(r.norms.zero)],
    ['variance in the top 1 / 10 / 50 dimensions', `${fmt(r.explained.top1 * 100, 1)}% / ${fmt(r.explained.top10 * 100, 1)}% / ${fmt(r.explained.top50 * 100, 1)}%`],
  ];
  const shown = r.varianceSpectrum.slice(0, 16);
  return [
    `# Inspect: ${md(path.basename(r.path))}`,
    '',
    `\`${r.path.replace(/`/g, "'")}\``,
    '',
    '| property | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '## Variance spectrum (per-dimension variance, largest first)',
    '',
    '| # | variance |',
    '|---|---|',
    ...shown.map((v, i) => `| ${i + 1} | ${fmt(v)} |`),
    ...(r.dims > shown.length ? ['', `…and ${r.dims - shown.length} more dimensions.`] : []),
    '',
    '## First dimensions',
    '',
    '| dim | mean | std |',
    '|---|---|---|',
    ...r.columns.map((c, j) => `| ${j} | ${fmt(c.mean)} | ${fmt(c.std)} |`),
    '',
  ].join('\n');
}

export class InspectProvider implements vscode.TextDocumentContentProvider {
  private readonly cache = new Map<string, string>();

  constructor(private readonly compute: ComputeClient) {}

  static uriFor(file: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/Inspect ${path.basename(file.fsPath)}.md`, query: encodeURIComponent(file.fsPath) });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const key = uri.toString();
    const cached = this.cache.get(key);
    if (cached) return cached;
    const file = decodeURIComponent(uri.query);
    const result = await this.compute.inspect({ path: file, maxRows: settings().maxRows });
    const text = inspectionMarkdown(result);
    this.cache.set(key, text);
    return text;
  }

  /** Forget a file's inspection (it may have changed on disk). */
  invalidate(uri: vscode.Uri): void {
    this.cache.delete(uri.toString());
  }
}
