/**
 * The YouTube section: the date range (presets, custom), lifetime counts, a card per metric with its
 * total and the change against the previous period, a chart per metric (previous period dashed), the
 * range's top videos, and the days as CSV.
 */
import { chartCard, csvActions } from './chartCard';
import { ChartGroup } from './chartSetup';
import type { Table } from './csv';
import { detail, h, select, separator } from './dom';
import { formatChange, formatCount, formatDay, formatInteger, formatSeconds, formatWhen, metricInfo } from './format';
import type { RangeChoice, TopVideo, YoutubeView } from './protocol';
import { latestFailedNote, noCharts, note, runPicker, sectionEmpty, sectionHeader, unchartable, type Drawn, type RenderContext } from './render';
import { metricChart } from './youtubeCharts';

type Compared = NonNullable<YoutubeView['previous']>['compared'][string];

/** The change's tooltip: the previous period's figure, and which days were compared when not all were. */
function changeTitle(c: Compared, period: string, format: (value: number) => string): string {
  if (c.days === c.of) return `Previous period ${period}: ${format(c.previous)}`;
  const without = c.of - c.days;
  const why = c.lastWithout === without ? `the last ${without === 1 ? 'one has' : `${without} have`} no data yet` : daysWithout(without);
  return `Compared over ${c.days} of ${c.of} days (${why}). Previous period ${period}, the same days: ${format(c.previous)}`;
}

function daysWithout(n: number): string {
  return `${n} ${n === 1 ? 'day' : 'days'} without data`;
}

/** Presets and "Custom…": a preset charts at once, custom opens two date fields. */
function rangePicker(view: YoutubeView | undefined, choices: readonly RangeChoice[], ctx: RenderContext): HTMLElement {
  const current = view ? choices.find((c) => c.startDate === view.startDate && c.endDate === view.endDate) : undefined;
  const start = h('input', { class: 'date-input', attrs: { type: 'date', 'aria-label': 'First day', value: view?.startDate ?? '' } });
  const end = h('input', { class: 'date-input', attrs: { type: 'date', 'aria-label': 'Last day', value: view?.endDate ?? '' } });
  const custom = h('form', { class: 'custom-range', hidden: true }, start, '–', end, h('button', { class: 'button primary small', attrs: { type: 'submit' } }, 'Apply'));
  custom.addEventListener('submit', (event) => {
    event.preventDefault();
    if (start.value && end.value) ctx.request({ type: 'chooseYoutubeRange', startDate: start.value, endDate: end.value });
  });
  const options: [string, string][] = choices.map((c) => [c.id, c.label]);
  options.push(['custom', current || !view ? 'Custom…' : `${formatDay(view.startDate, true)} – ${formatDay(view.endDate, true)}`]);
  const picker = select(options, current?.id ?? 'custom', {
    label: 'Date range',
    title: 'YouTube reports days in Pacific Time; a range without a stored run is fetched by a new run',
    onChange: (e) => {
      const id = (e.target as HTMLSelectElement).value;
      const choice = choices.find((c) => c.id === id);
      custom.hidden = choice !== undefined;
      if (choice) ctx.request({ type: 'chooseYoutubeRange', startDate: choice.startDate, endDate: choice.endDate });
    },
  });
  return h('span', { class: 'range-picker' }, picker, custom);
}

function metricCards(view: YoutubeView, hidden: ReadonlySet<string>, onToggle: (metric: string) => void): HTMLElement[] {
  const previous = view.previous;
  const before = previous ? `${formatDay(previous.startDate, true)} – ${formatDay(previous.endDate, true)}` : '';
  return view.series.map(({ metric }) => {
    const info = metricInfo(metric);
    const total = view.totals[metric];
    // Like with like: the range's days with data against the same days of the previous period (periodComparison.ts).
    const compared = previous?.compared[metric];
    const change = total === undefined || !compared ? null : formatChange(compared.current, compared.previous);
    const on = !hidden.has(metric);
    return h(
      'button',
      {
        class: `stat toggle series-${info.color}${on ? ' on' : ''}`,
        attrs: { 'aria-pressed': String(on), 'data-metric': metric },
        title: on ? `Hide the ${info.label} chart` : `Show the ${info.label} chart`,
        onClick: () => onToggle(metric),
      },
      h('div', { class: 'stat-label' }, h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'stat-label-text' }, info.label)),
      h(
        'div',
        { class: 'stat-line' },
        h('span', { class: 'stat-value' }, total === undefined ? '—' : info.format(total)),
        change && compared ? h('span', { class: `stat-change ${change.trend}`, title: changeTitle(compared, before, info.format) }, change.text) : null,
      ),
      change && compared && compared.days < compared.of ? h('div', { class: 'stat-note muted' }, `compared over ${compared.days} of ${compared.of} days`) : null,
    );
  });
}

