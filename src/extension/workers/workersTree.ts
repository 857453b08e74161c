/**
 * The Workers view (shown with a Postgres store): the `flowdeck worker`s whose lease is current — host,
 * queue, runs in progress of its concurrency, last heartbeat. Workers report by heartbeat only, so the
 * list is read again every few seconds while the view is visible, and not at all otherwise; and on the
 * store's changes (a run taken, a run ended), at most every REDRAW_MS: told more often, while a busy store
 * changes all the time, VS Code would pass none of it on (redrawPace.ts).
 */
import * as vscode from 'vscode';
import type { WorkerInfo } from '../../engine/sharedStore';
import type { FlowdeckHost } from '../host';
import { formatDuration } from '../runs/present';
import { REDRAW_MS, setViewMessage } from '../runs/redrawPace';
import { Throttle } from '../util/throttle';

const REFRESH_MS = 5000;

export class WorkerNode extends vscode.TreeItem {
  constructor(readonly worker: WorkerInfo, now: number) {
    super(worker.hostname, vscode.TreeItemCollapsibleState.None);
    this.id = `worker/${worker.id}`;
    this.description = workerDescription(worker, now);
    this.tooltip = `${worker.hostname} (pid ${worker.pid}) serves queue '${worker.queue}'\n${worker.running} of ${worker.concurrency} run(s) in progress\nLast heartbeat ${formatDuration(Math.max(0, now - worker.lastHeartbeat))} ago; up for ${formatDuration(Math.max(0, now - worker.startedAt))}`;
    this.iconPath = new vscode.ThemeIcon(worker.running > 0 ? 'server-process' : 'server');
    this.contextValue = 'worker';
  }
}

export function workerDescription(w: WorkerInfo, now: number): string {
  return `${w.queue} · ${w.running}/${w.concurrency} running · ${formatDuration(Math.max(0, now - w.lastHeartbeat))} ago`;
}

export class WorkersTreeProvider implements vscode.TreeDataProvider<WorkerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer?: NodeJS.Timeout;
  private view?: vscode.TreeView<WorkerNode>;
  /** The workers listed last, shown again while the store cannot be read. */
  private last: WorkerNode[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly redraw = new Throttle(REDRAW_MS, () => this.changed.fire());

  constructor(private readonly host: FlowdeckHost) {
    this.disposables.push(host.onDidChangeStore(() => this.redraw.schedule()));
  }

  attach(view: vscode.TreeView<WorkerNode>): void {
    this.view = view;
    this.disposables.push(view.onDidChangeVisibility(() => this.schedule()));
    this.schedule();
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.view?.visible) return;
    this.timer = setInterval(() => this.redraw.schedule(), REFRESH_MS);
  }

  getTreeItem(node: WorkerNode): WorkerNode {
    return node;
  }

  async getChildren(node?: WorkerNode): Promise<WorkerNode[]> {
    if (node) return [];
    const shared = this.host.openedStore?.shared ?? (await this.host.store().catch(() => undefined))?.shared;
    if (!shared) return [];
    try {
      const workers = await shared.workers();
      setViewMessage(this.view, workers.length === 0 ? 'No worker is alive on this store. Start one with: flowdeck worker --flows <workspace>' : undefined);
      const now = Date.now();
      this.last = workers.map((w) => new WorkerNode(w, now));
      return this.last;
    } catch (e) {
      // The store is unreachable: the status bar says so; the view keeps what it listed, and says why.
      setViewMessage(this.view, `Could not list workers: ${(e as Error).message}`);
      return this.last;
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.redraw.dispose();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
