/**
 * Entry of a run's details panel (bundled to dist/webview/runDetails.js): header and actions, the
 * failure card, the timeline, the logs, the result and the artifacts. Says `ready`, then draws what the host sends;
 * each request it makes carries a number, and the host's reply with that number settles it.
 */
import type { WithoutReq } from '../chartCard';
import { applyChartDefaults } from '../chartSetup';
import { h } from '../dom';
import { showNotice } from '../notices';
import { isRefusedFields } from '../refused';
import { readPalette, watchTheme } from '../theme';
import { durationOf, renderFailure, renderHeader, type HeaderEvents } from './header';
import type { HostToRunDetails, ResultPage, RunDetailsState, RunDetailsToHost, RunHeader } from './protocol';
import { RunArtifactsView } from './artifactsView';
import { ResultView } from './resultView';
import { RunLogView } from './runLogView';
import { TimelineView } from './timelineView';

interface VsCodeApi {
  postMessage(message: RunDetailsToHost): void;
  getState(): unknown;
  setState(state: RunDetailsState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

type Reply = Extract<HostToRunDetails, { type: 'reply' }>;
/** A request without its number: the panel adds one. */
type Request = WithoutReq<RunDetailsToHost>;

function isHostMessage(data: unknown): data is HostToRunDetails {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'header':
      return typeof m.header === 'object' && m.header !== null;
    case 'timeline':
      return Array.isArray(m.items) && typeof m.now === 'number' && (m.omitted === undefined || typeof m.omitted === 'number') && (m.ended === undefined || typeof m.ended === 'number');
    case 'logs':
      return Array.isArray(m.lines);
    case 'reply':
      return typeof m.req === 'number' && typeof m.ok === 'boolean';
    case 'artifacts':
      return Array.isArray(m.artifacts);
    case 'tableRows':
      return typeof m.runId === 'string' && typeof m.key === 'string' && typeof m.offset === 'number' && typeof m.total === 'number' && Array.isArray(m.rows);
    case 'notice':
      return typeof m.message === 'string' && (m.level === 'info' || m.level === 'error');
    case 'refused':
      return isRefusedFields(m);
    default:
      return false;
  }
}

class RunDetails {
  private header?: RunHeader;
  /** The header last drawn, as JSON: the same again is not redrawn. */
  private headerText?: string;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextReq = 1;
  /** Host clock minus ours, so bars still going end at the host's "now". */
  private skew = 0;
  private palette = readPalette();
  private readonly headerSlot = h('div', { class: 'header-slot' });
  private readonly failureSlot = h('div', { class: 'failure-slot' });
  private readonly notices = h('div', { class: 'notices', attrs: { role: 'status' } });
  private readonly timeline: TimelineView;
  private readonly logs: RunLogView;
  private readonly result: ResultView;
  private readonly artifacts: RunArtifactsView;
  private readonly headerEvents: HeaderEvents = {
    onAction: (action) => void this.request({ type: 'action', action }),
    onGoToFailure: (taskRunId) => void this.request(taskRunId === undefined ? { type: 'goToFailure' } : { type: 'goToFailure', taskRunId }),
    onOpenRun: (runId) => void this.request({ type: 'openRun', runId }),
  };

  constructor(
    private readonly root: HTMLElement,
    private readonly vscode: VsCodeApi,
  ) {
    this.timeline = new TimelineView(this.palette, {
      onSelect: (item) => {
        if (item?.kind === 'task') this.logs.showTaskRun(item.id);
        else if (item === null) this.logs.showTaskRun(null);
      },
      onOpenSubflow: (item) => void this.request({ type: 'openRun', runId: item.id }),
    });
    this.logs = new RunLogView({
      onExport: (to, filter) => void this.request({ type: 'exportLogs', to, filter }),
      onTaskRunFilter: (taskRunId) => this.timeline.select(taskRunId),
    });
    this.result = new ResultView(async (path, offset) => (await this.request({ type: 'expandResult', path, offset })).page as ResultPage | undefined);
    applyChartDefaults(this.palette);
    this.artifacts = new RunArtifactsView(
      {
        post: (message) => this.vscode.postMessage(message),
        request: (message) => void this.request(message),
        background: () => this.palette.background,
      },
      this.palette,
    );
    watchTheme((palette) => {
      this.palette = palette;
      applyChartDefaults(palette);
      this.artifacts.setPalette(palette);
      this.timeline.setPalette(palette);
      this.logs.remeasure();
    });
    // Durations and bars of a run still going grow with the clock.
    window.setInterval(() => this.tick(), 500);
  }