function videoLink(video: TopVideo, ctx: RenderContext): HTMLElement {
  const url = `https://www.youtube.com/watch?v=${video.id}`;
  const label = video.title ?? `Unavailable video (${video.id})`;
  return h('a', { class: 'video-link', attrs: { href: url, 'data-video': video.id }, title: `Open ${url}`, onClick: (e) => {
    e.preventDefault();
    ctx.post({ type: 'openVideo', url });
  } }, label);
}

function topVideosTable(view: YoutubeView): Table {
  return {
    header: ['rank', 'video id', 'title', 'published', 'views', 'minutes watched', 'likes', 'average view duration (s)', 'url'],
    rows: view.topVideos.map((v, i) => [i + 1, v.id, v.title, v.publishedAt, v.views, v.estimatedMinutesWatched, v.likes, v.averageViewDuration, `https://www.youtube.com/watch?v=${v.id}`]),
  };
}

function daysTable(view: YoutubeView): Table {
  const previous = view.previous;
  return {
    header: ['date', ...view.series.map((s) => s.metric), ...(previous ? ['previous date', ...previous.series.map((s) => `previous ${s.metric}`)] : [])],
    rows: view.dates.map((date, i) => [
      date,
      ...view.series.map((s) => s.values[i] ?? null),
      ...(previous ? [addDays(previous.startDate, i), ...previous.series.map((s) => s.values[i] ?? null)] : []),
    ]),
  };
}

