import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRunSummary } from '../../src/engine/records';
import { state, type StateName } from '../../src/engine/states';
import {
  buildDashboardModel,
  nextSelection,
  readGithubResult,
  readYoutubeResult,
  RECENT_RUNS_LIMIT,
  ResultShapeError,
  resultsWanted,
  toLogLines,
} from '../../src/extension/dashboard/model';

const owner = { pid: 1, hostname: 'test' };

function run(id: string, flow: string, created: number, name: StateName = 'Completed', message?: string): FlowRunSummary {
  const builtin = flow === 'github-repo-stats' || flow === 'youtube-channel-analytics';
  return {
    id,
    name: `run-${id}`,
    flowName: flow,
    source: builtin ? `builtin:${flow}` : `/flows/${flow}.ts`,
    state: state(name, message, created + 10),
    created,
    startTime: created + 1,
    endTime: created + 10,
    owner,
    attempt: 1,
    seq: 0,
  };
}

function github(repo: string, stars: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    repo,
    stars,
    forks: 10,
    watchers: 5,
    openIssues: 3,
    openPullRequests: 2,
    starHistory: [
      { date: '2024-02-01', stars: stars },
      { date: '2024-01-01', stars: Math.floor(stars / 2) },
    ],
    fetchedAt: '2024-02-01T10:00:00.000Z',
    ...extra,
  };
}

function youtube(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    channel: { id: 'UC1', title: 'My channel', subscribers: 100, views: 2000, videos: 12 },
    startDate: '2024-06-04',
    endDate: '2024-06-07',
    metrics: ['views', 'likes'],
    days: [
      { date: '2024-06-04', views: 10, likes: 2 },
      { date: '2024-06-05', views: 12, likes: -1 },
      { date: '2024-06-06', views: null, likes: null },
      { date: '2024-06-07' },
    ],
    totals: { views: 22, likes: 1 },
    ...extra,
  };
}

