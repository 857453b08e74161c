/**
 * The little of the `vscode` API that the Runs view's provider (and the Problems panel's failure markers)
 * touch, so a unit test can drive it in
 * plain Node (`useVscodeStub()` before importing it). Not an editor: events fire, tree items hold what they
 * are given, commands do nothing.
 */
import { writeFile } from 'node:fs/promises';
import Module from 'node:module';

export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event = (listener: (e: T) => void): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

class TreeItem {
  [key: string]: unknown;
  constructor(public label: unknown, public collapsibleState?: number) {}
}

class ThemeIcon {
  constructor(public id: string, public color?: unknown) {}
}

class ThemeColor {
  constructor(public id: string) {}
}

class MarkdownString {
  constructor(public value = '') {}
}

const Uri = {
  joinPath: (base: { path: string }, ...parts: string[]) => ({ path: [base.path, ...parts].join('/'), toString() { return this.path; } }),
  file: (path: string) => ({ path, fsPath: path, toString: () => path }),
  from: (parts: { scheme: string; path: string; query?: string }) => ({ ...parts, fsPath: parts.path, toString: () => `${parts.scheme}:${parts.path}${parts.query ? `?${parts.query}` : ''}` }),
};

/** Problems as a map by file, for a test to read back (each collection made is in `diagnosticCollections`). */
export const diagnosticCollections: DiagnosticCollection[] = [];

class DiagnosticCollection {
  readonly byFile = new Map<string, unknown[]>();
  set(uri: { fsPath: string }, diagnostics: unknown[]): void {
    this.byFile.set(uri.fsPath, diagnostics);
  }
  clear(): void {
    this.byFile.clear();
  }
  dispose(): void {}
}

class Position {
  constructor(public line: number, public character: number) {}
  translate(lines: number, characters: number): Position {
    return new Position(this.line + lines, this.character + characters);
  }
}

class Holder {
  constructor(...args: unknown[]) {
    Object.assign(this, { args });
  }
}

const Disposable = {
  from: (...items: { dispose(): void }[]) => ({ dispose: () => items.forEach((d) => d.dispose()) }),
};

const vscode = {
  Uri,
  Disposable,
  Position,
  Range: Holder,
  Location: Holder,
  Diagnostic: Holder,
  DiagnosticRelatedInformation: Holder,
  DiagnosticSeverity: { Error: 0 },
  OverviewRulerLane: { Right: 4 },
  languages: {
    createDiagnosticCollection: () => {
      const c = new DiagnosticCollection();
      diagnosticCollections.push(c);
      return c;
    },
  },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  window: {
    showInputBox: async (options: unknown) => {
      inputBoxes.push(options);
      return typedAnswers.shift();
    },
    createInputBox: () => {
      const box = new DrivenInputBox();
      drivenInputBoxes.push(box);
      return box;
    },
    withProgress: async (_options: unknown, task: (progress: { report(value: unknown): void }) => Promise<unknown>) => task({ report: () => undefined }),
    showQuickPick: async (items: unknown, options: unknown) => {
      quickPicks.push({ items: await items, options });
      return undefined;
    },
    showSaveDialog: async () => (saveDialogAnswer === undefined ? undefined : Uri.file(saveDialogAnswer)),
    showInformationMessage: async (message: string) => void shownMessages.push({ level: 'info', message }),
    showWarningMessage: async (message: string) => void shownMessages.push({ level: 'warning', message }),
    showErrorMessage: async (message: string) => void shownMessages.push({ level: 'error', message }),
    visibleTextEditors: [],
    createTextEditorDecorationType: () => ({ dispose() {} }),
    onDidChangeVisibleTextEditors: () => ({ dispose() {} }),
  },
  EventEmitter,
  TreeItem,
  ThemeIcon,
  ThemeColor,
  MarkdownString,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  commands: {
    executeCommand: async () => undefined,
    registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
      registeredCommands.set(id, handler);
      return { dispose: () => registeredCommands.delete(id) };
    },
  },
  env: { clipboard: { writeText: async (text: string) => void clipboardTexts.push(text) } },
  workspace: {
    fs: { writeFile: async (uri: { fsPath: string }, bytes: Uint8Array) => writeFile(uri.fsPath, bytes) },
    isTrusted: true,
    getWorkspaceFolder: (uri: { fsPath: string }) => {
      const folder = workspaceFolders.find((f) => uri.fsPath.startsWith(`${f}/`));
      return folder === undefined ? undefined : { uri: Uri.file(folder) };
    },
    workspaceFolders: undefined,
    textDocuments: [],
    getConfiguration: () => ({ get: () => undefined }),
  },
};

/** The messages the window showed (showInformationMessage, showWarningMessage, showErrorMessage), in order. */
export const shownMessages: { level: 'info' | 'warning' | 'error'; message: string }[] = [];

let workspaceFolders: string[] = [];

/** What was put on the clipboard (env.clipboard.writeText), in order. */
export const clipboardTexts: string[] = [];
let saveDialogAnswer: string | undefined;

/** The file the next save dialogs (showSaveDialog) answer with (undefined: cancelled); workspace.fs.writeFile writes it. */
export function answerSaveDialogs(path: string | undefined): void {
  saveDialogAnswer = path;
}

/** Commands registered (registerCommand), by id: a test calls one as the palette or a menu would. */
export const registeredCommands = new Map<string, (...args: unknown[]) => unknown>();
/** Each quick pick shown (showQuickPick: its items and options); each is answered with Escape. */
export const quickPicks: { items: unknown; options: unknown }[] = [];

/** An input box a command drives (createInputBox), which a test types into, accepts or hides. */
export class DrivenInputBox {
  value = '';
  prompt: string | undefined;
  title: string | undefined;
  placeholder: string | undefined;
  ignoreFocusOut = false;
  private readonly changed: ((value: string) => void)[] = [];
  private readonly accepted: (() => void)[] = [];
  private readonly hidden: (() => void)[] = [];
  onDidChangeValue(f: (value: string) => void): { dispose(): void } {
    this.changed.push(f);
    return { dispose: () => undefined };
  }
  onDidAccept(f: () => void): { dispose(): void } {
    this.accepted.push(f);
    return { dispose: () => undefined };
  }
  onDidHide(f: () => void): { dispose(): void } {
    this.hidden.push(f);
    return { dispose: () => undefined };
  }
  show(): void {}
  dispose(): void {}
  type(value: string): void {
    this.value = value;
    for (const f of this.changed) f(value);
  }
  accept(): void {
    for (const f of this.accepted) f();
  }
  hide(): void {
    for (const f of this.hidden) f();
  }
}

/** Each input box a command created to drive (createInputBox). */
export const drivenInputBoxes: DrivenInputBox[] = [];

/** The options of each input box opened (showInputBox), for a test to read back. */
export const inputBoxes: unknown[] = [];
let typedAnswers: (string | undefined)[] = [];

/** What the next input boxes get typed into them, in order (undefined: Escape). */
export function typeIntoInputBoxes(answers: (string | undefined)[]): void {
  typedAnswers = [...answers];
}

/** The folders `workspace.getWorkspaceFolder` finds a file in (none unless a test says). */
export function useWorkspaceFolders(folders: string[]): void {
  workspaceFolders = folders;
}

let installed = false;

export function useVscodeStub(): void {
  if (installed) return;
  installed = true;
  const m = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = m._load;
  m._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
}
