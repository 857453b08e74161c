/**
 * A stand-in for the `vscode` module, for timing the extension's own code outside the editor (bench
 * only; the e2e tests run the real VS Code). The classes and values the Runs view builds its rows from
 * are real enough to hold what is put in them; every other API is a no-op that answers with more no-ops
 * (an event registration, a status bar item, a command), so activate() runs through. It records the tree
 * views created, by id.
 */
import Module from 'node:module';

type Listener<T> = (e: T) => unknown;

/** Answers any property read or call with itself, and takes any property set: an API whose result nobody here looks at. */
function noOp(): unknown {
  const target = function () {};
  const proxy: unknown = new Proxy(target, {
    get: (_t, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : proxy),
    apply: () => proxy,
    construct: () => proxy as object,
    set: () => true,
  });
  return proxy;
}

class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  constructor(private readonly onDispose: () => unknown) {}
  dispose(): void {
    this.onDispose();
  }
}

class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
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
  constructor(
    public label: unknown,
    public collapsibleState = 0,
  ) {}
}

class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static parse(text: string): Uri {
    const at = text.indexOf(':');
    return new Uri(text.slice(0, at), text.slice(at + 1));
  }
  static from(parts: { scheme: string; path?: string }): Uri {
    return new Uri(parts.scheme, parts.path ?? '');
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, [base.path, ...segments].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}:${this.path}`;
  }
}

/** Holds what it is given: icons, colours, ranges, markdown. */
class Holder {
  readonly args: unknown[];
  constructor(...args: unknown[]) {
    this.args = args;
  }
}

class ThemeIcon extends Holder {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
}

class MarkdownString extends Holder {
  isTrusted = false;
  supportThemeIcons = false;
}

/** A tree view as the extension sees it: its provider, and the fields it sets on it. */
export interface StandInTreeView {
  provider: unknown;
  /** Views start hidden, as most are when the editor starts. */
  visible: boolean;
  message?: string;
  description?: string;
}

export interface VscodeStandIn {
  treeViews: Map<string, StandInTreeView>;
  /** An ExtensionContext for activate(): memento defaults, secrets that hold nothing. */
  context(extensionPath: string): unknown;
}

const enumOf = (...names: string[]): Record<string, number> => Object.fromEntries(names.map((n, i) => [n, i]));

/** Makes `require('vscode')` answer with the stand-in, from now on in this process. */
export function installVscodeStandIn(): VscodeStandIn {
  const treeViews = new Map<string, StandInTreeView>();
  const configuration = { get: <T>(_key: string, fallback?: T) => fallback, has: () => false, inspect: () => undefined, update: async () => undefined };
  const treeView = (id: string, options: { treeDataProvider: unknown }): unknown => {
    const view: StandInTreeView = { provider: options.treeDataProvider, visible: false };
    treeViews.set(id, view);
    return new Proxy(view, { get: (t, key) => (key in t ? t[key as keyof StandInTreeView] : key === 'reveal' ? async () => undefined : noOp()) });
  };
  const api: Record<string, unknown> = {
    Disposable,
    EventEmitter,
    TreeItem,
    Uri,
    ThemeIcon,
    ThemeColor: Holder,
    MarkdownString,
    Range: Holder,
    Position: Holder,
    Location: Holder,
    CodeLens: Holder,
    FoldingRange: Holder,
    Diagnostic: Holder,
    DiagnosticRelatedInformation: Holder,
    TreeItemCollapsibleState: enumOf('None', 'Collapsed', 'Expanded'),
    StatusBarAlignment: enumOf('Unused', 'Left', 'Right'),
    DiagnosticSeverity: enumOf('Error', 'Warning', 'Information', 'Hint'),
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    OverviewRulerLane: enumOf('Unused', 'Left', 'Center', 'Unused3', 'Right'),
    InputBoxValidationSeverity: enumOf('Unused', 'Info', 'Warning', 'Error'),
    commands: noOp(),
    languages: noOp(),
    env: noOp(),
    authentication: noOp(),
    window: new Proxy({ createTreeView: treeView, registerTreeDataProvider: (id: string, provider: unknown) => treeView(id, { treeDataProvider: provider }) }, { get: (t, key) => (key in t ? t[key as 'createTreeView'] : noOp()) }),
    workspace: new Proxy({ getConfiguration: () => configuration, workspaceFolders: undefined, isTrusted: true, textDocuments: [] }, { get: (t, key) => (key in t ? t[key as 'isTrusted'] : noOp()) }),
  };
  // A bundle copies the module's own keys once (esbuild's `import * as`): every name it uses is listed above.
  const standIn = api;
  const resolve = (Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string })._resolveFilename;
  (Module as unknown as { _resolveFilename: typeof resolve })._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  const cached = new Module('vscode');
  cached.exports = standIn;
  cached.loaded = true;
  (Module as unknown as { _cache: Record<string, Module> })._cache.vscode = cached;
  const memento = { get: <T>(_key: string, fallback?: T) => fallback, update: async () => undefined, keys: () => [], setKeysForSync: () => undefined };
  return {
    treeViews,
    context: (extensionPath) => ({
      subscriptions: [] as unknown[],
      extensionUri: Uri.file(extensionPath),
      extensionPath,
      globalState: memento,
      workspaceState: memento,
      secrets: { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => new Disposable(() => undefined) },
      globalStorageUri: Uri.file(`${extensionPath}/.global`),
      storageUri: undefined,
      logUri: Uri.file(`${extensionPath}/.log`),
      extensionMode: 1,
      environmentVariableCollection: noOp(),
    }),
  };
}
