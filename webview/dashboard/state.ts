/**
 * The dashboard's view state, kept by VS Code with setState so it survives
 * the panel being hidden and the window reloading (the host's panel
 * serializer reads the same object to know which runs to show again).
 */
import { parseDashboardState, type DashboardToHost, type DashboardWebviewState } from '../../src/protocol/dashboard';
import type { VsCodeApi } from '../shared/vscodeApi';

export class DashboardState {
  private state: DashboardWebviewState;

  constructor(private readonly api: VsCodeApi<DashboardToHost>) {
    // Saved by this or an older version of the webview: validated, not trusted.
    this.state = parseDashboardState(api.getState()) ?? { runIds: [], logScaleLoss: false };
  }

  get logScaleLoss(): boolean {
    return this.state.logScaleLoss === true;
  }

  get gradFlowWindow(): boolean {
    return this.state.gradFlowWindow === true;
  }

  update(change: Partial<DashboardWebviewState>): void {
    this.state = { ...this.state, ...change };
    this.api.setState(this.state);
  }
}
