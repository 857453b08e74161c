/**
 * Entry point. Activation only wires things up: commands, views, providers, webview serializers. The
 * store opens when a view first asks for runs, the runner when a run starts, the flow parser on the first
 * scan, the OAuth code on "Connect YouTube Account"; the panels, the launcher and the status bar items are
 * built on first use (util/onFirstUse.ts) — each component built here would cost its
 * first-time compilation — so activation stays in the low milliseconds (it is timed and logged to the
 * output channel).
 */
import * as vscode from 'vscode';
import { GitHubAccount } from './accounts/github';
import { registerGitHubSignInHint } from './accounts/githubSignInHint';
import { YouTubeAccount } from './accounts/youtube';
import { registerCancelRun } from './commands/cancelRun';
import { registerResumePausedRun } from './commands/resumePausedRun';
import { registerPauseNotice } from './runs/pauseNotice';
import { registerClearHistory } from './commands/clearHistory';
import { registerClearRunsFilter } from './commands/clearRunsFilter';
import { registerConnectYouTube } from './commands/connectYouTube';
import { registerCreateFlow } from './commands/createFlow';
import { registerDeleteRun } from './commands/deleteRun';
import { registerDisconnectGitHub } from './commands/disconnectGitHub';
import { registerDisconnectYouTube } from './commands/disconnectYouTube';
import { registerFilterRuns } from './commands/filterRuns';
import { registerVariables } from './commands/variables';
import { registerCachedResults } from './commands/cachedResults';
import { registerGoToFailure } from './commands/goToFailure';
import { registerGroupRuns, restoreRunsGrouping } from './commands/groupRuns';
import { registerManageSchedule } from './commands/manageSchedule';
import { registerOpenDashboard } from './commands/openDashboard';
import { registerOpenFlowSource } from './commands/openFlowSource';
import { registerOpenRun } from './commands/openRun';
import { registerOpenRunInDashboard } from './commands/openRunInDashboard';
import { registerOpenRunsRow } from './commands/openRunsRow';
import { registerRefreshFlows } from './commands/refreshFlows';
import { registerRefreshRuns } from './commands/refreshRuns';
import { registerRerunRun } from './commands/rerunRun';
import { registerRetryFromFailure } from './commands/retryFromFailure';
import { registerRunFlow } from './commands/runFlow';
import { registerRunFlowWithParameters } from './commands/runFlowWithParameters';
import { registerRunOnWorkers } from './commands/runOnWorkers';
import { registerRetryOnWorkers } from './commands/retryOnWorkers';
import { registerRunSelectedFlow } from './commands/runSelectedFlow';
import { registerScheduleFlow } from './commands/scheduleFlow';
import { registerSearchRuns } from './commands/searchRuns';
import { registerSetGitHubToken } from './commands/setGitHubToken';
import { registerShowOutput } from './commands/showOutput';
import { registerShowRunLogs } from './commands/showRunLogs';
import { registerSignInGitHub } from './commands/signInGitHub';
import { DashboardPanels, registerDashboardRestore } from './dashboard/panel';
import { FailureDiagnostics } from './failures/failureDiagnostics';
import { registerFlowCodeLens } from './flows/codeLens';
import { FlowIndex } from './flows/flowIndex';
import { FlowsTreeProvider } from './flows/flowsTree';
import { FlowdeckHost } from './host';
import { RunLogDocuments } from './logs/runLogDocuments';
import { RunOutput } from './output/runOutput';
import { RunDetailsPanels, registerRunDetailsRestore } from './runDetails/runDetailsPanels';
import { RunLauncher } from './runs/launcher';
import { RunsTreeProvider } from './runs/runsTree';
import { RunNotices } from './schedules/runNotices';
import { editorMasker } from './schedules/scheduleSecrets';
import { WindowSchedules } from './schedules/windowSchedules';
import type { Flowdeck } from './services';
import { registerStatusBar } from './statusBar';
import { registerStoreHealth } from './storeHealth';
import { OnFirstUse } from './util/onFirstUse';
import { WorkersTreeProvider } from './workers/workersTree';

/**
 * The one piece of module state: deactivate() must wait for active runs to be cancelled, and VS Code
 * gives it no other way to reach the host.
 */
let shutdown: (() => Promise<void>) | undefined;

