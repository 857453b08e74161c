/**
 * Builds each dashboard section from its part of the model. A section is drawn whole and its charts are
 * made after it is in the document (chart.js measures its container), hence `mount`.
 */
import { ChartGroup, metricChart, starHistoryChart } from './charts';
import { detail, h, select, separator, type Child } from './dom';
import { formatCount, formatDay, formatDelta, formatDuration, formatInteger, formatWhen, metricInfo } from './format';
import type {
  BuiltinFlowId,
  DashboardModel,
  GithubCounts,
  GithubView,
  RunRef,
  SectionWithChoices,
  WebviewToHost,
} from './protocol';
import type { Palette } from './theme';

export interface RenderContext {
  post(message: WebviewToHost): void;
  runFlow(flowId: BuiltinFlowId): void;
  /** Flows whose Run button was pressed and whose start the host has not answered yet. */
  starting: ReadonlySet<BuiltinFlowId>;
  model: DashboardModel;
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

function noCharts(element: HTMLElement): Drawn {
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

function sectionHeader(title: (Child | Child[])[], picker: HTMLElement | null, extra: Child = null): HTMLElement {
  return h('header', { class: 'section-header' }, h('h2', { class: 'section-title' }, ...title), h('div', { class: 'toolbar' }, extra, picker));
}

function runPicker<T>(section: SectionWithChoices<T>, onPick: (runId: string | null) => void, what: string): HTMLElement | null {
  if (section.choices.length === 0) return null;
  const latest = section.choices[0]!;
  const options: [string, string][] = [['', `Latest run (${latest.name})`]];
  for (const run of section.choices) options.push([run.id, `${run.name} · ${formatWhen(run.endTime ?? run.created)}`]);
  const current = section.followingLatest || section.status === 'none' ? '' : section.run.id;
  return select(options, current, { label: `${what} run to chart`, onChange: (e) => onPick((e.target as HTMLSelectElement).value || null) });
}

function note(text: string | undefined): HTMLElement | null {
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

function sectionEmpty(flowId: BuiltinFlowId, lastAttempt: RunRef | undefined, ctx: RenderContext): HTMLElement {
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

function unchartable(reason: string, run: RunRef): HTMLElement {
  return h('div', { class: 'empty unchartable' }, h('p', null, reason), h('p', { class: 'muted' }, `Run ${run.name}, finished ${formatWhen(run.endTime ?? run.created)}.`));
}

// ---------------------------------------------------------------------------------------------------

const GITHUB_CARDS: [keyof GithubCounts, string][] = [
  ['stars', 'Stars'],
  ['forks', 'Forks'],
  ['watchers', 'Watchers'],
  ['openIssues', 'Open issues'],
  ['openPullRequests', 'Open pull requests'],
];

/** More stars is good news; more open issues is not. The colour of a change follows that. */
const GOOD_WHEN_UP: Record<keyof GithubCounts, boolean> = { stars: true, forks: true, watchers: true, openIssues: false, openPullRequests: false };

function statCard(label: string, value: string, delta: { text: string; trend: 'up' | 'down' | 'flat'; good: boolean } | null, hint: string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    delta
      ? h('div', { class: `delta ${delta.trend}${delta.trend === 'flat' ? '' : delta.good ? ' good' : ' bad'}`, title: hint }, delta.text)
      : h('div', { class: 'delta none', title: hint }, 'first run'),
  );
}

function githubBody(view: GithubView, run: RunRef): { body: HTMLElement; canvas: HTMLCanvasElement | null } {
  const since = view.previous ? `since ${view.previous.run.name} (${formatWhen(Date.parse(view.previous.fetchedAt) || view.previous.run.created)})` : 'no earlier run of this repository';
  const cards = GITHUB_CARDS.map(([key, label]) => {
    const d = view.deltas ? formatDelta(view.deltas[key]) : null;
    return statCard(label, formatInteger(view.counts[key]), d ? { ...d, good: d.trend === 'up' ? GOOD_WHEN_UP[key] : !GOOD_WHEN_UP[key] } : null, `Change ${since}`);
  });
  const canvas = view.starHistory.length > 0 ? h('canvas', { attrs: { role: 'img', 'aria-label': `Star history of ${view.repo}` } }) : null;
  const body = h(
    'div',
    null,
    h('div', { class: 'stats five' }, cards),
    h(
      'div',
      { class: 'chart-card' },
      h('div', { class: 'chart-title' }, h('span', null, 'Star history'), h('span', { class: 'muted' }, view.starHistory.length > 0 ? `${formatDay(view.starHistory[0]!.date, true)} – ${formatDay(view.starHistory.at(-1)!.date, true)}` : '')),
      canvas ? h('div', { class: 'chart-box tall' }, canvas) : h('p', { class: 'muted empty-chart' }, 'This result has no star history.'),
    ),
    h('p', { class: 'footnote muted' }, `Fetched ${formatWhen(Date.parse(view.fetchedAt) || run.created)} by run ${run.name}; changes are ${since}.`),
  );
  return { body, canvas };
}

export function renderGithub(ctx: RenderContext): Drawn {
  const section = ctx.model.github;
  const picker = runPicker(section, (runId) => ctx.post({ type: 'selectGithubRun', runId }), 'GitHub');
  if (section.status !== 'ok') {
    const title = section.status === 'none' ? ['GitHub'] : ['GitHub', detail(section.run.name)];
    const body = section.status === 'none' ? sectionEmpty('github-repo-stats', section.lastAttempt, ctx) : unchartable(section.reason, section.run);
    return noCharts(h('section', { class: 'card github' }, sectionHeader(title, picker), latestFailedNote(section, ctx), note(section.note), body));
  }
  const { view, run } = section;
  const link = h('a', { attrs: { href: `https://github.com/${view.repo}` }, title: `Open ${view.repo} on GitHub` }, view.repo);
  const { body, canvas } = githubBody(view, run);
  const element = h('section', { class: 'card github' }, sectionHeader(['GitHub', separator(), link], picker), latestFailedNote(section, ctx), note(section.note), body);
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      if (canvas) group.add(starHistoryChart(canvas, view.starHistory, palette));
      return group;
    },
  };
}

// ---------------------------------------------------------------------------------------------------

function daysWithout(n: number): string {
  return `${n} ${n === 1 ? 'day' : 'days'} without data`;
}

export function renderYoutube(ctx: RenderContext, hidden: ReadonlySet<string>, onToggle: (metric: string) => void): Drawn {
  const section = ctx.model.youtube;
  const picker = runPicker(section, (runId) => ctx.post({ type: 'selectYoutubeRun', runId }), 'YouTube');
  if (section.status !== 'ok') {
    const title = section.status === 'none' ? ['YouTube'] : ['YouTube', detail(section.run.name)];
    const body = section.status === 'none' ? sectionEmpty('youtube-channel-analytics', section.lastAttempt, ctx) : unchartable(section.reason, section.run);
    return noCharts(h('section', { class: 'card youtube' }, sectionHeader(title, picker), latestFailedNote(section, ctx), note(section.note), body));
  }
  const { view, run } = section;
  const lifetime = h(
    'div',
    { class: 'lifetime' },
    h('span', { class: 'chip' }, h('strong', null, view.channel.subscribers === null ? 'hidden' : formatCount(view.channel.subscribers)), ' subscribers'),
    h('span', { class: 'chip' }, h('strong', null, formatCount(view.channel.views)), ' lifetime views'),
    h('span', { class: 'chip' }, h('strong', null, formatCount(view.channel.videos)), ' videos'),
  );
  const range = `${formatDay(view.startDate, true)} – ${formatDay(view.endDate, true)}`;
  const hasData = view.series.some((s) => s.values.some((v) => v !== null));

  const toggles = view.series.map(({ metric }) => {
    const info = metricInfo(metric);
    const total = view.totals[metric];
    const on = !hidden.has(metric);
    return h(
      'button',
      {
        class: `stat toggle series-${info.color}${on ? ' on' : ''}`,
        attrs: { 'aria-pressed': String(on) },
        title: on ? `Hide the ${info.label} chart` : `Show the ${info.label} chart`,
        onClick: () => onToggle(metric),
      },
      h('div', { class: 'stat-label' }, h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'stat-label-text' }, info.label)),
      h('div', { class: 'stat-value' }, total === undefined ? '—' : info.format(total)),
    );
  });

  const gapCounts = view.series.map((s) => s.values.filter((v) => v === null).length);
  const commonGaps = gapCounts.every((g) => g === gapCounts[0]) ? (gapCounts[0] ?? 0) : -1;
  const charts: { canvas: HTMLCanvasElement; metric: string; values: (number | null)[] }[] = [];
  const chartCards = hasData
    ? view.series
        .filter(({ metric }) => !hidden.has(metric))
        .map(({ metric, values }) => {
          const info = metricInfo(metric);
          const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `${info.label} per day` } });
          charts.push({ canvas, metric, values });
          const gaps = values.filter((v) => v === null).length;
          // Usually every metric misses the same (lagging) days, said once below; only an odd one out is flagged here.
          const own = gaps !== commonGaps && gaps > 0 ? h('span', { class: 'muted', title: 'Days without data are gaps in the line' }, daysWithout(gaps)) : null;
          return h(
            'div',
            { class: 'chart-card' },
            h('div', { class: 'chart-title' }, h('span', null, info.label), own),
            h('div', { class: 'chart-box' }, canvas),
          );
        })
    : [];
  const chartsArea = !hasData
    ? h('div', { class: 'empty' }, h('p', null, `YouTube has no figures for ${range} yet.`), h('p', { class: 'muted' }, 'Its analytics lag two to three days; try a range that ends earlier.'))
    : chartCards.length === 0
      ? h('p', { class: 'muted empty-chart' }, 'Every metric is switched off; pick one above to chart it.')
      : h('div', { class: 'chart-grid' }, chartCards);

  const element = h(
    'section',
    { class: 'card youtube' },
    sectionHeader(['YouTube', separator(), h('span', null, view.channel.title)], picker, h('span', { class: 'muted' }, range)),
    latestFailedNote(section, ctx),
    note(section.note),
    lifetime,
    h('div', { class: 'stats metrics' }, toggles),
    chartsArea,
    h(
      'p',
      { class: 'footnote muted' },
      `From run ${run.name}, finished ${formatWhen(run.endTime ?? run.created)}. Totals cover ${range}.`,
      commonGaps > 0 && hasData ? ` ${daysWithout(commonGaps)} are gaps in the lines: YouTube reports days two to three days late.` : '',
    ),
  );
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      for (const { canvas, metric, values } of charts) {
        const info = metricInfo(metric);
        group.add(metricChart(canvas, { dates: view.dates, values, label: info.label, color: info.color, format: info.format }, palette));
      }
      return group;
    },
  };
}

// ---------------------------------------------------------------------------------------------------

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
