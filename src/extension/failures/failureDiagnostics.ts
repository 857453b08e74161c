/**
 * Failures at their line: when a run of a workspace flow fails, the line the worker's source-mapped stack
 * points at gets a "Flowdeck" problem (related information: the run's log) and an inline note; both go when
 * a later run of that flow completes, or when the run is deleted. Runs of other processes count too (the
 * store tells about them), and the latest run of each flow is looked at once when the history is first
 * read, so a reload keeps them.
 */
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { isTerminal } from '../../engine/states';
import { MAX_CHANGED_IDS_READ } from '../changedRunsRead';
import type { FlowdeckHost } from '../host';
import { runLogUri } from '../logs/runLogDocuments';
import { escapeMarkdown, formatAge } from '../runs/present';
import { FailureBook, type FailureSite } from './failureSite';
import { readFailedRun } from './failedRun';

/** Finished runs listed, newest first, when a change names more: a burst's runs are among the newest. */
const MAX_CHANGED_RUNS_LISTED = 2000;

export class FailureDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('Flowdeck');
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorError.foreground'), margin: '0 0 0 2em', fontStyle: 'italic' },
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.errorForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  private book = newBook();
  private readonly disposables: vscode.Disposable[];
  private restored = false;
  private looked: Promise<void> = Promise.resolve();

  constructor(private readonly host: FlowdeckHost) {
    this.disposables = [
      this.collection,
      this.decoration,
      host.onDidChangeRun((run) => void this.onRun(run)),
      host.onDidChangeStore((change) => {
        if (change.reset) this.reset();
        // Runs changed by the hundred elsewhere (a prune, a burst): read from one listing, not each run named.
        else if (change.ids.length > MAX_CHANGED_IDS_READ) this.queue(() => this.lookAtChanged(change.ids));
        else this.queue(async () => {
          for (const id of change.ids) await this.onRunId(id);
        });
      }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.decorate(e))),
    ];
  }

  /** Looks at the latest run of each flow in the history (once, when the history has been opened). */
  async restore(): Promise<void> {
    this.restored = true;
    await this.lookAtLatest();
  }

  /** Runs `look` after the looks queued before it: two changes read at once could record their runs out of order. */
  private queue(look: () => Promise<void>): void {
    this.looked = this.looked.then(look).catch(() => undefined);
  }

  /** Resolves once the looks the store's changes started so far have run. */
  idle(): Promise<void> {
    return this.looked;
  }

  /**
   * Many runs changed: markers of runs deleted among them go, and the newest finished runs (subflows too) are
   * listed once — of each flow, the newest of those named that says something (a completion, a failure) is
   * taken into account, a failure read for where it failed. A named run older than the listing's last is
   * past its reach: what the latest run of each flow says is looked at still.
   */
  private async lookAtChanged(ids: readonly string[]): Promise<void> {
    const named = new Set(ids);
    const store = await this.host.store();
    await this.dropDeleted(store, this.book.shownRunIds().filter((id) => named.has(id)));
    for (const run of await store.list({ stateTypes: ['COMPLETED', 'FAILED', 'CRASHED'], limit: MAX_CHANGED_RUNS_LISTED })) {
      if (named.has(run.id) && !this.book.knows(run)) await this.take(store, run);
    }
    await this.lookAtLatest();
  }

  /** Markers of these runs go when the runs are no longer in the store (deleted, here or elsewhere). */
  private async dropDeleted(store: RunStore, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      // `get` takes a name or an id's prefix too: only the run of that very id is the one marked.
      if ((await store.get(id))?.id !== id) for (const file of this.book.forget(id)) this.show(file);
    }
  }

  /** The latest run of each flow, from one listing: a failed one not yet taken into account is read for where it failed. */
  private async lookAtLatest(): Promise<void> {
    const store = await this.host.store();
    for (const { last } of await store.flows()) {
      if (last.state.type === 'COMPLETED') {
        for (const file of this.book.record(last)) this.show(file);
      } else if ((last.state.type === 'FAILED' || last.state.type === 'CRASHED') && !this.book.knows(last)) {
        await this.onRunId(last.id);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** Another store (a changed `flowdeck.home`): what was shown belonged to the old one. */
  private reset(): void {
    this.book = newBook();
    this.collection.clear();
    for (const editor of vscode.window.visibleTextEditors) editor.setDecorations(this.decoration, []);
    void this.restore().catch(() => undefined);
  }

  private async onRun(run: FlowRunSummary): Promise<void> {
    if (!this.restored) await this.restore();
    if (isTerminal(run.state.type)) await this.onRunId(run.id);
  }

  private async onRunId(id: string): Promise<void> {
    try {
      const store = await this.host.store();
      const summary = await store.get(id);
      if (summary?.id !== id) {
        // Deleted (a prune, Delete Run, here or elsewhere): a marker of it points at nothing.
        for (const file of this.book.forget(id)) this.show(file);
        return;
      }
      await this.take(store, summary);
    } catch {
      // The store or the journal unreadable: nothing to point at.
    }
  }

  /** A run's end taken into account: a completion clears its flow's marker, a failure is read for where it failed. */
  private async take(store: RunStore, summary: FlowRunSummary): Promise<void> {
    if (summary.state.type === 'COMPLETED') {
      for (const file of this.book.record(summary)) this.show(file);
      return;
    }
    if (summary.state.type !== 'FAILED' && summary.state.type !== 'CRASHED') return;
    // A failure (or a crash the flow's code caused) needs the journal: where it failed.
    const detail = await readFailedRun(store, summary.id);
    if (!detail) return;
    for (const file of this.book.record(summary, detail)) this.show(file);
  }

  private show(file: string): void {
    const uri = vscode.Uri.file(file);
    const sites = this.book.sitesIn(file);
    this.collection.set(
      uri,
      sites.map((site) => {
        const at = new vscode.Position(Math.max(0, site.line - 1), Math.max(0, site.column - 1));
        const d = new vscode.Diagnostic(new vscode.Range(at, at.translate(0, 10_000)), site.message, vscode.DiagnosticSeverity.Error);
        d.source = 'Flowdeck';
        d.code = `flow run ${site.runName}`;
        d.relatedInformation = [
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(runLogUri({ id: site.runId, name: site.runName }), new vscode.Position(0, 0)),
            `Flow run '${site.runName}' of flow '${site.flowName}'${site.taskRunName ? `, task run '${site.taskRunName}'` : ''} failed here`,
          ),
        ];
        return d;
      }),
    );
    for (const editor of vscode.window.visibleTextEditors) if (editor.document.uri.fsPath === file) this.decorate(editor);
  }

  private decorate(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme !== 'file') return;
    const sites = this.book.sitesIn(editor.document.uri.fsPath);
    editor.setDecorations(
      this.decoration,
      sites
        .filter((s) => s.line - 1 < editor.document.lineCount)
        .map((site) => {
          const line = editor.document.lineAt(site.line - 1);
          return {
            range: line.range,
            renderOptions: { after: { contentText: `✗ failed in run ${site.runName}, ${formatAge(Date.now() - site.at)}: ${site.message.slice(0, 120)}` } },
            hoverMessage: hover(site),
          };
        }),
    );
  }
}

function hover(site: FailureSite): vscode.MarkdownString {
  const args = encodeURIComponent(JSON.stringify([site.runId]));
  const md = new vscode.MarkdownString(`Flowdeck: flow run **${escapeMarkdown(site.runName)}** failed here: ${escapeMarkdown(site.message)}\n\n[Open Run](command:flowdeck.openRun?${args})`);
  md.isTrusted = { enabledCommands: ['flowdeck.openRun'] };
  return md;
}

/** Only files of the workspace's folders get problems: a flow run from elsewhere is not this workspace's code. */
function newBook(): FailureBook {
  return new FailureBook((file) => vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) !== undefined);
}