function addDays(isoDay: string, days: number): string {
  const [y, m, d] = isoDay.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

function topVideos(view: YoutubeView, ctx: RenderContext): HTMLElement {
  const rows = view.topVideos.map((v, i) =>
    h(
      'tr',
      null,
      h('td', { class: 'num muted' }, String(i + 1)),
      h('td', { class: 'video' }, videoLink(v, ctx)),
      h('td', { class: 'muted' }, v.publishedAt ? formatDay(v.publishedAt.slice(0, 10), true) : '—'),
      h('td', { class: 'num' }, formatInteger(v.views)),
      h('td', { class: 'num' }, formatInteger(v.estimatedMinutesWatched)),
      h('td', { class: 'num' }, formatInteger(v.likes)),
      h('td', { class: 'num' }, formatSeconds(v.averageViewDuration)),
    ),
  );
  const head = h('tr', null, ...['#', 'Video', 'Published', 'Views', 'Minutes watched', 'Likes', 'Avg. view duration'].map((t, i) => h('th', { class: i === 0 || i > 2 ? 'num' : '' }, t)));
  return h(
    'div',
    { class: 'chart-card top-videos' },
    h('div', { class: 'chart-title' }, h('span', null, 'Top videos'), h('span', { class: 'chart-tools' }, h('span', { class: 'muted' }, 'by views in the range'), csvActions(ctx, { name: `top-videos-${view.startDate}-${view.endDate}`, table: () => topVideosTable(view) }, 'the top videos'))),
    view.topVideos.length > 0
      ? h('div', { class: 'table-scroll' }, h('table', { class: 'data-table' }, h('thead', null, head), h('tbody', null, rows)))
      : h('p', { class: 'muted empty-chart' }, view.previous ? 'No video was viewed in this range.' : 'This run predates top videos; run the flow again to see them.'),
  );
}

export function renderYoutube(ctx: RenderContext, hidden: ReadonlySet<string>, onToggle: (metric: string) => void): Drawn {
  const section = ctx.model.youtube;
  const picker = runPicker(section, (runId) => ctx.post({ type: 'selectYoutubeRun', runId }), 'YouTube');
  const ranges = rangePicker(section.status === 'ok' ? section.view : undefined, ctx.model.youtubeRanges, ctx);
  if (section.status !== 'ok') {
    const title = section.status === 'none' ? ['YouTube'] : ['YouTube', detail(section.run.name)];
    const body = section.status === 'none' ? sectionEmpty('youtube-channel-analytics', section.lastAttempt, ctx) : unchartable(section.reason, section.run);
    return noCharts(h('section', { class: 'card youtube' }, sectionHeader(title, picker, ranges), latestFailedNote(section, ctx), note(section.note), body));
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
  const gapCounts = view.series.map((s) => s.values.filter((v) => v === null).length);
  const commonGaps = gapCounts.every((g) => g === gapCounts[0]) ? (gapCounts[0] ?? 0) : -1;
  const previousDates = view.previous ? view.dates.map((_, i) => addDays(view.previous!.startDate, i)) : undefined;

  const charts: { canvas: HTMLCanvasElement; metric: string; values: (number | null)[]; previous?: (number | null)[] }[] = [];
  const chartCards = hasData
    ? view.series
        .filter(({ metric }) => !hidden.has(metric))
        .map(({ metric, values }) => {
          const info = metricInfo(metric);
          const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `${info.label} per day${view.previous ? ', with the previous period dashed' : ''}` } });
          const previous = view.previous?.series.find((s) => s.metric === metric)?.values;
          charts.push({ canvas, metric, values, ...(previous ? { previous } : {}) });
          const gaps = values.filter((v) => v === null).length;
          // Usually every metric misses the same (lagging) days, said once below; only an odd one out is flagged here.
          const own = gaps !== commonGaps && gaps > 0 ? h('span', { class: 'muted', title: 'Days without data are gaps in the line' }, daysWithout(gaps)) : null;
          return chartCard(ctx, {
            title: info.label,
            detail: own,
            canvas,
            what: `the ${info.label} chart`,
            csv: {
              name: `${metric}-${view.startDate}-${view.endDate}`,
              table: () => ({
                header: ['date', metric, ...(previous ? ['previous date', `previous ${metric}`] : [])],
                rows: view.dates.map((d, i) => [d, values[i] ?? null, ...(previous ? [previousDates![i]!, previous[i] ?? null] : [])]),
              }),
            },
          });
        })
    : [];
  const chartsArea = !hasData
    ? h('div', { class: 'empty' }, h('p', null, `YouTube has no figures for ${range} yet.`), h('p', { class: 'muted' }, 'Its analytics lag two to three days; try a range that ends earlier.'))
    : chartCards.length === 0
      ? h('p', { class: 'muted empty-chart' }, 'Every metric is switched off; pick one above to chart it.')
      : h('div', { class: 'chart-grid' }, chartCards);
  const compared = view.previous
    ? ` Dashed lines: the previous ${view.dates.length} days (${formatDay(view.previous.startDate, true)} – ${formatDay(view.previous.endDate, true)}), day by day. ` +
      'Changes: the days with data against the same days of the previous period.'
    : '';

  const element = h(
    'section',
    { class: 'card youtube' },
    sectionHeader(['YouTube', separator(), h('span', null, view.channel.title)], picker, ranges),
    latestFailedNote(section, ctx),
    note(section.note),
    lifetime,
    h('div', { class: 'stats metrics' }, metricCards(view, hidden, onToggle)),
    chartsArea,
    topVideos(view, ctx),
    h(
      'p',
      { class: 'footnote muted' },
      `From run ${run.name}, finished ${formatWhen(run.endTime ?? run.created)}. Totals cover ${range}.${compared}`,
      commonGaps > 0 && hasData ? ` ${daysWithout(commonGaps)} are gaps in the lines: YouTube reports days two to three days late.` : '',
      ' Days: ',
      csvActions(ctx, { name: `youtube-days-${view.startDate}-${view.endDate}`, table: () => daysTable(view) }, 'the days of the range'),
    ),
  );
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      for (const { canvas, metric, values, previous } of charts) {
        const info = metricInfo(metric);
        group.add(
          metricChart(
            canvas,
            {
              dates: view.dates,
              values,
              label: info.label,
              color: info.color,
              format: info.format,
              ...(info.format === formatSeconds ? { axisFormat: formatSeconds } : {}),
              ...(previous && previousDates ? { previous: { dates: previousDates, values: previous } } : {}),
            },
            palette,
          ),
        );
      }
      return group;
    },
  };
}
