/**
 * youtube-channel-analytics against a loopback fake of Google (test/support/fakeGoogle.ts), with the real
 * googleapis clients and OAuth2Client. The flow body is called with a fake run context, and its tasks go
 * through the engine's own retry loop (withRetries) with each task's retries and retryCondition — only the
 * delays are zeroed. Runs through the whole engine (worker process, delays and all) are in
 * youtubeEngine.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { mergeCredentials, readCredentials } from '../../src/engine/credentials';
import {
  FETCH_CHANNEL_TASK,
  FETCH_PREVIOUS_REPORT_TASK,
  FETCH_REPORT_TASK,
  FETCH_TOP_VIDEOS_TASK,
  runChannelAnalytics,
  type AnalyticsDependencies,
  type AnalyticsRunContext,
  type ChannelAnalytics,
  type TaskFactory,
} from '../../src/flows/youtube/analytics';
import { createYouTubeClients, ensureAccessToken } from '../../src/flows/youtube/client';
import { addDays, eachDay, isCalendarDay, lastCompleteDays, pacificDay, previousRange } from '../../src/flows/youtube/dates';
import { reportAnswer } from '../../src/flows/youtube/answers';
import { SecretMasker } from '../../src/engine/secrets';
import { YouTubeError, isRetryable } from '../../src/flows/youtube/errors';
import { DEFAULT_METRICS, resolveParameters } from '../../src/flows/youtube/parameters';
import { fetchReportTable, formatDayLine, metricLabel } from '../../src/flows/youtube/report';
import { withRetries } from '../../src/engine/worker/retries';
import { tempDir } from '../support/engine';
import { collectingGarbage } from '../support/forcedGc';
import { ANALYTICS_SCOPE, DEFAULT_VIDEOS, defaultFigures, startFakeGoogle, videoFigures, type FakeChannel, type FakeGoogle, type RecordedRequest } from '../support/fakeGoogle';

interface FakeRun extends AnalyticsRunContext {
  logs: { level: 'INFO' | 'WARNING'; message: string }[];
  secrets: Set<string>;
  saved: { service: string; patch: Record<string, unknown> }[];
}

function fakeRun(home: string): FakeRun {
  const logs: FakeRun['logs'] = [];
  const secrets = new Set<string>();
  const saved: FakeRun['saved'] = [];
  return {
    logs,
    secrets,
    saved,
    signal: new AbortController().signal,
    logger: {
      info: (message) => logs.push({ level: 'INFO', message }),
      warning: (message) => logs.push({ level: 'WARNING', message }),
    },
    registerSecret: (value) => secrets.add(value),
    // Like the CLI host: merge into the credentials file.
    saveCredentials: (service, patch) => {
      saved.push({ service, patch });
      mergeCredentials(home, service, patch);
    },
    home,
  };
}

const quiet = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined, critical: () => undefined, log: () => undefined };

/** Each task call goes through the engine's retry loop (delays zeroed), counting its attempts. */
function engineRetries(attempts: Map<string, number>): TaskFactory {
  return (options, fn) => (...args) =>
    withRetries({ retries: options.retries, delay: 0, jitter: 0, condition: options.retryCondition }, new AbortController().signal, quiet, () => undefined, async () => {
      attempts.set(options.name, (attempts.get(options.name) ?? 0) + 1);
      return fn(...args);
    });
}

const RANGE = { startDate: '2024-06-04', endDate: '2024-07-04' };

let fake: FakeGoogle;
let home: string;
let refreshToken: string;

before(async () => {
  fake = await startFakeGoogle({ lastDataDay: '2024-06-30' });
});
after(() => fake.close());

beforeEach(() => {
  fake.requests.length = 0;
  fake.clearFailures();
  fake.set({ lastDataDay: '2024-06-30', noData: false, figures: undefined, videos: DEFAULT_VIDEOS, channel: { id: 'UCfakeChannel000000000001', title: 'Fake Channel', subscribers: 1234, views: 567890, videos: 42 } });
  home = tempDir('flowdeck-yt-');
  refreshToken = fake.issueRefreshToken();
  mergeCredentials(home, 'youtube', { client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: refreshToken });
});

function endpointsEnv(): NodeJS.ProcessEnv {
  return { FLOWDECK_GOOGLE_API_URL: fake.url, FLOWDECK_GOOGLE_TOKEN_URL: fake.tokenUrl };
}

function deps(run: FakeRun, extra: Partial<AnalyticsDependencies> = {}, attempts = new Map<string, number>()): AnalyticsDependencies {
  return { task: engineRetries(attempts), context: () => run, env: endpointsEnv(), ...extra };
}

function requestsTo(path: string): RecordedRequest[] {
  return fake.requests.filter((r) => r.path === path);
}

/** The daily report of the range asked for (not the previous period's, not the top videos'). */
function dayReports(startDate = RANGE.startDate): RecordedRequest[] {
  return requestsTo('/v2/reports').filter((r) => r.query.dimensions === 'day' && r.query.startDate === startDate);
}

const MAIN_REPORT = { dimensions: 'day', startDate: RANGE.startDate };

async function failure(promise: Promise<unknown>): Promise<YouTubeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof YouTubeError, `expected a YouTubeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the run to fail');
}

/** Every secret the fake handed out or was configured with. */
function allSecrets(): string[] {
  const issued = fake.requests
    .filter((r) => r.path === '/token')
    .flatMap((r) => [r.form.refresh_token, r.form.code_verifier, r.form.code])
    .filter((v): v is string => typeof v === 'string');
  const used = fake.requests
    .map((r) => /^Bearer (.+)$/.exec(r.headers.authorization ?? '')?.[1])
    .filter((v): v is string => v !== undefined);
  return [fake.clientSecret, refreshToken, ...issued, ...used];
}

function assertNoSecrets(text: string): void {
  for (const secret of allSecrets()) assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 200)}`);
}

