/**
 * Choosing an ONNX model: a quick pick of the workspace's .onnx files (a run's
 * own model first, when there is one), with Browse… for anything else. Text
 * encoders are folders (tokenizer.json + model.onnx), so Browse… can take a
 * folder when `folders` is set.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface ModelPickOptions {
  title: string;
  placeHolder: string;
  /** Listed first with `presetNote` (e.g. the decoder a run was scored with). */
  preset?: string;
  presetNote?: string;
  /** Browse… may also choose a folder (text encoders). */
  folders?: boolean;
}

export async function workspaceModels(): Promise<vscode.Uri[]> {
  const uris = await vscode.workspace.findFiles('**/*.onnx', '**/{node_modules,.git}/**', 500);
  return uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

export async function pickOnnxModel(o: ModelPickOptions): Promise<string | undefined> {
  const listed = (await workspaceModels()).map((u) => u.fsPath).filter((p) => p !== o.preset);
  const items = [
    ...(o.preset ? [{ label: path.basename(o.preset), description: [o.presetNote, relative(path.dirname(o.preset))].filter(Boolean).join(' · '), value: o.preset }] : []),
    ...listed.map((p) => ({ label: path.basename(p), description: relative(path.dirname(p)), value: p })),
    { label: '$(folder-opened) Browse…', description: o.folders ? 'an .onnx file, or a folder with tokenizer.json and model.onnx' : 'an .onnx file', value: '' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: o.title, placeHolder: o.placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.value) return picked.value;
  const uri = await vscode.window.showOpenDialog({ title: o.title, canSelectFiles: true, canSelectFolders: !!o.folders, canSelectMany: false, filters: { 'ONNX model': ['onnx'] } });
  return uri?.[0]?.fsPath;
}

function relative(dir: string): string {
  const rel = vscode.workspace.asRelativePath(dir, false);
  return rel === '.' ? '' : rel;
}
