/**
 * The numbers behind the dashboard's charts, computed without a browser: daily stars, velocity bars,
 * the comparison of repositories (by date and aligned), the combined timeline, and CSV that reads back
 * to the same numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { dailyStars, dayNumber, dayOf, starSeries, starTable, starVelocity, timeline } from '../../src/webview/chartData';
import { exportName, toCsv } from '../../src/webview/csv';
import { axisFormatter, formatChange, formatDayWithWeekday } from '../../src/webview/format';
import type { ComparedRepository, GithubView, RunRef, YoutubeView } from '../../src/webview/protocol';

const ref: RunRef = { id: 'r', name: 'r', flowName: 'github-repo-stats', state: { type: 'COMPLETED', name: 'Completed' }, created: 0 };

function githubView(repo: string, starHistory: GithubView['starHistory'], extra: Partial<GithubView> = {}): GithubView {
  const last = starHistory.at(-1)?.stars ?? 0;
  return {
    repo,
    fetchedAt: '2024-03-01T00:00:00.000Z',
    counts: { stars: last, forks: 0, watchers: 0, openIssues: 0, openPullRequests: 0 },
    starHistory,
    starHistorySampled: false,
    releases: [],
    history: [],
    ...extra,
  };
}

function compared(repo: string, starHistory: GithubView['starHistory'], releases: GithubView['releases'] = []): ComparedRepository {
  return { repo, status: 'ok', run: ref, starHistory, starHistorySampled: false, releases };
}

describe('daily stars and velocity', () => {
  const full = [
    { date: '2024-01-01', stars: 4 },
    { date: '2024-01-02', stars: 8 },
    { date: '2024-01-05', stars: 9 },
    { date: '2024-01-08', stars: 20 },
  ];

  it('a full history keeps its count between points: those days had no stars', () => {
    assert.deepEqual(dailyStars(full, false).map((d) => d.stars), [4, 8, 8, 8, 9, 9, 9, 20]);
  });

  it('a sampled history is interpolated between its points, as its line is drawn', () => {
    assert.deepEqual(dailyStars([{ date: '2024-01-01', stars: 100 }, { date: '2024-01-05', stars: 500 }], true).map((d) => d.stars), [100, 200, 300, 400, 500]);
  });

  it('stars per day: the gain of each day, the first day counting its own stars', () => {
    assert.deepEqual(starVelocity(full, false, 'day'), [
      { start: '2024-01-01', stars: 4 },
      { start: '2024-01-02', stars: 4 },
      { start: '2024-01-03', stars: 0 },
      { start: '2024-01-04', stars: 0 },
      { start: '2024-01-05', stars: 1 },
      { start: '2024-01-06', stars: 0 },
      { start: '2024-01-07', stars: 0 },
      { start: '2024-01-08', stars: 11 },
    ]);
  });

  it('stars per week: ISO weeks from Monday; the bars add up to the last count', () => {
    // 2024-01-01 is a Monday; 2024-01-08 the next.
    assert.deepEqual(starVelocity(full, false, 'week'), [
      { start: '2024-01-01', stars: 9 },
      { start: '2024-01-08', stars: 11 },
    ]);
    const midweek = starVelocity([{ date: '2024-01-03', stars: 2 }, { date: '2024-01-10', stars: 7 }], false, 'week');
    assert.deepEqual(midweek, [
      { start: '2024-01-01', stars: 2 },
      { start: '2024-01-08', stars: 5 },
    ]);
    const sampled = starVelocity([{ date: '2023-01-02', stars: 0 }, { date: '2024-01-01', stars: 36_400 }], true, 'week');
    assert.equal(sampled.reduce((sum, b) => sum + b.stars, 0), 36_400);
    // 100 stars a day, spread evenly: 700 a week; the first week starts at 0 stars, the last has one day.
    assert.deepEqual(sampled[0], { start: '2023-01-02', stars: 600 });
    assert.ok(sampled.slice(1, -1).every((b) => b.stars >= 690 && b.stars <= 710), 'an even spread, not one spike');
    assert.deepEqual(sampled.at(-1), { start: '2024-01-01', stars: 100 });
  });

  it('no history, no bars', () => {
    assert.deepEqual(starVelocity([], false, 'week'), []);
  });
});

describe('comparison of three repositories', () => {
  const view = githubView('acme/alpha', [
    { date: '2024-01-10', stars: 5 },
    { date: '2024-01-12', stars: 50 },
  ]);
  const others = [
    compared('acme/beta', [
      { date: '2023-06-01', stars: 1 },
      { date: '2024-01-12', stars: 900 },
    ]),
    { repo: 'acme/waiting', status: 'waiting', active: true } as ComparedRepository,
    compared('acme/gamma', [{ date: '2024-01-11', stars: 3 }]),
  ];

  it('by date: one line per repository with a chart, the charted one first', () => {
    const series = starSeries(view, others, false);
    assert.deepEqual(series.map((s) => s.repo), ['acme/alpha', 'acme/beta', 'acme/gamma']);
    assert.deepEqual(series[0]!.points, [
      { x: dayNumber('2024-01-10'), y: 5 },
      { x: dayNumber('2024-01-12'), y: 50 },
    ]);
  });

  it('aligned: x counts days since each repository\'s first star', () => {
    const series = starSeries(view, others, true);
    assert.deepEqual(series.map((s) => s.points.map((p) => p.x)), [[0, 2], [0, dayNumber('2024-01-12') - dayNumber('2023-06-01')], [0]]);
  });

  it('its table has a row per date and a column per repository, gaps empty', () => {
    const table = starTable(starSeries(view, others, false), false);
    assert.deepEqual(table.header, ['date', 'acme/alpha', 'acme/beta', 'acme/gamma']);
    assert.deepEqual(table.rows, [
      ['2023-06-01', null, 1, null],
      ['2024-01-10', 5, null, null],
      ['2024-01-11', null, null, 3],
      ['2024-01-12', 50, 900, null],
    ]);
  });
});

describe('one timeline', () => {
  const youtube: YoutubeView = {
    channel: { id: 'UC', title: 'T', subscribers: 1, views: 1, videos: 1 },
    startDate: '2024-01-10',
    endDate: '2024-01-13',
    dates: ['2024-01-10', '2024-01-11', '2024-01-12', '2024-01-13'],
    series: [{ metric: 'views', values: [100, 120, null, null] }],
    totals: { views: 220 },
    topVideos: [
      { id: 'aaaaaaaaaaa', title: 'Launch video', publishedAt: '2024-01-11T16:00:00Z', views: 90, estimatedMinutesWatched: 1, likes: 1, averageViewDuration: 1 },
      { id: 'bbbbbbbbbbb', title: 'Old video', publishedAt: '2023-01-01T00:00:00Z', views: 30, estimatedMinutesWatched: 1, likes: 1, averageViewDuration: 1 },
    ],
  };

  it('stars and views on the YouTube range, releases on their line, videos on the views line', () => {
    const data = timeline(
      [{ repo: 'acme/alpha', points: [{ date: '2024-01-01', stars: 10 }, { date: '2024-01-12', stars: 40 }], sampled: false, releases: [{ tag: 'v1', date: '2024-01-11' }, { tag: 'v0', date: '2023-12-01' }] }],
      youtube,
    )!;
    assert.deepEqual([dayOf(data.min), dayOf(data.max)], ['2024-01-10', '2024-01-13']);
    assert.deepEqual(data.stars[0]!.points.map((p) => [dayOf(p.x), p.y]), [['2024-01-10', 10], ['2024-01-11', 10], ['2024-01-12', 40]]);
    assert.deepEqual(data.views.map((p) => p.y), [100, 120, null, null]);
    assert.deepEqual(data.releases, [{ x: dayNumber('2024-01-11'), y: 10, label: 'acme/alpha v1' }]);
    assert.deepEqual(data.videos, [{ x: dayNumber('2024-01-11'), y: 120, label: 'Launch video' }]);
  });
});

describe('CSV', () => {
  it('round-trips the numbers: what is written reads back as the same values', () => {
    const rows = [
      ['2024-06-04', 126_480, -3, 0.1 + 0.2, null, 'Flows, "tasks" and retries'],
      ['2024-06-05', 1e-7, 9_007_199_254_740_991, 2.5, 0, '=cmd|calc'],
    ];
    const csv = toCsv({ header: ['date', 'views', 'likes', 'ratio', 'gap', 'title'], rows });
    const back = parse(csv, { columns: true }) as Record<string, string>[];
    assert.equal(back.length, 2);
    rows.forEach((row, i) => {
      const read = back[i]!;
      assert.equal(read.date, row[0]);
      for (const [key, j] of [['views', 1], ['likes', 2], ['ratio', 3]] as const) assert.equal(Number(read[key]), row[j], `${key} of row ${i}`);
      assert.equal(read.gap, row[4] === null ? '' : String(row[4]));
    });
    assert.equal(back[0]!.title, 'Flows, "tasks" and retries');
    // A cell a spreadsheet would run as a formula is defused.
    assert.equal(back[1]!.title, "'=cmd|calc");
    assert.ok(!csv.includes('126,480'), 'no thousands separators');
  });

  it('names exports after what they hold', () => {
    assert.equal(exportName('star-history-acme/alpha-vs-acme/beta', 'png'), 'star-history-acme-alpha-vs-acme-beta.png');
    assert.equal(exportName('***', 'csv'), 'chart.csv');
  });
});

describe('number formats', () => {
  it('one format per axis, chosen by its largest tick', () => {
    const small = axisFormatter([0, 2_000, 4_000, 8_000]);
    assert.deepEqual([0, 2_000, 8_000].map(small), ['0', '2,000', '8,000']);
    const large = axisFormatter([0, 5_000, 10_000, 15_000]);
    assert.deepEqual([5_000, 15_000].map(large), ['5K', '15K']);
  });

  it('changes in percent, and none against a zero', () => {
    assert.deepEqual(formatChange(3_164, 2_825), { text: '▲ 12 %', trend: 'up' });
    assert.deepEqual(formatChange(95, 100), { text: '▼ 5 %', trend: 'down' });
    assert.deepEqual(formatChange(101.5, 100), { text: '▲ 1.5 %', trend: 'up' });
    assert.deepEqual(formatChange(100, 100), { text: '±0 %', trend: 'flat' });
    assert.equal(formatChange(5, 0), null);
    assert.equal(formatChange(5, undefined), null);
  });

  it('tooltips say the weekday', () => {
    assert.equal(formatDayWithWeekday('2024-06-04'), 'Tue, Jun 4, 2024');
  });
});
