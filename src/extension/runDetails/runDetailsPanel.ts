/**
 * One run's details panel. Each time its webview says `ready` (it starts empty again after being hidden),
 * the run's journal is read from the start by a fresh follower and streamed to it — header, timeline, logs,
 * artifacts —
 * and from then on only what is appended, whichever process writes it. Every message from the webview is
 * parsed by the protocol first; every request gets one reply.
 */
import { relative } from 'node:path';
import * as vscode from 'vscode';
import type { FlowRunDetail, FlowRunSummary, LogRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { storedJsonView, textJsonView } from '../../engine/serializer';
import { isTerminal } from '../../engine/states';
import {
  logLineMatches,
  parseRunDetailsMessage,
  ProtocolError,
  type HostToRunDetails,
  type LogFilter,
  type ResultView,
  type RunDetailsToHost,
  type RunLogLine,
  type TimelineItem,
} from '../../webview/runDetails/protocol';
import { formatLogLine } from '../../engine/logFormat';
import { isArtifactMessage, type ArtifactToHost, type ExportToHost } from '../../webview/artifactMessages';
import { MAX_CHANGED_IDS_READ } from '../changedRunsRead';
import type { FlowIndex } from '../flows/flowIndex';
import type { FlowdeckHost } from '../host';
import type { RunLogDocuments } from '../logs/runLogDocuments';
import type { RunOutput } from '../output/runOutput';
import { openAt } from '../runs/launcher';
import { JournalFollower } from '../runs/journalFollower';
import { journalSourceOf } from '../../engine/journalSource';
import { Throttle } from '../util/throttle';
import { handleArtifactMessage, type ArtifactPanel } from '../artifacts/artifactRequests';
import { editorExports } from '../dashboard/exports';
import { MAX_TIMELINE_TASKS, absentRunOf, artifactViewsOf, headerOf, runTable, subflowItemOf, taskItemOf, timelineTaskIds } from './detailsModel';
import { runDetailsHtml } from './html';
import { makeNonce } from '../dashboard/html';
import { nodeOf, pageOf } from './resultPages';
import { subflowFailureOf, type SubflowFailure } from '../failures/subflowFailure';
import { logFileName } from '../logs/logFileName';
import { refusedOf } from '../../webview/refused';

const HEADER_MS = 200;
const TIMELINE_MS = 200;
const LOGS_MS = 100;
const ARTIFACTS_MS = 250;
/** Log lines per message: a big journal streams in pieces the webview can take. */
const LINES_PER_MESSAGE = 5000;
/** A result kept in a file is shown up to this size: reading it back is a synchronous parse. */
const MAX_SHOWN_RESULT_BYTES = 4 * 1024 * 1024;
/** More lines than this are not put on the clipboard (Save as .log takes any number). */
const MAX_CLIPBOARD_LINES = 200_000;
/** Nor more characters than this (32 MiB): a few lines of a megabyte each are that much. */
const MAX_CLIPBOARD_CHARS = 32 * 1024 * 1024;

export interface RunDetailsDeps {
  extensionUri: vscode.Uri;
  host: FlowdeckHost;
  output: RunOutput;
  flowIndex: FlowIndex;
  runLogs: RunLogDocuments;
  /** Opens (or reveals) another run's panel: a subflow's, a parent's. False when there is no such run. */
  openRun(runId: string): Promise<boolean>;
}

export class RunDetailsPanel implements vscode.Disposable {
  private ready = false;
  /** Its run was deleted while it was open (Delete Run, Clear History, a prune): said once, in its title too. */
  private deleted = false;
  /**
   * The window switched to another store (`flowdeck.home`, `flowdeck.store` changed) that does not hold its
   * run: said once, in its title too, until a switch to a store holding it reads the run again from there.
   */
  private otherStore = false;
  /** The `location` of the store its run was last read from: a missing run is then told apart from a deleted one. */
  private readFrom?: string;
  /** Its last reading of the run from the start failed (the store out of reach): read again once it is back. */
  private unread = false;
  private follower?: JournalFollower;
  /**
   * Counts stops: an opening (start) that finds it changed after a wait for the store was overtaken — the
   * page said ready again (shown again after being hidden), or the panel closed — and leaves the rest to the
   * newer one. Going on, two followers fed the page every log line twice, and a closed panel's follower
   * watched its run's journal for good.
   */
  private openings = 0;
  private subflows = new Map<string, FlowRunSummary>();
  private resultValue: { runState: number; value: unknown; view: ResultView } | undefined;
  private subflowFailureRead: { runState: number; failure: Promise<SubflowFailure | undefined> } | undefined;
  private logsReset = true;
  private timelineReset = true;
  private pendingLines: RunLogLine[] = [];
  private readonly changedItems = new Set<string>();
  /** The task runs the timeline draws (all of them, unless the run has more than MAX_TIMELINE_TASKS). */
  private drawnTasks = new Set<string>();
  private omittedShown = 0;
  /** The run's line in the index while a run it says has finished is read for the first time (HeaderContext.reading). */
  private readingFinished?: FlowRunSummary;
  /** Header pushes begun: one that a later one overtook posts nothing (it awaits the store). */
  private headerPushes = 0;
  private readonly headerPush = new Throttle(HEADER_MS, () => void this.pushHeader());
  private readonly timelinePush = new Throttle(TIMELINE_MS, () => this.pushTimeline());
  private readonly logPush = new Throttle(LOGS_MS, () => this.pushLogs());
  private readonly artifactPush = new Throttle(ARTIFACTS_MS, () => this.pushArtifacts());
  /** Table pages come from the artifacts the follower folded: the run's own, nothing else. */
  private readonly artifactPanel: ArtifactPanel = {
    readTable: async (runId, key) => runTable(this.follower?.fold?.run, runId, key),
    post: (message) => this.post(message),
  };
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly runId: string,
    runName: string,
    private readonly deps: RunDetailsDeps,
    onDispose: () => void,
  ) {
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    const scripts = vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview');
    panel.title = `Run ${runName}`;
    panel.iconPath = vscode.Uri.joinPath(media, 'flowdeck.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: [scripts, media] };
    panel.webview.html = runDetailsHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(scripts, 'runDetails.js')).toString(),
      styleUris: ['dashboard.css', 'runDetails.css'].map((css) => panel.webview.asWebviewUri(vscode.Uri.joinPath(media, css)).toString()),
      nonce: makeNonce(),
      runName,
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is torn down; it says `ready` again when shown.
        if (!panel.visible) this.stop();
      }),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
      deps.host.onDidChangeRun((run) => this.onRun(run)),
      deps.host.onDidChangeStore((change) => void this.onStore(change.ids, change.reset).catch((e: unknown) => this.unreadable(e))),
      deps.host.onDidChangeStoreHealth((health) => {
        if (health.ok && this.unread && this.ready) this.startReading();
      }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    this.stop();
    for (const d of this.disposables) d.dispose();
  }

  private stop(): void {
    // An opening still waiting for the store goes no further (start checks this after each wait).
    this.openings++;
    this.ready = false;
    this.follower?.close();
    this.follower = undefined;
    this.pendingLines = [];
    this.changedItems.clear();
  }

  private receive(raw: unknown): void {
    let message: RunDetailsToHost;
    try {
      message = parseRunDetailsMessage(raw);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.deps.output.note(`A run details panel sent a message Flowdeck does not accept, so it was ignored: ${e.message}`, 'WARNING');
      // Answered all the same: a request left without its reply kept the webview waiting for ever.
      this.post(refusedOf(raw, e));
      return;
    }
    if (message.type === 'ready') this.startReading();
    else if (isArtifactMessage(message)) void handleArtifactMessage(message, this.artifactPanel, editorExports);
    else void this.answer(message.req, () => this.handle(message));
  }

  private async answer(req: number, work: () => Promise<{ ok: boolean; message?: string; page?: Extract<HostToRunDetails, { type: 'reply' }>['page'] }>): Promise<void> {
    let reply: { ok: boolean; message?: string; page?: Extract<HostToRunDetails, { type: 'reply' }>['page'] };
    try {
      reply = await work();
    } catch (e) {
      reply = { ok: false, message: (e as Error).message };
    }
    this.post({ type: 'reply', req, ...reply });
  }

  private async handle(message: Exclude<RunDetailsToHost, { type: 'ready' } | ArtifactToHost | ExportToHost>): Promise<{ ok: boolean; message?: string; page?: Extract<HostToRunDetails, { type: 'reply' }>['page'] }> {
    const run = await (await this.deps.host.store()).get(this.runId);
    if (!run) return { ok: false, message: 'This run is no longer in the run history.' };
    switch (message.type) {
      case 'action':
        switch (message.action) {
          case 'cancel':
            return this.deps.host.cancel(this.runId) ? { ok: true, message: `Cancelling flow run '${run.name}'.` } : { ok: false, message: `Flow run '${run.name}' is not running in this window, so it cannot be cancelled here.` };
          case 'resume':
            await vscode.commands.executeCommand('flowdeck.resumePausedRun', this.runId);
            return { ok: true };
          case 'retryFromFailure':
            await vscode.commands.executeCommand('flowdeck.retryFromFailure', this.runId);
            return { ok: true };
          case 'rerun':
            await vscode.commands.executeCommand('flowdeck.rerunRun', this.runId);
            return { ok: true };
          case 'openSource':
            return this.openSource(run);
          case 'showLogs':
            await this.deps.runLogs.show(run);
            return { ok: true };
        }
        break;
      case 'goToFailure':
        await vscode.commands.executeCommand('flowdeck.goToFailure', { runId: this.runId, ...(message.taskRunId !== undefined ? { taskRunId: message.taskRunId } : {}) });
        return { ok: true };
      case 'openRun':
        return (await this.deps.openRun(message.runId)) ? { ok: true } : { ok: false, message: 'That run is no longer in the run history (deleted, or pruned to flowdeck.runHistoryLimit).' };
      case 'exportLogs':
        return this.exportLogs(run, message.to, message.filter);
      case 'expandResult': {
        const page = this.resultValue ? pageOf(this.resultValue.value, message.path, message.offset) : undefined;
        return page ? { ok: true, page } : { ok: false, message: 'That part of the result is not there.' };
      }
    }
  }

  private async openSource(run: FlowRunSummary): Promise<{ ok: boolean; message?: string }> {
    if (run.source.startsWith('builtin:')) return { ok: false, message: 'Built-in flows ship compiled with Flowdeck; there is no source file to open.' };
    const files = await this.deps.flowIndex.all();
    const flow = files.find((f) => f.file === run.source)?.flows.find((f) => f.name === run.flowName);
    await openAt(run.source, flow?.line ?? 1, flow?.column ?? 1);
    return { ok: true };
  }

  private async exportLogs(run: FlowRunSummary, to: 'clipboard' | 'file', filter: LogFilter): Promise<{ ok: boolean; message?: string }> {
    const store = await this.deps.host.store();
    const taskNames = new Map([...(this.follower?.fold?.tasks.values() ?? [])].map((t) => [t.id, t.taskName]));
    // Kept as bytes a batch at a time: one string of every line can be longer than a string may be (600
    // lines of a megabyte: 'Invalid string length', for Copy and Save as .log alike).
    const chunks: Buffer[] = [];
    let count = 0;
    let chars = 0;
    await store.readLogs(this.runId, (logs) => {
      const batch: string[] = [];
      for (const r of logs) if (logLineMatches(filter, r, (id) => taskNames.get(id))) batch.push(formatLogLine(r));
      if (batch.length === 0) return;
      const text = `${batch.join('\n')}\n`;
      count += batch.length;
      chars += text.length;
      // What the clipboard refuses is not kept for it.
      if (to === 'file' || (count <= MAX_CLIPBOARD_LINES && chars <= MAX_CLIPBOARD_CHARS)) chunks.push(Buffer.from(text, 'utf8'));
    });
    const lines = `${count.toLocaleString('en-US')} line${count === 1 ? '' : 's'}`;
    if (to === 'clipboard') {
      if (count > MAX_CLIPBOARD_LINES) return { ok: false, message: `${lines} are too many for the clipboard; use Save as .log.` };
      if (chars > MAX_CLIPBOARD_CHARS) return { ok: false, message: `${lines} (${Math.round(chars / 1024 / 1024).toLocaleString('en-US')} MB) are too much for the clipboard; use Save as .log.` };
      await vscode.env.clipboard.writeText(Buffer.concat(chunks).toString('utf8'));
      return { ok: true, message: `Copied ${lines}.` };
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Save the log of flow run '${run.name}'`,
      saveLabel: 'Save Log',
      filters: { Log: ['log'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, logFileName(run.name)) } : {}),
    });
    if (!target) return { ok: false, message: 'Not saved.' };
    await vscode.workspace.fs.writeFile(target, Buffer.concat(chunks));
    return { ok: true, message: `Saved ${lines} to ${target.fsPath}.` };
  }

  private post(message: HostToRunDetails): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  /**
   * Reads the run from the start; when that fails (the store out of reach — a panel restored by a window
   * reload while a shared store's database is down shows nothing else), the panel says so and what happens
   * next, and reads again once the store is back.
   */
  private startReading(): void {
    const reading = this.start();
    // (start stopped what went before it, synchronously: this is its number.)
    const opening = this.openings;
    void reading.catch((e: unknown) => {
      // Overtaken meanwhile (shown again, closed): the newer opening says how it went.
      if (opening !== this.openings) return;
      this.unread = true;
      const message = `The run history cannot be read, so this run cannot be shown: ${(e as Error).message.replace(/\.+$/, '')}. This panel reads it again by itself once the store can be reached (the status bar says while it cannot).`;
      this.post({ type: 'notice', level: 'error', message });
      this.post({ type: 'logs', reset: false, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message }] });
    });
  }

  /** The webview is (again) empty: read the run from the start and stream it. */
  private async start(): Promise<void> {
    this.stop();
    const opening = this.openings;
    this.ready = true;
    this.logsReset = true;
    this.timelineReset = true;
    const store = await this.deps.host.store();
    const summary = await store.get(this.runId);
    if (opening !== this.openings) return;
    this.unread = false;
    if (!summary) {
      // Shown again after being hidden, with the window on another store: not "deleted" (it is in the other one).
      const absent = absentRunOf({ deleted: this.deleted, readFrom: this.readFrom }, store.location);
      this.otherStore = absent.otherStore;
      if (absent.otherStore && !this.panel.title.endsWith(' (not in this store)')) this.panel.title = `${this.panel.title} (not in this store)`;
      this.post({ type: 'logs', reset: true, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: absent.message }] });
      return;
    }
    this.readFrom = store.location;
    this.deleted = false;
    this.otherStore = false;
    this.readingFinished = isTerminal(summary.state.type) ? summary : undefined;
    const subflows = await store.list({ parentRunId: this.runId });
    if (opening !== this.openings) return;
    this.subflows = new Map(subflows.map((r) => [r.id, r]));
    const follower = new JournalFollower(
      journalSourceOf(store, this.runId),
      this.runId,
      (batch) => {
        for (const r of batch.records) if (r.k === 'log') this.pendingLines.push(lineOf(r));
        for (const id of batch.tasks) this.changedItems.add(id);
        if (batch.run) this.headerPush.schedule();
        if (this.pendingLines.length >= LINES_PER_MESSAGE) this.logPush.flush();
        if (this.pendingLines.length > 0) this.logPush.schedule();
        if (this.changedItems.size > 0) this.timelinePush.schedule();
        if (batch.records.some((r) => r.k === 'artifact')) this.artifactPush.schedule();
      },
      (e) => this.post({ type: 'logs', reset: false, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: `The run's journal can no longer be read: ${e.message}` }] }),
    );
    this.follower = follower;
    await follower.catchUp();
    if (this.follower !== follower) return;
    follower.mergeSummary(summary);
    this.readingFinished = undefined;
    follower.follow();
    for (const id of this.subflows.keys()) this.changedItems.add(id);
    // The first push of each part goes now, asked for or not: the follower asks for a timeline only for task
    // runs it read, so a run whose only children are subflows showed none ("0 runs"), however often opened.
    this.logPush.runNow();
    this.headerPush.schedule();
    this.timelinePush.runNow();
    this.artifactPush.flush();
  }

  private onRun(run: FlowRunSummary): void {
    if (run.id === this.runId) {
      this.follower?.poke();
      this.headerPush.schedule();
    } else if (run.parentRunId === this.runId) {
      this.subflows.set(run.id, run);
      this.changedItems.add(run.id);
      this.timelinePush.schedule();
    }
  }

  /** The store cannot be read (a `flowdeck.home` that is a file, a database out of reach): said in the logs, not thrown away. */
  private unreadable(e: unknown): void {
    this.post({ type: 'logs', reset: false, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: `The run history cannot be read: ${(e as Error).message}` }] });
  }

  private async onStore(ids: readonly string[], reset: boolean): Promise<void> {
    if (!this.ready) return;
    const store = await this.deps.host.store();
    if (reset) return this.onStoreSwitched(store);
    if (ids.length > MAX_CHANGED_IDS_READ) {
      // Runs changed by the thousand elsewhere (a prune): what concerns this panel is its run and its
      // subflow runs, listed in one question, not each run named read one after another (500 reads).
      for (const sub of await store.list({ parentRunId: this.runId })) this.onRun(sub);
      ids = ids.includes(this.runId) ? [this.runId] : [];
    }
    for (const id of ids) {
      const run = await store.get(id);
      if (!run) {
        if (id === this.runId && !this.deleted) {
          // What it shows stays readable; it says the run is gone, as an editor says of a deleted file.
          this.deleted = true;
          this.panel.title = `${this.panel.title} (deleted)`;
          this.post({ type: 'logs', reset: false, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: 'This run was deleted from the run history; what is shown here was read before.' }] });
          // Its buttons go: each needs the run in the store (Show Logs did nothing).
          this.headerPush.schedule();
        }
        continue;
      }
      if (id === this.runId) {
        this.follower?.mergeSummary(run);
        this.follower?.poke();
        this.headerPush.schedule();
      } else if (run.parentRunId === this.runId) {
        this.onRun(run);
      }
    }
  }

  /**
   * The window now uses another store (a changed `flowdeck.home` or `flowdeck.store`): the run is read again
   * from it when it is there; otherwise what is shown stays, saying the run is not in the store in use —
   * it was not deleted, and a switch back shows it whole again.
   */
  private async onStoreSwitched(store: RunStore): Promise<void> {
    if (await store.get(this.runId)) {
      this.deleted = false;
      this.otherStore = false;
      await this.start();
      return;
    }
    if (this.otherStore || this.deleted) return;
    this.otherStore = true;
    // Its journal is the other store's: nothing more to follow here.
    this.follower?.close();
    this.panel.title = `${this.panel.title} (not in this store)`;
    this.post({ type: 'logs', reset: false, lines: [{ ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: 'This run is not in the run store now in use (the flowdeck.home or flowdeck.store setting changed); what is shown here was read before.' }] });
    this.headerPush.schedule();
  }

  private async pushHeader(): Promise<void> {
    const detail = this.follower?.fold?.detail();
    if (!this.ready || !detail) return;
    const push = ++this.headerPushes;
    const reading = this.readingFinished;
    const store = await this.deps.host.store();
    const parent = detail.parentRunId ? await store.get(detail.parentRunId) : undefined;
    const subflowFailure = reading ? undefined : await this.subflowFailure(detail);
    const header = headerOf(detail, {
      cancelable: this.deps.host.isCancelable(this.runId, reading ?? detail),
      sourceLabel: sourceLabel(detail.source),
      pathLabel: (file) => vscode.workspace.asRelativePath(file, false),
      ...(parent ? { parent: { id: parent.id, name: parent.name } } : {}),
      result: reading ? { kind: 'none', note: 'The result shows once the run has been read.' } : await this.result(detail),
      ...(reading ? { reading } : {}),
      ...(subflowFailure ? { subflowFailure } : {}),
      deleted: this.deleted,
      otherStore: this.otherStore,
    });
    if (push !== this.headerPushes) return;
    this.panel.title = `Run ${detail.name}${this.deleted ? ' (deleted)' : this.otherStore ? ' (not in this store)' : ''}`;
    this.post({ type: 'header', header });
  }

  /** The subflow run's failure the run failed with, read once for its final state (a failed run's subflows have ended). */
  private async subflowFailure(detail: FlowRunDetail): Promise<SubflowFailure | undefined> {
    if (detail.state.type !== 'FAILED' || detail.state.failure !== undefined) return undefined;
    if (this.subflowFailureRead?.runState !== detail.state.timestamp) {
      this.subflowFailureRead = { runState: detail.state.timestamp, failure: subflowFailureOf(await this.deps.host.store(), detail).catch(() => undefined) };
    }
    return this.subflowFailureRead.failure;
  }

  /** The result as the viewer shows it; read once the run has finished (a result never changes after). */
  private async result(detail: FlowRunDetail): Promise<ResultView> {
    if (!isTerminal(detail.state.type)) return { kind: 'none', note: 'The result shows when the run has finished.' };
    if (this.resultValue?.runState === detail.state.timestamp) return this.resultValue.view;
    let value: unknown;
    let view: ResultView;
    try {
      if (detail.result) {
        value = storedJsonView(detail.result.dv);
        view = { kind: 'value', root: nodeOf(value) };
      } else if (detail.resultRef && detail.resultRef.bytes > MAX_SHOWN_RESULT_BYTES) {
        view = { kind: 'tooLarge', bytes: detail.resultRef.bytes };
      } else if (detail.resultRef) {
        value = textJsonView(await (await this.deps.host.store()).readResultText(this.runId, detail.resultRef));
        view = { kind: 'value', root: nodeOf(value) };
      } else {
        view = { kind: 'none', note: detail.resultNote ?? (detail.state.type === 'COMPLETED' ? 'The flow returned nothing.' : `No result: the run ended ${detail.state.name}.`) };
      }
    } catch (e) {
      view = { kind: 'none', note: `The result could not be read: ${(e as Error).message}` };
    }
    this.resultValue = { runState: detail.state.timestamp, value, view };
    return view;
  }

  private pushTimeline(): void {
    const follower = this.follower;
    if (!this.ready || !follower?.fold) return;
    const fold = follower.fold;
    const items: TimelineItem[] = [];
    const reset = this.timelineReset;
    if (reset) this.drawnTasks = new Set(timelineTaskIds(fold.tasks));
    const ids = reset ? [...this.drawnTasks, ...this.subflows.keys()] : [...this.changedItems];
    for (const id of ids) {
      const task = fold.tasks.get(id);
      if (task) {
        // A huge run's timeline keeps to the task runs it drew, and takes new ones only while there is room.
        if (!this.drawnTasks.has(id)) {
          if (this.drawnTasks.size >= MAX_TIMELINE_TASKS) continue;
          this.drawnTasks.add(id);
        }
        items.push(taskItemOf(task, follower.taskHistory(id)));
      } else {
        const sub = this.subflows.get(id);
        if (sub) items.push(subflowItemOf(sub));
      }
    }
    this.changedItems.clear();
    const omitted = fold.total - this.drawnTasks.size;
    if (items.length === 0 && !reset && omitted === this.omittedShown) return;
    this.timelineReset = false;
    this.omittedShown = omitted;
    // A finished run read for the first time: a task run read part-way ended by the run's end at the latest —
    // drawn to this moment instead, it stretched the timeline to it (seen in CI: 1,838 s for a run whose task
    // runs span 100 s).
    const reading = this.readingFinished;
    const ended = reading ? (reading.endTime ?? reading.state.timestamp) : undefined;
    this.post({ type: 'timeline', reset, items, now: Date.now(), ...(ended !== undefined ? { ended } : {}), ...(omitted > 0 ? { omitted } : {}) });
  }

  private pushArtifacts(): void {
    const detail = this.follower?.fold?.detail();
    if (this.ready && detail) this.post({ type: 'artifacts', artifacts: artifactViewsOf(detail) });
  }

  private pushLogs(): void {
    if (!this.ready || (this.pendingLines.length === 0 && !this.logsReset)) return;
    const lines = this.pendingLines;
    this.pendingLines = [];
    for (let i = 0; i < lines.length || this.logsReset; i += LINES_PER_MESSAGE) {
      this.post({ type: 'logs', reset: this.logsReset, lines: lines.slice(i, i + LINES_PER_MESSAGE) });
      this.logsReset = false;
    }
  }
}

function lineOf(r: LogRecord): RunLogLine {
  const line: RunLogLine = { ts: r.ts, level: r.level, source: r.source, message: r.message };
  if (r.taskRunId !== undefined) line.taskRunId = r.taskRunId;
  return line;
}

/** `flows/hello.flow.ts` for a workspace file, the path elsewhere, `built-in` for the built-in flows. */
function sourceLabel(source: string): string {
  if (source.startsWith('builtin:')) return 'built-in';
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(source));
  return folder ? relative(folder.uri.fsPath, source) : source;
}