/** How long after activation this window starts running schedules. */
const SCHEDULES_START_MS = 1500;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const output = new RunOutput();
  const github = new GitHubAccount(context);
  const youtube = new OnFirstUse(() => new YouTubeAccount(context.secrets));
  const host = new FlowdeckHost(
    context.extensionUri,
    {
      github,
      get youtube() {
        return youtube.value;
      },
    },
    output,
  );
  const launcher = new OnFirstUse(() => new RunLauncher(host, output));
  const flowIndex = new FlowIndex();
  const runsTree = new RunsTreeProvider(host);
  const runLogs = new RunLogDocuments(host);
  const dashboard = new OnFirstUse(() => new DashboardPanels({ extensionUri: context.extensionUri, host, launcher: launcher.value, output }));
  const runDetails = new OnFirstUse(() => new RunDetailsPanels({ extensionUri: context.extensionUri, host, output, flowIndex, runLogs }));
  // Built here, not on first use: every window runs its workspace's schedules (they start below, shortly
  // after activation), and the Flows view follows their changes.
  const schedules = new WindowSchedules(host, flowIndex, output);
  const failures = new OnFirstUse(() => new FailureDiagnostics(host));
  const flowdeck: Flowdeck = {
    host,
    output,
    flowIndex,
    runsTree,
    runLogs,
    github,
    schedules,
    get launcher() {
      return launcher.value;
    },
    get dashboard() {
      return dashboard.value;
    },
    get runDetails() {
      return runDetails.value;
    },
    get youtube() {
      return youtube.value;
    },
  };
  const notices = new RunNotices(host);
  // Slots prepared by this window are given back before its runs are cancelled.
  shutdown = async () => {
    notices.dispose();
    await schedules.dispose();
    await host.dispose();
  };

  const flowsTree = new FlowsTreeProvider(flowIndex, schedules, async () => {
    const masker = editorMasker(await host.knownSecrets());
    return (text) => masker.mask(text);
  });
  const runsView = vscode.window.createTreeView('flowdeck.runs', { treeDataProvider: runsTree, canSelectMany: true });
  runsTree.attach(runsView);
  const workersTree = new WorkersTreeProvider(host);
  const workersView = vscode.window.createTreeView('flowdeck.workers', { treeDataProvider: workersTree });
  workersTree.attach(workersView);
  context.subscriptions.push(
    output,
    flowIndex,
    flowsTree,
    runsTree,
    runsView,
    workersTree,
    workersView,
    dashboard,
    runLogs,
    runDetails,
    failures,
    launcher,
    youtube,
    // VS Code asks for these at activation; the panels are built only when there is one to restore.
    registerDashboardRestore(dashboard),
    registerRunDetailsRestore(runDetails),
    vscode.window.createTreeView('flowdeck.flows', { treeDataProvider: flowsTree }),
    // Holds only welcome content (package.json viewsWelcome), shown while the workspace has no flow files.
    vscode.window.registerTreeDataProvider('flowdeck.gettingStarted', { getTreeItem: (item: vscode.TreeItem) => item, getChildren: () => [] }),
    host.onDidLog((record) => output.log(record)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['home', 'store', 'maxConcurrentRuns', 'standbyWorker'].some((name) => e.affectsConfiguration(`flowdeck.${name}`))) host.reconfigure();
    }),
  );

  registerRunFlow(context, flowdeck);
  registerRunFlowWithParameters(context, flowdeck);
  registerRunOnWorkers(context, flowdeck);
  registerOpenFlowSource(context);
  registerRefreshFlows(context, flowdeck);
  registerCreateFlow(context, (message) => output.note(message));
  registerCancelRun(context, flowdeck);
  registerRerunRun(context, flowdeck);
  registerRetryFromFailure(context, flowdeck);
  registerRetryOnWorkers(context, flowdeck);
  registerResumePausedRun(context, flowdeck);
  registerPauseNotice(context, flowdeck);
  registerShowRunLogs(context, flowdeck);
  registerOpenRunInDashboard(context, flowdeck);
  registerDeleteRun(context, flowdeck);
  registerRefreshRuns(context, flowdeck);
  registerClearHistory(context, flowdeck);
  registerFilterRuns(context, flowdeck);
  registerVariables(context, flowdeck);
  registerCachedResults(context, flowdeck);
  registerClearRunsFilter(context, flowdeck);
  registerOpenRunsRow(context, flowdeck);
  registerOpenDashboard(context, flowdeck);
  registerSignInGitHub(context, flowdeck);
  registerSetGitHubToken(context, flowdeck);
  registerDisconnectGitHub(context, flowdeck);
  registerConnectYouTube(context, flowdeck);
  registerDisconnectYouTube(context, flowdeck);
  registerShowOutput(context, flowdeck);
  registerOpenRun(context, flowdeck);
  registerGoToFailure(context, flowdeck);
  registerSearchRuns(context, flowdeck);
  registerGroupRuns(context, flowdeck);
  registerRunSelectedFlow(context, flowdeck, runsView);
  restoreRunsGrouping(context, flowdeck);
  registerGitHubSignInHint(context, host);
  registerFlowCodeLens(context, flowIndex);
  registerStatusBar(context, host, schedules);
  registerStoreHealth(context, host, output);
  registerScheduleFlow(context, flowdeck);
  registerManageSchedule(context, flowdeck);
  // Schedules start after activation (they open the store and scan the workspace), not during it.
  const startSchedules = setTimeout(() => schedules.apply(), SCHEDULES_START_MS);
  // Failures of the latest runs go back to their lines once the history has been read (not during
  // activation); from then on they follow the runs.
  const restoreFailures = setTimeout(() => void failures.value.restore().catch((e: Error) => output.note(`Could not look for failed runs: ${e.message}`, 'WARNING')), 0);
  context.subscriptions.push({
    dispose: () => {
      clearTimeout(startSchedules);
      clearTimeout(restoreFailures);
    },
  });

  output.note(`Flowdeck activated in ${(performance.now() - started).toFixed(1)} ms`);
}

/** Cancels the runs still going (their state records why) and waits for their workers to stop. */
export function deactivate(): Promise<void> | undefined {
  const done = shutdown?.();
  shutdown = undefined;
  return done;
}
