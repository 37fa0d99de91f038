/** The webview side of the host API (acquireVsCodeApi may be called once per page). */
export interface VsCodeApi<Out, State> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<Out = unknown, State = unknown>(): VsCodeApi<Out, State>;

let api: VsCodeApi<unknown, unknown> | undefined;

export function vscodeApi<Out, State>(): VsCodeApi<Out, State> {
  api ??= acquireVsCodeApi();
  return api as VsCodeApi<Out, State>;
}
