/**
 * The "Flowdeck Dashboard" webview panel: one at a time, restored after a reload by a serializer. The
 * webview says `ready` once its script runs (again after each time it was hidden, since its context is
 * not retained); until then nothing is posted, and on `ready` it gets a complete snapshot: the model and
 * the selected run's logs. After that, models follow run changes and log lines stream in batches.
 * Every message from the webview is parsed by the protocol's parseWebviewMessage first.
 */
import * as vscode from 'vscode';
import {
  ProtocolError,
  parseWebviewMessage,
  parseWebviewState,
  type DashboardSelection,
  type HostToWebview,
  type LogLine,
  type WebviewToHost,
} from '../../webview/protocol';
import type { LogRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { deserialize, parseSerialized, toJsonView } from '../../engine/serializer';
import type { FlowdeckHost } from '../host';
import type { RunOutput } from '../output/runOutput';
import type { RunLauncher } from '../runs/launcher';
import { Throttle } from '../util/throttle';
import { dashboardHtml, makeNonce } from './html';
import { buildDashboardModel, logRunIdOf, nextSelection, resultsWanted, toLogLines } from './model';

export const DASHBOARD_VIEW_TYPE = 'flowdeck.dashboard';
const MODEL_MS = 250;
const LOGS_MS = 100;
/** Log lines sent to the webview per push at most (10 pushes a second). */
const MAX_LINES_PER_PUSH = 5000;

interface Deps {
  extensionUri: vscode.Uri;
  host: FlowdeckHost;
  launcher: RunLauncher;
  output: RunOutput;
}

class DashboardPanel implements vscode.Disposable {
  private ready = false;
  private logRunId: string | null = null;
  /** The log run's lines must be read again from its file (it runs in another process). */
  private logsStale = false;
  private pendingLines: LogLine[] = [];
  /** Flows of the runs the dashboard lists: "N older runs" opens the Runs view on them. */
  private listedFlows = new Set<string>();
  /** Results of completed runs never change, so each is read from its file once. */
  private readonly results = new Map<string, unknown>();
  private readonly modelPush = new Throttle(MODEL_MS, () => void this.pushModel());
  private readonly logPush = new Throttle(LOGS_MS, () => this.pushLines());
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private selection: DashboardSelection,
    private readonly deps: Deps,
    onDispose: () => void,
  ) {
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    const scripts = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview');
    panel.iconPath = vscode.Uri.joinPath(media, 'flowdeck.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: [scripts, media] };
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(scripts, 'dashboard.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.css')).toString(),
      nonce: makeNonce(),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down; it says `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
      deps.host.onDidChangeRun((run) => {
        if (!run.parentRunId) this.modelPush.schedule();
      }),
      deps.host.onDidChangeStore((change) => {
        if (change.reset || (this.logRunId !== null && change.ids.includes(this.logRunId))) this.logsStale = true;
        this.modelPush.schedule();
      }),
      deps.host.onDidLog((record) => {
        if (!this.ready || record.runId !== this.logRunId) return;
        this.pendingLines.push(...toLogLines([record]));
        this.logPush.schedule();
      }),
    );
  }

  /** Shows a run's logs and, when it is a completed built-in run, its charts. */
  selectRun(runId: string): void {
    this.apply({ type: 'selectRun', runId });
    this.panel.reveal();
  }

  dispose(): void {
    this.ready = false;
    this.modelPush.dispose();
    this.logPush.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private receive(raw: unknown): void {
    let message: WebviewToHost;
    try {
      message = parseWebviewMessage(raw);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.deps.output.note(`The dashboard sent a message Flowdeck does not accept, so it was ignored: ${e.message}`, 'WARNING');
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      // The webview starts empty: everything is sent again.
      this.logRunId = null;
      this.pendingLines = [];
    }
    if (message.type === 'runFlow') void this.runFlow(message.flowId, message.req);
    if (message.type === 'openRun') void vscode.commands.executeCommand('flowdeck.openRun', message.runId);
    if (message.type === 'retryFromFailure') void vscode.commands.executeCommand('flowdeck.retryFromFailure', message.runId);
    if (message.type === 'showOlderRuns') void vscode.commands.executeCommand('flowdeck.filterRuns', { flowNames: [...this.listedFlows] });
    this.apply(message);
  }

  private apply(message: WebviewToHost): void {
    void (async () => {
      let runs;
      try {
        runs = await (await this.deps.host.store()).list();
      } catch (e) {
        this.post({ type: 'notice', level: 'error', message: (e as Error).message });
        return;
      }
      this.selection = nextSelection(this.selection, message, runs);
      await this.pushModel();
    })();
  }

  /** Starts a flow and answers the request: started, or why not (the webview then stops saying "Starting…"). */
  private async runFlow(flowId: string, req: number): Promise<void> {
    let error: string | undefined;
    const active = await this.deps.launcher.run({ source: { kind: 'builtin', id: flowId } }, { fromEditor: false, onError: (message) => (error = message) });
    this.post({ type: 'reply', req, ok: active !== undefined, message: active ? `Started flow run '${active.name}'.` : (error ?? `${flowId} did not start.`) });
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async pushModel(): Promise<void> {
    if (!this.ready) return;
    const store = await this.deps.host.store();
    const runs = await store.list();
    const results = new Map<string, unknown>();
    for (const id of resultsWanted(runs, this.selection)) {
      if (!this.results.has(id)) this.results.set(id, await readResult(store, id));
      results.set(id, this.results.get(id));
    }
    const model = buildDashboardModel({ runs, results, selection: this.selection });
    this.listedFlows = new Set(model.recentRuns.map((r) => r.flowName));
    this.post({ type: 'model', model });
    const logRunId = logRunIdOf(model);
    if (logRunId !== this.logRunId || this.logsStale) {
      this.logRunId = logRunId;
      this.logsStale = false;
      this.pendingLines = [];
      if (logRunId !== null) {
        const records: LogRecord[] = [];
        await store.readLogs(logRunId, (logs) => void records.push(...logs));
        this.post({ type: 'logs', runId: logRunId, lines: toLogLines(records), reset: true });
      }
    }
  }

  private pushLines(): void {
    if (this.logRunId === null || this.pendingLines.length === 0) return;
    let lines = this.pendingLines;
    this.pendingLines = [];
    // A burst faster than the webview can take: it gets the tail, and a line saying what was skipped.
    if (lines.length > MAX_LINES_PER_PUSH) {
      const skipped = lines.length - MAX_LINES_PER_PUSH;
      lines = [{ ts: lines[skipped]!.ts, level: 'WARNING', source: 'flowdeck.vscode', message: `… ${skipped.toLocaleString('en-US')} lines skipped: the run logs faster than the dashboard can show them; Show Logs has every line` }, ...lines.slice(skipped)];
    }
    this.post({ type: 'logs', runId: this.logRunId, lines });
  }
}

/** Results the charts draw are small; one kept in a file of its own is read only up to this size. */
const MAX_CHART_RESULT_BYTES = 32 * 1024 * 1024;

/** The JSON view of a run's result, as the model reads it. */
async function readResult(store: RunStore, id: string): Promise<unknown> {
  const detail = await store.readRun(id);
  if (detail?.result) return toJsonView(deserialize(detail.result.dv));
  if (detail?.resultRef && detail.resultRef.bytes <= MAX_CHART_RESULT_BYTES) return toJsonView(parseSerialized(await store.readResultText(id, detail.resultRef)));
  return undefined;
}

/** Opens the dashboard, or brings the open one forward; restores it after a window reload. */
export class DashboardPanels implements vscode.Disposable {
  private current?: DashboardPanel;
  private readonly serializer: vscode.Disposable;

  constructor(private readonly deps: Deps) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        let selection: DashboardSelection = {};
        try {
          selection = parseWebviewState(state).selection;
        } catch (e) {
          deps.output.note(`The dashboard's saved state was unreadable, so it starts fresh: ${(e as Error).message}`, 'WARNING');
        }
        this.adopt(panel, selection);
      },
    });
  }

  show(runId?: string): void {
    if (this.current) {
      this.current.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Flowdeck Dashboard', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.deps.extensionUri, 'media')],
      });
      this.adopt(panel, {});
    }
    if (runId !== undefined) this.current!.selectRun(runId);
  }

  dispose(): void {
    this.serializer.dispose();
    this.current?.panel.dispose();
  }

  private adopt(panel: vscode.WebviewPanel, selection: DashboardSelection): void {
    this.current?.panel.dispose();
    const created = new DashboardPanel(panel, selection, this.deps, () => {
      if (this.current === created) this.current = undefined;
    });
    this.current = created;
  }
}
