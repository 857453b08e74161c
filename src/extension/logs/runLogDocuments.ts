/**
 * Show Logs' documents: a run's log as a read-only `flowdeck-run:` document (language `log`), one per run,
 * growing while the run goes — also for runs of other processes, whose journals are followed on disk.
 * Each task run's lines fold.
 */
import * as vscode from 'vscode';
import type { LogRecord } from '../../engine/records';
import { RUN_ID_PATTERN } from '../../webview/protocol';
import type { FlowdeckHost } from '../host';
import { JournalFollower } from '../runs/journalFollower';
import { journalSourceOf } from '../../engine/journalSource';
import { elapsed, formatDuration } from '../runs/present';
import { realTimers, Throttle } from '../util/throttle';
import { RunLogText, type RunLogHead } from './runLogText';
import { UpdateInFlight } from './updateInFlight';

export const RUN_LOG_SCHEME = 'flowdeck-run';
/** A growing document is redrawn at most this often: each redraw hands the editor the whole text. */
const UPDATE_MS = 300;
/**
 * And never while the editor is still applying the last redraw (updateInFlight.ts), unless it has not
 * said so this long after (an update that changed nothing says nothing).
 */
const UPDATE_STALE_MS = 10_000;

/** `flowdeck-run:/light-potoo.log?run=<id>`: the name is what the tab shows; the id is what counts. */
export function runLogUri(run: { id: string; name: string }): vscode.Uri {
  return vscode.Uri.from({ scheme: RUN_LOG_SCHEME, path: `/${run.name.replace(/[^\w.-]/g, '_')}.log`, query: `run=${run.id}` });
}

/** The run id of a log document's URI, or undefined when it is not one. */
export function runIdOfLogUri(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== RUN_LOG_SCHEME) return undefined;
  const id = /^run=([^&]*)$/.exec(uri.query)?.[1];
  return id !== undefined && RUN_ID_PATTERN.test(id) ? id : undefined;
}

interface OpenLog {
  runId: string;
  text: RunLogText;
  follower: JournalFollower;
  ready: Promise<void>;
  update: Throttle;
  inFlight: UpdateInFlight;
}

export class RunLogDocuments implements vscode.TextDocumentContentProvider, vscode.FoldingRangeProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Map<string, OpenLog>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly host: FlowdeckHost) {
    this.disposables = [
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(RUN_LOG_SCHEME, this),
      vscode.languages.registerFoldingRangeProvider({ scheme: RUN_LOG_SCHEME }, this),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme === RUN_LOG_SCHEME && e.contentChanges.length > 0) this.open.get(e.document.uri.toString())?.inFlight.landed();
      }),
      // A run of this window says when it changed; the follower then reads on without waiting for its poll.
      host.onDidChangeRun((run) => this.entriesOf(run.id).forEach((e) => e.follower.poke())),
      host.onDidChangeStore((change) => void this.onStore(change.ids)),
    ];
  }

  /** Opens (or shows again) the run's log document. */
  async show(run: { id: string; name: string }): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(runLogUri(run));
    if (doc.languageId !== 'log') await vscode.languages.setTextDocumentLanguage(doc, 'log');
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const runId = runIdOfLogUri(uri);
    if (!runId) return `Not a Flowdeck run log: ${uri.toString()}\n`;
    const entry = this.open.get(uri.toString()) ?? (await this.start(uri, runId));
    if (!entry) return `There is no run ${runId} in the run history (it may have been deleted).\n`;
    await entry.ready;
    return entry.text.text();
  }

  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    const entry = this.open.get(document.uri.toString());
    return (entry?.text.foldingRanges() ?? []).map((r) => new vscode.FoldingRange(r.start, r.end));
  }

  dispose(): void {
    for (const key of [...this.open.keys()]) this.forget(vscode.Uri.parse(key));
    for (const d of this.disposables) d.dispose();
  }

  private async start(uri: vscode.Uri, runId: string): Promise<OpenLog | undefined> {
    const store = await this.host.store();
    const summary = await store.get(runId);
    if (!summary) return undefined;
    const key = uri.toString();
    const existing = this.open.get(key);
    if (existing) return existing;
    const head = (): RunLogHead => {
      const run = follower.fold?.run ?? summary;
      const took = elapsed(run, Date.now());
      return { runName: run.name, flowName: run.flowName, created: run.created, status: took === undefined ? run.state.name : `${run.state.name} · ${formatDuration(took)}` };
    };
    const text = new RunLogText({ runName: summary.name, flowName: summary.flowName, created: summary.created, status: summary.state.name });
    const inFlight = new UpdateInFlight(
      () => {
        text.setHead(head());
        this.changed.fire(uri);
        return vscode.workspace.textDocuments.some((d) => d.uri.toString() === key);
      },
      UPDATE_STALE_MS,
      realTimers,
    );
    const update = new Throttle(UPDATE_MS, () => inFlight.request());
    const follower = new JournalFollower(
      journalSourceOf(store, runId, { logsAndRun: true }),
      runId,
      (batch) => {
        const logs = batch.records.filter((r): r is LogRecord => r.k === 'log');
        text.append(logs);
        if (logs.length > 0 || batch.run) update.schedule();
      },
      (e) => {
        text.append([{ k: 'log', runId, ts: Date.now(), level: 'WARNING', source: 'flowdeck.vscode', message: `The run's log can no longer be read: ${e.message}` }]);
        update.schedule();
      },
    );
    const entry: OpenLog = { runId, text, follower, update, inFlight, ready: follower.catchUp().then(() => text.setHead(head())) };
    this.open.set(key, entry);
    follower.follow();
    return entry;
  }

  private entriesOf(runId: string): OpenLog[] {
    return [...this.open.values()].filter((e) => e.runId === runId);
  }

  /** Another process changed runs: their files grew, and the index may know a state their files lack (a crash). */
  private async onStore(ids: readonly string[]): Promise<void> {
    const store = this.host.openedStore;
    for (const id of ids) {
      for (const entry of this.entriesOf(id)) {
        const summary = await store?.get(id);
        if (summary && entry.follower.mergeSummary(summary)) entry.update.schedule();
        entry.follower.poke();
      }
    }
  }

  private forget(uri: vscode.Uri): void {
    const entry = this.open.get(uri.toString());
    if (!entry) return;
    entry.follower.close();
    entry.update.dispose();
    entry.inFlight.dispose();
    this.open.delete(uri.toString());
  }
}
