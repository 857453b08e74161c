/**
 * Entry of the dashboard webview (bundled to dist/webview/dashboard.js). Restores the saved identity,
 * says `ready`, then draws whatever the host sends. Sections are redrawn only when their part of the
 * model changes, so charts are not rebuilt on every run state change and the log view keeps its scroll.
 */
import type { HostRequest } from './chartCard';
import { applyChartDefaults, ChartGroup } from './chartSetup';
import { h } from './dom';
import { KeyedPart } from './keyedPart';
import { LogView } from './logView';
import { markdownRenderer } from './markdown';
import { showNotice } from './notices';
import {
  parseWebviewState,
  type BuiltinFlowId,
  type ChartPreferences,
  type DashboardModel,
  type HostToWebview,
  type WebviewState,
  type WebviewToHost,
} from './protocol';
import { renderRuns, renderTopbar, renderWelcome, type Drawn, type RenderContext } from './render';
import { isRefusedFields } from './refused';
import { renderArtifactSections, TablePages, type ArtifactContext } from './renderArtifacts';
import { addRepositoryForm, renderGithub } from './renderGithub';
import { renderTimeline } from './renderTimeline';
import { renderYoutube } from './renderYoutube';
import { readPalette, watchTheme } from './theme';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

function isHostMessage(data: unknown): data is HostToWebview {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'model':
      return typeof m.model === 'object' && m.model !== null;
    case 'logs':
      return typeof m.runId === 'string' && Array.isArray(m.lines);
    case 'notice':
      return typeof m.message === 'string';
    case 'reply':
      return typeof m.req === 'number' && typeof m.ok === 'boolean' && typeof m.message === 'string';
    case 'refused':
      return isRefusedFields(m);
    case 'tableRows':
      return typeof m.runId === 'string' && typeof m.key === 'string' && typeof m.offset === 'number' && typeof m.total === 'number' && Array.isArray(m.rows);
    default:
      return false;
  }
}

type Slot = 'github' | 'youtube' | 'timeline' | 'artifacts';

class Dashboard {
  private model: DashboardModel | undefined;
  private palette = readPalette();
  private readonly hidden: Set<string>;
  /** Flows whose Run was pressed and not answered yet: each request's reply ends its flow's "Starting…". */
  private readonly starting = new Set<BuiltinFlowId>();
  /** Run requests not answered yet, and the flow each starts. */
  private readonly startRequests = new Map<number, BuiltinFlowId>();
  private readonly logs = new LogView({
    onPickRun: (runId) => this.post({ type: 'showLogs', runId }),
    onSave: (runId) => this.request({ type: 'saveLog', runId }),
  });
  private readonly groups: Record<Slot, ChartGroup> = { github: new ChartGroup(), youtube: new ChartGroup(), timeline: new ChartGroup(), artifacts: new ChartGroup() };
  private readonly keys: Record<Slot, string> = { github: '', youtube: '', timeline: '', artifacts: '' };
  private readonly tables = new TablePages();
  private readonly markdown = markdownRenderer(window);
  private prefs: ChartPreferences;
  private readonly controls = { addRepository: addRepositoryForm((repo) => this.request({ type: 'addRepository', repo })) };
  /** Other requests sent and not answered yet; the reply says how each went. */
  private readonly pending = new Set<number>();
  private nextRequest = 1;
  private readonly topbar = new KeyedPart(h('div', { class: 'topbar-slot' }));
  private readonly notices = h('div', { class: 'notices', attrs: { role: 'status' } });
  private readonly welcome = new KeyedPart(h('div', { class: 'welcome-slot' }));
  private readonly slots = {
    github: h('div', { class: 'slot slot-github' }),
    runs: h('div', { class: 'slot slot-runs' }),
    youtube: h('div', { class: 'slot slot-youtube' }),
    timeline: h('div', { class: 'slot slot-timeline' }),
    artifacts: h('div', { class: 'slot slot-artifacts' }),
  };
  private readonly runs = new KeyedPart(this.slots.runs);
  private readonly grid = h(
    'div',
    { class: 'grid' },
    this.slots.github,
    this.slots.runs,
    this.slots.youtube,
    this.slots.timeline,
    this.slots.artifacts,
    h('div', { class: 'slot slot-logs' }, this.logs.element),
  );

