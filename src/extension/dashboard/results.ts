/**
 * Reading stored flow results into what the dashboard draws: unknown → view, or a ResultShapeError that
 * names the first field that is wrong. A result is untrusted input (any flow can be named like a
 * built-in, and older versions stored less), so every field is checked and optional parts stay optional.
 */
import { comparePeriods } from '../../flows/youtube/periodComparison';
import type { GithubCounts, GithubView, Release, StarPoint, TopVideo, YoutubeView } from '../../webview/protocol';

/** Raised for a result that doesn't have the shape its flow promises; the message names the field. */
export class ResultShapeError extends Error {
  override name = 'ResultShapeError';
}

type Fields = Record<string, unknown>;

function object(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResultShapeError(`${path} should be an object but is ${kind(value)}`);
  }
  return value as Fields;
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ResultShapeError(`${path} should be a list but is ${kind(value)}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ResultShapeError(`${path} should be text but is ${kind(value)}`);
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ResultShapeError(`${path} should be a number but is ${kind(value)}`);
  }
  return value;
}

/** The YouTube Data API reports counts as strings; a flow that passes them through is still readable. */
function count(value: unknown, path: string): number {
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  return finite(value, path);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: unknown, path: string): string {
  const s = text(value, path);
  if (!DAY.test(s)) throw new ResultShapeError(`${path} should be a YYYY-MM-DD date but is '${s.slice(0, 30)}'`);
  return s;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// ---------------------------------------------------------------------------------------------------
// youtube-channel-analytics

/** Series of `metrics` (plus net subscribers when the days carry it) over `days`; null marks a gap. */
function seriesOf(days: Fields[], metrics: readonly string[], path: string): { metric: string; values: (number | null)[] }[] {
  return metrics.map((metric) => ({
    metric,
    values: days.map((d, i) => {
      const v = d[metric];
      // A day the API had no row for is a gap in the line, not a zero.
      return v === null || v === undefined ? null : finite(v, `${path}[${i}].${metric}`);
    }),
  }));
}

function totalsOf(value: unknown, metrics: readonly string[], path: string): Record<string, number> {
  const totalsIn = value === undefined ? {} : object(value, path);
  const totals: Record<string, number> = {};
  for (const metric of metrics) {
    const v = totalsIn[metric];
    if (v !== undefined && v !== null) totals[metric] = finite(v, `${path}.${metric}`);
  }
  return totals;
}

/** The flow adds `netSubscribers` to the totals when it was asked for both subscriber metrics. */
function chartedMetrics(metrics: readonly string[], totals: unknown): string[] {
  const hasNet = typeof totals === 'object' && totals !== null && typeof (totals as Fields).netSubscribers === 'number';
  return hasNet && !metrics.includes('netSubscribers') ? [...metrics, 'netSubscribers'] : [...metrics];
}

function readTopVideo(value: unknown, path: string): TopVideo {
  const v = object(value, path);
  const id = text(v.id, `${path}.id`);
  if (!/^[A-Za-z0-9_-]{11}$/.test(id)) throw new ResultShapeError(`${path}.id should be an 11-character video id but is '${id.slice(0, 30)}'`);
  return {
    id,
    title: v.title === null ? null : text(v.title, `${path}.title`),
    publishedAt: v.publishedAt === null || v.publishedAt === undefined ? null : text(v.publishedAt, `${path}.publishedAt`),
    views: finite(v.views, `${path}.views`),
    estimatedMinutesWatched: finite(v.estimatedMinutesWatched, `${path}.estimatedMinutesWatched`),
    likes: finite(v.likes, `${path}.likes`),
    averageViewDuration: finite(v.averageViewDuration, `${path}.averageViewDuration`),
  };
}

export function readYoutubeResult(value: unknown): YoutubeView {
  const r = object(value, 'result');
  const c = object(r.channel, 'result.channel');
  const asked = list(r.metrics, 'result.metrics').map((m, i) => text(m, `result.metrics[${i}]`));
  if (asked.length === 0) throw new ResultShapeError('result.metrics is empty, so there is nothing to chart');
  if (new Set(asked).size !== asked.length) throw new ResultShapeError('result.metrics names a metric twice');
  const metrics = chartedMetrics(asked, r.totals);
  const days = list(r.days, 'result.days').map((d, i) => object(d, `result.days[${i}]`));
  const dates = days.map((d, i) => day(d.date, `result.days[${i}].date`));
  const view: YoutubeView = {
    channel: {
      id: text(c.id, 'result.channel.id'),
      title: text(c.title, 'result.channel.title'),
      subscribers: c.subscribers === null ? null : count(c.subscribers, 'result.channel.subscribers'),
      views: count(c.views, 'result.channel.views'),
      videos: count(c.videos, 'result.channel.videos'),
    },
    startDate: day(r.startDate, 'result.startDate'),
    endDate: day(r.endDate, 'result.endDate'),
    dates,
    series: seriesOf(days, metrics, 'result.days'),
    totals: totalsOf(r.totals, metrics, 'result.totals'),
    topVideos: r.topVideos === undefined ? [] : list(r.topVideos, 'result.topVideos').map((v, i) => readTopVideo(v, `result.topVideos[${i}]`)),
  };
  if (r.previous !== undefined) view.previous = readPrevious(r.previous, metrics, view.series, dates.length);
  return view;
}

/**
 * The previous period's days, cut or padded to the current period's length so day N lines up with day N,
 * and what each card compares: computed here, from the days, so runs stored before it was are counted right too.
 * The period's totals the flow stores are not read: they count days the range has no data for yet.
 */
function readPrevious(value: unknown, metrics: readonly string[], current: YoutubeView['series'], length: number): NonNullable<YoutubeView['previous']> {
  const p = object(value, 'result.previous');
  const days = list(p.days ?? [], 'result.previous.days').map((d, i) => object(d, `result.previous.days[${i}]`));
  const aligned = Array.from({ length }, (_, i) => days[i] ?? {});
  const series = seriesOf(aligned, metrics, 'result.previous.days');
  return {
    startDate: day(p.startDate, 'result.previous.startDate'),
    endDate: day(p.endDate, 'result.previous.endDate'),
    series,
    compared: comparePeriods(daysOf(current, length), daysOf(series, length), metrics),
  };
}

/** Checked series back into days of figures by metric, as totals.ts counts them. */
function daysOf(series: YoutubeView['series'], length: number): Record<string, number | null>[] {
  return Array.from({ length }, (_, i) => Object.fromEntries(series.map((s) => [s.metric, s.values[i] ?? null])));
}

// ---------------------------------------------------------------------------------------------------
// github-repo-stats

function readCounts(r: Fields): GithubCounts {
  return {
    stars: count(r.stars, 'result.stars'),
    forks: count(r.forks, 'result.forks'),
    watchers: count(r.watchers, 'result.watchers'),
    openIssues: count(r.openIssues, 'result.openIssues'),
    openPullRequests: count(r.openPullRequests, 'result.openPullRequests'),
  };
}

function readRepo(r: Fields): string {
  const repo = text(r.repo, 'result.repo');
  if (repo.length === 0) throw new ResultShapeError('result.repo is empty');
  return repo;
}

function readFetchedAt(r: Fields): string {
  return typeof r.fetchedAt === 'number' ? new Date(finite(r.fetchedAt, 'result.fetchedAt')).toISOString() : text(r.fetchedAt, 'result.fetchedAt');
}

function readStarHistory(value: unknown): StarPoint[] {
  const history = value === undefined ? [] : list(value, 'result.starHistory');
  return history
    .map((p, i) => {
      const point = object(p, `result.starHistory[${i}]`);
      // Dates may come as full timestamps (a stargazer's starred_at); the chart needs the day.
      const date = text(point.date, `result.starHistory[${i}].date`).slice(0, 10);
      return { date: day(date, `result.starHistory[${i}].date`), stars: count(point.stars, `result.starHistory[${i}].stars`) };
    })
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.stars - b.stars));
}

function readReleases(value: unknown): Release[] {
  if (value === undefined) return [];
  return list(value, 'result.releases').map((v, i) => {
    const release = object(v, `result.releases[${i}]`);
    return { tag: text(release.tag, `result.releases[${i}].tag`), date: day(release.date, `result.releases[${i}].date`) };
  });
}

/** What a run of the repository counted, for the metrics over time; cheap to keep for every run. */
export interface RepoSnapshot {
  repo: string;
  fetchedAt: string;
  counts: GithubCounts;
}

export function readGithubSnapshot(value: unknown): RepoSnapshot {
  const r = object(value, 'result');
  return { repo: readRepo(r), fetchedAt: readFetchedAt(r), counts: readCounts(r) };
}

/** The github view without `previous`, `deltas` and `history`, which need other runs. */
export function readGithubResult(value: unknown): GithubView {
  const r = object(value, 'result');
  return {
    repo: readRepo(r),
    fetchedAt: readFetchedAt(r),
    counts: readCounts(r),
    starHistory: readStarHistory(r.starHistory),
    starHistorySampled: r.starHistorySampled === true,
    releases: readReleases(r.releases),
    history: [],
  };
}
