/**
 * The items of the Runs view: flow groups, runs, task runs, the summary of a run's many task runs, and
 * "Load more…". Each copies what present.ts says onto a TreeItem.
 */
import * as vscode from 'vscode';
import type { FlowSource } from '../../engine/protocol';
import type { FlowRunSummary, TaskRunRecord } from '../../engine/records';
import type { FlowRef } from '../flows/flowRef';
import { sourceOfRun } from '../flows/flowRef';
import { ITEM_ICONS, stateIcon } from '../icons';
import { themeIcon } from '../themeIcon';
import {
  flatRunDescription,
  flowGroupAccessibilityLabel,
  flowGroupDescription,
  runAccessibilityLabel,
  runContextValue,
  runDescription,
  taskAccessibilityLabel,
  taskContextValue,
  taskDescription,
} from './present';
import { taskSummaryAccessibilityLabel, taskSummaryLabel, type FlowGroup, type TaskCounts, type TaskDigest } from './treeShape';

/**
 * What a row shows. Redrawing a row replaces its label's elements, and a click whose press and release
 * straddle that is lost, so rows are redrawn only when this changed.
 */
function looks(item: vscode.TreeItem, stateName: string): string {
  return [item.label, item.description, item.contextValue, item.accessibilityInformation?.label, stateName].join('\u0000');
}

/** Task runs listed under one run before a "more" item; a 20,000-task run stays usable. */
export const TASKS_PAGE = 500;
/** Runs listed under a flow before a "more" item. */
export const GROUP_PAGE = 25;

/**
 * A flow in the Runs view grouped by flow. It carries a FlowRef's fields (the flow of its newest run), so
 * "Run Flow" takes it as it takes a Flows view item, and Enter on it runs the flow.
 */
export class FlowGroupNode extends vscode.TreeItem implements Pick<FlowRef, 'kind' | 'source' | 'flowName'> {
  readonly kind = 'flowdeck.flow';
  source: FlowSource;
  readonly flowName: string;
  /** How many of its runs are listed. */
  limit = GROUP_PAGE;

  constructor(
    public group: FlowGroup,
    now: number,
  ) {
    super(group.flowName, vscode.TreeItemCollapsibleState.Expanded);
    this.flowName = group.flowName;
    this.id = `flowgroup/${group.flowName}`;
    this.source = sourceOfRun(group.last.source);
    this.contextValue = 'flowgroup runnable';
    this.update(group, now);
  }

  /** True when the row looks different now. */
  update(group: FlowGroup, now: number): boolean {
    const before = looks(this, this.group.last.state.name);
    this.group = group;
    this.source = sourceOfRun(group.last.source);
    this.description = flowGroupDescription(group, now);
    this.iconPath = themeIcon(stateIcon(group.last.state));
    this.accessibilityInformation = { label: flowGroupAccessibilityLabel(group.flowName, this.description), role: 'treeitem' };
    return looks(this, group.last.state.name) !== before;
  }
}

/** What a click on a run, its task-run summary or "Load more…" does: no arguments, so a redraw cannot drop it (openRunsRow.ts). */
const ROW_COMMAND: vscode.Command = { command: 'flowdeck.openRunsRow', title: 'Open' };

export class RunNode extends vscode.TreeItem {
  /** What is listed of a finished run's task runs, read once from its journal. */
  finishedTasks?: TaskDigest;
  /** How many of its task runs are listed. */
  taskLimit = TASKS_PAGE;

  constructor(
    public run: FlowRunSummary,
    cancelable: boolean,
    now: number,
    /** Listed without its flow group, so the description names the flow. */
    public flat: boolean,
  ) {
    super(run.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `run/${run.id}`;
    // Clicking a run (or Enter on it) opens its details: the command reads the view's selection (openRunsRow.ts).
    this.command = ROW_COMMAND;
    this.update(run, cancelable, now);
  }

  /** The latest progress this window's run reported (its progress artifact), shown while it goes. */
  private progress?: number;

  /** True when the row looks different now. */
  update(run: FlowRunSummary, cancelable: boolean, now: number): boolean {
    const before = looks(this, this.run.state.name);
    if (run.state.timestamp !== this.run.state.timestamp) this.finishedTasks = undefined;
    this.run = run;
    // A run created ahead is named by its flow when taken up (flowRunName).
    this.label = run.name;
    this.description = this.flat && !run.parentRunId ? flatRunDescription(run, now, this.progress) : runDescription(run, now, this.progress);
    this.iconPath = themeIcon(stateIcon(run.state));
    this.contextValue = runContextValue(run, { cancelable, subflow: run.parentRunId !== undefined });
    this.accessibilityInformation = { label: runAccessibilityLabel(run, now), role: 'treeitem' };
    return looks(this, run.state.name) !== before;
  }

  /** Shows the run's latest progress (undefined: none); true when the row looks different now. */
  setProgress(progress: number | undefined, cancelable: boolean, now: number): boolean {
    if (progress === this.progress) return false;
    this.progress = progress;
    return this.update(this.run, cancelable, now);
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
    this.contextValue = taskContextValue(task);
    this.accessibilityInformation = { label: taskAccessibilityLabel(task, now), role: 'treeitem' };
  }
}

/** "500 task runs: 497 ✓ 3 ✗" above a run's many task runs; opens the run's details (its timeline). */
export class TaskSummaryNode extends vscode.TreeItem {
  constructor(
    readonly parent: RunNode,
    counts: TaskCounts,
  ) {
    super(taskSummaryLabel(counts), vscode.TreeItemCollapsibleState.None);
    this.id = `summary/${parent.run.id}`;
    this.iconPath = themeIcon(ITEM_ICONS.summary);
    this.tooltip = counts.failed > 0 ? 'Failed task runs are listed first. Click to see them all on the run\'s timeline.' : 'Click to see them all on the run\'s timeline.';
    this.contextValue = 'tasksummary';
    this.accessibilityInformation = { label: taskSummaryAccessibilityLabel(counts), role: 'treeitem' };
    this.command = ROW_COMMAND;
  }
}

/** "Load more…" at the end of a page: more runs (of the list or of a flow group) or more task runs of a run. */
export class LoadMoreNode extends vscode.TreeItem {
  constructor(
    readonly parent: RunNode | FlowGroupNode | undefined,
    remaining: number | undefined,
  ) {
    super('Load more…', vscode.TreeItemCollapsibleState.None);
    this.id = parent instanceof RunNode ? `more/${parent.run.id}` : parent ? `more/flow/${parent.flowName}` : 'more/runs';
    this.iconPath = themeIcon(ITEM_ICONS.loadMore);
    if (remaining !== undefined) this.description = `${remaining.toLocaleString('en-US')} more`;
    this.contextValue = 'loadmore';
    this.command = ROW_COMMAND;
  }
}

export type RunsTreeNode = FlowGroupNode | RunNode | TaskRunNode | TaskSummaryNode | LoadMoreNode;
