/**
 * The webview side of VS Code's messaging. `acquireVsCodeApi` may be called
 * only once per page, so every module goes through `vscodeApi()`.
 */
export interface VsCodeApi<Outgoing> {
  postMessage(message: Outgoing): void;
  /** Whatever was last saved: validate it before use (an older version of the webview may have saved it). */
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

let api: VsCodeApi<unknown> | undefined;

export function vscodeApi<Outgoing>(): VsCodeApi<Outgoing> {
  api ??= acquireVsCodeApi();
  return api;
}
