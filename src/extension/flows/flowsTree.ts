/**
 * The Flows view: the built-in flows, then each workspace flow file with its flows. A file that does not
 * parse shows why, at file:line:col. Items carry FlowRefs, which the run commands take.
 */
import { basename, dirname, relative } from 'node:path';
import * as vscode from 'vscode';
import type { FileFlows, FlowProblem } from '../../engine/flowDiscovery';
import type { ParameterDeclarations } from '../../engine/parameters';
import type { ScheduleView } from '../../engine/schedules/scheduleEntries';
import { describeSchedule } from '../../engine/schedules/scheduleSpec';
import { secretDefaultsMasked } from '../../engine/secretParameters';
import { MASK } from '../../engine/secrets';
import { BUILTIN_FLOWS } from '../builtinFlows';
import { ITEM_ICONS } from '../icons';
import { escapeMarkdown } from '../runs/present';
import { themeIcon } from '../themeIcon';
import { ChangeGate } from '../util/changeGate';
import { flowScheduleDescription, scheduleStateText } from './flowScheduleText';
import { flowKey, flowsViewChanges, schedulesOf, type FlowsViewData } from './flowsViewChanges';
import type { FlowIndex } from './flowIndex';
import { builtinFlowRef, fileFlowRef, type FlowRef } from './flowRef';

/** Masks the secrets the editor knows in a text (`***`, as the engine masks what it prints). */
export type SecretMask = (text: string) => string;

export class FlowNode extends vscode.TreeItem {
  private shownSchedules: readonly ScheduleView[] = [];

  constructor(
    readonly ref: FlowRef,
    /** The flow's schedules (declared in its file or added to the store). */
    schedules: readonly ScheduleView[] = [],
    /** Applied to the parameters' defaults its tooltip shows: a default can be a token pasted into the code. */
    private readonly mask: SecretMask = (text) => text,
  ) {
    super(ref.flowName, vscode.TreeItemCollapsibleState.None);
    this.id = ref.source.kind === 'builtin' ? `builtin/${ref.source.id}` : `flow/${ref.source.path}#${ref.flowName}@${ref.location?.line}`;
    this.show(schedules);
  }

  /** The flow's schedules as its row shows them. */
  get schedules(): readonly ScheduleView[] {
    return this.shownSchedules;
  }

  /** Shows `schedules` on this row: redrawn alone (the view fires it), it keeps its handle. */
  show(schedules: readonly ScheduleView[]): void {
    const ref = this.ref;
    this.shownSchedules = schedules;
    // A clock on a flow that runs by itself, and when it runs next (or that it is refused: flowScheduleText.ts).
    this.iconPath = schedules.length > 0 ? themeIcon(ITEM_ICONS.scheduledFlow) : themeIcon(ITEM_ICONS.flow);
    this.description = schedules.length === 0 ? ref.description : flowScheduleDescription(schedules, clockTime);
    this.tooltip = flowTooltip(ref, schedules, this.mask);
    // `runnable` enables Run Flow and Run Flow with Parameters; `source` enables Open Flow Source;
    // `scheduled` / `schedulePaused` / `hasSchedule` enable Pause / Resume / Remove Schedule.
    const scheduleContext = [schedules.length > 0 ? 'hasSchedule' : '', schedules.some((v) => !v.paused) ? 'scheduled' : '', schedules.some((v) => v.paused) ? 'schedulePaused' : ''].filter((c) => c !== '');
    this.contextValue = [ref.location ? 'flow runnable source' : 'flow runnable builtin', ...scheduleContext].join(' ');
  }
}

/** `09:00`, or `Tue 09:00` when it is not today. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString(undefined, { weekday: 'short' })} ${time}`;
}

/** Where the Flows view reads schedules from (the window's WindowSchedules). */
export interface ScheduleSource {
  views(): Promise<ScheduleView[]>;
  readonly onDidChange: vscode.Event<void>;
}

export class BuiltinGroupNode extends vscode.TreeItem {
  constructor() {
    super('Built-in', vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'builtin';
    this.iconPath = themeIcon(ITEM_ICONS.builtinGroup);
    this.tooltip = 'Flows that ship with Flowdeck';
    this.contextValue = 'builtinGroup';
  }
}

export class FileNode extends vscode.TreeItem {
  private listed: FileFlows;

  constructor(flows: FileFlows, location: string) {
    super(basename(flows.file));
    this.id = `file/${flows.file}`;
    this.resourceUri = vscode.Uri.file(flows.file);
    this.iconPath = vscode.ThemeIcon.File;
    this.contextValue = 'flowFile';
    this.listed = flows;
    this.show(flows, location);
  }

  /** The file's flows and problems, as its rows below show them. */
  get flows(): FileFlows {
    return this.listed;
  }