describe('youtube-channel-analytics report', () => {
  test('one entry per day of the range; days YouTube has no row for yet are null, not 0', async () => {
    const run = fakeRun(home);
    const result = await runChannelAnalytics(RANGE, deps(run));

    assert.deepEqual(result.days.map((d) => d.date), eachDay(RANGE.startDate, RANGE.endDate));
    assert.equal(result.days.length, 31);
    for (const day of result.days) {
      if (day.date <= '2024-06-30') {
        const f = defaultFigures(day.date);
        for (const m of DEFAULT_METRICS) assert.equal(day[m], f[m], `${day.date} ${m}`);
      } else {
        for (const m of DEFAULT_METRICS) assert.equal(day[m], null, `${day.date} ${m}`);
      }
    }
    assert.equal(result.startDate, RANGE.startDate);
    assert.equal(result.endDate, RANGE.endDate);
    assert.deepEqual(result.metrics, [...DEFAULT_METRICS]);
  });

  test('a run is 5 requests: the range, the previous period, the top videos, their titles and the channel', async () => {
    await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    // The first run also refreshed the access token; the next one reuses it, as runs do until it expires.
    assert.equal(requestsTo('/token').length, 1);
    fake.requests.length = 0;
    await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    console.log(`[figure] youtube-channel-analytics requests per run=${fake.requests.length} (${fake.requests.map((r) => r.path).join(', ')})`);
    assert.equal(fake.requests.length, 5);
    const reports = requestsTo('/v2/reports');
    assert.equal(reports.length, 3);
    const base = { ids: 'channel==MINE', metrics: 'estimatedMinutesWatched,views,likes,subscribersGained' };
    assert.deepEqual(dayReports()[0]!.query, { ...base, startDate: RANGE.startDate, endDate: RANGE.endDate, dimensions: 'day', sort: 'day' });
    // 31 days before 2024-06-04.
    assert.deepEqual(dayReports('2024-05-04')[0]!.query, { ...base, startDate: '2024-05-04', endDate: '2024-06-03', dimensions: 'day', sort: 'day' });
    assert.deepEqual(reports.find((r) => r.query.dimensions === 'video')!.query, {
      ids: 'channel==MINE',
      startDate: RANGE.startDate,
      endDate: RANGE.endDate,
      metrics: 'views,estimatedMinutesWatched,likes,averageViewDuration',
      dimensions: 'video',
      sort: '-views',
      maxResults: '10',
    });
    const videos = requestsTo('/youtube/v3/videos');
    assert.equal(videos.length, 1);
    assert.equal(videos[0]!.query.part, 'snippet');
    assert.equal(videos[0]!.query.id!.split(',').length, 10);
    const channels = requestsTo('/youtube/v3/channels');
    assert.equal(channels.length, 1);
    assert.deepEqual(channels[0]!.query, { part: 'snippet,statistics', mine: 'true' });
  });

  test('previous period: the same length just before startDate; its totals are the sums of its rows', async () => {
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.deepEqual(previousRange(RANGE), { startDate: '2024-05-04', endDate: '2024-06-03' });
    assert.equal(result.previous.startDate, '2024-05-04');
    assert.equal(result.previous.endDate, '2024-06-03');
    assert.equal(result.previous.days.length, result.days.length);
    assert.deepEqual(result.previous.days.map((d) => d.date), eachDay('2024-05-04', '2024-06-03'));
    for (const m of DEFAULT_METRICS) {
      const rows = result.previous.days.map((d) => d[m] as number);
      assert.ok(rows.every((v) => typeof v === 'number'), `${m}: the previous period is complete`);
      assert.equal(result.previous.totals[m], rows.reduce((a, b) => a + b, 0), m);
      assert.equal(result.previous.totals[m], eachDay('2024-05-04', '2024-06-03').reduce((sum, day) => sum + defaultFigures(day)[m]!, 0), m);
    }
    assert.deepEqual(previousRange({ startDate: '2024-03-01', endDate: '2024-03-01' }), { startDate: '2024-02-29', endDate: '2024-02-29' });
  });

  test('top videos: the ten most viewed of the range, sorted by views, with titles and publication times', async () => {
    const run = fakeRun(home);
    const result = await runChannelAnalytics(RANGE, deps(run));
    assert.equal(result.topVideos.length, 10);
    const views = result.topVideos.map((v) => v.views);
    assert.deepEqual(views, [...views].sort((a, b) => b - a));
    const expected = DEFAULT_VIDEOS.map((video, index) => ({
      video,
      views: eachDay(RANGE.startDate, '2024-06-30').filter((d) => d >= video.publishedAt.slice(0, 10)).reduce((sum, day) => sum + videoFigures(video, index, day).views!, 0),
    }))
      .filter((v) => v.views > 0)
      .sort((a, b) => b.views - a.views)
      .slice(0, 10);
    assert.deepEqual(result.topVideos.map((v) => [v.id, v.title, v.publishedAt, v.views]), expected.map((e) => [e.video.id, e.video.title, e.video.publishedAt, e.views]));
    for (const v of result.topVideos) {
      assert.ok(v.estimatedMinutesWatched > 0 && v.likes >= 0 && v.averageViewDuration > 0, JSON.stringify(v));
    }
    assert.ok(run.logs.some((l) => l.message === `Top video 1: ${expected[0]!.video.title}, Views: ${expected[0]!.views}`));
  });

  test('a top video YouTube no longer lists (deleted, private) keeps its figures with a null title', async () => {
    const gone = DEFAULT_VIDEOS.map((v, i) => (i === 4 ? { ...v, deleted: true } : v));
    fake.set({ videos: gone });
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    const video = result.topVideos.find((v) => v.id === gone[4]!.id)!;
    assert.equal(video.title, null);
    assert.equal(video.publishedAt, null);
    assert.ok(video.views > 0);
  });

  test('the stand-in refuses a video report without sort or maxResults, as YouTube does', async () => {
    const clients = createYouTubeClients({ clientId: fake.clientId, clientSecret: fake.clientSecret, refreshToken }, { apiUrl: fake.url, tokenUrl: fake.tokenUrl }, () => undefined);
    const params = { ids: 'channel==MINE', ...RANGE, metrics: 'views', dimensions: 'video' };
    for (const query of [params, { ...params, sort: '-views' }, { ...params, maxResults: 10 }, { ...params, sort: 'views', maxResults: 10 }, { ...params, sort: '-views', maxResults: 201 }]) {
      await assert.rejects(clients.analytics.reports.query(query), /The query is not supported/, JSON.stringify(query));
    }
    const ok = await clients.analytics.reports.query({ ...params, sort: '-views', maxResults: 3 });
    assert.equal(ok.data.rows?.length, 3);
  });

  test('net subscribers (gained − lost) per day and in the totals when both are asked for', async () => {
    const run = fakeRun(home);
    const result = await runChannelAnalytics({ ...RANGE, metrics: 'views,subscribersGained,subscribersLost' }, deps(run));
    for (const day of result.days) {
      const f = defaultFigures(day.date);
      assert.equal(day.netSubscribers, day.date <= '2024-06-30' ? f.subscribersGained! - f.subscribersLost! : null, day.date);
    }
    assert.equal(result.totals.netSubscribers, result.totals.subscribersGained! - result.totals.subscribersLost!);
    assert.equal(result.previous.totals.netSubscribers, result.previous.totals.subscribersGained! - result.previous.totals.subscribersLost!);
    assert.match(run.logs.at(-1)!.message, /, Net Subscribers: -?\d+$/);

    const without = await runChannelAnalytics({ ...RANGE, metrics: 'views,subscribersGained' }, deps(fakeRun(home)));
    assert.equal(without.totals.netSubscribers, undefined);
    assert.ok(without.days.every((d) => !('netSubscribers' in d)));
  });

  test('totals sum the non-null figures, negative daily likes included', async () => {
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    const withData = eachDay('2024-06-04', '2024-06-30');
    const negative = result.days.filter((d) => typeof d.likes === 'number' && d.likes < 0);
    assert.ok(negative.length >= 2, 'the range holds days with negative likes');
    for (const m of DEFAULT_METRICS) {
      assert.equal(result.totals[m], withData.reduce((sum, day) => sum + defaultFigures(day)[m]!, 0), m);
    }
  });

  test('no data at all (rows absent): every day null, totals 0, and a warning', async () => {
    fake.set({ noData: true });
    const run = fakeRun(home);
    const result = await runChannelAnalytics(RANGE, deps(run));
    assert.equal(result.days.length, 31);
    assert.ok(result.days.every((d) => DEFAULT_METRICS.every((m) => d[m] === null)));
    assert.deepEqual(result.totals, { estimatedMinutesWatched: 0, views: 0, likes: 0, subscribersGained: 0 });
    assert.deepEqual(result.previous.totals, { estimatedMinutesWatched: 0, views: 0, likes: 0, subscribersGained: 0 });
    assert.deepEqual(result.topVideos, []);
    assert.equal(requestsTo('/youtube/v3/videos').length, 0, 'no titles to ask for');
    assert.ok(run.logs.some((l) => l.level === 'WARNING' && l.message.includes('no data')));
  });

  test('channel counts arrive as strings and come out as numbers', async () => {
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.deepEqual(result.channel, { id: 'UCfakeChannel000000000001', title: 'Fake Channel', subscribers: 1234, views: 567890, videos: 42 });
  });

  test('a hidden subscriber count is null', async () => {
    fake.set({ channel: { id: 'UChidden', title: 'Hidden', subscribers: 0, views: 10, videos: 1, hiddenSubscriberCount: true } });
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.equal(result.channel.subscribers, null);
    assert.equal(result.channel.views, 10);
  });

  test('logs a line per day like the Prefect example, then a totals line', async () => {
    const run = fakeRun(home);
    await runChannelAnalytics(RANGE, deps(run));
    const f = defaultFigures('2024-06-04');
    const lines = run.logs.map((l) => l.message);
    assert.ok(lines.includes(
      `Day: 2024-06-04, Estimated Minutes Watched: ${f.estimatedMinutesWatched}, Views: ${f.views}, Likes: ${f.likes}, Subscribers Gained: ${f.subscribersGained}`,
    ));
    assert.ok(lines.includes('Day: 2024-07-04, Estimated Minutes Watched: no data yet, Views: no data yet, Likes: no data yet, Subscribers Gained: no data yet'));
    assert.match(lines.at(-1)!, /^Totals 2024-06-04 to 2024-07-04 \(27 of 31 days with data\): Estimated Minutes Watched: \d+, Views: \d+, Likes: -?\d+, Subscribers Gained: \d+$/);
    assert.match(lines[0]!, /^Channel: Fake Channel \(UCfakeChannel000000000001\), Subscribers: 1234, Views: 567890, Videos: 42$/);
    assert.equal(formatDayLine({ date: '2017-01-01', estimatedMinutesWatched: 0, views: 0, likes: 0, subscribersGained: 0 }, [...DEFAULT_METRICS]),
      'Day: 2017-01-01, Estimated Minutes Watched: 0, Views: 0, Likes: 0, Subscribers Gained: 0');
  });

  test('other metrics: columns follow the order asked; averages total as a views-weighted mean', async () => {
    const metrics = 'views,averageViewDuration,subscribersLost,comments,shares';
    const result = await runChannelAnalytics({ ...RANGE, metrics }, deps(fakeRun(home)));
    assert.equal(dayReports()[0]!.query.metrics, metrics);
    const day = result.days[0]!;
    const f = defaultFigures(day.date);
    assert.deepEqual(day, { date: day.date, views: f.views, averageViewDuration: f.averageViewDuration, subscribersLost: f.subscribersLost, comments: f.comments, shares: f.shares });
    const withData = eachDay('2024-06-04', '2024-06-30').map(defaultFigures);
    const views = withData.reduce((s, d) => s + d.views!, 0);
    const weighted = withData.reduce((s, d) => s + d.views! * d.averageViewDuration!, 0) / views;
    assert.equal(result.totals.averageViewDuration, Math.round(weighted * 100) / 100);
    assert.equal(metricLabel('averageViewDuration'), 'Average View Duration');
  });

  test('a range longer than a page is read with startIndex/maxResults until a short page', async () => {
    fake.set({ lastDataDay: undefined });
    const result = await runChannelAnalytics({ startDate: '2024-01-01', endDate: '2024-01-25' }, deps(fakeRun(home), { pageSize: 10 }));
    const pages = dayReports('2024-01-01').map((r) => [r.query.startIndex, r.query.maxResults]);
    assert.deepEqual(pages, [['1', '10'], ['11', '10'], ['21', '10']]);
    assert.equal(result.days.length, 25);
    assert.ok(result.days.every((d) => d.views === defaultFigures(d.date).views));
  });

  test('an answer that ignores startIndex ends the paging with an error, never a request loop', { timeout: 20_000 }, async () => {
    let calls = 0;
    const stuck = {
      reports: {
        query: async (params: { startDate: string; endDate: string; maxResults?: number }) => {
          calls++;
          // Before, the loop never ended; stop it here so a failure is a failure, not a hang.
          if (calls > 20) throw new Error('still paging after 20 requests');
          const rows = eachDay(params.startDate, params.endDate).slice(0, params.maxResults).map((day) => [day, 1]);
          return { data: { columnHeaders: [{ name: 'day' }, { name: 'views' }], rows } };
        },
      },
    } as unknown as Parameters<typeof fetchReportTable>[0];
    const query = { startDate: '2024-01-01', endDate: '2024-01-25', metrics: ['views'] };
    await assert.rejects(fetchReportTable(stuck, query, new SecretMasker([]), { pageSize: 10 }), (error: unknown) => error instanceof YouTubeError && error.code === 'unexpected-answer' && /repeated days already read .*startIndex was not honoured/.test(error.message));
    assert.equal(calls, 2);
  });

  test('a range that fits one page is one request without startIndex/maxResults', async () => {
    await runChannelAnalytics({ startDate: '2024-01-01', endDate: '2024-01-10' }, deps(fakeRun(home), { pageSize: 10 }));
    const reports = dayReports('2024-01-01');
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.query.startIndex, undefined);
    assert.equal(reports[0]!.query.maxResults, undefined);
  });
});

