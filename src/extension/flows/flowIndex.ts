/**
 * The workspace's flow files and the flows in them, found by static analysis (nothing is executed, so
 * this works in Restricted Mode too) and kept current by a file watcher. Files are parsed by the
 * discovery worker thread, started on the first scan, never on the extension host's thread.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FileFlows } from '../../engine/flowDiscovery';
import { readSettings } from '../settings';
import { OnFirstUse } from '../util/onFirstUse';
import { DiscoveryClient } from './discoveryClient';
import { uriExists } from '../util/uriExists';
import { FileEvents } from './fileEvents';

const EXCLUDE = '**/node_modules/**';
const MAX_FILES = 5000;

function inNodeModules(uri: vscode.Uri): boolean {
  return /[\\/]node_modules[\\/]/.test(uri.fsPath);
}

export class FlowIndex implements vscode.Disposable {
  private files = new Map<string, FileFlows>();
  /** A read begun before a later event of its file is out of date. */
  private readonly events = new FileEvents();
  private scan?: Promise<void>;
  private watcher?: vscode.FileSystemWatcher;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Shared with the CodeLens provider, which scans editors' unsaved text. */
  readonly discovery = new OnFirstUse(() => new DiscoveryClient(join(__dirname, 'discovery-worker.js')));

  /** The set of files or the flows in one of them changed. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rescan()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('flowdeck.flowGlob') && this.rescan()),
    );
  }

  /** Every flow file, sorted by path; the first call scans the workspace. */
  async all(): Promise<FileFlows[]> {
    this.scan ??= this.scanWorkspace();
    await this.scan;
    return [...this.files.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  rescan(): void {
    this.scan = undefined;
    this.changed.fire();
  }

  dispose(): void {
    this.discovery.dispose();
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private async scanWorkspace(): Promise<void> {
    const glob = readSettings().flowGlob;
    this.watch(glob);
    const uris = vscode.workspace.workspaceFolders ? await vscode.workspace.findFiles(glob, EXCLUDE, MAX_FILES) : [];
    const found = await Promise.all(uris.map((uri) => this.discovery.value.file(uri.fsPath)));
    this.files = new Map(found.map((f) => [f.file, f]));
    void vscode.commands.executeCommand('setContext', 'flowdeck.noWorkspaceFlows', this.files.size === 0);
  }

  private watch(glob: string): void {
    this.watcher?.dispose();
    const watcher = vscode.workspace.createFileSystemWatcher(glob);
    const update = (uri: vscode.Uri): void => void this.update(uri);
    watcher.onDidCreate(update);
    watcher.onDidChange(update);
    watcher.onDidDelete((uri) => {
      this.events.event(uri.fsPath);
      if (this.files.delete(uri.fsPath)) this.settle();
    });
    this.watcher = watcher;
  }

  private async update(uri: vscode.Uri): Promise<void> {
    if (inNodeModules(uri) || !this.scan) return;
    const event = this.events.event(uri.fsPath);
    await this.scan;
    const found = await this.discovery.value.file(uri.fsPath);
    // A later event (the file deleted, or changed again) has its own say: this read is out of date.
    if (!this.events.isLatest(uri.fsPath, event)) return;
    // Gone by the time it was read, its deletion's event still to come (or come before this one's).
    if (found.error?.kind === 'unreadable' && !(await uriExists(uri))) {
      if (this.events.isLatest(uri.fsPath, event) && this.files.delete(uri.fsPath)) this.settle();
      return;
    }
    this.files.set(found.file, found);
    this.settle();
  }

  private settle(): void {
    void vscode.commands.executeCommand('setContext', 'flowdeck.noWorkspaceFlows', this.files.size === 0);
    this.changed.fire();
  }
}
