import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { DashboardRun } from '../../src/extension/dashboard/dashboardRun';
import { state, type StateName } from '../../src/engine/states';
import { buildDashboardModel, fallbackReads, readsWanted, RECENT_RUNS_LIMIT, toLogLines, type DashboardInput } from '../../src/extension/dashboard/model';
import { readGithubResult, readGithubSnapshot, readYoutubeResult, ResultShapeError, type RepoSnapshot } from '../../src/extension/dashboard/results';
import { nextSelection } from '../../src/extension/dashboard/selection';
import { rangeChoices, rangeProblem, youtubeRunOfRange } from '../../src/extension/dashboard/youtubeRanges';
import { resolveParameters } from '../../src/flows/youtube/parameters';
import { formatChange } from '../../src/webview/format';

const owner = { pid: 1, hostname: 'test' };

function run(id: string, flow: string, created: number, name: StateName = 'Completed', message?: string, parameters: Record<string, unknown> = {}): DashboardRun {
  const builtin = flow === 'github-repo-stats' || flow === 'youtube-channel-analytics';
  return {
    id,
    name: `run-${id}`,
    flowName: flow,
    source: builtin ? `builtin:${flow}` : `/flows/${flow}.ts`,
    parameters,
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

/** A github-repo-stats run asked for `repo`. */
function ghRun(id: string, created: number, repo: string, name: StateName = 'Completed'): DashboardRun {
  return run(id, 'github-repo-stats', created, name, undefined, { repo });
}

/** What the panel does: read what readsWanted names (results whole, snapshots reduced), then build. */
function modelOf(runs: DashboardRun[], stored: Map<string, unknown>, rest: Omit<DashboardInput, 'runs' | 'results'> = {}) {
  const wanted = readsWanted(runs, rest.selection);
  const results = new Map(wanted.results.filter((id) => stored.has(id)).map((id) => [id, stored.get(id)]));
  const snapshots = new Map<string, RepoSnapshot>();
  for (const id of wanted.snapshots) {
    try {
      if (stored.has(id)) snapshots.set(id, readGithubSnapshot(stored.get(id)));
    } catch {
      // Unreadable: left out, as the panel's data layer does.
    }
  }
  return buildDashboardModel({ runs, results, snapshots, ...rest });
}

describe('buildDashboardModel', () => {
  it('with no runs: nothing to chart, nothing to stream', () => {
    const model = buildDashboardModel({ runs: [], results: new Map(), now: 5 });
    assert.equal(model.totalRuns, 0);
    assert.deepEqual(model.recentRuns, []);
    assert.deepEqual(model.youtube, { status: 'none', choices: [], followingLatest: true });
    assert.deepEqual(model.github, { status: 'none', choices: [], followingLatest: true });
    assert.deepEqual(model.compared, []);
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
      ghRun('g1', 100, 'octo/cat'),
      ghRun('g2', 200, 'Octo/Cat'),
      ghRun('g3', 300, 'other/repo'),
      ghRun('g4', 400, 'octo/cat', 'Failed'),
      ghRun('g5', 500, 'octo/cat'),
    ];
    const stored = new Map<string, unknown>([
      ['g1', github('octo/cat', 90)],
      ['g2', github('Octo/Cat', 100, { forks: 12, openIssues: 5 })],
      ['g3', github('other/repo', 7)],
      ['g5', github('octo/cat', 110, { fetchedAt: '2024-03-01T00:00:00.000Z' })],
    ]);
    const model = modelOf(runs, stored);
    assert.equal(model.github.status, 'ok');
    if (model.github.status !== 'ok') return;
    const view = model.github.view;
    assert.equal(model.github.run.id, 'g5');
    assert.equal(view.previous?.run.id, 'g2', 'g3 is another repository; case does not matter');
    assert.deepEqual(view.deltas, { stars: 10, forks: -2, watchers: 0, openIssues: -2, openPullRequests: 0 });
    assert.deepEqual(view.starHistory.map((p) => p.date), ['2024-01-01', '2024-02-01'], 'sorted by date');
    assert.equal(view.fetchedAt, '2024-03-01T00:00:00.000Z');
    assert.deepEqual(readsWanted(runs), { results: ['g5'], snapshots: ['g2', 'g1'] }, 'only runs of the repository are read, and only their counts');
  });

  it('metrics across runs: the counts of every stored completed run of the repository, oldest first', () => {
    const runs = [ghRun('g1', 100, 'octo/cat'), ghRun('g2', 200, 'octo/cat'), ghRun('x', 250, 'other/repo'), ghRun('g3', 300, 'octo/cat'), ghRun('g4', 400, 'octo/cat', 'Failed')];
    const stored = new Map<string, unknown>([
      ['g1', github('octo/cat', 90, { forks: 1, watchers: 2, openIssues: 30, openPullRequests: 4, fetchedAt: '2024-01-01T00:00:00.000Z' })],
      // A run that answered for a renamed repository is not this one's history.
      ['g2', github('octo/renamed', 95)],
      ['x', github('other/repo', 1)],
      ['g3', github('octo/cat', 110, { forks: 3, watchers: 2, openIssues: 25, openPullRequests: 6, fetchedAt: '2024-01-08T00:00:00.000Z' })],
    ]);
    const model = modelOf(runs, stored);
    assert.equal(model.github.status, 'ok');
    if (model.github.status !== 'ok') return;
    assert.deepEqual(model.github.view.history, [
      { runId: 'g1', fetchedAt: '2024-01-01T00:00:00.000Z', counts: { stars: 90, forks: 1, watchers: 2, openIssues: 30, openPullRequests: 4 } },
      { runId: 'g3', fetchedAt: '2024-01-08T00:00:00.000Z', counts: { stars: 110, forks: 3, watchers: 2, openIssues: 25, openPullRequests: 6 } },
    ]);
    assert.equal(model.github.view.previous?.run.id, 'g1');
  });

  it('compares a chosen older github run with the one before it, not with a newer one', () => {
    const runs = [ghRun('g1', 100, 'octo/cat'), ghRun('g2', 200, 'octo/cat'), ghRun('g3', 300, 'octo/cat')];
    const stored = new Map<string, unknown>([
      ['g1', github('octo/cat', 1)],
      ['g2', github('octo/cat', 2)],
      ['g3', github('octo/cat', 3)],
    ]);
    const model = modelOf(runs, stored, { selection: { githubRunId: 'g2' } });
    assert.equal(model.github.status === 'ok' && model.github.view.previous?.run.id, 'g1');
    assert.equal(model.github.status === 'ok' && model.github.view.deltas?.stars, 1);
    assert.equal(model.github.status === 'ok' && model.github.view.history.length, 3);
  });

  it('has no deltas for the first run of a repository, and skips unreadable older results', () => {
    const runs = [ghRun('g1', 100, 'a/b'), ghRun('g2', 200, 'a/b')];
    const first = modelOf(runs.slice(0, 1), new Map([['g1', github('a/b', 1)]]));
    assert.equal(first.github.status === 'ok' && first.github.view.previous, undefined);
    assert.equal(first.github.status === 'ok' && first.github.view.deltas, undefined);

    const skipped = modelOf(runs, new Map<string, unknown>([['g1', { nonsense: true }], ['g2', github('a/b', 1)]]));
    assert.equal(skipped.github.status, 'ok');
    assert.equal(skipped.github.status === 'ok' && skipped.github.view.previous, undefined);
  });

  it('comparison of three repositories: the charted one and two compared, each from its latest completed run', () => {
    const runs = [
      ghRun('a1', 100, 'acme/alpha'),
      ghRun('b1', 150, 'acme/beta'),
      ghRun('b2', 250, 'Acme/Beta'),
      ghRun('c1', 300, 'acme/gamma', 'Failed'),
      ghRun('c2', 350, 'acme/gamma'),
      ghRun('a2', 200, 'acme/alpha'),
    ];
    const stored = new Map<string, unknown>([
      ['a1', github('acme/alpha', 10)],
      ['a2', github('acme/alpha', 20, { releases: [{ tag: 'v1', date: '2024-01-15' }] })],
      ['b1', github('acme/beta', 5)],
      ['b2', github('acme/beta', 50, { starHistorySampled: true })],
      ['c2', github('acme/gamma', 500)],
    ]);
    const selection = { githubRunId: 'a2', compareRepos: ['acme/beta', 'acme/gamma', 'ACME/ALPHA'] };
    assert.deepEqual(readsWanted(runs, selection).results.sort(), ['a2', 'b2', 'c2']);
    const model = modelOf(runs, stored, { selection });
    assert.equal(model.github.status === 'ok' && model.github.view.repo, 'acme/alpha');
    assert.deepEqual(model.github.status === 'ok' && model.github.view.releases, [{ tag: 'v1', date: '2024-01-15' }]);
    // The charted repository is not compared with itself.
    assert.deepEqual(model.compared.map((c) => [c.repo, c.status, c.status === 'ok' ? c.run.id : '']), [
      ['acme/beta', 'ok', 'b2'],
      ['acme/gamma', 'ok', 'c2'],
    ]);
    const beta = model.compared[0]!;
    assert.ok(beta.status === 'ok' && beta.starHistorySampled && beta.starHistory.at(-1)!.stars === 50);
  });

  it('a compared repository without a completed run says whether one is going', () => {
    const runs = [ghRun('a1', 100, 'acme/alpha'), ghRun('n1', 200, 'acme/new', 'Running'), ghRun('f1', 300, 'acme/failing', 'Failed')];
    const model = modelOf(runs, new Map([['a1', github('acme/alpha', 1)]]), { selection: { githubRunId: 'a1', compareRepos: ['acme/new', 'acme/failing', 'acme/unknown'] } });
    assert.deepEqual(
      model.compared.map((c) => (c.status === 'waiting' ? [c.repo, c.active, c.lastAttempt?.state.name ?? null] : [c.repo, c.status])),
      [
        ['acme/new', true, 'Running'],
        ['acme/failing', false, 'Failed'],
        ['acme/unknown', false, null],
      ],
    );
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
    assert.deepEqual(fallbackReads(runs, buildDashboardModel({ runs, results: new Map([['y2', youtube({ metrics: [] })]]) })), ['y1'], 'the runs before are read only when the latest fails to chart');
    assert.deepEqual(fallbackReads(runs, model), [], 'nothing more once charted');
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

describe('readsWanted', () => {
  it('asks for the charted runs whole and for the counts of the github run\'s older runs', () => {
    const runs = [
      run('y1', 'youtube-channel-analytics', 1),
      run('y2', 'youtube-channel-analytics', 2),
      run('g1', 'github-repo-stats', 3),
      run('g2', 'github-repo-stats', 4),
      run('g3', 'github-repo-stats', 5, 'Failed'),
      run('x', 'nightly-etl', 6),
    ];
    assert.deepEqual(readsWanted(runs), { results: ['y2', 'g2'], snapshots: ['g1'] });
    assert.deepEqual(readsWanted(runs, { youtubeRunId: 'y1', githubRunId: 'g1' }), { results: ['y1', 'g1'], snapshots: ['g2'] });
    assert.deepEqual(readsWanted([]), { results: [], snapshots: [] });
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

describe('youtube: previous period, net subscribers, top videos', () => {
  it("previous period: series aligned day by day with the range, each card's comparison counted from the days", () => {
    const result = youtube({
      previous: {
        startDate: '2024-05-31',
        endDate: '2024-06-03',
        days: [
          { date: '2024-05-31', views: 8, likes: 1 },
          { date: '2024-06-01', views: null, likes: null },
          { date: '2024-06-02', views: 9, likes: 0 },
          { date: '2024-06-03', views: 11, likes: 2 },
        ],
        totals: { views: 28, likes: 3 },
      },
    });
    const view = readYoutubeResult(result);
    assert.deepEqual(view.previous, {
      startDate: '2024-05-31',
      endDate: '2024-06-03',
      series: [
        { metric: 'views', values: [8, null, 9, 11] },
        { metric: 'likes', values: [1, null, 0, 2] },
      ],
      // The range has data on its first two days only: its cards compare those with the period's first two.
      compared: {
        views: { current: 22, previous: 8, days: 2, of: 4, lastWithout: 2 },
        likes: { current: 1, previous: 1, days: 2, of: 4, lastWithout: 2 },
      },
    });
    assert.equal(view.previous!.series[0]!.values.length, view.dates.length, 'day N of the previous period lines up with day N');
    // A shorter previous period is padded with gaps, a longer one cut.
    const short = readYoutubeResult(youtube({ previous: { startDate: '2024-06-02', endDate: '2024-06-03', days: [{ date: '2024-06-02', views: 1, likes: 1 }], totals: {} } }));
    assert.deepEqual(short.previous!.series[0]!.values, [1, null, null, null]);
    assert.equal(readYoutubeResult(youtube()).previous, undefined, 'older results have none');
  });

  it("the previous period's totals in a result are not read: the cards compare the days, so a result whose totals are missing or odd still shows", () => {
    const days = [{ date: '2024-05-31', views: 8, likes: 1 }];
    for (const totals of [{ views: 'many' }, 'none', undefined]) {
      const view = readYoutubeResult(youtube({ previous: { startDate: '2024-05-31', endDate: '2024-06-03', days, ...(totals !== undefined ? { totals } : {}) } }));
      assert.deepEqual(view.previous!.compared.views, { current: 22, previous: 8, days: 2, of: 4, lastWithout: 2 }, JSON.stringify(totals));
      assert.equal('totals' in view.previous!, false);
    }
  });

  it("the change compares the range's days with data with the same days of the previous period, not a lagging range with a whole one", () => {
    // 28 days ending yesterday: YouTube has no rows for the last two yet (null, as the flow stores them). The
    // previous period is complete. Views per day fell 2 % (100 → 98); the whole totals said 9 %.
    const dayOf = (start: string, i: number) => new Date(Date.parse(`${start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
    const days = Array.from({ length: 28 }, (_, i) =>
      i < 26 ? { date: dayOf('2024-06-03', i), views: 98, averageViewDuration: i < 13 ? 60 : 90 } : { date: dayOf('2024-06-03', i), views: null, averageViewDuration: null },
    );
    const previousDays = Array.from({ length: 28 }, (_, i) => ({ date: dayOf('2024-05-06', i), views: 100, averageViewDuration: i < 26 ? 75 : 300 }));
    const view = readYoutubeResult(
      youtube({
        startDate: '2024-06-03',
        endDate: '2024-06-30',
        metrics: ['views', 'averageViewDuration'],
        days,
        totals: { views: 2548, averageViewDuration: 75 },
        previous: { startDate: '2024-05-06', endDate: '2024-06-02', days: previousDays, totals: { views: 2800, averageViewDuration: 91.07 } },
      }),
    );
    const views = view.previous!.compared.views!;
    assert.deepEqual(views, { current: 2548, previous: 2600, days: 26, of: 28, lastWithout: 2 });
    assert.equal(formatChange(views.current, views.previous)?.text, formatChange(98, 100)?.text, 'the per-day change, not the 9 % of the whole totals');
    assert.notEqual(formatChange(views.current, views.previous)?.text, formatChange(view.totals.views!, 2800)?.text);
    // An average is weighted by views over the same days, as the flow's totals are (the last two days' 300 s are left out).
    assert.deepEqual(view.previous!.compared.averageViewDuration, { current: 75, previous: 75, days: 26, of: 28, lastWithout: 2 });
    // The charts keep every day: the dashed line goes on where the range has gaps.
    assert.deepEqual(view.previous!.series[0]!.values.slice(-2), [100, 100]);
    assert.deepEqual(view.series[0]!.values.slice(-2), [null, null]);
  });

  it('net subscribers is charted as a metric of its own when the flow computed it', () => {
    const view = readYoutubeResult(
      youtube({
        metrics: ['subscribersGained', 'subscribersLost'],
        days: [
          { date: '2024-06-04', subscribersGained: 5, subscribersLost: 2, netSubscribers: 3 },
          { date: '2024-06-05', subscribersGained: null, subscribersLost: null, netSubscribers: null },
        ],
        totals: { subscribersGained: 5, subscribersLost: 2, netSubscribers: 3 },
      }),
    );
    assert.deepEqual(view.series.map((s) => s.metric), ['subscribersGained', 'subscribersLost', 'netSubscribers']);
    assert.deepEqual(view.series[2]!.values, [3, null]);
    assert.equal(view.totals.netSubscribers, 3);
  });

  it('top videos as the flow ranked them; a bad video id is refused', () => {
    const video = { id: 'dQw4w9WgXcQ', title: 'A video', publishedAt: '2024-01-01T00:00:00Z', views: 10, estimatedMinutesWatched: 30, likes: 1, averageViewDuration: 95 };
    assert.deepEqual(readYoutubeResult(youtube({ topVideos: [video, { ...video, id: 'aaaaaaaaaaa', title: null, publishedAt: null, views: 5 }] })).topVideos.map((v) => [v.id, v.title, v.views]), [
      ['dQw4w9WgXcQ', 'A video', 10],
      ['aaaaaaaaaaa', null, 5],
    ]);
    assert.throws(() => readYoutubeResult(youtube({ topVideos: [{ ...video, id: 'javascript:alert(1)' }] })), /topVideos\[0\].id should be an 11-character video id/);
    assert.deepEqual(readYoutubeResult(youtube()).topVideos, []);
  });
});

describe('youtube date ranges', () => {
  // 2024-07-10 20:00 UTC is 13:00 on July 10 in Los Angeles.
  const now = new Date('2024-07-10T20:00:00Z');

  it('presets end with the last complete Pacific day; the months are calendar months', () => {
    assert.deepEqual(
      rangeChoices(now).map((c) => [c.id, c.startDate, c.endDate]),
      [
        ['last7', '2024-07-03', '2024-07-09'],
        ['last28', '2024-06-12', '2024-07-09'],
        ['last90', '2024-04-11', '2024-07-09'],
        ['last365', '2023-07-11', '2024-07-09'],
        ['thisMonth', '2024-07-01', '2024-07-10'],
        ['lastMonth', '2024-06-01', '2024-06-30'],
      ],
    );
    // January: last month is December of the year before.
    const january = rangeChoices(new Date('2025-01-15T20:00:00Z')).find((c) => c.id === 'lastMonth')!;
    assert.deepEqual([january.startDate, january.endDate], ['2024-12-01', '2024-12-31']);
  });

  it('a custom range is checked before any run starts', () => {
    assert.equal(rangeProblem('2024-06-01', '2024-06-30', now), undefined);
    assert.match(rangeProblem('2024-06-31', '2024-07-01', now) ?? '', /2024-06-31 is not a calendar day/);
    assert.match(rangeProblem('2024-07-05', '2024-07-01', now) ?? '', /starts \(2024-07-05\) after it ends/);
    assert.match(rangeProblem('2024-07-01', '2024-07-11', now) ?? '', /after today \(2024-07-10 in Pacific Time/);
  });

  it("takes the ranges the flow reads and refuses those it refuses, saying what the flow says (ten years at most, from 2005 on)", () => {
    const flowSays = (startDate: string, endDate: string): string | undefined => {
      try {
        resolveParameters({ startDate, endDate }, now);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };
    // Ten years to the day (3,653 days), from the first day YouTube has, and a day more each way.
    for (const [startDate, endDate] of [['2014-07-10', '2024-07-09'], ['2005-01-01', '2014-12-31']] as const) {
      assert.equal(flowSays(startDate, endDate), undefined);
      assert.equal(rangeProblem(startDate, endDate, now), undefined, `${startDate} to ${endDate}: the flow reads it`);
    }
    assert.equal(rangeProblem('2014-07-09', '2024-07-09', now), 'The range 2014-07-09 to 2024-07-09 is 3,654 days; a run reads at most 3,653 (ten years).');
    assert.match(flowSays('2014-07-09', '2024-07-09') ?? '', /startDate 2014-07-09 to endDate 2024-07-09 is 3,654 days; a run reads at most 3,653 \(ten years\)/);
    assert.equal(rangeProblem('2004-12-31', '2005-01-31', now), "The range's first day 2004-12-31 is before 2005-01-01; YouTube has no analytics from before 2005.");
    assert.match(flowSays('2004-12-31', '2005-01-31') ?? '', /startDate 2004-12-31 is before 2005-01-01; YouTube has no analytics from before 2005/);
  });

  it('a range of centuries is refused from its dates, without going through its days (year 100: 700,000 of them held up the extension host)', () => {
    const toIso = mock.method(Date.prototype, 'toISOString');
    try {
      assert.match(rangeProblem('0100-01-01', '2024-07-01', now) ?? '', /The range 0100-01-01 to 2024-07-01 is 702,\d{3} days; a run reads at most 3,653/);
      assert.ok(toIso.mock.callCount() < 10, `${toIso.mock.callCount()} dates formatted`);
    } finally {
      toIso.mock.restore();
    }
  });

  it('finds the stored run of a range by the dates it was started with', () => {
    const runs = [
      run('y3', 'youtube-channel-analytics', 300, 'Completed', undefined, { startDate: '2024-06-01', endDate: '2024-06-30' }),
      run('y2', 'youtube-channel-analytics', 200, 'Failed', undefined, { startDate: '2024-05-01', endDate: '2024-05-31' }),
      run('y1', 'youtube-channel-analytics', 100, 'Completed', undefined, { startDate: '2024-06-01', endDate: '2024-06-30' }),
    ];
    assert.equal(youtubeRunOfRange(runs, '2024-06-01', '2024-06-30')?.id, 'y3');
    assert.equal(youtubeRunOfRange(runs, '2024-05-01', '2024-05-31'), undefined, 'a failed run shows nothing');
  });
});

describe('nextSelection: compared repositories', () => {
  it('adds each repository once (whatever its case), at most six, and removes them', () => {
    let selection = nextSelection({}, { type: 'addRepository', req: 1, repo: 'acme/one' }, []);
    selection = nextSelection(selection, { type: 'addRepository', req: 2, repo: 'ACME/One' }, []);
    assert.deepEqual(selection, { compareRepos: ['acme/one'] });
    for (let i = 2; i <= 8; i++) selection = nextSelection(selection, { type: 'addRepository', req: i, repo: `acme/r${i}` }, []);
    assert.equal(selection.compareRepos!.length, 6);
    selection = nextSelection(selection, { type: 'removeRepository', repo: 'Acme/one' }, []);
    assert.equal(selection.compareRepos!.includes('acme/one'), false);
    assert.deepEqual(nextSelection({ compareRepos: ['a/b'] }, { type: 'removeRepository', repo: 'a/b' }, []), {});
  });
});