describe('youtube-channel-analytics resumed', () => {
  test('resumed on a later day with the default dates: the new range is read, not the first attempt\'s figures reused', async () => {
    fake.set({ lastDataDay: '2024-07-31' });
    // What a resume does: a call whose name and arguments match a completed one returns its result.
    const completed = new Map<string, unknown>();
    const resuming: TaskFactory = (options, fn) => async (...args) => {
      const key = `${options.name} ${JSON.stringify(args)}`;
      if (completed.has(key)) return completed.get(key) as Awaited<ReturnType<typeof fn>>;
      const value = await fn(...args);
      completed.set(key, value);
      return value;
    };
    const firstDay = new Date('2024-07-20T19:00:00Z');
    fake.inject({ kind: 'quotaExceeded', path: /\/youtube\/v3\/channels$/ });
    await failure(runChannelAnalytics({}, deps(fakeRun(home), { task: resuming, now: () => firstDay })));
    const laterDay = new Date(firstDay.getTime() + 3 * 86_400_000);
    const resumed = await runChannelAnalytics({}, deps(fakeRun(home), { task: resuming, now: () => laterDay }));
    const fresh = await runChannelAnalytics({}, deps(fakeRun(home), { now: () => laterDay }));
    assert.equal(resumed.startDate, fresh.startDate);
    assert.deepEqual(resumed.days, fresh.days);
    assert.deepEqual(resumed.previous, fresh.previous);
    assert.deepEqual(resumed.topVideos, fresh.topVideos);
    assert.ok(resumed.days.every((day) => day.views !== null), 'every day of the new range has its figures');
  });
});

