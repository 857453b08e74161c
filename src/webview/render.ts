/**
 * What every dashboard section shares (the render context, run buttons, state badges, section headers,
 * run pickers, empty states) and the top bar, welcome and recent-runs parts. A section is drawn whole
 * and its charts are made after it is in the document (chart.js measures its container), hence `mount`.
 */
import { ChartGroup } from './chartSetup';
import type { ExportContext, HostRequest } from './chartCard';
import { h, select, type Child } from './dom';
import { formatDuration, formatInteger, formatWhen } from './format';
import type { BuiltinFlowId, ChartPreferences, DashboardModel, RunRef, SectionWithChoices, WebviewToHost } from './protocol';
import type { Palette } from './theme';

export interface RenderContext extends ExportContext {
  post(message: WebviewToHost): void;
  /** Any of the dashboard's requests (an export, a range, a repository to compare). */
  request(message: HostRequest): void;
  runFlow(flowId: BuiltinFlowId): void;
  /** Flows whose Run button was pressed and whose start the host has not answered yet. */
  starting: ReadonlySet<BuiltinFlowId>;
  model: DashboardModel;
  prefs: ChartPreferences;
  setPrefs(change: Partial<ChartPreferences>): void;
  /** Controls that outlive a redraw (a half-typed form stays as it is). */
  controls: { addRepository: HTMLElement };
}

export interface Drawn {
  element: HTMLElement;
  /** Call once `element` is in the document; returns the charts it made. */
  mount(palette: Palette): ChartGroup;
}

const FLOW_BLURB: Record<BuiltinFlowId, string> = {
  'github-repo-stats': 'Stars, forks, watchers, open issues and pull requests of a repository, with its star history.',
  'youtube-channel-analytics': 'Daily views, watch time, likes and subscribers of your YouTube channel.',
};

export function noCharts(element: HTMLElement): Drawn {
  return { element, mount: () => new ChartGroup() };
}

export function runButton(flowId: BuiltinFlowId, ctx: RenderContext, variant: 'primary' | 'secondary' = 'primary'): HTMLElement {
  const starting = ctx.starting.has(flowId);
  const active = ctx.model.activeByFlow[flowId];
  return h(
    'button',
    {
      class: `button ${variant}`,
      disabled: starting,
      title: FLOW_BLURB[flowId],
      onClick: () => ctx.runFlow(flowId),
    },
    h('span', { class: 'button-icon', attrs: { 'aria-hidden': 'true' } }, starting ? '…' : '▶'),
    starting ? `Starting ${flowId}` : `Run ${flowId}`,
    active > 0 ? h('span', { class: 'badge running', title: `${active} run${active === 1 ? '' : 's'} in progress` }, `${active} running`) : null,
  );
}

export function stateBadge(run: RunRef): HTMLElement {
  // Colour and motion per state type live in dashboard.css (.state-RUNNING …): one place to change them.
  return h(
    'span',
    { class: `state state-${run.state.type}`, title: run.state.message ? `${run.state.name}: ${run.state.message}` : run.state.name },
    h('span', { class: 'state-dot', attrs: { 'aria-hidden': 'true' } }),
    run.state.name,
  );
}

export function renderTopbar(ctx: RenderContext): HTMLElement {
  return h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('h1', null, 'Flowdeck'), h('span', { class: 'muted' }, 'Dashboard')),
    ctx.model.totalRuns > 0
      ? h('div', { class: 'actions' }, runButton('github-repo-stats', ctx, 'secondary'), runButton('youtube-channel-analytics', ctx, 'secondary'))
      : null,
  );
}

export function renderWelcome(ctx: RenderContext): HTMLElement {
  const flow = (flowId: BuiltinFlowId, icon: string): HTMLElement =>
    h('div', { class: 'welcome-flow' }, h('div', { class: 'welcome-icon', attrs: { 'aria-hidden': 'true' } }, icon), h('p', null, FLOW_BLURB[flowId]), runButton(flowId, ctx));
  return h(
    'section',
    { class: 'card welcome' },
    h('h2', null, 'No runs yet'),
    h('p', { class: 'muted' }, 'Run one of the built-in flows and its figures, charts and live logs will appear here.'),
    h('div', { class: 'welcome-flows' }, flow('github-repo-stats', '★'), flow('youtube-channel-analytics', '▶')),
  );
}

export function sectionHeader(title: (Child | Child[])[], picker: HTMLElement | null, extra: Child = null): HTMLElement {
  return h('header', { class: 'section-header' }, h('h2', { class: 'section-title' }, ...title), h('div', { class: 'toolbar' }, extra, picker));
}

