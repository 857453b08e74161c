/**
 * The Runs view: top-level runs newest first, 200 at a time, each expanding into its task runs and
 * subflow runs. Runs of this window update from the runner's events, runs of other processes (the CLI)
 * from the store watcher. Only the nodes that changed are redrawn, at most every REDRAW_MS.
 */
import * as vscode from 'vscode';
import type { FlowRunSummary, TaskRunRecord } from '../../engine/records';
import type { ListOptions } from '../../engine/runStore';
import { isTerminal } from '../../engine/states';
import type { FlowdeckHost, StoreChange } from '../host';
import { ITEM_ICONS, stateIcon } from '../icons';
import { themeIcon } from '../themeIcon';
import { Throttle } from '../util/throttle';
import { describeFilter, runContextValue, runDescription, runTooltip, taskDescription, taskTooltip, type RunsFilter } from './present';

export const RUNS_PAGE = 200;
/** Task runs listed under one run before a "more" item; a 20,000-task run stays usable. */
export const TASKS_PAGE = 500;
const REDRAW_MS = 150;
/** Durations of going runs tick every second; ages ("2 min ago") every half minute. */
const TICK_MS = 1000;
const AGE_TICK_MS = 30_000;

export class RunNode extends vscode.TreeItem {
  /** Task runs of a finished run, read once from its file. */
  finishedTasks?: TaskRunRecord[];
  /** Task runs of a going run that is expanded, kept current from the runner's events. */
  liveTasks?: Map<string, TaskRunRecord>;
  /** How many of its task runs are listed. */
  taskLimit = TASKS_PAGE;

  constructor(
    public run: FlowRunSummary,
    cancelable: boolean,
    now: number,
  ) {
    super(run.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `run/${run.id}`;
    this.update(run, cancelable, now);
  }

  update(run: FlowRunSummary, cancelable: boolean, now: number): void {
    if (run.state.timestamp !== this.run.state.timestamp) this.finishedTasks = undefined;
    this.run = run;
    this.description = runDescription(run, now);
    this.iconPath = themeIcon(stateIcon(run.state));
    this.contextValue = runContextValue(run, { cancelable, subflow: run.parentRunId !== undefined });
  }
}

export class TaskRunNode extends vscode.TreeItem {
  constructor(
    readonly parent: RunNode,
    readonly task: TaskRunRecord,
    now: number,
  ) {
    super(task.name, vscode.TreeItemCollapsibleState.None);
    this.id = `task/${task.id}`;
    this.description = taskDescription(task, now);
    this.iconPath = themeIcon(stateIcon(task.state));
    this.contextValue = 'taskrun';
  }
}

/** "Load more…" at the end of a page: more runs (no parent) or more task runs of `parent`. */
export class LoadMoreNode extends vscode.TreeItem {
  constructor(
    readonly parent: RunNode | undefined,
    remaining: number | undefined,
  ) {
    super('Load more…', vscode.TreeItemCollapsibleState.None);
    this.id = parent ? `more/${parent.run.id}` : 'more/runs';
    this.iconPath = themeIcon(ITEM_ICONS.loadMore);
    if (remaining !== undefined) this.description = `${remaining.toLocaleString('en-US')} more`;
    this.contextValue = 'loadmore';
    this.command = { command: 'flowdeck.loadMoreRuns', title: 'Load More', arguments: [this] };
  }
}

export type RunsTreeNode = RunNode | TaskRunNode | LoadMoreNode;

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | RunsTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  private filter: RunsFilter = {};
  private shown = RUNS_PAGE;
  /** Every RunNode the view holds (top-level and subflows), by run id: events update these in place. */
  private readonly nodes = new Map<string, RunNode>();
  private readonly expanded = new Set<string>();
  private readonly dirty = new Set<RunNode>();
  private rootDirty = false;
  private readonly redraw = new Throttle(REDRAW_MS, () => this.flush());
  private readonly disposables: vscode.Disposable[] = [];
  private ticker?: NodeJS.Timeout;
  private lastAgeTick = 0;
  private view?: vscode.TreeView<RunsTreeNode>;

  constructor(private readonly host: FlowdeckHost) {
    this.disposables.push(
      this.changed,
      host.onDidChangeRun((run) => this.onRun(run)),
      host.onDidChangeTask(({ runId, task }) => this.onTask(runId, task)),
      host.onDidChangeStore((change) => this.onStore(change)),
    );
  }

