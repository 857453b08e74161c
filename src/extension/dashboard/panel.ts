/**
 * The "Flowdeck Dashboard" webview panel: one at a time, restored after a reload by a serializer. The
 * webview says `ready` once its script runs (again after each time it was hidden, since its context is
 * not retained); until then nothing is posted, and on `ready` it gets a complete snapshot: the model and
 * the selected run's logs. After that, models follow run changes and log lines stream in batches.
 * Every message from the webview is parsed by the protocol's parseWebviewMessage first; requests that
 * carry `req` get a `reply`. The store is read only through ./data.
 */
import * as vscode from 'vscode';
import {
  ProtocolError,
  parseWebviewMessage,
  parseWebviewState,
  type DashboardModel,
  type DashboardSelection,
  type HostToWebview,
  type LogLine,
  type WebviewToHost,
} from '../../webview/protocol';
import { isArtifactMessage } from '../../webview/artifactMessages';
import { refusedOf } from '../../webview/refused';
import type { FlowdeckHost } from '../host';
import type { RunOutput } from '../output/runOutput';
import type { RunLauncher } from '../runs/launcher';
import type { OnFirstUse } from '../util/onFirstUse';
import { Throttle } from '../util/throttle';
import { createDashboardData, type DashboardData } from './data';
import { answer, handleArtifactMessage, type ArtifactPanel } from '../artifacts/artifactRequests';
import { editorExports, openVideo, saveLogFile, type Outcome } from './exports';
import { dashboardHtml, makeNonce } from './html';
import { buildDashboardModel, chartedGithubRun, fallbackReads, logRunIdOf, readsWanted, toLogLines } from './model';
import type { RepoSnapshot } from './results';
import { newestFirst } from './runRefs';
import { nextSelection } from './selection';
import { rangeProblem, youtubeRunOfRange } from './youtubeRanges';

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

