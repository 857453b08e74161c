/**
 * The Runs view: grouped by flow (each flow's runs newest first, a page at a time) or one flat list of
 * top-level runs; each run expands into its task runs and subflow runs. Runs of this window update from
 * the runner's events, runs of other processes (the CLI) from the store watcher. Only the rows that look
 * different are redrawn, at most every REDRAW_MS: a redraw under the pointer can swallow a click.
 */
import { isRunDeletedWhileRead } from '../../engine/storeErrors';
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import type { ListOptions } from '../../engine/runStore';
import { isTerminal } from '../../engine/states';
import { MAX_CHANGED_IDS_READ } from '../changedRunsRead';
import type { FlowdeckHost, StoreChange } from '../host';
import { Throttle } from '../util/throttle';
import { filterSummary, isFiltered, runTooltip, taskTooltip, type RunsFilter } from './present';
import { FlowGroupNode, GROUP_PAGE, LoadMoreNode, RunNode, TASKS_PAGE, TaskRunNode, TaskSummaryNode, type RunsTreeNode } from './runNodes';
import { REDRAW_MS, setViewMessage } from './redrawPace';
import { selectionAfterRedraw } from './selectionAfterRedraw';
import { shapeFlowGroups, shapeRunChildren, TaskDigest } from './treeShape';

export { FlowGroupNode, LoadMoreNode, RunNode, TaskRunNode, TaskSummaryNode, type RunsTreeNode } from './runNodes';

export const RUNS_PAGE = 200;
/**
 * Durations of going runs tick every 5 s; ages ("2 min ago") every half minute. Each tick redraws the row,
 * and a click whose press and release straddle a redraw is lost (measured: 1 click in 8 with a tick every
 * second), so the rows of going runs are not redrawn more often: their details panel shows the live time.
 */
const TICK_MS = 5000;
const AGE_TICK_MS = 30_000;
/**
 * After the view is told its rows changed, VS Code reads them again within a few frames; a click in between
 * finds no selection (selectionAfterRedraw.ts). For this long after a change, a click with no selection
 * waits for the rows to be read again, looking every SELECTION_STEP_MS.
 */