describe('youtube-channel-analytics parameters and dates', () => {
  test('default range: the last 28 complete days in Pacific Time', async () => {
    // 07:30 UTC on March 10 is still March 9 in Los Angeles (PST, UTC-8).
    const run = fakeRun(home);
    const result = await runChannelAnalytics({}, deps(run, { now: () => new Date('2024-03-10T07:30:00Z') }));
    assert.equal(result.endDate, '2024-03-08');
    assert.equal(result.startDate, '2024-02-10');
    assert.equal(result.days.length, 28);
    assert.equal(dayReports('2024-02-10')[0]!.query.endDate, '2024-03-08');

    assert.equal(pacificDay(new Date('2024-03-10T08:30:00Z')), '2024-03-10');
    // Summer: PDT is UTC-7.
    assert.deepEqual(lastCompleteDays(new Date('2024-07-01T06:59:00Z')), { startDate: '2024-06-02', endDate: '2024-06-29' });
    assert.deepEqual(lastCompleteDays(new Date('2024-07-01T07:00:00Z')), { startDate: '2024-06-03', endDate: '2024-06-30' });
  });

  test('one date given: an end alone spans 28 days, a start alone ends yesterday', () => {
    const now = new Date('2024-07-10T20:00:00Z');
    assert.deepEqual(resolveParameters({ endDate: '2024-06-30' }, now), { startDate: '2024-06-03', endDate: '2024-06-30', metrics: [...DEFAULT_METRICS] });
    assert.deepEqual(resolveParameters({ startDate: '2024-07-01' }, now), { startDate: '2024-07-01', endDate: '2024-07-09', metrics: [...DEFAULT_METRICS] });
    assert.deepEqual(resolveParameters({ metrics: ' views , likes ' }, now).metrics, ['views', 'likes']);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['reversed dates', { startDate: '2024-07-04', endDate: '2024-06-01' }, /startDate 2024-07-04 is after endDate 2024-06-01/],
    ['a day that does not exist', { startDate: '2024-02-30', endDate: '2024-03-05' }, /startDate must be a calendar day written YYYY-MM-DD.*"2024-02-30"/],
    ['slashes', { startDate: '2024/06/01' }, /startDate must be a calendar day written YYYY-MM-DD/],
    ['a number', { endDate: 20240601 }, /endDate must be a calendar day/],
    ['a start after yesterday', { startDate: '2099-01-01' }, /is after endDate .* \(the other date is a default\)/],
    ['an empty metric', { metrics: 'views,,likes' }, /metrics must be comma-separated metric names/],
    ['a repeated metric', { metrics: 'views,likes,views' }, /metrics names views twice/],
  ];
  for (const [what, parameters, message] of invalid) {
    test(`rejects ${what} before any request`, async () => {
      const error = await failure(runChannelAnalytics(parameters, deps(fakeRun(home))));
      assert.equal(error.code, 'invalid-parameters');
      assert.match(error.message, message);
      assert.equal(fake.requests.length, 0);
    });
  }

  // Each of these ran for ever before (the previous period fell before year 0, which addDays could not
  // write), so they are checked on resolveParameters alone: the flow refuses them through it before a run.
  const unbounded: [string, Record<string, unknown>, RegExp][] = [
    ['dates before YouTube', { startDate: '0600-01-01', endDate: '1300-01-01' }, /startDate 0600-01-01 is before 2005-01-01; YouTube has no analytics from before 2005; endDate 1300-01-01 is before 2005-01-01/],
    ['a start in year 1000', { startDate: '1000-01-01', endDate: '2024-01-01' }, /^Invalid parameters: startDate 1000-01-01 is before 2005-01-01/],
    ['an end alone in year 1', { endDate: '0001-01-05' }, /endDate 0001-01-05 is before 2005-01-01/],
    ['an end alone 28 days into 2005', { endDate: '2005-01-10' }, /startDate 2004-12-14, 28 days up to endDate 2005-01-10, is before 2005-01-01; give a startDate from 2005-01-01 on/],
    ['a range longer than ten years', { startDate: '2005-01-01', endDate: '2024-01-01' }, /startDate 2005-01-01 to endDate 2024-01-01 is 6,940 days; a run reads at most 3,653 \(ten years\)/],
    ['an end far in the future', { startDate: '2020-01-01', endDate: '9999-12-31' }, /is 2,914,\d{3} days; a run reads at most 3,653/],
  ];
  for (const [what, parameters, message] of unbounded) {
    test(`rejects ${what}`, () => {
      assert.throws(
        () => resolveParameters(parameters, new Date('2024-07-10T20:00:00Z')),
        (error: unknown) => error instanceof YouTubeError && error.code === 'invalid-parameters' && message.test(error.message),
      );
    });
  }

  test('ten years to the day is allowed; a day more is not', () => {
    const now = new Date('2024-07-10T20:00:00Z');
    assert.equal(resolveParameters({ startDate: '2005-01-01', endDate: '2015-01-01' }, now).endDate, '2015-01-01');
    assert.throws(() => resolveParameters({ startDate: '2005-01-01', endDate: '2015-01-02' }, now), /is 3,654 days; a run reads at most 3,653/);
  });

  test('day arithmetic ends, and refuses days that cannot be written YYYY-MM-DD instead of looping', () => {
    // First: before, these gave '+010000-01' and '-000001-12', and an eachDay reaching them never ended.
    assert.throws(() => addDays('9999-12-31', 1), /year 10000 cannot be written YYYY-MM-DD/);
    assert.throws(() => addDays('0000-01-01', -1), /year -1 cannot be written YYYY-MM-DD/);
    assert.deepEqual(eachDay('9999-12-30', '9999-12-31'), ['9999-12-30', '9999-12-31']);
    assert.deepEqual(eachDay('0600-02-28', '0600-03-01'), ['0600-02-28', '0600-03-01'], '600 is not a leap year');
    assert.deepEqual(eachDay('2024-03-02', '2024-03-01'), []);
    assert.throws(() => eachDay('2024-01-01', '2024-1-5'), /Not a day written YYYY-MM-DD: "2024-1-5"/);
    assert.deepEqual(previousRange({ startDate: '2024-06-04', endDate: '2024-07-04' }), { startDate: '2024-05-04', endDate: '2024-06-03' });
  });

  test('calendar days are checked for real', () => {
    assert.ok(isCalendarDay('2024-02-29'));
    assert.ok(!isCalendarDay('2023-02-29'));
    assert.ok(!isCalendarDay('2024-6-1'));
  });
});

describe('youtube-channel-analytics errors', () => {
  test('not connected: says how to connect, makes no request', async () => {
    const empty = tempDir('flowdeck-yt-empty-');
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(empty))));
    assert.equal(error.code, 'not-connected');
    assert.match(error.message, /missing OAuth client ID, OAuth client secret, refresh token/);
    assert.match(error.message, /flowdeck auth youtube --client-secret client_secret\.json/);
    assert.match(error.message, /FLOWDECK_GOOGLE_CLIENT_ID, FLOWDECK_GOOGLE_CLIENT_SECRET and FLOWDECK_YOUTUBE_REFRESH_TOKEN/);
    assert.match(error.message, /"Flowdeck: Connect YouTube Account" in VS Code/);
    assert.equal(fake.requests.length, 0);
  });

  test('headless: credentials from the environment win over the stored ones', async () => {
    const ci = fake.issueRefreshToken();
    mergeCredentials(home, 'youtube', { refresh_token: 'stale-refresh-token-from-file' });
    const env = { ...endpointsEnv(), FLOWDECK_GOOGLE_CLIENT_ID: fake.clientId, FLOWDECK_GOOGLE_CLIENT_SECRET: fake.clientSecret, FLOWDECK_YOUTUBE_REFRESH_TOKEN: ci };
    const run = fakeRun(tempDir('flowdeck-yt-ci-'));
    const result = await runChannelAnalytics(RANGE, deps(run, { env }));
    assert.equal(result.days.length, 31);
    assert.equal(requestsTo('/token')[0]!.form.refresh_token, ci);
    assert.ok(run.secrets.has(ci) && run.secrets.has(fake.clientSecret));
  });

  const cases: { kind: Parameters<FakeGoogle['inject']>[0]['kind']; code: string; message: RegExp }[] = [
    { kind: 'unauthorized', code: 'unauthorized', message: /401 authError.*Reconnect with `flowdeck auth youtube --client-secret client_secret\.json`/ },
    { kind: 'insufficientPermissions', code: 'insufficient-permissions', message: /403 insufficientPermissions.*tick both "View YouTube Analytics reports" and "View your YouTube account"/ },
    { kind: 'quotaExceeded', code: 'quota-exceeded', message: /quota .* used up for today \(403 quotaExceeded\)\. It resets at midnight Pacific Time/ },
    { kind: 'badRequest', code: 'bad-request', message: /400 badRequest: The query is not supported.*Query: metrics=estimatedMinutesWatched,views,likes,subscribersGained, 2024-06-04 to 2024-07-04/ },
  ];
  for (const { kind, code, message } of cases) {
    test(`${kind}: fails at once with a message that says what to do`, async () => {
      fake.inject({ kind, path: /^\/v2\/reports$/, query: MAIN_REPORT });
      const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.equal(error.retryable, false);
      assert.equal(dayReports().length, 1, 'not retried');
      assertNoSecrets(error.message);
    });
  }

  const pages: { what: string; kind: 'proxyPage' | 'truncatedJson'; path: RegExp; query?: Record<string, string>; message: RegExp }[] = [
    { what: "a proxy's page for the report", kind: 'proxyPage', path: /^\/v2\/reports$/, query: MAIN_REPORT, message: /^Google's answer while reading the analytics report was not the JSON expected \(an object with columnHeaders\); it was the text "<html><head><title>Sign in/ },
    { what: 'truncated JSON for the report', kind: 'truncatedJson', path: /^\/v2\/reports$/, query: MAIN_REPORT, message: /^Google's answer while reading the analytics report was not the JSON expected \(an object with columnHeaders\); it was the text "\{\\"kind\\":\\"youtubeAnalytics#resultTable\\"/ },
    { what: "a proxy's page for the top videos", kind: 'proxyPage', path: /^\/v2\/reports$/, query: { dimensions: 'video' }, message: /^Google's answer while reading the top videos was not the JSON expected/ },
    { what: "a proxy's page for the titles", kind: 'proxyPage', path: /^\/youtube\/v3\/videos$/, message: /^Google's answer while reading the titles of the top videos was not the JSON expected \(an object with items\)/ },
    { what: "a proxy's page for the channel", kind: 'proxyPage', path: /^\/youtube\/v3\/channels$/, message: /^Google's answer while reading the channel was not the JSON expected \(an object with items\)/ },
  ];
  for (const { what, kind, path, query, message } of pages) {
    test(`${what}: fails saying so, not as a range without data`, async () => {
      fake.inject({ kind, path, ...(query ? { query } : {}) });
      const run = fakeRun(home);
      const error = await failure(runChannelAnalytics(RANGE, deps(run)));
      assert.equal(error.code, 'unexpected-answer', error.message);
      assert.match(error.message, message);
      assert.match(error.message, /A proxy, captive portal or gateway may have answered instead of Google: check the network .*then run the flow again\.$/);
      assert.equal(error.retryable, false);
      assert.ok(!run.logs.some((l) => /has no data for/.test(l.message)), 'no "no data" warning');
    });
  }

  test('a report whose rows are not rows, or whose columns have no names, fails naming the field', async () => {
    for (const [body, field] of [
      [{ columnHeaders: [{ name: 'day' }, { name: 'views' }], rows: 'none' }, /has rows: the text "none", not a list of rows/],
      [{ columnHeaders: [{ name: 'day' }, { name: 'views' }], rows: [['2024-06-04', 5], 7] }, /has rows\[1\]: 7, not a row/],
      [{ columnHeaders: [{ columnType: 'DIMENSION' }] }, /has columnHeaders\[0\]\.name: missing, not a column name/],
      [{ kind: 'youtubeAnalytics#resultTable' }, /has columnHeaders: missing, not a list of columns/],
    ] as const) {
      assert.throws(() => reportAnswer(body, 'reading the analytics report', new SecretMasker()), (e: unknown) => e instanceof YouTubeError && e.code === 'unexpected-answer' && field.test(e.message));
    }
    // Without rows, as Google sends a range with no data: legitimate.
    assert.deepEqual(reportAnswer({ columnHeaders: [{ name: 'day' }, { name: 'views' }] }, 'x', new SecretMasker()), { columns: ['day', 'views'], rows: [] });
  });

  test('a report cell that is no number fails naming it, instead of "no data yet" for that day', async () => {
    fake.set({ figures: (day) => (day === '2024-06-10' ? { ...defaultFigures(day), views: 'abc' as unknown as number } : defaultFigures(day)) });
    const run = fakeRun(home);
    const error = await failure(runChannelAnalytics(RANGE, deps(run)));
    assert.equal(error.code, 'unexpected-answer', error.message);
    assert.match(error.message, /^Google's answer while reading the analytics report has rows\[6\]\[2\] \(views\): the text "abc", not a number/);
    assert.ok(!run.logs.some((l) => /Day: 2024-06-10/.test(l.message)));
  });

  for (const [field, channel, named] of [
    ['a view count that is no number', { views: 'abc' }, /has statistics\.viewCount: the text "abc", not a count/],
    ['a negative subscriber count', { subscribers: '-5' }, /has statistics\.subscriberCount: the text "-5", not a count/],
    ['a fractional video count', { videos: '1.5' }, /has statistics\.videoCount: the text "1\.5", not a count/],
  ] as [string, Partial<FakeChannel>, RegExp][]) {
    test(`the channel with ${field} fails naming it, instead of showing 0 or a negative count`, async () => {
      fake.set({ channel: { id: 'UCodd', title: 'Odd', subscribers: 5, views: 10, videos: 1, ...channel } });
      const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
      assert.equal(error.code, 'unexpected-answer');
      assert.match(error.message, /^Google's answer while reading the channel has /);
      assert.match(error.message, named);
    });
  }

  test('an unsupported metric: Google\'s message names it', async () => {
    const error = await failure(runChannelAnalytics({ ...RANGE, metrics: 'views,fooBar' }, deps(fakeRun(home))));
    assert.equal(error.code, 'bad-request');
    assert.match(error.message, /Unknown identifier \(fooBar\) given in field parameters\.metrics/);
    assert.equal(dayReports().length, 1);
  });

  test('an account without a channel', async () => {
    fake.set({ channel: null });
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
    assert.equal(error.code, 'no-channel');
    assert.match(error.message, /has no YouTube channel/);
  });

  test('tokens without the youtube.readonly scope: the real 403 from the API', async () => {
    const analyticsOnly = fake.issueRefreshToken([ANALYTICS_SCOPE]);
    mergeCredentials(home, 'youtube', { refresh_token: analyticsOnly });
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
    assert.equal(error.code, 'insufficient-permissions');
    assert.equal(requestsTo('/v2/reports')[0]!.status, 403);
  });

  test('429 is retried by one layer only: the engine task, not the client as well', async () => {
    fake.inject({ kind: 'rateLimitExceeded', path: /^\/v2\/reports$/, query: MAIN_REPORT });
    const attempts = new Map<string, number>();
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home), {}, attempts));
    assert.equal(result.days.length, 31);
    // One 429, one retry: without `retry: false` the client alone would have sent two (or, with the
    // engine retrying too, more).
    assert.equal(dayReports().length, 2);
    assert.equal(attempts.get('fetch-previous-report'), 1);
    assert.equal(attempts.get('fetch-report'), 2);
    assert.equal(attempts.get('fetch-channel'), 1);
  });

  test('a 429 that persists: 1 + retries requests, then a clear failure', async () => {
    fake.inject({ kind: 'rateLimitExceeded', path: /^\/v2\/reports$/, times: Infinity, query: MAIN_REPORT });
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
    assert.equal(error.code, 'rate-limited');
    assert.match(error.message, /too many requests.*429 rateLimitExceeded.*Wait a few minutes/);
    assert.equal(dayReports().length, 1 + FETCH_REPORT_TASK.retries);
  });

  test('a 500 is retried, then the run succeeds', async () => {
    fake.inject({ kind: 'serverError', path: /^\/youtube\/v3\/channels$/ });
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.equal(result.channel.title, 'Fake Channel');
    assert.equal(requestsTo('/youtube/v3/channels').length, 2);
  });

  test('an unreachable API: retried by the engine, then a message that names the problem', async () => {
    const closed = await startFakeGoogle();
    await closed.close();
    const attempts = new Map<string, number>();
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home), { env: { ...endpointsEnv(), FLOWDECK_GOOGLE_API_URL: closed.url } }, attempts)));
    assert.equal(error.code, 'network');
    assert.match(error.message, /Could not reach Google while (reading the analytics report|reading the channel) \(ECONNREFUSED\).*FLOWDECK_GOOGLE_API_URL/);
    assert.equal(attempts.get('fetch-report'), 1 + FETCH_REPORT_TASK.retries);
  });

  test('the client itself does not retry: one 429 is one request and a retryable error', async () => {
    fake.inject({ kind: 'rateLimitExceeded', path: /^\/v2\/reports$/ });
    const clients = createYouTubeClients({ clientId: fake.clientId, clientSecret: fake.clientSecret, refreshToken }, { apiUrl: fake.url, tokenUrl: fake.tokenUrl }, () => undefined);
    await assert.rejects(fetchReportTable(clients.analytics, { ...RANGE, metrics: ['views'] }, clients.secrets), (error: unknown) => isRetryable(error));
    assert.equal(requestsTo('/v2/reports').length, 1);
  });

  for (const [kind, how] of [
    ['drip', 'began but did not finish'],
    ['silent', 'did not come'],
  ] as const) {
    test(`a report answer that ${how} within the request bound: retried by the task, then fails naming the request and the bound, before the task's timeout`, async () => {
      fake.inject({ kind, path: /^\/v2\/reports$/, times: Infinity, query: MAIN_REPORT });
      // The task's timeout, far longer than the request's bound: before the fix the run ended with this, naming no request.
      const run = { ...fakeRun(home), signal: AbortSignal.timeout(10_000) };
      const attempts = new Map<string, number>();
      const error = await failure(runChannelAnalytics(RANGE, deps(run, { requestTimeoutSeconds: 0.3 }, attempts)));
      assert.equal(error.code, 'request-timeout');
      assert.match(error.message, new RegExp(`^Google's answer for GET /v2/reports \\(127\\.0\\.0\\.1:\\d+\\) ${how} within 0\\.3 s while reading the analytics report, `));
      assert.ok(!error.message.includes('channel=='), 'the query is left out');
      assert.equal(error.retryable, true);
      assert.equal(attempts.get('fetch-report'), 1 + FETCH_REPORT_TASK.retries);
      assert.equal(dayReports().length, 1 + FETCH_REPORT_TASK.retries, 'the client sent each attempt once');
      assertNoSecrets(error.message);
    });
  }

  test('a token answer that never ends fails naming the token request and the bound, sent once', async () => {
    fake.inject({ kind: 'drip', path: /^\/token$/, times: Infinity });
    const clients = createYouTubeClients({ clientId: fake.clientId, clientSecret: fake.clientSecret, refreshToken }, { apiUrl: fake.url, tokenUrl: fake.tokenUrl }, () => undefined, 0.3);
    const error = await failure(ensureAccessToken(clients));
    assert.equal(error.code, 'request-timeout');
    assert.match(error.message, /^Google's answer for POST \/token \(127\.0\.0\.1:\d+\) began but did not finish within 0\.3 s while refreshing the access token, /);
    assert.equal(requestsTo('/token').length, 1, 'google-auth-library did not send it again');
    assert.equal(error.retryable, true, 'the task tries it again');
    assertNoSecrets(error.message);
  });

  test('a token answer that drips once, then comes: the tasks run again and the run completes', async () => {
    fake.inject({ kind: 'drip', path: /^\/token$/, times: 1 });
    const attempts = new Map<string, number>();
    const stopCollecting = collectingGarbage();
    try {
      const result = await runChannelAnalytics(RANGE, deps({ ...fakeRun(home), signal: AbortSignal.timeout(10_000) }, { requestTimeoutSeconds: 0.3 }, attempts));
      assert.equal(result.channel.subscribers, 1234);
    } finally {
      stopCollecting();
    }
    assert.equal(requestsTo('/token').length, 2);
    assert.equal(attempts.get('fetch-report'), 2);
  });

  test('the tasks have timeouts and retry only what is worth retrying', () => {
    for (const options of [FETCH_REPORT_TASK, FETCH_PREVIOUS_REPORT_TASK, FETCH_TOP_VIDEOS_TASK, FETCH_CHANNEL_TASK]) {
      assert.ok(options.timeoutSeconds > 0 && options.timeoutSeconds <= 300);
      assert.equal(options.retryCondition(new YouTubeError('quota-exceeded', 'x')), false);
      assert.equal(options.retryCondition(new YouTubeError('rate-limited', 'x', { retryable: true })), true);
      assert.equal(options.retryCondition(new Error('anything else')), false);
    }
    assert.deepEqual(
      [FETCH_REPORT_TASK, FETCH_PREVIOUS_REPORT_TASK, FETCH_TOP_VIDEOS_TASK, FETCH_CHANNEL_TASK].map((t) => t.name),
      ['fetch-report', 'fetch-previous-report', 'fetch-top-videos', 'fetch-channel'],
    );
  });
});