  /** Shows the file's flows now: redrawn (the view fires it), its rows below are read again. */
  show(flows: FileFlows, location: string): void {
    this.listed = flows;
    const listed = flows.flows.length + flows.problems.length;
    this.collapsibleState = listed > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None;
    this.description = listed > 0 ? location : `${location ? `${location} · ` : ''}no flows found`;
    this.tooltip = listed > 0 ? flows.file : `${flows.file}\nNo exported flow({ name: '…' }, fn) call from 'flowdeck' was found in this file.`;
  }
}

/** A flow that is in the file but can't be listed, with the reason; click to go there. */
export class FlowProblemNode extends vscode.TreeItem {
  constructor(file: string, problem: FlowProblem) {
    super(`line ${problem.line}: flow not listed`, vscode.TreeItemCollapsibleState.None);
    this.id = `problem/${file}@${problem.line}:${problem.column}`;
    this.iconPath = themeIcon(ITEM_ICONS.flowProblem);
    this.description = problem.message;
    this.tooltip = `${file}:${problem.line}:${problem.column}: ${problem.message}`;
    this.contextValue = 'flowProblem';
    this.command = { command: 'flowdeck.openFlowSource', title: 'Open Flow Source', arguments: [{ file, line: problem.line, column: problem.column }] };
  }
}

export class FileErrorNode extends vscode.TreeItem {
  constructor(flows: FileFlows, location: string) {
    const error = flows.error!;
    const line = error.line ?? 1;
    const column = error.column ?? 1;
    // Reads like a compiler's error line: `broken.flow.ts:3:14  Unexpected token`; a whole-file error has no position.
    super(error.line === undefined ? basename(flows.file) : `${basename(flows.file)}:${line}:${column}`, vscode.TreeItemCollapsibleState.None);
    const message = error.message;
    this.id = `file/${flows.file}`;
    this.iconPath = themeIcon(ITEM_ICONS.fileError);
    this.description = message;
    const position = error.line === undefined ? '' : `:${line}:${column}`;
    const advice =
      error.kind === 'too-large'
        ? 'Its flows can still be run from a terminal: flowdeck run <file>.'
        : error.kind === 'not-a-file'
          ? 'Rename it, or replace it with a file, for it to be listed.'
          : "This file's flows are listed once the error is fixed. Click to open it at the error.";
    this.tooltip = `${location ? `${location}/` : ''}${basename(flows.file)}${position}: ${message}\n\n${advice}`;
    this.contextValue = 'flowFileError';
    // A named pipe or a device is not opened in an editor: reading it may never end.
    if (error.kind !== 'not-a-file') this.command = { command: 'flowdeck.openFlowSource', title: 'Open Flow Source', arguments: [{ file: flows.file, line, column }] };
  }
}

export type FlowsTreeNode = BuiltinGroupNode | FileNode | FileErrorNode | FlowNode | FlowProblemNode;

export class FlowsTreeProvider implements vscode.TreeDataProvider<FlowsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<FlowsTreeNode | FlowsTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /** Redraws only what changed of the files, their flows or the schedules shown (flowsViewChanges.ts: a redraw can lose a click). */
  private readonly gate: ChangeGate<FlowsViewData>;
  /** What the view was last drawn from: its files as of the last drawing of the top level, the schedules its rows show. */
  private drawn?: { files: FileFlows[]; schedules: readonly ScheduleView[] };
  /** The file rows of the top level drawn last, by file. */
  private fileNodes = new Map<string, FileNode>();
  /** The flow rows handed to VS Code, by flowKey: redrawn alone when their schedules change. */
  private flowNodes = new Map<string, FlowNode>();

  /** The secrets the editor knew when the view was last read, masked in the tooltips' parameter defaults. */
  private mask: SecretMask = (text) => text;

  constructor(
    private readonly index: FlowIndex,
    private readonly schedules?: ScheduleSource,
    /** The editor's known secrets, asked for only when a flow shown declares a parameter default. */
    private readonly secrets?: () => Promise<SecretMask>,
  ) {
    this.gate = new ChangeGate<FlowsViewData>(
      async () => {
        const [files, schedules] = await this.read();
        return { files, schedules };
      },
      (now) => signature(now.files, now.schedules),
      (now) => this.redraw(now),
    );
    const poke = (): void => void this.gate.poke();
    this.subscription = vscode.Disposable.from(index.onDidChange(poke), ...(schedules ? [schedules.onDidChange(poke)] : []));
  }

  private async read(): Promise<[FileFlows[], ScheduleView[]]> {
    const read = await Promise.all([this.index.all(), this.schedules ? this.schedules.views().catch(() => []) : []]);
    const defaults = [...BUILTIN_FLOWS.map((f) => f.parameters), ...read[0].flatMap((f) => f.flows.map((flow) => flow.parameters))].some(
      (p) => p !== undefined && Object.values(p).some((d) => d.default !== undefined),
    );
    // Secrets that cannot be read (SecretStorage failing): no default is shown rather than one holding a token.
    if (defaults && this.secrets) this.mask = await this.secrets().catch(() => () => MASK);
    return read;
  }

