/**
 * What the charts plot, computed from the model without the DOM (tested under node): star counts per
 * day from a repository's history, stars gained per day or week, repositories on one timeline or aligned
 * by their first star, and the combined GitHub + YouTube timeline.
 */
import type { ComparedRepository, GithubView, Release, StarPoint, YoutubeView } from './protocol';

const DAY_MS = 86_400_000;

export function dayNumber(isoDay: string): number {
  const [y, m, d] = isoDay.split('-').map(Number);
  return Math.round(Date.UTC(y!, m! - 1, d!) / DAY_MS);
}

export function dayOf(dayNum: number): string {
  return new Date(dayNum * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Stars on each day from the first point's day to the last's. A full history holds a point per day that
 * had stars, so between points the count stays; a sampled one (big repositories) holds clusters from a
 * few pages, so between points it is interpolated, as its chart line is drawn. Rounded to whole stars.
 */
export function dailyStars(points: readonly StarPoint[], sampled: boolean): { day: number; stars: number }[] {
  if (points.length === 0) return [];
  const days = points.map((p) => ({ day: dayNumber(p.date), stars: p.stars }));
  const out: { day: number; stars: number }[] = [];
  let k = 0;
  for (let day = days[0]!.day; day <= days.at(-1)!.day; day++) {
    while (k + 1 < days.length && days[k + 1]!.day <= day) k++;
    const a = days[k]!;
    const b = days[k + 1];
    const stars = sampled && b && b.day > a.day ? a.stars + ((b.stars - a.stars) * (day - a.day)) / (b.day - a.day) : a.stars;
    out.push({ day, stars: Math.round(stars) });
  }
  return out;
}

/** Monday of the ISO week a day number falls in (1970-01-01, day 0, was a Thursday). */
function weekStart(day: number): number {
  return day - ((day + 3) % 7);
}

/**
 * Stars gained per day or per ISO week (starting Monday), from the first star's day on; the first
 * bucket counts the stars of its first day. `start` is the bucket's first day.
 */
export function starVelocity(points: readonly StarPoint[], sampled: boolean, unit: 'day' | 'week'): { start: string; stars: number }[] {
  const daily = dailyStars(points, sampled);
  const buckets = new Map<number, number>();
  let before = 0;
  for (const { day, stars } of daily) {
    const key = unit === 'day' ? day : weekStart(day);
    buckets.set(key, (buckets.get(key) ?? 0) + stars - before);
    before = stars;
  }
  return [...buckets.entries()].map(([key, stars]) => ({ start: dayOf(key), stars }));
}

/** One repository's line on the star-history chart. */
export interface StarSeries {
  repo: string;
  points: { x: number; y: number }[];
  releases: Release[];
}

/**
 * The charted repository and the compared ones as lines: x is the day (as a day number), or with
 * `align` the days since the repository's first star, as star-history.com's "Align timeline" does.
 */
export function starSeries(view: GithubView, compared: readonly ComparedRepository[], align: boolean): StarSeries[] {
  const all = [
    { repo: view.repo, points: view.starHistory, releases: view.releases },
    ...compared.flatMap((c) => (c.status === 'ok' ? [{ repo: c.repo, points: c.starHistory, releases: c.releases }] : [])),
  ];
  return all.map(({ repo, points, releases }) => {
    const first = points.find((p) => p.stars > 0) ?? points[0];
    const origin = align && first ? dayNumber(first.date) : 0;
    return {
      repo,
      points: points.filter((p) => !align || dayNumber(p.date) >= origin).map((p) => ({ x: dayNumber(p.date) - origin, y: p.stars })),
      releases,
    };
  });
}

/** The data behind the star-history chart as a table: one row per x, a column per repository. */
export function starTable(series: readonly StarSeries[], align: boolean): { header: string[]; rows: (string | number | null)[][] } {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const byRepo = series.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
  return {
    header: [align ? 'days since first star' : 'date', ...series.map((s) => s.repo)],
    rows: xs.map((x) => [align ? x : dayOf(x), ...byRepo.map((m) => m.get(x) ?? null)]),
  };
}

export interface TimelineMarker {
  /** Day number. */
  x: number;
  y: number;
  label: string;
}

export interface Timeline {
  /** Day numbers of the x axis' ends. */
  min: number;
  max: number;
  stars: { repo: string; points: { x: number; y: number }[] }[];
  views: { x: number; y: number | null }[];
  releases: TimelineMarker[];
  videos: TimelineMarker[];
}

/**
 * GitHub and YouTube on one date axis. With YouTube figures the axis spans their range (stars are read
 * off each repository's daily counts there); without, the repositories' whole histories. Releases sit
 * on their repository's line, video publications on the views line (or on zero where it has no data).
 */
export function timeline(
  repos: readonly { repo: string; points: readonly StarPoint[]; sampled: boolean; releases: readonly Release[] }[],
  youtube: YoutubeView | undefined,
): Timeline | undefined {
  const withStars = repos.filter((r) => r.points.length > 0);
  if (withStars.length === 0 && !youtube) return undefined;
  const starDays = withStars.flatMap((r) => [dayNumber(r.points[0]!.date), dayNumber(r.points.at(-1)!.date)]);
  const min = youtube ? dayNumber(youtube.startDate) : Math.min(...starDays);
  const max = youtube ? dayNumber(youtube.endDate) : Math.max(...starDays);
  const releases: TimelineMarker[] = [];
  const stars = withStars.map((r) => {
    const daily = new Map(dailyStars(r.points, r.sampled).map((d) => [d.day, d.stars]));
    const first = dayNumber(r.points[0]!.date);
    const last = dayNumber(r.points.at(-1)!.date);
    const at = (day: number): number | undefined => (day < first ? 0 : day > last ? daily.get(last) : daily.get(day));
    const points: { x: number; y: number }[] = [];
    for (let day = Math.max(min, first); day <= Math.min(max, last); day++) points.push({ x: day, y: at(day)! });
    for (const release of r.releases) {
      const day = dayNumber(release.date);
      if (day >= min && day <= max) releases.push({ x: day, y: at(day) ?? 0, label: `${r.repo} ${release.tag}` });
    }
    return { repo: r.repo, points };
  });
  const views: { x: number; y: number | null }[] = [];
  const videos: TimelineMarker[] = [];
  if (youtube) {
    const series = youtube.series.find((s) => s.metric === 'views');
    const byDay = new Map(youtube.dates.map((d, i) => [dayNumber(d), series?.values[i] ?? null]));
    for (let day = min; day <= max; day++) views.push({ x: day, y: byDay.get(day) ?? null });
    for (const video of youtube.topVideos) {
      if (!video.publishedAt) continue;
      const day = dayNumber(video.publishedAt.slice(0, 10));
      if (day >= min && day <= max) videos.push({ x: day, y: byDay.get(day) ?? 0, label: video.title ?? video.id });
    }
  }
  return { min, max, stars, views, releases, videos };
}
