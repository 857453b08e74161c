/**
 * Realistic data for the browser harness: runs of both built-in flows with results shaped as the flows
 * store them (including YouTube's lagging null days and negative likes), and a long log.
 */
import type { LogRecord } from '../../../src/engine/records';
import type { DashboardRun } from '../../../src/extension/dashboard/dashboardRun';
import type { StateName } from '../../../src/engine/states';
import { state } from '../../../src/engine/states';
import type { LogLine } from '../../../src/webview/protocol';

const owner = { pid: 4242, hostname: 'devbox' };
const HOUR = 3_600_000;

function run(id: string, name: string, flowId: string, stateName: StateName, created: number, seconds: number, message?: string): DashboardRun {
  const builtin = flowId === 'github-repo-stats' || flowId === 'youtube-channel-analytics';
  return {
    id,
    name,
    flowName: flowId,
    source: builtin ? `builtin:${flowId}` : `/home/dev/flows/${flowId}.ts`,
    parameters: {},
    state: state(stateName, message, created + seconds * 1000),
    created,
    startTime: created + 150,
    ...(stateName === 'Running' ? {} : { endTime: created + 150 + seconds * 1000 }),
    owner,
    attempt: 1,
    seq: 0,
  };
}

export function sampleRuns(now: number): DashboardRun[] {
  return [
    run('r12', 'amber-heron', 'youtube-channel-analytics', 'Running', now - 40_000, 40),
    run('r11', 'quiet-lynx', 'github-repo-stats', 'Completed', now - 0.5 * HOUR, 3.4),
    run('r10', 'brisk-otter', 'nightly-etl', 'Failed', now - 1.5 * HOUR, 12.8, "HTTPError('503 Service Unavailable')"),
    run('r09', 'light-potoo', 'youtube-channel-analytics', 'Completed', now - 3 * HOUR, 5.1),
    run('r08', 'gentle-wren', 'github-repo-stats', 'Completed', now - 26 * HOUR, 2.9),
    run('r07', 'calm-ibis', 'nightly-etl', 'Completed', now - 27 * HOUR, 63),
    run('r06', 'rapid-gecko', 'github-repo-stats', 'Cancelled', now - 28 * HOUR, 1.2),
    run('r05', 'sunny-tapir', 'youtube-channel-analytics', 'Crashed', now - 50 * HOUR, 0.8, 'worker exited with code 137'),
    run('r04', 'misty-koala', 'github-repo-stats', 'Completed', now - 72 * HOUR, 3.1),
  ];
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function githubResult(stars: number, forks: number, issues: number, prs: number, fetchedAt: number, points = 40): unknown {
  const start = Date.UTC(2021, 2, 14);
  const starHistory = Array.from({ length: points }, (_, i) => {
    const t = start + ((fetchedAt - start) * i) / (points - 1);
    // Slow start, a launch bump, steady growth: the S-curve star-history pages usually show.
    const f = i / (points - 1);
    const s = Math.round(stars * (0.04 + 0.96 * (f < 0.3 ? f * 0.5 : 0.15 + (f - 0.3) * 1.214)));
    return { date: isoDay(t), stars: Math.min(stars, s) };
  });
  starHistory[starHistory.length - 1]!.stars = stars;
  return {
    repo: 'flowdeck/flowdeck',
    stars,
    forks,
    watchers: 87,
    openIssues: issues,
    openPullRequests: prs,
    starHistory,
    fetchedAt: new Date(fetchedAt).toISOString(),
  };
}

export function youtubeResult(): unknown {
  const metrics = ['estimatedMinutesWatched', 'views', 'likes', 'subscribersGained', 'subscribersLost', 'comments', 'shares', 'averageViewDuration'];
  const start = Date.UTC(2024, 5, 4);
  const days = Array.from({ length: 31 }, (_, i) => {
    const date = isoDay(start + i * 86_400_000);
    // The last days have no data yet (YouTube lags 2-3 days), and one day in the middle is missing.
    if (i >= 27 || i === 12) return Object.fromEntries([['date', date], ...metrics.map((m) => [m, null])]);
    const wave = 1 + 0.35 * Math.sin(i / 2.3) + (i === 18 ? 1.4 : 0);
    const views = Math.round(420 * wave + i * 6);
    return {
      date,
      estimatedMinutesWatched: Math.round(views * 2.7),
      views,
      likes: i === 7 ? -1 : i === 21 ? -3 : Math.round(views / 28 - 4 + Math.cos(i) * 6),
      subscribersGained: Math.round(views / 60 + 2),
      subscribersLost: Math.round(2 + Math.abs(Math.sin(i)) * 3),
      comments: Math.round(views / 110 + (i % 3)),
      shares: Math.round(views / 90),
      averageViewDuration: Math.round(160 + 25 * Math.sin(i / 4)),
    };
  });
  const totals: Record<string, number> = {};
  for (const m of metrics) {
    const values = days.map((d) => (d as Record<string, number | null>)[m]).filter((v): v is number => v !== null);
    totals[m] = m === 'averageViewDuration' ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : values.reduce((a, b) => a + b, 0);
  }
  return {
    channel: { id: 'UCflowdeck000000000000', title: 'Flowdeck Devlog', subscribers: 18_430, views: 2_934_112, videos: 146 },
    startDate: '2024-06-04',
    endDate: '2024-07-04',
    metrics,
    days,
    totals,
  };
}

export function sampleResults(now: number): Map<string, unknown> {
  return new Map<string, unknown>([
    ['r11', githubResult(12_873, 1_204, 318, 41, now - 0.5 * HOUR)],
    ['r09', youtubeResult()],
    ['r08', githubResult(12_791, 1_198, 322, 38, now - 26 * HOUR)],
    ['r07', { rows: 18_000 }],
    ['r04', githubResult(12_644, 1_187, 317, 44, now - 72 * HOUR)],
  ]);
}

const SOURCES = ['flowdeck.engine', "Flow run 'amber-heron'", "Task run 'fetch-day-0'", "Task run 'fetch-day-1'", "Task run 'aggregate-0'"];

/** `count` lines: mostly INFO, some DEBUG and WARNING, rare ERROR with a traceback, one CRITICAL. */
export function sampleLogLines(count: number, startTs: number): LogLine[] {
  const lines: LogLine[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = (i * 2654435761) % 1000;
    const level: LogRecord['level'] = i === count - 3 ? 'CRITICAL' : r < 5 ? 'ERROR' : r < 60 ? 'WARNING' : r < 300 ? 'DEBUG' : 'INFO';
    const message =
      level === 'ERROR'
        ? `Task run 'fetch-day-${i % 31}' - Encountered exception during execution:\nTraceback (most recent call last):\n  at fetchDay (flows/youtube.ts:88:13)\nHTTPError: 429 rateLimitExceeded`
        : level === 'WARNING'
          ? `Retrying in ${(i % 7) + 1}.0 s (attempt ${(i % 3) + 1} of 3) after HTTP 429 from youtubeAnalytics.reports.query`
          : level === 'CRITICAL'
            ? 'Worker lost its heartbeat; marking the flow run Crashed'
            : level === 'DEBUG'
              ? `cache lookup key=yt:${i.toString(16)} miss`
              : `Fetched ${(i * 37) % 900} rows for day 2024-06-${String((i % 27) + 4).padStart(2, '0')} (page ${(i % 5) + 1})`;
    lines[i] = { ts: startTs + i * 13, level, source: SOURCES[i % SOURCES.length]!, message };
  }
  return lines;
}