  constructor(
    private readonly root: HTMLElement,
    private readonly vscode: VsCodeApi,
    private readonly state: WebviewState,
  ) {
    this.hidden = new Set(state.hiddenMetrics);
    this.prefs = { ...state.charts };
    applyChartDefaults(this.palette);
    watchTheme((palette) => this.onTheme(palette));
  }

  start(): void {
    window.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isHostMessage(event.data)) this.receive(event.data);
    });
    const { selection } = this.state;
    this.post(Object.keys(selection).length > 0 ? { type: 'ready', selection } : { type: 'ready' });
  }

  private post(message: WebviewToHost): void {
    this.vscode.postMessage(message);
  }

  private receive(message: HostToWebview): void {
    switch (message.type) {
      case 'model':
        this.model = message.model;
        this.render();
        this.save();
        break;
      case 'logs':
        this.logs.receive(message.runId, message.lines, message.reset === true);
        break;
      case 'notice':
        this.notify(message.level, message.message);
        break;
      case 'tableRows':
        this.tables.receive(message.runId, message.key, message.offset, message.rows, message.total);
        break;
      case 'refused':
        // The request's reply will not come: it settles as failed (a Run's "Starting…" ends), and the notice says why.
        if (message.req !== undefined) this.settleRequest(message.req);
        this.notify('error', message.message);
        break;
      case 'reply': {
        const flowId = this.startRequests.get(message.req);
        if (flowId !== undefined) {
          this.startRequests.delete(message.req);
          if (![...this.startRequests.values()].includes(flowId)) this.starting.delete(flowId);
          this.notify(message.ok ? 'info' : 'error', message.message);
          this.render();
          break;
        }
        if (!this.pending.delete(message.req)) break;
        // A cancelled save dialog needs no word.
        if (message.ok || message.message !== 'Not saved.') this.notify(message.ok ? 'info' : 'error', message.message);
        break;
      }
    }
  }

  /** Forgets a request that will get no reply (refused); a flow it was starting shows its Run again. */
  private settleRequest(req: number): void {
    this.pending.delete(req);
    const flowId = this.startRequests.get(req);
    if (flowId === undefined) return;
    this.startRequests.delete(req);
    if (![...this.startRequests.values()].includes(flowId)) this.starting.delete(flowId);
    this.render();
  }

  private request(message: HostRequest): void {
    const req = this.nextRequest++;
    this.pending.add(req);
    this.post({ ...message, req } as WebviewToHost);
  }

  private setPrefs(change: Partial<ChartPreferences>): void {
    this.prefs = { ...this.prefs, ...change };
    this.save();
    this.render();
  }

  private save(): void {
    this.vscode.setState({ version: 1, selection: { ...(this.model?.selection ?? this.state.selection) }, hiddenMetrics: [...this.hidden], charts: { ...this.prefs } });
  }

  private context(model: DashboardModel): RenderContext {
    return {
      model,
      starting: this.starting,
      prefs: this.prefs,
      post: (m) => this.post(m),
      runFlow: (flowId) => this.runFlow(flowId),
      request: (m) => this.request(m),
      setPrefs: (change) => this.setPrefs(change),
      background: () => this.palette.background,
      controls: this.controls,
    };
  }

  private runFlow(flowId: BuiltinFlowId): void {
    const req = this.nextRequest++;
    this.startRequests.set(req, flowId);
    this.starting.add(flowId);
    this.post({ type: 'runFlow', req, flowId });
    this.render();
  }

  private render(): void {
    const model = this.model;
    if (!model) return;
    if (!this.root.contains(this.grid)) this.root.replaceChildren(this.topbar.element, this.notices, this.welcome.element, this.grid);
    const ctx = this.context(model);
    // Drawn again only when what they show changed: a model comes whenever runs change anywhere.
    const buttonsKey = JSON.stringify([[...this.starting].sort(), model.activeByFlow]);
    const empty = model.totalRuns === 0;
    this.topbar.draw(`${empty}${buttonsKey}`, () => renderTopbar(ctx));
    this.welcome.element.hidden = !empty;
    this.grid.hidden = empty;
    this.welcome.draw(`${empty}${buttonsKey}`, () => (empty ? renderWelcome(ctx) : ''));
    // A keyboard user's focus moves to the same run's new row. Times show the day unless it is today.
    const focusedRun = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.runId : undefined;
    const runsKey = JSON.stringify([model.recentRuns, model.totalRuns, model.logs.run?.id ?? null, new Date().toDateString()]);
    if (this.runs.draw(runsKey, () => renderRuns(ctx)) && focusedRun) this.runs.element.querySelector<HTMLElement>(`[data-run-id="${CSS.escape(focusedRun)}"]`)?.focus();
    this.logs.setRun(model.logs, model.recentRuns);
    const buttons = { starting: [...this.starting].sort(), active: model.activeByFlow };
    this.redraw('github', JSON.stringify([model.github, model.compared, this.prefs, model.github.status === 'none' ? buttons : null]), () => renderGithub(ctx));
    this.redraw('youtube', JSON.stringify([model.youtube, model.youtubeRanges, [...this.hidden].sort(), model.youtube.status === 'none' ? buttons : null]), () =>
      renderYoutube(ctx, this.hidden, (metric) => this.toggleMetric(metric)),
    );
    this.redraw('timeline', JSON.stringify([model.github, model.compared, model.youtube]), () => renderTimeline(ctx));
    const artifacts: ArtifactContext = { ...ctx, tables: this.tables, markdown: this.markdown };
    this.redraw('artifacts', JSON.stringify(model.artifacts), () => renderArtifactSections(artifacts, model.artifacts));
  }

  /** Redraws a chart section only when what it shows changed. */
  private redraw(slot: Slot, key: string, draw: () => Drawn | undefined): void {
    if (this.keys[slot] === key) return;
    this.keys[slot] = key;
    this.groups[slot].destroy();
    const focused = document.activeElement;
    const drawn = draw();
    this.slots[slot].replaceChildren(drawn?.element ?? '');
    // A control carried into the new drawing (see RenderContext.controls) keeps its focus.
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
    this.slots[slot].hidden = drawn === undefined;
    this.groups[slot] = drawn ? drawn.mount(this.palette) : new ChartGroup();
  }

  private toggleMetric(metric: string): void {
    if (this.hidden.has(metric)) this.hidden.delete(metric);
    else this.hidden.add(metric);
    this.save();
    this.render();
  }

  private onTheme(palette: Palette): void {
    this.palette = palette;
    applyChartDefaults(palette);
    for (const group of Object.values(this.groups)) group.repaint(palette);
    this.logs.remeasure();
  }

  private notify(level: 'info' | 'error', text: string): void {
    // Before the first model the page holds only "Loading the dashboard…": an error then is why no model
    // comes (the run history cannot be read), so it shows in its place rather than in a part not yet on the page.
    if (!this.root.contains(this.notices)) {
      if (this.model === undefined && level === 'error') this.root.replaceChildren(this.notices);
      else this.root.prepend(this.notices);
    }
    showNotice(this.notices, level, text);
  }
}

type Palette = ReturnType<typeof readPalette>;

function restoreState(vscode: VsCodeApi): WebviewState {
  try {
    return parseWebviewState(vscode.getState());
  } catch (error) {
    // A state saved by an older version is expected after an update: start fresh, but say so.
    console.warn(`Flowdeck dashboard: ignoring the saved state (${error instanceof Error ? error.message : String(error)})`);
    return parseWebviewState(undefined);
  }
}

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (!root) throw new Error('Flowdeck dashboard: the page has no #app element');
new Dashboard(root, vscode, restoreState(vscode)).start();