  /** Hooks the view's expand/collapse and visibility events, which decide what is kept current. */
  attach(view: vscode.TreeView<RunsTreeNode>): void {
    this.view = view;
    this.disposables.push(
      view.onDidExpandElement(({ element }) => element instanceof RunNode && this.expanded.add(element.run.id)),
      view.onDidCollapseElement(({ element }) => {
        if (!(element instanceof RunNode)) return;
        this.expanded.delete(element.run.id);
        element.liveTasks = undefined;
      }),
      view.onDidChangeVisibility(({ visible }) => (visible ? this.refresh() : this.stopTicker())),
    );
  }

  getFilter(): RunsFilter {
    return { ...this.filter };
  }

  setFilter(filter: RunsFilter): void {
    this.filter = { ...filter };
    this.shown = RUNS_PAGE;
    const description = describeFilter(this.filter);
    if (this.view) this.view.description = description;
    void vscode.commands.executeCommand('setContext', 'flowdeck.runsFiltered', description !== undefined);
    this.refresh();
  }

  /** Redraws everything (Refresh, a changed filter, the view becoming visible). */
  refresh(): void {
    this.rootDirty = true;
    this.redraw.schedule();
  }

  loadMore(node: LoadMoreNode): void {
    if (node.parent) {
      node.parent.taskLimit += TASKS_PAGE;
      this.markDirty(node.parent);
    } else {
      this.shown += RUNS_PAGE;
      this.refresh();
    }
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    return node;
  }

  /** Tooltips are built on hover: a busy run redraws hundreds of task runs several times a second. */
  async resolveTreeItem(item: vscode.TreeItem, node: RunsTreeNode): Promise<vscode.TreeItem> {
    if (node instanceof RunNode) {
      // Parameters live in the run's journal, not the index: read when the tooltip is wanted.
      const detail = await this.host.openedStore?.readRun(node.run.id).catch(() => undefined);
      item.tooltip = new vscode.MarkdownString(runTooltip({ ...node.run, parameters: detail?.parameters }, Date.now()));
    } else if (node instanceof TaskRunNode) {
      item.tooltip = new vscode.MarkdownString(taskTooltip(node.task, Date.now()));
    }
    return item;
  }

  getParent(node: RunsTreeNode): RunsTreeNode | undefined {
    if (node instanceof RunNode) return node.run.parentRunId ? this.nodes.get(node.run.parentRunId) : undefined;
    return node.parent;
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    try {
      if (!node) return await this.roots();
      if (node instanceof RunNode) return await this.childrenOf(node);
      return [];
    } catch (e) {
      if (this.view) this.view.message = (e as Error).message;
      return [];
    }
  }

  private listOptions(): ListOptions {
    return {
      rootsOnly: true,
      ...(this.filter.flowName !== undefined ? { flowNames: [this.filter.flowName] } : {}),
      ...(this.filter.stateType !== undefined ? { stateTypes: [this.filter.stateType] } : {}),
    };
  }