const REDRAW_SETTLE_MS = 3000;
const SELECTION_STEP_MS = 20;

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | RunsTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  private filter: RunsFilter = {};
  private grouped = true;
  private shown = RUNS_PAGE;
  /** Every RunNode the view holds (top-level and subflows), by run id: events update these in place. */
  private readonly nodes = new Map<string, RunNode>();
  private readonly groups = new Map<string, FlowGroupNode>();
  /** How many runs each flow group lists, kept across redraws. */
  private readonly groupLimits = new Map<string, number>();
  private readonly expanded = new Set<string>();
  private readonly dirty = new Set<RunsTreeNode>();
  /** What the view listed last, at the top and under each node: shown again while the store cannot be read. */
  private lastRoots?: RunsTreeNode[];
  /** The last read of the store failed. */
  private unreadable = false;
  private readonly lastChildren = new WeakMap<RunsTreeNode, RunsTreeNode[]>();
  private rootDirty = false;
  /** A top-level run changed: its flow's row may read differently (grouped view). */
  private groupsStale = false;
  /** After a filter change the view goes back to its top (it would otherwise stay far down the old list). */
  private revealTop = false;
  private readonly redraw = new Throttle(REDRAW_MS, () => this.flush());
  private readonly disposables: vscode.Disposable[] = [];
  private ticker?: NodeJS.Timeout;
  private lastAgeTick = 0;
  /** When the view was last told its rows changed (Date.now()). */
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private view?: vscode.TreeView<RunsTreeNode>;

  constructor(private readonly host: FlowdeckHost) {
    this.disposables.push(
      this.changed,
      host.onDidChangeRun((run) => this.onRun(run)),
      host.onDidChangeTask(({ runId }) => this.onTask(runId)),
      host.onDidChangeStore((change) => this.onStore(change)),
      // Read again once the store is back, so the list catches up and the error it shows goes.
      host.onDidChangeStoreHealth((health) => health.ok && this.unreadable && this.refresh()),
      host.onDidChangeProgress(() => this.onProgress()),
    );
  }

  /** Runs whose rows show a progress now. */
  private withProgress = new Set<string>();

  /** A run of this window reported progress (or ended): its row says how far it is. */
  private onProgress(): void {
    const latest = new Map(this.host.activeProgress.map((p) => [p.runId, p.progress]));
    const now = Date.now();
    for (const id of new Set([...this.withProgress, ...latest.keys()])) {
      const node = this.nodes.get(id);
      if (node?.setProgress(latest.get(id), this.host.isCancelable(id, node.run), now)) this.markDirty(node);
    }
    this.withProgress = new Set(latest.keys());
  }

  /** Hooks the view's expand/collapse and visibility events, which decide what is kept current. */
  attach(view: vscode.TreeView<RunsTreeNode>): void {
    this.view = view;
    this.disposables.push(
      view.onDidExpandElement(({ element }) => element instanceof RunNode && this.expanded.add(element.run.id)),
      view.onDidCollapseElement(({ element }) => {
        if (!(element instanceof RunNode)) return;
        this.expanded.delete(element.run.id);
      }),
      view.onDidChangeVisibility(({ visible }) => (visible ? this.refresh() : this.stopTicker())),
    );
  }

  /**
   * The row a click or Enter has just opened: VS Code selects it, and hands the selection over, before it
   * runs the row's command (openRunsRow.ts). Several selected (Enter after Shift-clicks): the last. Just
   * after a redraw the selection reads empty until VS Code has read the rows again: it is awaited then.
   */
  openedRow(): Promise<RunsTreeNode | undefined> {
    return selectionAfterRedraw(
      () => this.view?.selection.at(-1),
      () => Date.now() - this.lastChangeAt < REDRAW_SETTLE_MS,
      { boundMs: REDRAW_SETTLE_MS, stepMs: SELECTION_STEP_MS, now: Date.now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    );
  }

  getFilter(): RunsFilter {
    return { ...this.filter };
  }

  setFilter(filter: RunsFilter): void {
    this.filter = { ...filter };
    this.shown = RUNS_PAGE;
    this.groupLimits.clear();
    this.revealTop = true;
    void vscode.commands.executeCommand('setContext', 'flowdeck.runsFiltered', isFiltered(this.filter));
    this.refresh();
  }

  get isGrouped(): boolean {
    return this.grouped;
  }

  /** Grouped by flow, or one list (the flow then shows first in each run's description). */
  setGrouped(grouped: boolean): void {
    if (grouped === this.grouped) return;
    this.grouped = grouped;
    this.nodes.clear();
    this.groups.clear();
    this.revealTop = true;
    this.refresh();
  }

  /** Redraws everything (Refresh, a changed filter, the view becoming visible). */
  refresh(): void {
    this.rootDirty = true;
    this.redraw.schedule();
  }

  loadMore(node: LoadMoreNode): void {
    if (node.parent instanceof RunNode) {
      node.parent.taskLimit += TASKS_PAGE;
      this.markDirty(node.parent);
    } else if (node.parent instanceof FlowGroupNode) {
      node.parent.limit += GROUP_PAGE;
      this.groupLimits.set(node.parent.flowName, node.parent.limit);
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
      // Parameters live in the run's journal, not the index: its first record alone, read when the tooltip
      // is wanted (a run of a million task runs is not read for a tooltip).
      const parameters = await this.host.openedStore?.parametersOf(node.run.id).catch(() => undefined);
      item.tooltip = new vscode.MarkdownString(runTooltip({ ...node.run, parameters }, Date.now()));
    } else if (node instanceof TaskRunNode) {
      item.tooltip = new vscode.MarkdownString(taskTooltip(node.task, Date.now()));
    }
    return item;
  }

  getParent(node: RunsTreeNode): RunsTreeNode | undefined {
    if (node instanceof FlowGroupNode) return undefined;
    if (node instanceof RunNode) {
      if (node.run.parentRunId) return this.nodes.get(node.run.parentRunId);
      return this.grouped ? this.groups.get(node.run.flowName) : undefined;
    }
    return node.parent;
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    try {
      const children = await this.childrenFor(node);
      if (node) this.lastChildren.set(node, children);
      else {
        // The top is read again after a failure (and clears the error shown): the view has caught up.
        this.lastRoots = children;
        this.unreadable = false;
      }
      return children;
    } catch (e) {
      this.unreadable = true;
      // The store cannot be read (a shared store out of reach): the view keeps what it had, and says why.
      setViewMessage(this.view, (e as Error).message);
      return (node ? this.lastChildren.get(node) : this.lastRoots) ?? [];
    }
  }

  private async childrenFor(node: RunsTreeNode | undefined): Promise<RunsTreeNode[]> {
    if (!node) return this.roots();
    if (node instanceof FlowGroupNode) return this.runsOf(node);
    if (node instanceof RunNode) return this.childrenOf(node);
    return [];
  }

  private listOptions(): ListOptions {
    return {
      rootsOnly: true,
      ...(this.filter.flowNames?.length ? { flowNames: this.filter.flowNames } : {}),
      ...(this.filter.stateTypes?.length ? { stateTypes: this.filter.stateTypes } : {}),
      ...(this.filter.tags?.length ? { tags: this.filter.tags } : {}),
      ...(this.filter.search ? { search: this.filter.search } : {}),
    };
  }

  dispose(): void {
    this.stopTicker();
    this.redraw.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async roots(): Promise<RunsTreeNode[]> {
    const store = await this.host.store();
    const filtered = isFiltered(this.filter);
    const items = this.grouped ? await this.groupRoots() : await this.flatRoots();
    if (this.view) {
      const total = filtered ? await store.count({ rootsOnly: true }) : 0;
      this.view.description = filtered ? filterSummary(this.filter, await store.count(this.listOptions()), total) : undefined;
      setViewMessage(this.view, items.length === 0 && filtered ? 'No runs match the filter. Change it with Filter Runs… or Search Runs…, or clear it.' : undefined);
    }
    this.startTicker();
    if (this.revealTop && items.length > 0) {
      this.revealTop = false;
      const first = items[0]!;
      // After this answer has reached the view, so the item exists there.
      setTimeout(() => void this.view?.reveal(first, { select: false, focus: false }).then(undefined, () => undefined), 0);
    }
    return items;
  }

  private async groupRoots(): Promise<RunsTreeNode[]> {
    const store = await this.host.store();
    const flows = await store.flows();
    // One question for every flow's matching runs: a count per flow made a filtered redraw of 200 flows 200
    // round trips to a shared store.
    const matching = isFiltered(this.filter) ? await store.flowCounts(this.listOptions()) : undefined;
    const now = Date.now();
    const shaped = shapeFlowGroups(flows, this.filter, matching);
    const kept = new Map<string, FlowGroupNode>();
    const items = shaped.map((group) => {
      let node = this.groups.get(group.flowName);
      if (node) node.update(group, now);
      else node = new FlowGroupNode(group, now);
      node.limit = this.groupLimits.get(group.flowName) ?? GROUP_PAGE;
      kept.set(group.flowName, node);
      return node;
    });
    this.groups.clear();
    for (const [name, node] of kept) this.groups.set(name, node);
    this.pruneNodes((run) => kept.has(run.flowName));
    return items;
  }

  private async flatRoots(): Promise<RunsTreeNode[]> {
    const store = await this.host.store();
    const page = await store.list({ ...this.listOptions(), limit: this.shown + 1 });
    const items: RunsTreeNode[] = page.slice(0, this.shown).map((run) => this.runNode(run, true));
    const listed = new Set(page.slice(0, this.shown).map((r) => r.id));
    this.pruneNodes((run) => listed.has(run.id));
    if (page.length > this.shown) {
      const total = await store.count(this.listOptions());
      items.push(new LoadMoreNode(undefined, total - this.shown));
    }
    return items;
  }

  /** The runs of one flow, newest first, a page at a time. */
  private async runsOf(group: FlowGroupNode): Promise<RunsTreeNode[]> {
    const store = await this.host.store();
    const options = { ...this.listOptions(), flowNames: [group.flowName] };
    const page = await store.list({ ...options, limit: group.limit + 1 });
    const items: RunsTreeNode[] = page.slice(0, group.limit).map((run) => this.runNode(run, false));
    const listed = new Set(page.slice(0, group.limit).map((r) => r.id));
    this.pruneNodes((root) => root.flowName !== group.flowName || listed.has(root.id));
    if (page.length > group.limit) items.push(new LoadMoreNode(group, (await store.count(options)) - group.limit));
    return items;
  }

  private runNode(run: FlowRunSummary, flat: boolean): RunNode {
    const now = Date.now();
    let node = this.nodes.get(run.id);
    if (!node || node.flat !== flat) node = this.newRunNode(run, flat, now);
    node.update(run, this.host.isCancelable(run.id, run), now);
    this.nodes.set(run.id, node);
    return node;
  }

  /**
   * A row for `run`, with the progress its run has reported already: a row made after the last report (the
   * list read again while the run goes) would otherwise show none until the next one, maybe never.
   */
  private newRunNode(run: FlowRunSummary, flat: boolean, now: number): RunNode {
    const node = new RunNode(run, false, now, flat);
    const progress = this.host.activeProgress.find((p) => p.runId === run.id)?.progress;
    if (progress !== undefined) node.setProgress(progress, this.host.isCancelable(run.id, run), now);
    return node;
  }

  /** Forgets nodes of top-level runs no longer listed (and their subflows). */
  private pruneNodes(keep: (root: FlowRunSummary) => boolean): void {
    for (const [id, node] of this.nodes) {
      const root = rootRun(node.run, this.nodes);
      if (!root || !keep(root)) this.nodes.delete(id);
    }
    for (const id of this.expanded) if (!this.nodes.has(id)) this.expanded.delete(id);
  }

  private async childrenOf(node: RunNode): Promise<RunsTreeNode[]> {
    // Asked for children means expanded, including expansions the view restored without an event.
    this.expanded.add(node.run.id);
    const store = await this.host.store();
    const tasks = await this.tasksOf(node);
    const subflows = (await store.list({ parentRunId: node.run.id })).reverse();
    const now = Date.now();
    return shapeRunChildren(tasks, subflows, node.taskLimit).map((child) => {
      switch (child.kind) {
        case 'summary':
          return new TaskSummaryNode(node, child.counts);
        case 'task':
          return new TaskRunNode(node, child.task, now);
        case 'subflow': {
          const sub = this.nodes.get(child.run.id) ?? this.newRunNode(child.run, false, now);
          sub.update(child.run, false, now);
          this.nodes.set(child.run.id, sub);
          return sub;
        }
        case 'more':
          return new LoadMoreNode(node, child.remaining);
      }
    });
  }

  /**
   * A finished run's task runs are read once; a run going in this window is listed from its runner's fold
   * (its counts and the bounded number of task runs it holds) and redrawn on the runner's events; a run of
   * another process (the CLI) is read again each time it is redrawn. Read a batch at a time into a digest,
   * which keeps only what is listed: a run of a million task runs is never held.
   */
  private async tasksOf(node: RunNode): Promise<TaskDigest> {
    const live = isTerminal(node.run.state.type) ? undefined : this.host.liveFold(node.run.id);
    if (live) return TaskDigest.ofFold(live, node.taskLimit);
    if (node.finishedTasks && node.finishedTasks.limit >= node.taskLimit) return node.finishedTasks;
    const store = await this.host.store();
    const digest = new TaskDigest(node.taskLimit);
    try {
      await (await store.readRunParts(node.run.id, { artifactData: false }))?.readTaskRuns((batch) => digest.add(batch));
    } catch (e) {
      // Deleted while it was read (a prune): what was read is shown until its row goes.
      if (!isRunDeletedWhileRead(e)) throw e;
      return digest;
    }
    if (isTerminal(node.run.state.type)) node.finishedTasks = digest;
    return digest;
  }

  private onRun(run: FlowRunSummary): void {
    const node = this.nodes.get(run.id);
    if (node) {
      if (node.update(run, this.host.isCancelable(run.id, run), Date.now())) this.markDirty(node);
      // A flow's row says how its newest run is doing.
      if (this.grouped && !run.parentRunId) this.markGroupsStale();
    } else if (!run.parentRunId) {
      this.onNewRootRun(run.flowName);
    } else {
      const parent = this.nodes.get(run.parentRunId);
      if (parent && this.expanded.has(parent.run.id)) this.markDirty(parent);
    }
  }

  private onTask(runId: string): void {
    const node = this.nodes.get(runId);
    if (node && this.expanded.has(runId)) this.markDirty(node);
  }

  private onStore(change: StoreChange): void {
    if (change.reset) {
      this.lastRoots = undefined;
      this.nodes.clear();
      this.groups.clear();
      this.expanded.clear();
      this.refresh();
      return;
    }
    void this.applyStoreChange(change.ids);
  }

  private async applyStoreChange(ids: readonly string[]): Promise<void> {
    if (ids.length > MAX_CHANGED_IDS_READ) {
      // Runs changed by the thousand elsewhere (a prune, a burst of runs): the rows shown are read again,
      // a page of them, instead of each run named (5,000 deleted runs were 5,000 reads of the store).
      this.refresh();
      return;
    }
    const store = await this.host.store();
    const runs = await Promise.all(ids.map((id) => store.get(id)));
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      const node = this.nodes.get(id);
      const run = runs[i];
      const parent = run?.parentRunId ? this.nodes.get(run.parentRunId) : undefined;
      if (node && run) {
        if (node.update(run, this.host.isCancelable(id, run), now)) this.markDirty(node);
        if (this.grouped && !run.parentRunId) this.markGroupsStale();
      } else if (parent) {
        // A new subflow run of a run that is shown: its parent's children change.
        if (this.expanded.has(parent.run.id)) this.markDirty(parent);
      } else if (run && !run.parentRunId) {
        this.onNewRootRun(run.flowName);
      } else if (!run) {
        // Deleted elsewhere: the list itself changes.
        this.refresh();
      }
    }
  }

  /** A top-level run not shown yet: its flow's runs change (grouped), or the list does (flat, or a new flow). */
  private onNewRootRun(flowName: string): void {
    const group = this.grouped ? this.groups.get(flowName) : undefined;
    if (!group) {
      this.refresh();
      return;
    }
    this.markDirty(group);
    this.markGroupsStale();
  }

  private markGroupsStale(): void {
    this.groupsStale = true;
    this.redraw.schedule();
  }

  /**
   * Updates the flow rows in place from the history's per-flow summary; the whole list is redrawn only
   * when the flows or their order changed (or a filter needs counts per flow).
   */
  private async refreshGroups(): Promise<void> {
    if (isFiltered(this.filter)) {
      this.refresh();
      return;
    }
    const shaped = shapeFlowGroups(await (await this.host.store()).flows(), this.filter);
    const shown = [...this.groups.keys()];
    if (!this.grouped || shaped.length !== shown.length || shaped.some((g, i) => g.flowName !== shown[i])) {
      this.refresh();
      return;
    }
    const now = Date.now();
    for (const group of shaped) {
      const node = this.groups.get(group.flowName)!;
      if (node.update(group, now)) this.markDirty(node);
    }
  }

  private markDirty(node: RunsTreeNode): void {
    this.dirty.add(node);
    this.redraw.schedule();
  }

  private flush(): void {
    if (this.groupsStale && !this.rootDirty) {
      this.groupsStale = false;
      void this.refreshGroups().catch(() => this.refresh());
    }
    if (this.rootDirty) {
      this.groupsStale = false;
      this.rootDirty = false;
      this.dirty.clear();
      this.lastChangeAt = Date.now();
      this.changed.fire(undefined);
      return;
    }
    if (this.dirty.size === 0) return;
    const nodes = [...this.dirty];
    this.dirty.clear();
    this.lastChangeAt = Date.now();
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
      if (node.update(node.run, this.host.isCancelable(node.run.id, node.run), now)) this.dirty.add(node);
    }
    if (ages) {
      for (const group of this.groups.values()) if (group.update(group.group, now)) this.dirty.add(group);
    }
    if (this.dirty.size > 0) this.redraw.schedule();
  }
}

/** The top-level run above `run` (itself when it is one); undefined when an ancestor is not held. */
function rootRun(run: FlowRunSummary, nodes: ReadonlyMap<string, RunNode>): FlowRunSummary | undefined {
  let current = run;
  for (let depth = 0; current.parentRunId && depth < 100; depth++) {
    const parent = nodes.get(current.parentRunId);
    if (!parent) return undefined;
    current = parent.run;
  }
  return current;
}