  start(): void {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isHostMessage(event.data)) this.receive(event.data);
    });
    this.root.replaceChildren(this.headerSlot, this.notices, this.failureSlot, this.timeline.element, this.logs.element, this.result.element, this.artifacts.element);
    this.vscode.postMessage({ type: 'ready' });
  }

  private request(message: Request): Promise<Reply> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.pending.set(req, resolve);
      this.vscode.postMessage({ ...message, req } as RunDetailsToHost);
    });
  }

  private receive(message: HostToRunDetails): void {
    switch (message.type) {
      case 'header':
        this.showHeader(message.header);
        break;
      case 'timeline':
        this.skew = message.now - Date.now();
        this.timeline.receive(message.items, message.reset, message.ended ?? message.now);
        this.timeline.setOmitted(message.omitted ?? 0);
        this.logs.setItems(message.items);
        break;
      case 'logs':
        this.logs.receive(message.lines, message.reset);
        break;
      case 'artifacts':
        this.artifacts.show(message.artifacts);
        break;
      case 'tableRows':
        this.artifacts.receiveRows(message.runId, message.key, message.offset, message.rows, message.total);
        break;
      case 'notice':
        this.notify(message.level, message.message);
        break;
      case 'refused': {
        // The request's reply will not come: it settles as failed, and the notice says why.
        const settle = message.req === undefined ? undefined : this.pending.get(message.req);
        if (settle && message.req !== undefined) {
          this.pending.delete(message.req);
          settle({ type: 'reply', req: message.req, ok: false });
        }
        this.notify('error', message.message);
        break;
      }
      case 'reply': {
        const settle = this.pending.get(message.req);
        if (!settle) break;
        this.pending.delete(message.req);
        settle(message);
        if (message.message) this.notify(message.ok ? 'info' : 'error', message.message);
        break;
      }
    }
  }

  private showHeader(header: RunHeader): void {
    // A busy run's header comes again and again as it was (its duration ticks here): redrawn, its buttons
    // were new elements several times a second, and a click whose press and release straddled a redraw —
    // Cancel on a busy run — did nothing.
    const text = JSON.stringify(header);
    if (text === this.headerText) return;
    this.headerText = text;
    this.header = header;
    document.title = `Run ${header.name}`;
    this.vscode.setState({ version: 1, runId: header.id });
    // Keep keyboard focus on the same action across redraws.
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.action : undefined;
    const fresh = renderHeader(header, Date.now() + this.skew, this.headerEvents);
    const old = this.headerSlot.firstElementChild;
    const oldActions = old?.querySelector(':scope > .actions');
    const freshActions = fresh.querySelector(':scope > .actions');
    if (old && oldActions && freshActions && oldActions.getAttribute('data-set') === freshActions.getAttribute('data-set')) {
      // The same buttons: they stay, and what is around them is redrawn.
      for (const child of [...old.children]) if (child !== oldActions) child.remove();
      const around = [...fresh.children];
      const at = around.indexOf(freshActions);
      oldActions.before(...around.slice(0, at));
      oldActions.after(...around.slice(at + 1));
    } else {
      this.headerSlot.replaceChildren(fresh);
      if (focused) this.headerSlot.querySelector<HTMLElement>(`[data-action="${CSS.escape(focused)}"]`)?.focus();
    }
    this.failureSlot.replaceChildren(header.failure ? renderFailure(header.failure, this.headerEvents) : '');
    this.result.show(header.result);
  }

  private tick(): void {
    const header = this.header;
    if (!header || header.endTime !== undefined) return;
    const now = Date.now() + this.skew;
    const duration = this.headerSlot.querySelector('.duration');
    if (duration) duration.textContent = durationOf(header, now) ?? '—';
    this.timeline.tick(now);
  }

  private notify(level: 'info' | 'error', text: string): void {
    showNotice(this.notices, level, text);
  }
}

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (!root) throw new Error('Flowdeck run details: the page has no #app element');
new RunDetails(root, vscode).start();