  dispose(): void {
    this.stopTicker();
    this.redraw.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async roots(): Promise<RunsTreeNode[]> {
    const store = await this.host.store();
    const now = Date.now();
    const page = await store.list({ ...this.listOptions(), limit: this.shown + 1 });
    const kept = new Map<string, RunNode>();
    const items: RunsTreeNode[] = page.slice(0, this.shown).map((run) => {
      const node = this.nodes.get(run.id) ?? new RunNode(run, false, now);
      node.update(run, this.host.isCancelable(run.id, run), now);
      kept.set(run.id, node);
      return node;
    });
    // Subflow nodes stay while their top-level run is listed.
    for (const [id, node] of this.nodes) if (node.run.parentRunId && kept.has(rootOf(node.run, this.nodes))) kept.set(id, node);
    this.nodes.clear();
    for (const [id, node] of kept) this.nodes.set(id, node);
    for (const id of this.expanded) if (!this.nodes.has(id)) this.expanded.delete(id);
    if (page.length > this.shown) {
      const total = await store.count(this.listOptions());
      items.push(new LoadMoreNode(undefined, total - this.shown));
    }
    if (this.view) this.view.message = items.length === 0 && describeFilter(this.filter) ? 'No runs match the filter. Change it with Filter Runs… or clear it.' : undefined;
    this.startTicker();
    return items;
  }

  private async childrenOf(node: RunNode): Promise<RunsTreeNode[]> {
    // Asked for children means expanded, including expansions the view restored without an event.
    this.expanded.add(node.run.id);
    const store = await this.host.store();
    const tasks = await this.tasksOf(node);
    const subflows = (await store.list({ parentRunId: node.run.id })).reverse();
    const now = Date.now();
    const items: RunsTreeNode[] = [];
    // A subflow run sits right after the task run that started it, else after the task runs.
    const byTask = new Map<string, FlowRunSummary[]>();
    const loose: FlowRunSummary[] = [];
    for (const s of subflows) {
      if (s.parentTaskRunId && tasks.some((t) => t.id === s.parentTaskRunId)) byTask.set(s.parentTaskRunId, [...(byTask.get(s.parentTaskRunId) ?? []), s]);
      else loose.push(s);
    }
    const subflowNode = (run: FlowRunSummary): RunNode => {
      const existing = this.nodes.get(run.id) ?? new RunNode(run, false, now);
      existing.update(run, false, now);
      this.nodes.set(run.id, existing);
      return existing;
    };
    for (const task of tasks.slice(0, node.taskLimit)) {
      items.push(new TaskRunNode(node, task, now));
      for (const s of byTask.get(task.id) ?? []) items.push(subflowNode(s));
    }
    for (const s of loose) items.push(subflowNode(s));
    if (tasks.length > node.taskLimit) items.push(new LoadMoreNode(node, tasks.length - node.taskLimit));
    return items;
  }

  /**
   * A finished run's task runs are read once; a run of this window is read once and then follows the
   * runner's events; a run of another process (the CLI) is read again each time it is redrawn.
   */
  private async tasksOf(node: RunNode): Promise<TaskRunRecord[]> {
    if (node.liveTasks) return [...node.liveTasks.values()];
    if (node.finishedTasks) return node.finishedTasks;
    const tasks = (await (await this.host.store()).readRun(node.run.id))?.taskRuns ?? [];
    if (isTerminal(node.run.state.type)) node.finishedTasks = tasks;
    else if (this.host.isLive(node.run.id)) node.liveTasks = new Map(tasks.map((t) => [t.id, t]));
    return tasks;
  }

  private onRun(run: FlowRunSummary): void {
    const node = this.nodes.get(run.id);
    if (node) {
      if (isTerminal(run.state.type)) node.liveTasks = undefined;
      node.update(run, this.host.isCancelable(run.id, run), Date.now());
      this.markDirty(node);
    } else if (!run.parentRunId) {
      this.rootDirty = true;
      this.redraw.schedule();
    } else {
      const parent = this.nodes.get(run.parentRunId);
      if (parent && this.expanded.has(parent.run.id)) this.markDirty(parent);
    }
  }

  private onTask(runId: string, task: TaskRunRecord): void {
    const node = this.nodes.get(runId);
    if (!node || !this.expanded.has(runId)) return;
    if (node.liveTasks) node.liveTasks.set(task.id, task);
    this.markDirty(node);
  }

  private onStore(change: StoreChange): void {
    if (change.reset) {
      this.nodes.clear();
      this.expanded.clear();
      this.refresh();
      return;
    }
    void this.applyStoreChange(change.ids);
  }

  private async applyStoreChange(ids: readonly string[]): Promise<void> {
    const store = await this.host.store();
    const runs = await Promise.all(ids.map((id) => store.get(id)));
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      const node = this.nodes.get(id);
      const run = runs[i];
      const parent = run?.parentRunId ? this.nodes.get(run.parentRunId) : undefined;
      if (node && run) {
        node.update(run, this.host.isCancelable(id, run), now);
        this.markDirty(node);
      } else if (parent) {
        // A new subflow run of a run that is shown: its parent's children change.
        if (this.expanded.has(parent.run.id)) this.markDirty(parent);
      } else if (!run?.parentRunId) {
        // Created or deleted elsewhere: the list itself changes.
        this.rootDirty = true;
      }
    }
    if (this.rootDirty) this.redraw.schedule();
  }

  private markDirty(node: RunNode): void {
    this.dirty.add(node);
    this.redraw.schedule();
  }

  private flush(): void {
    if (this.rootDirty) {
      this.rootDirty = false;
      this.dirty.clear();
      this.changed.fire(undefined);
      return;
    }
    if (this.dirty.size === 0) return;
    const nodes = [...this.dirty];
    this.dirty.clear();
    this.changed.fire(nodes);
  }

  /** Keeps durations and ages current while the view is visible. */
  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private tick(): void {
    if (this.view && !this.view.visible) return;
    const now = Date.now();
    const ages = now - this.lastAgeTick >= AGE_TICK_MS;
    if (ages) this.lastAgeTick = now;
    for (const node of this.nodes.values()) {
      if (!ages && isTerminal(node.run.state.type)) continue;
      node.update(node.run, this.host.isCancelable(node.run.id, node.run), now);
      this.dirty.add(node);
    }
    if (this.dirty.size > 0) this.redraw.schedule();
  }
}

function rootOf(run: FlowRunSummary, nodes: ReadonlyMap<string, RunNode>): string {
  let current = run;
  for (let depth = 0; current.parentRunId && depth < 100; depth++) {
    const parent = nodes.get(current.parentRunId);
    if (!parent) return current.parentRunId;
    current = parent.run;
  }
  return current.id;
}
