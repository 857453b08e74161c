/**
 * Runs schedules while this window is open and trusted (`flowdeck.schedules.run`: whileOpen), like
 * `flowdeck serve`: the store's schedules and those declared in the workspace's flow files. Each slot runs
 * once however many windows and serve processes share the store (the engine's Scheduler claims it). Keeps
 * each schedule's next time for the Flows view and the status bar.
 */
import * as vscode from 'vscode';
import { declaredEntries, type ScheduleEntry, type ScheduleView } from '../../engine/schedules/scheduleEntries';
import { Scheduler } from '../../engine/schedules/scheduler';
import type { FlowIndex } from '../flows/flowIndex';
import type { FlowdeckHost } from '../host';
import type { RunOutput } from '../output/runOutput';
import { readSettings } from '../settings';
import { editorMasker, editorScheduleViews } from './scheduleSecrets';

export class WindowSchedules implements vscode.Disposable {
  private scheduler?: Scheduler;
  /** Starting or stopping: one at a time, in order. */
  private changing: Promise<void> = Promise.resolve();
  private declared: ScheduleEntry[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** A schedule was added, paused, removed, or its next time moved. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly host: FlowdeckHost,
    private readonly index: FlowIndex,
    private readonly output: RunOutput,
  ) {
    this.disposables.push(
      this.changed,
      index.onDidChange(() => void this.readDeclared()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.apply()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flowdeck.schedules.run')) this.apply();
        // A new store: the scheduler of the old one gives its slots back first.
        if (e.affectsConfiguration('flowdeck.home')) {
          this.changing = this.changing.then(() => this.stop());
          this.apply();
        }
      }),
    );
  }

  /** Starts or stops running schedules as the setting and the workspace's trust say. */
  apply(): void {
    this.changing = this.changing.then(async () => {
      const wanted = readSettings().schedulesRun === 'whileOpen' && vscode.workspace.isTrusted;
      try {
        if (wanted && !this.scheduler) await this.begin();
        else if (!wanted && this.scheduler) await this.stop();
      } catch (e) {
        this.output.note(`Could not run schedules: ${(e as Error).message}`, 'WARNING');
      }
    });
  }

  /** Every schedule (the store's and the workspace's) with its state and next time, for lists and pickers. */
  async views(): Promise<ScheduleView[]> {
    const store = await this.host.store();
    // A schedule whose parameters hold a secret is refused (not run, no next time), as the scheduler refuses it.
    return editorScheduleViews(this.declared, await store.schedules.read(), Date.now(), () => this.host.knownSecrets());
  }

  /** The next time of a flow's schedules this window knows of (the earliest). */
  nextOf(source: string, flowName: string, views: readonly ScheduleView[]): number | undefined {
    const times = views.filter((v) => v.entry.source === source && v.entry.flowName === flowName && v.next !== undefined).map((v) => v.next!);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Looks at the store now (a schedule was added or changed from this window). */
  refresh(): void {
    void this.scheduler?.tick();
    this.changed.fire();
  }

  private async begin(): Promise<void> {
    const store = await this.host.store();
    await this.readDeclared();
    const scheduler = new Scheduler(store, {
      start: (entry, runId, slot) => this.host.startScheduled(entry, runId, slot),
      accepts: (entry) => entry.origin === 'store' || this.inWorkspace(entry.source),
      secrets: async () => editorMasker(await this.host.knownSecrets()),
      log: (level, message) => this.output.note(message, level),
      onCrashed: () => void this.host.resumeCrashedRuns(),
    });
    scheduler.on('planned', () => this.changed.fire());
    scheduler.setDeclared(this.declared);
    scheduler.start();
    this.scheduler = scheduler;
  }

  private async stop(): Promise<void> {
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.stop('the editor window running it closed or stopped running schedules');
  }

  private async readDeclared(): Promise<void> {
    this.declared = await declaredEntries(await this.index.all());
    this.scheduler?.setDeclared(this.declared);
    this.changed.fire();
  }

  /** Schedules declared in files: only those of this window's own workspace (another window runs its own). */
  private inWorkspace(source: string): boolean {
    return !source.startsWith('builtin:') && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(source)) !== undefined;
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables) d.dispose();
    await this.stop();
  }
}