export class DashboardPanel implements vscode.Disposable {
  private ready = false;
  private logRunId: string | null = null;
  /** The log run's lines must be read again from its file (it runs in another process). */
  private logsStale = false;
  private pendingLines: LogLine[] = [];
  /** The run whose log file is being sent (sendLogFile): lines streamed meanwhile wait for it. */
  private readingLogs?: string;
  private readonly data: DashboardData;
  /** The model last posted, to answer requests about what is shown. */
  private shown?: DashboardModel;
  /** A model is being built; another push waits for it and then builds once more. */
  private building = false;
  private buildAgain = false;
  /** Flows of the runs the dashboard lists: "N older runs" opens the Runs view on them. */
  private listedFlows = new Set<string>();
  private readonly artifactPanel: ArtifactPanel = {
    readTable: (runId, key) => this.data.readTable(runId, key),
    post: (message) => this.post(message),
  };
  private readonly modelPush = new Throttle(MODEL_MS, () => void this.pushModel());
  private readonly logPush = new Throttle(LOGS_MS, () => this.pushLines());
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private selection: DashboardSelection,
    private readonly deps: Deps,
    onDispose: () => void,
  ) {
    this.data = createDashboardData(() => deps.host.store());
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
    void this.apply({ type: 'selectRun', runId });
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
      // Answered all the same: a request left without its reply kept the webview waiting for ever.
      this.post(refusedOf(raw, e));
      return;
    }
    if (isArtifactMessage(message)) {
      void handleArtifactMessage(message, this.artifactPanel, editorExports);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        // The webview starts empty: everything is sent again.
        this.logRunId = null;
        this.pendingLines = [];
        void this.apply(message);
        return;
      case 'runFlow':
        void this.answer(message.req, this.runFlow(message.flowId).then((started) => (started.ok ? { ok: true, message: `Started flow run '${started.name}'.` } : started)));
        void this.apply(message);
        return;
      case 'openRun':
        void vscode.commands.executeCommand('flowdeck.openRun', message.runId);
        return;
      case 'retryFromFailure':
        void vscode.commands.executeCommand('flowdeck.retryFromFailure', message.runId);
        return;
      case 'showOlderRuns':
        void vscode.commands.executeCommand('flowdeck.filterRuns', { flowNames: [...this.listedFlows] });
        return;
      case 'addRepository':
        void this.answer(message.req, this.addRepository(message));
        return;
      case 'chooseYoutubeRange':
        void this.answer(message.req, this.chooseYoutubeRange(message.startDate, message.endDate));
        return;
      case 'saveLog':
        void this.answer(message.req, this.saveLog(message.runId));
        return;
      case 'openVideo':
        openVideo(message.url).catch((e: unknown) => this.post({ type: 'notice', level: 'error', message: (e as Error).message }));
        return;
      default:
        void this.apply(message);
    }
  }

  private answer(req: number, outcome: Promise<Outcome>): Promise<void> {
    return answer(req, outcome, (reply) => this.post(reply));
  }

  private async apply(message: WebviewToHost): Promise<void> {
    let runs;
    try {
      runs = await this.data.listRuns();
    } catch (e) {
      this.post({ type: 'notice', level: 'error', message: (e as Error).message });
      return;
    }
    this.selection = nextSelection(this.selection, message, runs);
    await this.pushModel();
  }

  /** Starts a built-in flow: the new run's name, or why it did not start (the webview then stops saying "Starting…"). */
  private async runFlow(flowId: string, parameters?: Record<string, unknown>): Promise<{ ok: true; name: string } | { ok: false; message: string }> {
    let error: string | undefined;
    const active = await this.deps.launcher.run(
      { source: { kind: 'builtin', id: flowId }, ...(parameters ? { parameters } : {}) },
      { fromEditor: false, onError: (message) => (error = message) },
    );
    return active ? { ok: true, name: active.name } : { ok: false, message: error ?? `${flowId} did not start.` };
  }

  /** Compares another repository: from its latest stored run, or from a run started for it now. */
  private async addRepository(message: Extract<WebviewToHost, { type: 'addRepository' }>): Promise<Outcome> {
    const runs = await this.data.listRuns();
    const before = this.selection.compareRepos?.length ?? 0;
    const next = nextSelection(this.selection, message, runs);
    if ((next.compareRepos?.length ?? 0) === before) {
      return { ok: false, message: `${message.repo} is already compared, or ${before} repositories are the most the chart compares.` };
    }
    // The new repository's run becomes the latest github run; the charted one stays charted.
    const charted = next.githubRunId === undefined ? chartedGithubRun(runs, next) : undefined;
    if (charted) next.githubRunId = charted.id;
    this.selection = next;
    const ofRepo = await this.data.runsOfRepository(message.repo);
    let outcome: Outcome;
    if (ofRepo.some((r) => r.state.type === 'COMPLETED')) outcome = { ok: true, message: `Comparing with ${message.repo} from its latest run.` };
    else if (ofRepo.some((r) => r.state.type === 'RUNNING' || r.state.type === 'PENDING')) outcome = { ok: true, message: `Comparing with ${message.repo} once its run completes.` };
    else {
      const started = await this.runFlow('github-repo-stats', { repo: message.repo });
      outcome = started.ok
        ? { ok: true, message: `Started run '${started.name}' of github-repo-stats for ${message.repo}.` }
        : { ok: false, message: `Could not start github-repo-stats for ${message.repo}: ${started.message}` };
    }
    await this.pushModel();
    return outcome;
  }

  /** Charts a date range: the stored run of it, or a run started for it (with the charted run's metrics). */
  private async chooseYoutubeRange(startDate: string, endDate: string): Promise<Outcome> {
    const problem = rangeProblem(startDate, endDate, new Date());
    if (problem) return { ok: false, message: problem };
    const shown = this.shown?.youtube;
    if (shown?.status === 'ok' && shown.view.startDate === startDate && shown.view.endDate === endDate) {
      return { ok: true, message: `${startDate} to ${endDate} is shown.` };
    }
    const runs = newestFirst(await this.data.listRuns());
    const stored = youtubeRunOfRange(runs, startDate, endDate);
    if (stored) {
      this.selection = { ...this.selection, youtubeRunId: stored.id };
      await this.pushModel();
      return { ok: true, message: `Showing run ${stored.name} of ${startDate} to ${endDate}.` };
    }
    const chartedRun = shown && shown.status !== 'none' ? runs.find((r) => r.id === shown.run.id) : undefined;
    const metrics = chartedRun?.parameters.metrics;
    const started = await this.runFlow('youtube-channel-analytics', { startDate, endDate, ...(typeof metrics === 'string' ? { metrics } : {}) });
    if (!started.ok) return { ok: false, message: `Could not start youtube-channel-analytics for ${startDate} to ${endDate}: ${started.message}` };
    // Follow the latest run, which is the new one, and its logs.
    const next = { ...this.selection };
    delete next.youtubeRunId;
    delete next.logRunId;
    this.selection = next;
    await this.pushModel();
    return { ok: true, message: `Started run '${started.name}' for ${startDate} to ${endDate}; its charts appear when it completes.` };
  }

  private async saveLog(runId: string): Promise<Outcome> {
    const run = (await this.data.listRuns()).find((r) => r.id === runId);
    if (!run) return { ok: false, message: 'That run is no longer stored.' };
    return saveLogFile(run.name, (onLogs) => this.data.readLogBatches(runId, onLogs));
  }

  private post(message: HostToWebview): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /** Builds and posts a model; calls while one is being built coalesce into one more build after it. */
  private async pushModel(): Promise<void> {
    if (!this.ready) return;
    if (this.building) {
      this.buildAgain = true;
      return;
    }
    this.building = true;
    try {
      do {
        this.buildAgain = false;
        await this.buildAndPost();
      } while (this.buildAgain && this.ready);
    } catch (e) {
      this.post({ type: 'notice', level: 'error', message: `The dashboard could not read the run history: ${(e as Error).message}` });
    } finally {
      this.building = false;
    }
  }

  private async buildAndPost(): Promise<void> {
    const runs = await this.data.listRuns();
    const selection = this.selection;
    const wanted = readsWanted(runs, selection);
    const results = new Map<string, unknown>();
    for (const id of wanted.results) results.set(id, await this.data.readResult(id));
    const snapshots = new Map<string, RepoSnapshot>();
    for (const id of wanted.snapshots) {
      const snapshot = await this.data.readSnapshot(id);
      if (snapshot) snapshots.set(id, snapshot);
    }
    const artifacts = await this.data.readFlowArtifacts(runs);
    let model = buildDashboardModel({ runs, results, snapshots, selection, artifacts });
    const fallbacks = fallbackReads(runs, model).filter((id) => !results.has(id));
    if (fallbacks.length > 0) {
      for (const id of fallbacks) results.set(id, await this.data.readResult(id));
      model = buildDashboardModel({ runs, results, snapshots, selection, artifacts });
    }
    this.shown = model;
    this.listedFlows = new Set(model.recentRuns.map((r) => r.flowName));
    this.post({ type: 'model', model });
    const logRunId = logRunIdOf(model);
    if (logRunId !== this.logRunId || this.logsStale) {
      this.logRunId = logRunId;
      this.logsStale = false;
      this.pendingLines = [];
      if (logRunId !== null) await this.sendLogFile(logRunId);
    }
  }

  /**
   * Sends the log run's lines from its file, replacing what the webview shows, as they are read, in messages
   * of at most MAX_LINES_PER_PUSH lines: a run of 1,000,000 lines was one message of 149 MB, turned into
   * text on the extension host's thread in one go (2.3 s), every line held there meanwhile; 600 lines of a
   * megabyte, one message too long to be turned into text (RangeError: Invalid string length), never shown.
   */
  private async sendLogFile(logRunId: string): Promise<void> {
    this.readingLogs = logRunId;
    let lastTs = -Infinity;
    let reset = true;
    let lines: LogLine[] = [];
    const send = (): void => {
      this.post({ type: 'logs', runId: logRunId, lines, ...(reset ? { reset } : {}) });
      reset = false;
      lines = [];
    };
    try {
      await this.data.readLogBatches(logRunId, (records) => {
        // Another run's logs were asked for meanwhile: the rest of this one's are not sent.
        if (this.logRunId !== logRunId) return;
        for (const line of toLogLines(records)) {
          lines.push(line);
          if (lines.length >= MAX_LINES_PER_PUSH) send();
        }
        // And what the store read at once goes at once: its reads are a megabyte or so, while 5,000 lines of
        // a megabyte each (FLOWDECK_MAX_LOG_LINE_KB) made a message too long to be made into text at all.
        if (lines.length > 0) send();
        lastTs = records.at(-1)?.ts ?? lastTs;
      });
    } finally {
      if (this.readingLogs === logRunId) this.readingLogs = undefined;
    }
    if (this.logRunId !== logRunId) return;
    if (reset || lines.length > 0) send();
    // Lines streamed while the file was being read may be in it already; the later ones follow it.
    this.pendingLines = this.pendingLines.filter((line) => line.ts > lastTs);
    this.logPush.schedule();
  }

  private pushLines(): void {
    // Streamed lines wait for the file's, which they follow.
    if (this.logRunId === null || this.pendingLines.length === 0 || this.readingLogs === this.logRunId) return;
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

/** Opens the dashboard, or brings the open one forward; restores it after a window reload. */
export class DashboardPanels implements vscode.Disposable {
  private current?: DashboardPanel;

  constructor(private readonly deps: Deps) {}

  /** Takes back the panel a window reload left, with the selection it had. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    let selection: DashboardSelection = {};
    try {
      selection = parseWebviewState(state).selection;
    } catch (e) {
      this.deps.output.note(`The dashboard's saved state was unreadable, so it starts fresh: ${(e as Error).message}`, 'WARNING');
    }
    this.adopt(panel, selection);
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

/**
 * Restores the dashboard after a window reload. Registered at activation (VS Code asks for it then); the
 * panels are built only when there is a dashboard to restore.
 */
export function registerDashboardRestore(dashboard: OnFirstUse<DashboardPanels>): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    deserializeWebviewPanel: async (panel, state: unknown) => dashboard.value.restore(panel, state),
  });
}
