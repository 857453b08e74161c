/**
 * The GitHub section: the charted run's counts with their changes, the star history compared with other
 * repositories (add, remove, log scale, align timeline), stars gained per day or week, and the counts of
 * every stored run of the repository over time.
 */
import { chartCard } from './chartCard';
import { ChartGroup } from './chartSetup';
import { starSeries, starTable, starVelocity, type StarSeries } from './chartData';
import { detail, h, select, separator } from './dom';
import { formatDay, formatDelta, formatInteger, formatWhen, type SeriesColor } from './format';
import { isRepository, type ComparedRepository, type GithubCounts, type GithubView, type RunRef } from './protocol';
import { latestFailedNote, noCharts, note, runPicker, sectionEmpty, sectionHeader, stateBadge, unchartable, type Drawn, type RenderContext } from './render';
import { HISTORY_METRICS, repoColor, runHistoryChart, starComparisonChart, starVelocityChart } from './starCharts';

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

function swatch(color: SeriesColor): HTMLElement {
  return h('span', { class: `swatch filled series-${color}`, attrs: { 'aria-hidden': 'true' } });
}

/** A compared repository as a chip: its colour on the chart (or why it has none yet) and a remove button. */
function comparedChip(entry: ComparedRepository, colorIndex: number | undefined, ctx: RenderContext): HTMLElement {
  const status =
    entry.status === 'ok'
      ? null
      : entry.status === 'unchartable'
        ? h('span', { class: 'muted', title: entry.reason }, ' — unreadable result')
        : entry.active
          ? h('span', { class: 'muted' }, ' — run in progress…')
          : entry.lastAttempt
            ? h('span', { class: 'muted' }, ' — last run ', stateBadge(entry.lastAttempt))
            : h('span', { class: 'muted' }, ' — no run yet');
  return h(
    'span',
    { class: 'chip compared', attrs: { 'data-repo': entry.repo } },
    colorIndex === undefined ? null : swatch(repoColor(colorIndex)),
    h('span', null, entry.repo),
    status,
    h('button', { class: 'icon-button small', title: `Stop comparing with ${entry.repo}`, attrs: { 'aria-label': `Remove ${entry.repo}` }, onClick: () => ctx.post({ type: 'removeRepository', repo: entry.repo }) }, '×'),
  );
}

/**
 * "Add repository…": a button that opens a small owner/name form; the host runs the flow if needed. Made
 * once by the dashboard and moved into each redraw of the section, so a model arriving while someone types
 * (runs change all the time) keeps the form open with what was typed.
 */
export function addRepositoryForm(onAdd: (repo: string) => void): HTMLElement {
  const input = h('input', { class: 'text-input', attrs: { type: 'text', placeholder: 'owner/name', 'aria-label': 'Repository to compare (owner/name)', spellcheck: 'false', size: '22' } });
  const error = h('span', { class: 'form-error', attrs: { role: 'alert' } });
  const form = h('form', { class: 'add-repo', hidden: true }, input, h('button', { class: 'button primary small', attrs: { type: 'submit' } }, 'Compare'), error);
  const open = h(
    'button',
    {
      class: 'button secondary small',
      title: 'Draw another repository on the star-history chart (runs github-repo-stats for it when none is stored)',
      onClick: () => {
        form.hidden = !form.hidden;
        if (!form.hidden) input.focus();
      },
    },
    'Add repository…',
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const repo = input.value.trim().replace(/^https:\/\/github\.com\//, '').replace(/\/+$/, '');
    if (!isRepository(repo)) {
      error.textContent = 'Write it as owner/name, e.g. PrefectHQ/prefect.';
      return;
    }
    error.textContent = '';
    onAdd(repo);
    input.value = '';
    form.hidden = true;
  });
  return h('span', { class: 'add-repo-slot' }, open, form);
}

function toggle(label: string, checked: boolean, title: string, onChange: (checked: boolean) => void): HTMLElement {
  const box = h('input', { attrs: { type: 'checkbox' }, onChange: (e) => onChange((e.target as HTMLInputElement).checked) });
  box.checked = checked;
  return h('label', { class: 'toggle-label', title }, box, label);
}

function describeSeries(series: readonly StarSeries[], logScale: boolean, align: boolean): string {
  return `Star history of ${series.map((s) => s.repo).join(', ')} on a ${logScale ? 'logarithmic' : 'linear'} scale, ${align ? 'aligned by first star' : 'by date'}`;
}

interface GithubCharts {
  stars?: { canvas: HTMLCanvasElement; series: StarSeries[] };
  velocity?: { canvas: HTMLCanvasElement; buckets: { start: string; stars: number }[] };
  history?: HTMLCanvasElement;
}