  /** Redraws what changed since the view was drawn from `this.drawn` (all of it when `now` could not be read). */
  private redraw(now: FlowsViewData | undefined): void {
    const drawn = this.drawn;
    const change = now && drawn ? flowsViewChanges(drawn, now, BUILTIN_FLOWS.map((f) => ({ source: `builtin:${f.id}`, flowName: f.name }))) : ({ all: true } as const);
    if (change.all || !now || !drawn) {
      this.changed.fire(undefined);
      return;
    }
    const redrawn: FlowsTreeNode[] = [];
    for (const file of change.files) {
      const node = this.fileNodes.get(file);
      const flows = now.files.find((f) => f.file === file);
      if (node && flows) {
        node.show(flows, where(file));
        redrawn.push(node);
      }
    }
    for (const key of change.flows) {
      const node = this.flowNodes.get(key);
      if (node) {
        node.show(schedulesOf(now.schedules, sourceOf(node.ref), node.ref.flowName));
        redrawn.push(node);
      }
    }
    this.drawn = { files: [...now.files], schedules: now.schedules };
    if (redrawn.length > 0) this.changed.fire(redrawn);
  }

  /** The row of a flow, kept to be redrawn alone. */
  private flowNode(ref: FlowRef): FlowNode {
    const source = sourceOf(ref);
    const node = new FlowNode(ref, schedulesOf(this.drawn?.schedules ?? [], source, ref.flowName), this.mask);
    this.flowNodes.set(flowKey(source, ref.flowName), node);
    return node;
  }

  getTreeItem(node: FlowsTreeNode): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: FlowsTreeNode): Promise<FlowsTreeNode[]> {
    if (node instanceof BuiltinGroupNode) {
      return BUILTIN_FLOWS.map((f) => this.flowNode(builtinFlowRef(f)));
    }
    if (node instanceof FileNode) {
      const { file, flows, problems } = node.flows;
      return [...flows.map((f) => this.flowNode(fileFlowRef(file, f))), ...problems.map((p) => new FlowProblemNode(file, p))];
    }
    if (node) return [];
    const [files, schedules] = await this.read();
    this.drawn = { files, schedules };
    this.gate.drawn(signature(files, schedules));
    this.fileNodes = new Map();
    this.flowNodes = new Map();
    return [
      new BuiltinGroupNode(),
      ...files.map((f) => {
        if (f.error) return new FileErrorNode(f, where(f.file));
        const fileNode = new FileNode(f, where(f.file));
        this.fileNodes.set(f.file, fileNode);
        return fileNode;
      }),
    ];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** A flow's source as schedules (and runs) name it. */
function sourceOf(ref: FlowRef): string {
  return ref.source.kind === 'builtin' ? `builtin:${ref.source.id}` : ref.source.path;
}

/** What the view shows of the files and schedules, as text to compare: a schedule's next time shows on its flow's row. */
function signature(files: readonly FileFlows[], schedules: readonly ScheduleView[]): string {
  return JSON.stringify([files, schedules.map((v) => [v.entry, v.paused, v.next, v.refused])]);
}

/** The file's folder relative to its workspace folder, prefixed by the folder's name in a multi-root workspace. */
function where(file: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  if (!folder) return dirname(file);
  const dir = relative(folder.uri.fsPath, dirname(file));
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return [multiRoot ? folder.name : '', dir].filter((p) => p !== '').join('/');
}

function flowTooltip(ref: FlowRef, schedules: readonly ScheduleView[], mask: SecretMask): vscode.MarkdownString {
  const lines = [`**${escapeMarkdown(ref.flowName)}**${ref.source.kind === 'builtin' ? ' (built-in)' : ''}`];
  if (ref.description) lines.push('', escapeMarkdown(ref.description));
  lines.push('', parametersText(secretDefaultsMasked(ref.parameters), mask));
  if (schedules.length > 0) {
    const items = schedules.map((v) => `- ${escapeMarkdown(describeSchedule(v.entry.schedule))}: ${escapeMarkdown(scheduleStateText(v, (ms) => new Date(ms).toLocaleString()))} (${v.entry.origin === 'code' ? 'in code' : 'added'}, ${v.entry.id})`);
    lines.push('', `Schedules:\n\n${items.join('\n')}`);
  }
  if (ref.location) lines.push('', escapeMarkdown(`${ref.location.file}:${ref.location.line}:${ref.location.column}`));
  return new vscode.MarkdownString(lines.join('\n'));
}

function parametersText(parameters: ParameterDeclarations | undefined, mask: SecretMask): string {
  if (!parameters) return 'Parameters: not declared (any JSON object)';
  const entries = Object.entries(parameters);
  if (entries.length === 0) return 'Parameters: none';
  const items = entries.map(([key, d]) => {
    // Its default, else whether a value is needed.
    const need = d.default !== undefined ? ` = \`${mask(JSON.stringify(d.default)).replace(/`/g, "'")}\`` : d.required ? ', required' : ', optional';
    return `- \`${key.replace(/`/g, "'")}\`: ${d.type}${need}${d.description ? ` — ${escapeMarkdown(d.description)}` : ''}`;
  });
  return `Parameters:\n\n${items.join('\n')}`;
}