describe('buildDashboardModel', () => {
  it('with no runs: nothing to chart, nothing to stream', () => {
    const model = buildDashboardModel({ runs: [], results: new Map(), now: 5 });
    assert.equal(model.totalRuns, 0);
    assert.deepEqual(model.recentRuns, []);
    assert.deepEqual(model.youtube, { status: 'none', choices: [], followingLatest: true });
    assert.deepEqual(model.github, { status: 'none', choices: [], followingLatest: true });
    assert.deepEqual(model.logs, { run: null, followingLatest: true });
    assert.deepEqual(model.activeByFlow, { 'github-repo-stats': 0, 'youtube-channel-analytics': 0 });
    assert.equal(model.generatedAt, 5);
  });

  it('charts the latest completed youtube run, skipping failed and running ones', () => {
    const runs = [
      run('y1', 'youtube-channel-analytics', 100),
      run('y2', 'youtube-channel-analytics', 200),
      run('y3', 'youtube-channel-analytics', 300, 'Failed', 'quotaExceeded'),
      run('y4', 'youtube-channel-analytics', 400, 'Running'),
    ];
    const results = new Map<string, unknown>([
      ['y1', youtube({ channel: { id: 'UC1', title: 'Old', subscribers: 1, views: 1, videos: 1 } })],
      ['y2', youtube()],
    ]);
    const model = buildDashboardModel({ runs, results });
    assert.equal(model.youtube.status, 'ok');
    if (model.youtube.status !== 'ok') return;
    assert.equal(model.youtube.run.id, 'y2');
    assert.equal(model.youtube.followingLatest, true);
    assert.deepEqual(model.youtube.choices.map((c) => c.id), ['y2', 'y1']);
    assert.equal(model.activeByFlow['youtube-channel-analytics'], 1);
    const view = model.youtube.view;
    assert.equal(view.channel.title, 'My channel');
    assert.deepEqual(view.dates, ['2024-06-04', '2024-06-05', '2024-06-06', '2024-06-07']);
    // Null and missing days are gaps; negative likes are real figures and stay.
    assert.deepEqual(view.series, [
      { metric: 'views', values: [10, 12, null, null] },
      { metric: 'likes', values: [2, -1, null, null] },
    ]);
    assert.deepEqual(view.totals, { views: 22, likes: 1 });
  });

  it('charts a chosen youtube run, and falls back to the latest with a note when it is gone', () => {
    const runs = [run('y1', 'youtube-channel-analytics', 100), run('y2', 'youtube-channel-analytics', 200)];
    const results = new Map<string, unknown>([['y1', youtube()], ['y2', youtube()]]);
    const chosen = buildDashboardModel({ runs, results, selection: { youtubeRunId: 'y1' } });
    assert.equal(chosen.youtube.status === 'ok' && chosen.youtube.run.id, 'y1');
    assert.equal(chosen.youtube.followingLatest, false);
    assert.equal(chosen.youtube.note, undefined);

    const gone = buildDashboardModel({ runs, results, selection: { youtubeRunId: 'y0' } });
    assert.equal(gone.youtube.status === 'ok' && gone.youtube.run.id, 'y2');
    assert.equal(gone.youtube.followingLatest, true);
    assert.match(gone.youtube.note ?? '', /Run 'y0' is no longer stored; showing the latest completed run instead/);

    const wrongFlow = buildDashboardModel({ runs: [...runs, run('g1', 'github-repo-stats', 50)], results, selection: { youtubeRunId: 'g1' } });
    assert.match(wrongFlow.youtube.note ?? '', /'run-g1' is not a youtube-channel-analytics run/);

    const failed = buildDashboardModel({ runs: [...runs, run('y3', 'youtube-channel-analytics', 300, 'Failed')], results, selection: { youtubeRunId: 'y3' } });
    assert.match(failed.youtube.note ?? '', /'run-y3' is Failed, not Completed/);
  });

  it('reports the latest attempt when no run of a flow completed', () => {
    const runs = [run('g1', 'github-repo-stats', 100, 'Failed', 'HTTP 404'), run('g2', 'github-repo-stats', 200, 'Crashed', 'exit 137')];
    const model = buildDashboardModel({ runs, results: new Map() });
    assert.equal(model.github.status, 'none');
    assert.equal(model.github.status === 'none' && model.github.lastAttempt?.id, 'g2');
    assert.equal(model.github.status === 'none' && model.github.lastAttempt?.state.message, 'exit 137');
  });

  it('compares the github run with the previous completed run of the same repository', () => {
    const runs = [
      run('g1', 'github-repo-stats', 100),
      run('g2', 'github-repo-stats', 200),
      run('g3', 'github-repo-stats', 300),
      run('g4', 'github-repo-stats', 400, 'Failed'),
      run('g5', 'github-repo-stats', 500),
    ];
    const results = new Map<string, unknown>([
      ['g1', github('octo/cat', 90)],
      ['g2', github('Octo/Cat', 100, { forks: 12, openIssues: 5 })],
      ['g3', github('other/repo', 7)],
      ['g5', github('octo/cat', 110, { fetchedAt: '2024-03-01T00:00:00.000Z' })],
    ]);
    const model = buildDashboardModel({ runs, results });
    assert.equal(model.github.status, 'ok');
    if (model.github.status !== 'ok') return;
    const view = model.github.view;
    assert.equal(model.github.run.id, 'g5');
    assert.equal(view.previous?.run.id, 'g2', 'g3 is another repository; case does not matter');
    assert.deepEqual(view.deltas, { stars: 10, forks: -2, watchers: 0, openIssues: -2, openPullRequests: 0 });
    assert.deepEqual(view.starHistory.map((p) => p.date), ['2024-01-01', '2024-02-01'], 'sorted by date');
    assert.equal(view.fetchedAt, '2024-03-01T00:00:00.000Z');
  });

  it('compares a chosen older github run with the one before it, not with a newer one', () => {
    const runs = [run('g1', 'github-repo-stats', 100), run('g2', 'github-repo-stats', 200), run('g3', 'github-repo-stats', 300)];
    const results = new Map<string, unknown>([
      ['g1', github('octo/cat', 1)],
      ['g2', github('octo/cat', 2)],
      ['g3', github('octo/cat', 3)],
    ]);
    const model = buildDashboardModel({ runs, results, selection: { githubRunId: 'g2' } });
    assert.equal(model.github.status === 'ok' && model.github.view.previous?.run.id, 'g1');
    assert.equal(model.github.status === 'ok' && model.github.view.deltas?.stars, 1);
  });

  it('has no deltas for the first run of a repository, and skips unreadable older results', () => {
    const runs = [run('g1', 'github-repo-stats', 100), run('g2', 'github-repo-stats', 200)];
    const first = buildDashboardModel({ runs: runs.slice(0, 1), results: new Map([['g1', github('a/b', 1)]]) });
    assert.equal(first.github.status === 'ok' && first.github.view.previous, undefined);
    assert.equal(first.github.status === 'ok' && first.github.view.deltas, undefined);

    const skipped = buildDashboardModel({ runs, results: new Map<string, unknown>([['g1', { nonsense: true }], ['g2', github('a/b', 1)]]) });
    assert.equal(skipped.github.status, 'ok');
    assert.equal(skipped.github.status === 'ok' && skipped.github.view.previous, undefined);
  });

  it("says it can't chart a malformed result instead of failing", () => {
    const cases: [unknown, RegExp][] = [
      [null, /result should be an object but is null/],
      ['text', /result should be an object but is a string/],
      [{ ...github('a/b', 1), stars: '12k?' }, /result.stars should be a number but is a string/],
      [{ ...github('a/b', 1), forks: Number.NaN }, /result.forks should be a number but is NaN/],
      [{ ...github('a/b', 1), repo: '' }, /result.repo is empty/],
      [{ ...github('a/b', 1), starHistory: {} }, /result.starHistory should be a list but is an object/],
      [{ ...github('a/b', 1), starHistory: [{ date: 'yesterday', stars: 1 }] }, /result.starHistory\[0\].date should be a YYYY-MM-DD date/],
      [{ ...github('a/b', 1), fetchedAt: undefined }, /result.fetchedAt should be text but is missing/],
    ];
    for (const [result, reason] of cases) {
      const model = buildDashboardModel({ runs: [run('g1', 'github-repo-stats', 1)], results: new Map([['g1', result]]) });
      assert.equal(model.github.status, 'unchartable');
      if (model.github.status !== 'unchartable') continue;
      assert.match(model.github.reason, /^Can't chart this result: /);
      assert.match(model.github.reason, reason);
      assert.equal(model.github.run.id, 'g1');
    }
  });

  it("says it can't chart a malformed youtube result", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [youtube({ metrics: [] }), /result.metrics is empty/],
      [youtube({ metrics: 'views' }), /result.metrics should be a list/],
      [youtube({ metrics: ['views', 'views'] }), /names a metric twice/],
      [youtube({ days: [{ date: '2024-06-04', views: '10' }] }), /result.days\[0\].views should be a number but is a string/],
      [youtube({ days: [{ date: '4 June', views: 1 }] }), /result.days\[0\].date should be a YYYY-MM-DD date/],
      [youtube({ days: [7] }), /result.days\[0\] should be an object but is a number/],
      [youtube({ channel: undefined }), /result.channel should be an object but is missing/],
      [youtube({ totals: { views: 'many' } }), /result.totals.views should be a number/],
      [youtube({ startDate: 20240604 }), /result.startDate should be text but is a number/],
    ];
    for (const [result, reason] of cases) {
      const model = buildDashboardModel({ runs: [run('y1', 'youtube-channel-analytics', 1)], results: new Map([['y1', result]]) });
      assert.equal(model.youtube.status, 'unchartable', String(reason));
      assert.match(model.youtube.status === 'unchartable' ? model.youtube.reason : '', reason);
    }
  });

  it('when the latest result cannot be charted, the last one that can is shown, with a note (a chosen run is shown as chosen)', () => {
    const runs = [run('y1', 'youtube-channel-analytics', 1), run('y2', 'youtube-channel-analytics', 2)];
    const results = new Map<string, unknown>([['y1', youtube()], ['y2', youtube({ metrics: [] })]]);
    const model = buildDashboardModel({ runs, results });
    assert.equal(model.youtube.status, 'ok');
    assert.equal(model.youtube.status === 'ok' && model.youtube.run.id, 'y1');
    assert.match(model.youtube.note ?? '', /^Run run-y2 could not be charted \(Can't chart this result: result.metrics is empty, so there is nothing to chart\); showing run run-y1, the latest that could be\.$/);
    const chosen = buildDashboardModel({ runs, results, selection: { youtubeRunId: 'y2' } });
    assert.equal(chosen.youtube.status, 'unchartable', 'a run the user picked is not swapped for another');
  });

  it("a section whose latest run failed says so above the run it still charts", () => {
    const runs = [run('g1', 'github-repo-stats', 1), run('g2', 'github-repo-stats', 2, 'Failed', 'quota exceeded')];
    const model = buildDashboardModel({ runs, results: new Map([['g1', github('a/b', 10)]]) });
    assert.equal(model.github.status === 'ok' && model.github.run.id, 'g1');
    assert.equal(model.github.latestFailed?.id, 'g2');
    assert.equal(model.github.latestFailed?.state.message, 'quota exceeded');
    const recovered = buildDashboardModel({ runs: [...runs, run('g3', 'github-repo-stats', 3)], results: new Map([['g3', github('a/b', 11)]]) });
    assert.equal(recovered.github.latestFailed, undefined, 'a later completed run ends the warning');
    assert.equal(buildDashboardModel({ runs: [run('g1', 'github-repo-stats', 1, 'Cancelled')], results: new Map() }).github.latestFailed, undefined);
  });

  it('says when a completed run has no stored result', () => {
    const model = buildDashboardModel({ runs: [run('y1', 'youtube-channel-analytics', 1)], results: new Map() });
    assert.equal(model.youtube.status === 'unchartable' && model.youtube.reason, 'The result of this run is not stored.');
  });

  it('lists recent runs newest first, capped, with state messages trimmed', () => {
    const runs = Array.from({ length: 30 }, (_, i) => run(`r${i}`, i % 2 ? 'nightly-etl' : 'github-repo-stats', i * 10, 'Failed', 'x'.repeat(2000)));
    const model = buildDashboardModel({ runs, results: new Map() });
    assert.equal(model.totalRuns, 30);
    assert.equal(model.recentRuns.length, RECENT_RUNS_LIMIT);
    assert.equal(model.recentRuns[0]!.id, 'r29');
    assert.equal(model.recentRuns[0]!.flowId, undefined);
    assert.equal(model.recentRuns[1]!.flowId, 'github-repo-stats');
    assert.equal(model.recentRuns[0]!.state.message!.length, 500);
  });

  it('streams the logs of the latest run unless one was chosen', () => {
    const runs = [run('a', 'nightly-etl', 1), run('b', 'github-repo-stats', 2, 'Running')];
    assert.deepEqual(
      [buildDashboardModel({ runs, results: new Map() }).logs.run?.id, buildDashboardModel({ runs, results: new Map() }).logs.followingLatest],
      ['b', true],
    );
    const chosen = buildDashboardModel({ runs, results: new Map(), selection: { logRunId: 'a' } });
    assert.deepEqual([chosen.logs.run?.id, chosen.logs.followingLatest], ['a', false]);
    const gone = buildDashboardModel({ runs, results: new Map(), selection: { logRunId: 'zz' } });
    assert.deepEqual([gone.logs.run?.id, gone.logs.followingLatest], ['b', true]);
  });

  it('only recognises built-in runs by their builtin: source', () => {
    const impostor = { ...run('f1', 'github-repo-stats', 1), source: '/home/me/github-repo-stats.ts' };
    const model = buildDashboardModel({ runs: [impostor], results: new Map([['f1', github('a/b', 1)]]) });
    assert.equal(model.github.status, 'none');
  });
});

describe('result readers', () => {
  it('accepts counts as digit strings, as the YouTube Data API sends them, and a hidden subscriber count', () => {
    const view = readYoutubeResult(youtube({ channel: { id: 'UC', title: 'T', subscribers: null, views: '123456', videos: '7' } }));
    assert.deepEqual(view.channel, { id: 'UC', title: 'T', subscribers: null, views: 123456, videos: 7 });
  });

  it('reads star history given as timestamps by their day', () => {
    const view = readGithubResult(github('a/b', 3, { starHistory: [{ date: '2024-01-02T03:04:05Z', stars: 3 }] }));
    assert.deepEqual(view.starHistory, [{ date: '2024-01-02', stars: 3 }]);
  });

  it('throws ResultShapeError naming the field', () => {
    assert.throws(() => readGithubResult({}), (e: unknown) => e instanceof ResultShapeError && /result.repo/.test(e.message));
  });
});

describe('resultsWanted', () => {
  it('asks for the charted youtube run and the github run with its older runs', () => {
    const runs = [
      run('y1', 'youtube-channel-analytics', 1),
      run('y2', 'youtube-channel-analytics', 2),
      run('g1', 'github-repo-stats', 3),
      run('g2', 'github-repo-stats', 4),
      run('g3', 'github-repo-stats', 5, 'Failed'),
      run('x', 'nightly-etl', 6),
    ];
    assert.deepEqual(resultsWanted(runs), ['y2', 'y1', 'g2', 'g1'], 'following the latest, older runs to fall back on too');
    assert.deepEqual(resultsWanted(runs, { youtubeRunId: 'y1', githubRunId: 'g1' }), ['y1', 'g1']);
    assert.deepEqual(resultsWanted([]), []);
  });
});

describe('nextSelection', () => {
  const runs = [run('g1', 'github-repo-stats', 1), run('y1', 'youtube-channel-analytics', 2), run('y2', 'youtube-channel-analytics', 3, 'Running'), run('e1', 'etl', 4)];

  it('a click on a completed built-in run shows its logs and charts it', () => {
    assert.deepEqual(nextSelection({}, { type: 'selectRun', runId: 'g1' }, runs), { logRunId: 'g1', githubRunId: 'g1' });
    assert.deepEqual(nextSelection({}, { type: 'selectRun', runId: 'y1' }, runs), { logRunId: 'y1', youtubeRunId: 'y1' });
  });

  it('a click on another run only shows its logs', () => {
    assert.deepEqual(nextSelection({ youtubeRunId: 'y1' }, { type: 'selectRun', runId: 'y2' }, runs), { youtubeRunId: 'y1', logRunId: 'y2' });
    assert.deepEqual(nextSelection({}, { type: 'selectRun', runId: 'e1' }, runs), { logRunId: 'e1' });
  });

  it('null goes back to following the latest', () => {
    const all = { youtubeRunId: 'y1', githubRunId: 'g1', logRunId: 'e1' };
    assert.deepEqual(nextSelection(all, { type: 'selectYoutubeRun', runId: null }, runs), { githubRunId: 'g1', logRunId: 'e1' });
    assert.deepEqual(nextSelection(all, { type: 'selectGithubRun', runId: null }, runs), { youtubeRunId: 'y1', logRunId: 'e1' });
    assert.deepEqual(nextSelection(all, { type: 'showLogs', runId: null }, runs), { youtubeRunId: 'y1', githubRunId: 'g1' });
  });

  it('starting a flow follows its new run and its coming result', () => {
    const all = { youtubeRunId: 'y1', githubRunId: 'g1', logRunId: 'e1' };
    assert.deepEqual(nextSelection(all, { type: 'runFlow', req: 1, flowId: 'github-repo-stats' }, runs), { youtubeRunId: 'y1' });
  });

  it('ready restores the saved selection, or keeps the current one', () => {
    assert.deepEqual(nextSelection({ logRunId: 'e1' }, { type: 'ready', selection: { githubRunId: 'g1' } }, runs), { githubRunId: 'g1' });
    assert.deepEqual(nextSelection({ logRunId: 'e1' }, { type: 'ready' }, runs), { logRunId: 'e1' });
  });

  it('does not change the selection it was given', () => {
    const current = { logRunId: 'e1' };
    nextSelection(current, { type: 'showLogs', runId: 'g1' }, runs);
    assert.deepEqual(current, { logRunId: 'e1' });
  });
});

describe('toLogLines', () => {
  it('keeps what a line shows and drops the ids the message already carries', () => {
    assert.deepEqual(
      toLogLines([{ k: 'log', ts: 1, level: 'INFO', runId: 'r1', taskRunId: 't1', source: "Task run 'x-0'", message: 'hi' }]),
      [{ ts: 1, level: 'INFO', source: "Task run 'x-0'", message: 'hi' }],
    );
  });
});
