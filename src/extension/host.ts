/**
 * The engine as the extension runs it, the same way the CLI does (src/cli/host.ts): the run store under
 * `flowdeck.home` and a FlowRunner whose workers and built-in flows ship in dist/. Both are created on
 * first use, not during activation. Views listen to the events here and never touch the runner.
 */
import { dirname } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { mayStoreRefreshedCredentials } from '../engine/credentials';
import type { BoundedFold } from '../engine/boundedFold';
import type { FlowSource } from '../engine/protocol';
import type { ArtifactRecord, FlowRunSummary, LogRecord, TaskRunRecord } from '../engine/records';
import { HistoryPruner } from '../engine/historyRetention';
import { openStore } from '../engine/openStore';
import { FlowRunner, type ActiveRun } from '../engine/runner';
import type { RunStore } from '../engine/runStore';
import { sourceOfEntry, type ScheduleEntry } from '../engine/schedules/scheduleEntries';
import type { SlotStart } from '../engine/schedules/scheduler';
import type { QueuedResume, StoreHealth } from '../engine/sharedStore';
import { isSettled, isTerminal } from '../engine/states';
import { anyToResume } from '../engine/crashedToResume';
import type { GitHubAccount } from './accounts/github';
import { runEnv, youTubeEnv, type EnvCandidates } from './accounts/runEnv';
import type { YouTubeAccount } from './accounts/youtube';
import type { EditorSecrets } from './schedules/scheduleSecrets';
import { sourceOfRun } from './flows/flowRef';
import type { RunOutput } from './output/runOutput';
import { readSettings } from './settings';
import { StoreWatch } from './storeWatch';
import { storeOpenMessage } from './storeOpenError';
import { StoreReopen } from './storeReopen';

export interface StoreChange {
  /** Runs created, changed or deleted by another process. */
  ids: string[];
  /** The store was reopened (another location): everything shown is stale. */
  reset: boolean;
}

export interface StartRequest {
  source: FlowSource;
  flowName?: string;
  parameters?: Record<string, unknown>;
  /** Its cached tasks run and replace their cached results (RunRequest.refreshCache). */
  refreshCache?: boolean;
  /** Tags besides its flow's own (RunRequest.tags): a Rerun's, the run's it reruns. */
  tags?: string[];
  /** A Rerun's secret parameters, given again: the run's records hold *** in their place (RunRequest.secretParameters). */
  secretParameters?: Record<string, string>;
}

/** The latest progress a run going in this window reported (its last progress artifact, of any key). */
export interface RunProgress {
  runId: string;
  runName: string;
  key: string;
  /** 0 to 100. */
  progress: number;
  description?: string;
}

/** A run of this window paused in pauseFlowRun: its name, and what it waits for (its Paused state's message). */
export interface PausedRun {
  runId: string;
  runName: string;
  message?: string;
}

export class FlowdeckHost implements vscode.Disposable {
  private storeInstance?: RunStore;
  private storeOpening?: Promise<RunStore>;
  private runnerInstance?: FlowRunner;
  private storeWatch?: StoreWatch;
  private readonly activeRoots = new Set<string>();
  /** Runs of this window waiting in pauseFlowRun, by id. */
  private readonly paused = new Map<string, PausedRun>();
  /** The latest progress artifact of each top-level run of this window going that made one. */
  private readonly progress = new Map<string, RunProgress>();
  private reopenWhenIdle = false;
  /** Keeps the history to `flowdeck.runHistoryLimit` runs, a quiet moment after runs finish. */
  private readonly pruner = new HistoryPruner(
    () => this.storeInstance,
    () => readSettings().runHistoryLimit,
    {
      pruned: (ids) => this.storeEmitter.fire({ ids, reset: false }),
      failed: (e) => this.output.note(`Could not prune the run history: ${e.message}`, 'WARNING'),
    },
  );
  private loopDelay?: IntervalHistogram;
  /** Runs this window started that nobody asked for here (scheduled, resumed by themselves): their end is notified. */
  private readonly unwatched = new Set<string>();

  private readonly runEmitter = new vscode.EventEmitter<FlowRunSummary>();
  private readonly taskEmitter = new vscode.EventEmitter<{ runId: string; task: TaskRunRecord }>();
  private readonly logEmitter = new vscode.EventEmitter<LogRecord>();
  private readonly storeEmitter = new vscode.EventEmitter<StoreChange>();
  private readonly activeEmitter = new vscode.EventEmitter<number>();
  private readonly healthEmitter = new vscode.EventEmitter<StoreHealth>();
  private readonly progressEmitter = new vscode.EventEmitter<void>();