function githubBody(view: GithubView, run: RunRef, ctx: RenderContext): { body: HTMLElement; charts: GithubCharts } {
  const { prefs } = ctx;
  const since = view.previous ? `since ${view.previous.run.name} (${formatWhen(Date.parse(view.previous.fetchedAt) || view.previous.run.created)})` : 'no earlier run of this repository';
  const cards = GITHUB_CARDS.map(([key, label]) => {
    const d = view.deltas ? formatDelta(view.deltas[key]) : null;
    return statCard(label, formatInteger(view.counts[key]), d ? { ...d, good: d.trend === 'up' ? GOOD_WHEN_UP[key] : !GOOD_WHEN_UP[key] } : null, `Change ${since}`);
  });
  const charts: GithubCharts = {};
  const compared = ctx.model.compared;
  const series = starSeries(view, compared, prefs.alignTimeline).filter((s) => s.points.length > 0);
  if (series.length > 0) {
    charts.stars = { series, canvas: h('canvas', { attrs: { role: 'img', 'aria-label': describeSeries(series, prefs.logScale, prefs.alignTimeline) } }) };
  }
  // Colours follow the order of the lines: the charted repository, then the compared ones that have one.
  let colour = 1;
  const chips = compared.map((entry) => comparedChip(entry, entry.status === 'ok' ? colour++ : undefined, ctx));
  const range = view.starHistory.length > 0 ? `${formatDay(view.starHistory[0]!.date, true)} – ${formatDay(view.starHistory.at(-1)!.date, true)}` : '';
  const starCard = chartCard(ctx, {
    title: 'Star history',
    detail: [
      toggle('Log scale', prefs.logScale, 'A logarithmic y axis: repositories of very different sizes side by side', (on) => ctx.setPrefs({ logScale: on })),
      toggle('Align timeline', prefs.alignTimeline, "x = days since each repository's first star", (on) => ctx.setPrefs({ alignTimeline: on })),
    ],
    canvas: charts.stars?.canvas ?? null,
    empty: 'This result has no star history.',
    size: 'tall',
    what: 'the star history',
    csv: { name: `star-history-${series.map((s) => s.repo).join('-vs-')}`, table: () => starTable(series, prefs.alignTimeline) },
    extraClass: 'stars-card',
  });
  const compareBar = h('div', { class: 'compare-bar' }, swatch(repoColor(0)), h('strong', null, view.repo), h('span', { class: 'muted' }, range), ...chips, ctx.controls.addRepository);
  starCard.insertBefore(compareBar, starCard.querySelector('.chart-box, .empty-chart'));

  const buckets = starVelocity(view.starHistory, view.starHistorySampled, prefs.velocity);
  if (buckets.length > 0) charts.velocity = { buckets, canvas: h('canvas', { attrs: { role: 'img', 'aria-label': `Stars of ${view.repo} gained per ${prefs.velocity}` } }) };
  const unitPicker = select(
    [
      ['week', 'per week'],
      ['day', 'per day'],
    ],
    prefs.velocity,
    { label: 'Stars gained per day or per week', onChange: (e) => ctx.setPrefs({ velocity: (e.target as HTMLSelectElement).value === 'day' ? 'day' : 'week' }) },
  );
  const velocityCard = chartCard(ctx, {
    title: 'Stars gained',
    detail: [view.starHistorySampled ? h('span', { class: 'muted', title: 'GitHub lists stargazers page by page; for big repositories Flowdeck reads a sample of pages and spreads the stars between them evenly' }, 'estimated between sampled pages') : null, unitPicker],
    canvas: charts.velocity?.canvas ?? null,
    empty: 'No stars yet.',
    what: `the stars gained per ${prefs.velocity}`,
    csv: { name: `stars-per-${prefs.velocity}-${view.repo}`, table: () => ({ header: [prefs.velocity === 'day' ? 'date' : 'week starting', 'stars gained'], rows: buckets.map((b) => [b.start, b.stars]) }) },
  });

  if (view.history.length > 1) charts.history = h('canvas', { attrs: { role: 'img', 'aria-label': `Forks, watchers, open issues and pull requests of ${view.repo} over ${view.history.length} runs` } });
  const historyCard = chartCard(ctx, {
    title: 'Across runs',
    detail: h('span', { class: 'muted' }, `${view.history.length} ${view.history.length === 1 ? 'run' : 'runs'}; GitHub keeps no history of these, Flowdeck's runs do`),
    canvas: charts.history ?? null,
    empty: 'One run of this repository so far: every later run adds a point here.',
    what: 'the counts across runs',
    csv: {
      name: `runs-of-${view.repo}`,
      table: () => ({ header: ['fetched at', 'run', 'stars', ...HISTORY_METRICS.map((m) => m.label.toLowerCase())], rows: view.history.map((h) => [h.fetchedAt, h.runId, h.counts.stars, ...HISTORY_METRICS.map((m) => h.counts[m.key])]) }),
    },
  });

  const body = h(
    'div',
    null,
    h('div', { class: 'stats five' }, cards),
    starCard,
    h('div', { class: 'chart-pair' }, velocityCard, historyCard),
    h('p', { class: 'footnote muted' }, `Fetched ${formatWhen(Date.parse(view.fetchedAt) || run.created)} by run ${run.name}; changes are ${since}.`),
  );
  return { body, charts };
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
  const { body, charts } = githubBody(view, run, ctx);
  const element = h('section', { class: 'card github' }, sectionHeader(['GitHub', separator(), link], picker), latestFailedNote(section, ctx), note(section.note), body);
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      if (charts.stars) group.add(starComparisonChart(charts.stars.canvas, charts.stars.series, { logScale: ctx.prefs.logScale, align: ctx.prefs.alignTimeline }, palette));
      if (charts.velocity) group.add(starVelocityChart(charts.velocity.canvas, charts.velocity.buckets, ctx.prefs.velocity, repoColor(0), palette));
      if (charts.history) group.add(runHistoryChart(charts.history, view.history, palette));
      return group;
    },
  };
}
