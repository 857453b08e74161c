/** The run details panels: one per run, opened or brought forward, restored after a window reload. */
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import { parseRunDetailsState, RUN_DETAILS_VIEW_TYPE } from '../../webview/runDetails/protocol';
import type { OnFirstUse } from '../util/onFirstUse';
import { RunDetailsPanel, type RunDetailsDeps } from './runDetailsPanel';

export class RunDetailsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, RunDetailsPanel>();
  private readonly deps: RunDetailsDeps;

  constructor(deps: Omit<RunDetailsDeps, 'openRun'>) {
    this.deps = { ...deps, openRun: (runId) => this.show(runId) };
  }

  /** Takes back a panel a window reload left: the run its saved state (or, failing that, its title) names. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    // The tab's title, which the workbench keeps with the tab, names the run.
    const named = /^Run (.+?)(?: \((?:deleted|not in this store)\))?$/.exec(panel.title)?.[1];
    let runId: string | undefined;
    try {
      runId = parseRunDetailsState(state).runId;
    } catch (e) {
      // The webview's saved state can be lost (a reload before the workbench kept it): the title says which run.
      let unreadable: unknown;
      runId = named === undefined ? undefined : await this.resolve(named).catch((err: unknown) => void (unreadable = err));
      if (runId === undefined) {
        const why = unreadable === undefined ? '' : `; the run history, which would find the run its title names, cannot be read: ${(unreadable as Error).message}`;
        this.deps.output.note(`A run details panel could not be restored: ${(e as Error).message}${why}`, 'WARNING');
        panel.dispose();
        return;
      }
    }
    if (this.panels.has(runId)) {
      panel.dispose();
      return;
    }
    let run: FlowRunSummary | undefined;
    try {
      run = await (await this.deps.host.store()).get(runId);
    } catch {
      // The store out of reach (a shared store's database down as the window reloads): the panel is kept and
      // says so itself — its first read fails the same way — and reads the run once the store is back.
      this.adopt(panel, runId, named ?? runId);
      return;
    }
    if (!run || this.panels.has(runId)) {
      // Deleted since, or restored twice: nothing (more) to show.
      panel.dispose();
      return;
    }
    this.adopt(panel, runId, run.name);
  }

  private async resolve(name: string): Promise<string | undefined> {
    return (await (await this.deps.host.store()).resolve(name)).run?.id;
  }

  /** Opens the run's panel, or brings it forward. Returns false when there is no such run. */
  async show(runId: string): Promise<boolean> {
    const open = this.panels.get(runId);
    if (open) {
      open.reveal();
      return true;
    }
    const run = await (await this.deps.host.store()).get(runId);
    if (!run) return false;
    if (this.panels.has(runId)) return true;
    const panel = vscode.window.createWebviewPanel(RUN_DETAILS_VIEW_TYPE, `Run ${run.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.deps.extensionUri, 'media')],
    });
    this.adopt(panel, run.id, run.name);
    return true;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
  }

  private adopt(panel: vscode.WebviewPanel, runId: string, runName: string): void {
    const created = new RunDetailsPanel(panel, runId, runName, this.deps, () => {
      if (this.panels.get(runId) === created) this.panels.delete(runId);
    });
    this.panels.set(runId, created);
  }
}

/**
 * Restores run details panels after a window reload. Registered at activation (VS Code asks for it then);
 * the panels are built only when there is one to restore.
 */
export function registerRunDetailsRestore(runDetails: OnFirstUse<RunDetailsPanels>): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(RUN_DETAILS_VIEW_TYPE, {
    deserializeWebviewPanel: (panel, state: unknown) => runDetails.value.restore(panel, state),
  });
}