export function runPicker<T>(section: SectionWithChoices<T>, onPick: (runId: string | null) => void, what: string): HTMLElement | null {
  if (section.choices.length === 0) return null;
  const latest = section.choices[0]!;
  const options: [string, string][] = [['', `Latest run (${latest.name})`]];
  for (const run of section.choices) options.push([run.id, `${run.name} · ${formatWhen(run.endTime ?? run.created)}`]);
  const current = section.followingLatest || section.status === 'none' ? '' : section.run.id;
  return select(options, current, { label: `${what} run to chart`, onChange: (e) => onPick((e.target as HTMLSelectElement).value || null) });
}

export function note(text: string | undefined): HTMLElement | null {
  return text ? h('p', { class: 'note' }, text) : null;
}

/** "Latest attempt failed 16:12 — quota exceeded", above the run a section still shows, with the ways on. */
export function latestFailedNote(section: { latestFailed?: RunRef }, ctx: RenderContext): HTMLElement | null {
  const run = section.latestFailed;
  if (!run) return null;
  const button = (label: string, message: WebviewToHost) => h('button', { class: 'button secondary small', onClick: () => ctx.post(message) }, label);
  return h(
    'div',
    { class: 'note latest-failed', attrs: { role: 'status' } },
    h('span', null, `Latest attempt ${run.state.name.toLowerCase()} ${formatWhen(run.endTime ?? run.created)}`, run.state.message ? ` — ${run.state.message}` : ''),
    h(
      'span',
      { class: 'actions' },
      button('Show Logs', { type: 'showLogs', runId: run.id }),
      button('Retry from Failure', { type: 'retryFromFailure', runId: run.id }),
      button('Open Run', { type: 'openRun', runId: run.id }),
    ),
  );
}

export function sectionEmpty(flowId: BuiltinFlowId, lastAttempt: RunRef | undefined, ctx: RenderContext): HTMLElement {
  const last = lastAttempt
    ? h(
        'p',
        { class: 'muted' },
        'Latest attempt: ',
        h('strong', null, lastAttempt.name),
        ' ',
        stateBadge(lastAttempt),
        lastAttempt.state.message && lastAttempt.state.type !== 'RUNNING' ? ` — ${lastAttempt.state.message}` : '',
      )
    : null;
  return h('div', { class: 'empty' }, h('p', null, `No completed ${flowId} run yet.`), last, runButton(flowId, ctx));
}

export function unchartable(reason: string, run: RunRef): HTMLElement {
  return h('div', { class: 'empty unchartable' }, h('p', null, reason), h('p', { class: 'muted' }, `Run ${run.name}, finished ${formatWhen(run.endTime ?? run.created)}.`));
}

export function renderRuns(ctx: RenderContext): HTMLElement {
  const { recentRuns, totalRuns, logs } = ctx.model;
  const rows = recentRuns.map((run) => {
    const duration = run.startTime !== undefined && run.endTime !== undefined ? formatDuration(run.endTime - run.startTime) : '';
    const selected = logs.run?.id === run.id;
    return h(
      'li',
      null,
      h(
        'button',
        {
          class: `run-row${selected ? ' selected' : ''}`,
          attrs: { 'aria-current': String(selected), 'data-run-id': run.id },
          title: `Show the logs of ${run.name}${run.flowId && run.state.type === 'COMPLETED' ? ' and chart its result' : ''}`,
          onClick: () => ctx.post({ type: 'selectRun', runId: run.id }),
        },
        h('span', { class: 'run-name' }, run.name),
        h('span', { class: 'run-flow muted' }, run.flowName),
        h('span', { class: 'run-state' }, stateBadge(run)),
        h('span', { class: 'run-when muted' }, formatWhen(run.startTime ?? run.created), duration ? ` · ${duration}` : ''),
      ),
    );
  });
  const more =
    totalRuns > recentRuns.length
      ? h('p', { class: 'footnote' }, h('button', { class: 'link', title: 'Show them in the Runs view', onClick: () => ctx.post({ type: 'showOlderRuns' }) }, `${formatInteger(totalRuns - recentRuns.length)} older runs`), h('span', { class: 'muted' }, ' in the Runs view'))
      : null;
  return h(
    'section',
    { class: 'card runs' },
    sectionHeader(['Recent runs'], null),
    h('ul', { class: 'run-list' }, rows),
    more,
  );
}