describe('youtube-channel-analytics tokens', () => {
  test('a refreshed access token is saved and merged: the stored refresh token stays', async () => {
    const run = fakeRun(home);
    await runChannelAnalytics(RANGE, deps(run));
    const refreshes = requestsTo('/token');
    assert.equal(refreshes.length, 1, 'the tasks share one refresh');
    assert.equal(refreshes[0]!.form.grant_type, 'refresh_token');

    assert.equal(run.saved.length, 1);
    const patch = run.saved[0]!.patch;
    assert.equal(run.saved[0]!.service, 'youtube');
    assert.equal(typeof patch.access_token, 'string');
    assert.equal(typeof patch.expiry_date, 'number');
    assert.ok(!('refresh_token' in patch), 'a refresh answer has no refresh_token');
    assert.ok(run.secrets.has(patch.access_token as string));

    const stored = readCredentials(home).youtube!;
    assert.equal(stored.refresh_token, refreshToken);
    assert.equal(stored.access_token, patch.access_token);
    assert.equal(stored.client_secret, fake.clientSecret);
  });

  test('the next run reuses the stored access token until it expires', async () => {
    await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    fake.requests.length = 0;
    await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.equal(requestsTo('/token').length, 0);

    mergeCredentials(home, 'youtube', { expiry_date: Date.now() - 1000 });
    await runChannelAnalytics(RANGE, deps(fakeRun(home)));
    assert.equal(requestsTo('/token').length, 1);
  });

  test('a revoked refresh token (invalid_grant): reconnect, and no retry', async () => {
    fake.revoke(refreshToken);
    const attempts = new Map<string, number>();
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home), {}, attempts)));
    assert.equal(error.code, 'access-revoked');
    assert.match(error.message, /invalid_grant.*revoked.*7 days.*Reconnect with `flowdeck auth youtube/);
    assert.equal(requestsTo('/token').length, 1);
    assert.equal(requestsTo('/v2/reports').length, 0);
    assert.equal(attempts.get('fetch-report'), 1);
    assertNoSecrets(error.message);
  });

  test('a token endpoint failure is retried by google-auth-library only, not by the engine as well', async () => {
    fake.inject({ kind: 'tokenServerError' });
    const attempts = new Map<string, number>();
    const result = await runChannelAnalytics(RANGE, deps(fakeRun(home), {}, attempts));
    assert.equal(result.days.length, 31);
    assert.deepEqual(requestsTo('/token').map((r) => r.status), [503, 200]);
    assert.equal(attempts.get('fetch-report'), 1);
    assert.equal(attempts.get('fetch-channel'), 1);

    fake.inject({ kind: 'tokenServerError', times: Infinity });
    mergeCredentials(home, 'youtube', { access_token: null, expiry_date: null });
    fake.requests.length = 0;
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home), {}, attempts)));
    assert.equal(error.code, 'token-endpoint');
    assert.equal(error.retryable, false);
    assert.equal(attempts.get('fetch-report'), 2);
    assert.equal(requestsTo('/v2/reports').length, 0);
  });

  for (const [what, kind, said] of [
    ["a proxy's page", 'proxyPage', /it was the text "<html><head><title>Sign in<\/title>/],
    ['{}', 'emptyJson', /it was an object\./],
  ] as const) {
    test(`the token endpoint answering 200 with ${what} says that something answered, not "no response"`, async () => {
      fake.inject({ kind, path: /^\/token$/, times: Infinity });
      const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
      assert.equal(error.code, 'token-endpoint', error.message);
      assert.match(error.message, /^Google's token endpoint \(127\.0\.0\.1:\d+\) answered while refreshing the access token, but not with an OAuth token: /);
      assert.match(error.message, said);
      assert.match(error.message, /check the network .* and FLOWDECK_GOOGLE_TOKEN_URL if set, then run the flow again\.$/);
      assert.doesNotMatch(error.message, /Could not reach|no response/);
      assert.equal(error.retryable, false);
      assert.equal(requestsTo('/v2/reports').length, 0);
      assertNoSecrets(error.message);
    });
  }

  test('a wrong client secret (invalid_client) says so', async () => {
    mergeCredentials(home, 'youtube', { client_secret: 'GOCSPX-wrong-secret-value' });
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
    assert.equal(error.code, 'invalid-client');
    assert.ok(!error.message.includes('GOCSPX-wrong-secret-value'));
  });

  test('no secret in logs, results or errors; every secret is registered for masking', async () => {
    const run = fakeRun(home);
    const result: ChannelAnalytics = await runChannelAnalytics(RANGE, deps(run));
    assertNoSecrets(JSON.stringify(result));
    for (const line of run.logs) assertNoSecrets(line.message);
    const accessToken = run.saved[0]!.patch.access_token as string;
    for (const secret of [fake.clientSecret, refreshToken, accessToken]) assert.ok(run.secrets.has(secret));

    fake.inject({ kind: 'serverError', path: /^\/v2\/reports$/, times: Infinity });
    const error = await failure(runChannelAnalytics(RANGE, deps(fakeRun(home))));
    assertNoSecrets(`${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}`);
  });
});

describe('a report that does not answer the query', () => {
  const QUERY = { startDate: '2024-06-01', endDate: '2024-06-10', metrics: ['views', 'likes'] };
  const days = eachDay(QUERY.startDate, QUERY.endDate);
  const header = (name: string) => ({ name, columnType: name === 'day' ? 'DIMENSION' : 'METRIC', dataType: name === 'day' ? 'STRING' : 'INTEGER' });

  /** The real clients against a loopback server answering every report with `body`. */
  async function readWith(body: unknown) {
    const server = (await import('node:http')).createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/token') ? { access_token: 'ya29.TEST', expires_in: 3600, token_type: 'Bearer' } : body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    try {
      const clients = createYouTubeClients({ clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' }, { apiUrl: `${url}/`, tokenUrl: `${url}/token` }, () => undefined);
      return await fetchReportTable(clients.analytics, QUERY, clients.secrets).then(
        (table) => assert.fail(`expected a failure, got ${JSON.stringify(table).slice(0, 200)}`),
        (caught: unknown) => caught,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  for (const [what, body, message] of [
    ['a metric asked for is missing', { columnHeaders: ['day', 'views'].map(header), rows: days.map((d) => [d, 5]) }, /has no likes column \(its columns: day, views\)/],
    ['the day column is missing', { columnHeaders: ['views', 'likes'].map(header), rows: days.map(() => [5, 1]) }, /has no day column \(its columns: views, likes\)/],
    ['a day is not YYYY-MM-DD', { columnHeaders: ['day', 'views', 'likes'].map(header), rows: days.map((d, i) => [i === 3 ? '06/04/2024' : d, 5, 1]) }, /has rows\[3\]\[0\] \(day\): the text "06\/04\/2024", not a day from 2024-06-01 to 2024-06-10/],
    ['a day outside the range', { columnHeaders: ['day', 'views', 'likes'].map(header), rows: [['2023-01-01', 5, 1]] }, /has rows\[0\]\[0\] \(day\): the text "2023-01-01", not a day from 2024-06-01 to 2024-06-10/],
  ] as const) {
    test(`${what}: fails naming it, never read as days without data`, async () => {
      const error = await readWith(body);
      assert.ok(error instanceof YouTubeError, String(error));
      assert.equal(error.code, 'unexpected-answer', error.message);
      assert.match(error.message, /^Google's answer while reading the analytics report /);
      assert.match(error.message, message);
    });
  }
});

describe('an answer larger than any of Google\'s', () => {
  /** The real clients against a loopback server sending 48 MiB of JSON for `bigPath` (before: read whole; an endless one grew to 5 GB until the task timed out). */
  async function readWith(bigPath: string) {
    /** MiB sent for the biggest answer (each retry starts again). */
    let sent = 0;
    const server = (await import('node:http')).createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!req.url?.startsWith(bigPath)) {
        res.end(JSON.stringify(req.url?.startsWith('/token') ? { access_token: 'ya29.TEST', expires_in: 3600, token_type: 'Bearer' } : { columnHeaders: [{ name: 'day' }, { name: 'views' }] }));
        return;
      }
      res.write(req.url.startsWith('/token') ? '{"access_token":"ya29.TEST","expires_in":3600,"pad":"' : '{"columnHeaders":[{"name":"day"},{"name":"views"}],"pad":"');
      const chunk = 'a'.repeat(1 << 20);
      let mine = 0;
      const write = (): void => {
        while (mine < 48) {
          mine++;
          sent = Math.max(sent, mine);
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end('"}');
      };
      write();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    try {
      const clients = createYouTubeClients({ clientId: 'id', clientSecret: 'secret', refreshToken: 'refresh' }, { apiUrl: `${url}/`, tokenUrl: `${url}/token` }, () => undefined);
      const error = await ensureAccessToken(clients)
        .then(() => fetchReportTable(clients.analytics, { startDate: '2024-06-01', endDate: '2024-06-10', metrics: ['views'] }, clients.secrets))
        .then(
          (table) => assert.fail(`expected a failure, got ${JSON.stringify(table).slice(0, 200)}`),
          (caught: unknown) => caught,
        );
      return { error, sent };
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  for (const [what, path, message] of [
    ['the report', '/v2/reports', /^Google's answer while reading the analytics report \(127\.0\.0\.1:\d+\) is larger than 32 MiB, far more than Google sends; it was not read further\. /],
    ['the token endpoint', '/token', /^Google's answer while refreshing the access token \(127\.0\.0\.1:\d+\) is larger than 32 MiB, far more than Google sends; it was not read further\. /],
  ] as const) {
    test(`${what}: fails naming its size, read no further than the limit`, async () => {
      const { error, sent } = await readWith(path);
      assert.ok(error instanceof YouTubeError, String(error));
      assert.equal(error.code, 'unexpected-answer', error.message);
      assert.match(error.message, message);
      assert.equal(error.retryable, false);
      assert.ok(sent < 48, `the server sent all ${sent} MiB: the answer was read to its end`);
    });
  }
});