  /** A run of this window was created or changed state. */
  readonly onDidChangeRun = this.runEmitter.event;
  readonly onDidChangeTask = this.taskEmitter.event;
  readonly onDidLog = this.logEmitter.event;
  readonly onDidChangeStore = this.storeEmitter.event;
  /** How many top-level runs of this window are going. */
  readonly onDidChangeActiveCount = this.activeEmitter.event;
  /** A shared (Postgres) store became unreachable, or reachable again. */
  readonly onDidChangeStoreHealth = this.healthEmitter.event;
  /** A top-level run of this window reported progress (a progress artifact), or one that had ended; or a run of it paused or went on. */
  readonly onDidChangeProgress = this.progressEmitter.event;

  /** A shared store that failed to open is tried again every few seconds, said unreachable meanwhile. */
  private readonly reopen = new StoreReopen(() => this.store(), (health) => this.healthEmitter.fire(health));

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly accounts: { github: GitHubAccount; youtube: YouTubeAccount },
    private readonly output: RunOutput,
  ) {}

  /** The run store, opened on first use (which also marks runs of hosts that died as Crashed). */
  store(): Promise<RunStore> {
    if (this.storeInstance) return Promise.resolve(this.storeInstance);
    this.storeOpening ??= this.openStore().finally(() => (this.storeOpening = undefined));
    return this.storeOpening;
  }

  /** The store when it is already open (views that must answer now, without waiting for the disk). */
  get openedStore(): RunStore | undefined {
    return this.storeInstance;
  }

  private async openStore(): Promise<RunStore> {
    const { home, store: url } = readSettings();
    let store: RunStore;
    try {
      store = await openStore({ home, store: url, kind: 'editor' });
    } catch (e) {
      // The database down as the window opened: tried again by itself, the status bar saying so meanwhile.
      if (url) this.reopen.failed(e);
      throw new Error(storeOpenMessage(home, url, e));
    }
    this.reopen.opened();
    this.storeInstance = store;
    void vscode.commands.executeCommand('setContext', 'flowdeck.sharedStore', store.shared !== undefined);
    this.storeWatch = new StoreWatch(store, {
      onChange: (ids) => {
        this.storeEmitter.fire({ ids: [...ids], reset: false });
        // A run of a flow with resumeOnCrash another process marked Crashed (a CLI command, serve, another
        // window) is resumed now, not only when this window next marks crashes itself (crashedToResume.ts).
        void anyToResume(store, ids).then((yes) => (yes ? this.resumeCrashedRuns() : undefined), () => undefined);
      },
      onHealth: (health) => this.healthEmitter.fire(health),
      note: (message, level) => this.output.note(message, level),
    });
    setTimeout(() => void this.resumeCrashedRuns(), 0);
    return store;
  }

  get activeCount(): number {
    return this.activeRoots.size;
  }

  /** The runs (or subflow runs) of this window paused in pauseFlowRun, waiting to be resumed, oldest first. */
  get pausedRuns(): PausedRun[] {
    return [...this.paused.values()];
  }

  /** The latest progress of the top-level runs of this window going that report any, oldest run first. */
  get activeProgress(): RunProgress[] {
    return [...this.progress.values()];
  }

  /**
   * True when this window runs `runId` (a top-level run) and it has not finished — or when `run` is a
   * top-level run going anywhere: the request reaches the process running it (a terminal's `flowdeck run`,
   * `flowdeck serve`, another window, a worker on another machine).
   */
  isCancelable(runId: string, run?: FlowRunSummary): boolean {
    if (this.activeRoots.has(runId)) return true;
    return this.storeInstance !== undefined && !this.storeInstance.readOnly && run !== undefined && !run.parentRunId && !isTerminal(run.state.type);
  }

  /** A run going in this window as its runner folds it: counts of its task runs, and a bounded number of them. */
  liveFold(runId: string): BoundedFold | undefined {
    return this.runnerInstance?.liveFold(runId);
  }

  /** Throws BadInputError (no run created) when the file, flow or parameters are wrong. */
  /** `onSlotWait`: told when every run slot of the window is taken (flowdeck.maxConcurrentRuns) and the run waits. */
  async start(request: StartRequest, options: { onSlotWait?: (running: number) => void } = {}): Promise<ActiveRun> {
    const env = runEnv(process.env, await this.credentialsFor(request.source));
    const runner = await this.runner();
    return runner.start({ ...request, env, cwd: workingFolder(request.source) }, options.onSlotWait ? { onSlotWait: options.onSlotWait } : {});
  }

  /** Starts the run a schedule's slot created ahead of time (the window's Scheduler calls this). */
  async startScheduled(entry: ScheduleEntry, runId: string, slot: SlotStart): Promise<ActiveRun> {
    const source = sourceOfEntry(entry);
    const env = runEnv(process.env, await this.credentialsFor(source));
    const runner = await this.runner();
    const active = await runner.start({ source, flowName: entry.flowName, env, cwd: workingFolder(source) }, { runId, ...slot });
    this.unwatched.add(active.id);
    return active;
  }

  /** A run of this window started where nobody watches its logs (the dashboard): its end is notified. */
  markUnwatched(runId: string): void {
    if (this.activeRoots.has(runId)) this.unwatched.add(runId);
  }

  /** True for a run of this window nobody started by hand (scheduled, resumed by itself), until it ends. */
  isUnwatched(runId: string): boolean {
    return this.unwatched.has(runId);
  }

  /**
   * Resumes a run that did not complete, as a new attempt (BadInputError when it cannot be resumed); a
   * Suspended one with `input`, the input its suspension waits for; `secretParameters`, the values of secret
   * parameters its records hold as *** (RunRequest.secretParameters).
   */
  async resume(runId: string, input?: Record<string, unknown>, secretParameters?: Record<string, string>): Promise<ActiveRun> {
    const store = await this.store();
    const run = await store.get(runId);
    const source = run ? sourceOfRun(run.source) : undefined;
    const env = runEnv(process.env, source ? await this.credentialsFor(source) : {});
    const runner = await this.runner();
    return runner.resume(runId, { env, ...(source ? { cwd: workingFolder(source) ?? undefined } : {}), ...(input !== undefined ? { input } : {}), ...(secretParameters !== undefined ? { secretParameters } : {}) });
  }

  /**
   * A Suspended run that workers ran (Postgres), resumed on its queue with `input`: a worker runs its next
   * attempt. Undefined when it was not queued: it is resumed here (`resume`).
   */
  async resumeOnQueue(runId: string, input: Record<string, unknown>): Promise<Exclude<QueuedResume, { outcome: 'not-queued' }> | undefined> {
    const store = await this.store();
    const run = store.shared ? await store.get(runId) : undefined;
    if (!store.shared || run?.state.name !== 'Suspended') return undefined;
    const record = (await this.runner()).suspensionRecord(run, input);
    if (!record) return undefined;
    const resumed = await store.shared.resumeQueued(runId, record);
    return resumed.outcome === 'not-queued' ? undefined : resumed;
  }

  /**
   * Resumes, once across every Flowdeck process, runs of flows with `resumeOnCrash` whose host died —
   * workspace flows only when the workspace is trusted. Called when the store first opens.
   */
  async resumeCrashedRuns(): Promise<void> {
    try {
      const runner = await this.runner();
      // (A slot's run that never started is the scheduler's to take over, not a resume: isToResume.)
      const resumed = await runner.resumeCrashed({ accept: (run) => vscode.workspace.isTrusted || run.source.startsWith('builtin:') });
      for (const r of resumed) this.unwatched.add(r.id);
      for (const r of resumed) this.output.note(`Resuming flow run '${r.name}' of flow '${r.flowName}': its host ended while it ran, and the flow asks to be resumed (resumeOnCrash).`);
    } catch (e) {
      this.output.note(`Could not resume crashed runs: ${(e as Error).message}`, 'WARNING');
    }
  }

  /**
   * Resumes a paused run (pauseFlowRun) with `input`: a run of this window at once, another process's
   * through the store (its process checks the input again). Returns why not, or undefined when it was done
   * or asked.
   */
  async resumePaused(runId: string, input: Record<string, unknown>): Promise<string | undefined> {
    const runner = this.runnerInstance;
    if (runner?.runsHere(runId)) return runner.resumePaused(runId, input);
    const store = await this.store();
    if (store.readOnly) return `its store is open read-only here; resume it with \`flowdeck resume\` in a terminal`;
    const outcome = await store.requestResumePaused(runId, input);
    if (outcome === 'requested') return undefined;
    return outcome === 'unknown' ? 'it is no longer in the store' : outcome === 'finished' ? 'it has ended' : 'it is no longer paused';
  }

  cancel(runId: string): boolean {
    if (this.runnerInstance?.cancel(runId)) return true;
    const store = this.storeInstance;
    if (!store || store.readOnly) return false;
    // Runs of other processes: the request reaches the one running the run (or, queued on Postgres, cancels it before a worker takes it).
    void store.requestCancel(runId, 'Cancelled from VS Code').then(
      (outcome) => {
        if (outcome === 'finished') this.output.note(`Run ${runId} had already finished; nothing to cancel.`);
        else if (outcome === 'withdrawn') this.output.note(`Run ${runId} had ended; its resume on its queue was withdrawn before a worker took it up.`);
      },
      (e: Error) => this.output.note(`Could not cancel run ${runId}: ${e.message}`, 'ERROR'),
    );
    return true;
  }

  /** Deletes finished runs (with their subflows and files), then tells the views. Returns the ids deleted. */
  async deleteRuns(ids: readonly string[]): Promise<string[]> {
    const store = await this.store();
    const deleted = await store.delete(ids);
    if (deleted.length > 0) this.storeEmitter.fire({ ids: deleted, reset: false });
    return deleted;
  }

  /**
   * Applies a changed store location or concurrency limit: right away when nothing runs, else once the
   * last active run has finished (a running worker keeps writing to the store it started with).
   */
  reconfigure(): void {
    if (this.activeRoots.size > 0) {
      this.reopenWhenIdle = true;
      this.output.note('The new Flowdeck settings apply once the active runs have finished.');
      return;
    }
    this.reopenWhenIdle = false;
    this.closeStore();
    this.runnerInstance?.removeAllListeners();
    // No runs are active: this only lets its standby worker go.
    void this.runnerInstance?.dispose();
    this.runnerInstance = undefined;
    this.storeEmitter.fire({ ids: [], reset: true });
  }

  async dispose(): Promise<void> {
    void this.pruner.dispose();
    this.reopen.dispose();
    // Closing the editor mid-run cancels the runs (their state says why) rather than orphaning workers; the
    // store closes after, so their ends are recorded (a Postgres store's connections close with it).
    await this.runnerInstance?.dispose();
    this.closeStore();
    for (const e of [this.runEmitter, this.taskEmitter, this.logEmitter, this.storeEmitter, this.activeEmitter, this.healthEmitter, this.progressEmitter]) e.dispose();
  }

  private async runner(): Promise<FlowRunner> {
    const store = await this.store();
    if (!this.runnerInstance) {
      const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
      const { maxConcurrentRuns, standbyWorker: standby } = readSettings();
      const runner = new FlowRunner(store, {
        workerPath: vscode.Uri.joinPath(dist, 'worker.js').fsPath,
        builtinDir: vscode.Uri.joinPath(dist, 'flows').fsPath,
        maxConcurrentRuns,
        standby,
        // The editor shows runs (the Runs view hears of each task run) but must not hold a huge map's every task run.
        foldTasks: 'bounded',
        concurrencyLimits: () => readSettings().concurrencyLimits,
        env: hostEnv(),
        onCredentials: (service, patch) => {
          // Credentials from the editor's own environment (CI, tests) are not the connected account's.
          if (service === 'youtube' && mayStoreRefreshedCredentials(service, process.env)) {
            this.accounts.youtube.merge(patch).catch((e: Error) => this.output.note(`Could not save the refreshed YouTube token: ${e.message}`, 'WARNING'));
          }
        },
      });
      runner.on('run', (run) => this.onRun(run));
      runner.on('task', (runId, task) => this.taskEmitter.fire({ runId, task }));
      runner.on('log', (record) => this.logEmitter.fire(record));
      runner.on('storeError', (_runId, e) => this.output.note(e.message, 'ERROR'));
      runner.on('artifact', (record) => this.onArtifact(record));
      this.runnerInstance = runner;
    }
    return this.runnerInstance;
  }

  /** What the editor knows as secret: its environment's, and the connected accounts' credentials. */
  async knownSecrets(): Promise<EditorSecrets> {
    return { env: hostEnv(), accounts: { GITHUB_TOKEN: await this.accounts.github.tokenForRun(), ...youTubeEnv(await this.accounts.youtube.read()) } };
  }

  /** Tokens go only to the built-in flow that uses them; workspace flows get the host's environment, as in the CLI. */
  private async credentialsFor(source: FlowSource): Promise<EnvCandidates> {
    const apiUrl = readSettings().githubApiUrl;
    const common: EnvCandidates = { FLOWDECK_GITHUB_API_URL: apiUrl || undefined };
    if (source.kind !== 'builtin') return common;
    if (source.id === 'github-repo-stats') return { ...common, GITHUB_TOKEN: await this.accounts.github.tokenForRun() };
    if (source.id === 'youtube-channel-analytics') return { ...common, ...youTubeEnv(await this.accounts.youtube.read()) };
    return common;
  }

  private onArtifact(record: ArtifactRecord): void {
    if (record.data.kind !== 'progress' || !this.activeRoots.has(record.runId)) return;
    const runName = this.runnerInstance?.liveFold(record.runId)?.fold.detail.name ?? record.runId;
    const { progress, description } = record.data;
    this.progress.set(record.runId, { runId: record.runId, runName, key: record.key, progress, ...(description !== undefined ? { description } : {}) });
    this.progressEmitter.fire();
  }

  private onRun(run: FlowRunSummary): void {
    // Paused or not any more: the status bar says so (it asks for the user). A suspended run waits in no
    // process: its row and its notice say so, not the count of runs going here.
    if (run.state.name === 'Paused') {
      this.paused.set(run.id, { runId: run.id, runName: run.name, ...(run.state.message !== undefined ? { message: run.state.message } : {}) });
      this.progressEmitter.fire();
    } else if (this.paused.delete(run.id)) this.progressEmitter.fire();
    if (!run.parentRunId) {
      const before = this.activeRoots.size;
      if (isSettled(run.state)) {
        this.activeRoots.delete(run.id);
        if (this.progress.delete(run.id)) this.progressEmitter.fire();
      } else this.activeRoots.add(run.id);
      this.diagnoseEventLoop(run, before);
      if (this.activeRoots.size !== before) this.activeEmitter.fire(this.activeRoots.size);
      if (isSettled(run.state)) this.pruner.soon();
    }
    this.runEmitter.fire(run);
    if (isSettled(run.state)) this.unwatched.delete(run.id);
    if (this.activeRoots.size === 0 && this.reopenWhenIdle) {
      // After the listeners have seen the final state; a run started meanwhile postpones it again.
      setTimeout(() => {
        if (this.activeRoots.size === 0) this.reconfigure();
      }, 0);
    }
  }

  /** With `flowdeck.diagnostics.eventLoop`: how long the thread was ever blocked while runs went. */
  private diagnoseEventLoop(run: FlowRunSummary, activeBefore: number): void {
    if (!readSettings().diagnoseEventLoop) return;
    if (activeBefore === 0 && this.activeRoots.size > 0) {
      this.loopDelay ??= monitorEventLoopDelay({ resolution: 10 });
      this.loopDelay.reset();
      this.loopDelay.enable();
    } else if (isSettled(run.state) && this.loopDelay) {
      const h = this.loopDelay;
      if (this.activeRoots.size === 0) h.disable();
      this.output.note(`Event loop while flow run '${run.name}' ran: longest block ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
    }
  }

  /** Picks up what other processes wrote to the store now (Refresh). */
  refreshStore(): void {
    void this.storeWatch?.refresh();
  }

  private closeStore(): void {
    this.storeWatch?.dispose();
    this.storeWatch = undefined;
    void this.storeInstance?.close();
    this.storeInstance = undefined;
  }
}

/**
 * Where a run's code starts: the workspace folder holding the flow file (so relative paths in a flow
 * mean what they mean in a terminal opened there), else the file's folder; the first workspace folder for
 * built-in flows. The extension host's own working directory is the editor's, never the user's project.
 */
function workingFolder(source: FlowSource): string | undefined {
  if (source.kind === 'file') {
    return vscode.workspace.getWorkspaceFolder(vscode.Uri.file(source.path))?.uri.fsPath ?? dirname(source.path);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The environment runs get: the host's, with the store setting's URL as the variable (its password masked like any connection string's). */
function hostEnv(): NodeJS.ProcessEnv {
  const url = readSettings().store;
  return url ? { ...process.env, FLOWDECK_STORE: url } : process.env;
}
