/** The built-in flows as users run them: `flowdeck run <id>` against loopback stand-ins of the APIs. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';
import { startFakeGoogle, type FakeGoogle } from '../support/fakeGoogle';
import { runCli, tempDir } from '../support/engine';

function storeText(home: string): string {
  let all = '';
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else all += readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(home);
  return all;
}

describe('flowdeck run github-repo-stats', () => {
  let gh: FakeGitHub;
  const token = 'ghp_integrationTOKEN0123456789';
  before(async () => {
    gh = await startFakeGitHub({ tokens: [token], repos: [{ fullName: 'PrefectHQ/prefect', stars: 250, forks: 12, subscribers: 7, openIssues: 5, openPulls: 3 }] });
  });
  after(() => gh.close());

  it('completes with the statistics, logs them, keeps ETags across runs and never stores the token', async () => {
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, FLOWDECK_GITHUB_API_URL: gh.url, GITHUB_TOKEN: token };
    const r = await runCli(['run', 'github-repo-stats', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.flowName, 'github-repo-stats');
    assert.deepEqual(doc.parameters, { repo: 'PrefectHQ/prefect' });
    const res = doc.result;
    assert.equal(res.stars, 250);
    assert.equal(res.watchers, 7);
    assert.equal(res.openIssues, 5);
    assert.equal(res.openPullRequests, 3);
    assert.equal(res.starHistory.at(-1).stars, 250);
    assert.ok(doc.taskRuns.some((t: { name: string }) => t.name === 'fetch-repo-0'));
    assert.match(r.stderr, /PrefectHQ\/prefect repository statistics 📊:/);
    assert.match(r.stderr, /Stars 🌟 : 250/);

    const before304 = gh.requests.length;
    const again = await runCli(['run', 'github-repo-stats', '--json'], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).result.stars, 250);
    const second = gh.requests.slice(before304);
    assert.ok(second.some((q) => q.status === 304), 'an unchanged refresh is answered 304');
    assert.ok(!storeText(home).includes(token));
    assert.ok(!r.stderr.includes(token) && !again.stderr.includes(token));
  });

  it('fails with exit 1 and a clear message for an unknown repository, and exit 2 for a malformed one', async () => {
    const env = { FLOWDECK_HOME: tempDir(), FLOWDECK_GITHUB_API_URL: gh.url };
    const missing = await runCli(['run', 'github-repo-stats', '--param', 'repo=nobody/nothing', '--json'], { env });
    assert.equal(missing.code, 1);
    assert.match(JSON.parse(missing.stdout).state.message, /Repository nobody\/nothing not found \(or private and the token has no access\)/);
    // An expected failure is its message, without a stack trace.
    assert.match(missing.stderr, /\| ERROR   \| Flow run '[a-z]+-[a-z]+' - Encountered exception during execution: GitHubError: Repository nobody\/nothing not found/);
    assert.doesNotMatch(missing.stderr, /\n\s+at |Flowdeck\/Node frame/);
    const revoked = await runCli(['run', 'github-repo-stats', '--json'], { env: { ...env, GITHUB_TOKEN: `${token}-revoked` } });
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /Encountered exception during execution: GitHubError: GitHub token invalid or expired \(127\.0\.0\.1:\d+ answered 401/);
    assert.doesNotMatch(revoked.stderr, /\n\s+at |Flowdeck\/Node frame/);
    const requestsBefore = gh.requests.length;
    const runsBefore = JSON.parse((await runCli(['runs', '--json'], { env })).stdout).length;
    // '.' and '..' as a name too (they were a Failed run, exit 1): the declared pattern refuses them.
    for (const repo of ['not a repo', 'a/..', 'a/.']) {
      const malformed = await runCli(['run', 'github-repo-stats', '--param', `repo=${repo}`], { env });
      assert.equal(malformed.code, 2, `${repo}: ${malformed.stderr}`);
      assert.match(malformed.stderr, /Invalid parameters for flow 'github-repo-stats': 'repo' = /);
    }
    assert.equal(gh.requests.length, requestsBefore, 'rejected before any request');
    assert.equal(JSON.parse((await runCli(['runs', '--json'], { env })).stdout).length, runsBefore, 'and before any run');
  });

  it('a FLOWDECK_GITHUB_API_URL that is not an http(s) URL is an expected failure: its message, no stack trace', async () => {
    // It was a TypeError printed with Flowdeck's own frames (src/flows/github/options.ts), as if the flow had a bug.
    for (const [url, message] of [['ghe.example.com', /FLOWDECK_GITHUB_API_URL is not a URL: 'ghe\.example\.com'/], ['ftp://ghe.example.com', /FLOWDECK_GITHUB_API_URL must be an http\(s\) URL, got 'ftp:\/\/ghe\.example\.com'/]] as const) {
      const r = await runCli(['run', 'github-repo-stats', '--json'], { env: { FLOWDECK_HOME: tempDir(), FLOWDECK_GITHUB_API_URL: url } });
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.match(doc.state.message, message);
      assert.equal(doc.state.failure?.name, 'GitHubError', r.stdout);
      assert.match(r.stderr, /Encountered exception during execution: GitHubError: FLOWDECK_GITHUB_API_URL /);
      assert.doesNotMatch(r.stderr, /\n\s+at |Flowdeck\/Node frame/);
    }
  });

  it('a request that drips past its 30 s bound once is retried by its task, and the run completes', { timeout: 120_000 }, async () => {
    const env = { FLOWDECK_HOME: tempDir(), FLOWDECK_GITHUB_API_URL: gh.url, GITHUB_TOKEN: token };
    gh.inject({ kind: 'drip', path: /^\/repos\/PrefectHQ\/prefect$/, times: 1 });
    const r = await runCli(['run', 'github-repo-stats', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { result: { stars: number }; taskRuns: { name: string; attempts: number; state: { name: string } }[] };
    assert.equal(doc.result.stars, 250);
    const fetchRepo = doc.taskRuns.find((t) => t.name === 'fetch-repo-0')!;
    assert.deepEqual([fetchRepo.attempts, fetchRepo.state.name], [2, 'Completed']);
    assert.match(r.stderr, /Request GET \/repos\/PrefectHQ\/prefect: no end to its answer within 30 s/);
    assert.match(r.stderr, /Retry 1\/2 will start/);
  });
});

describe('flowdeck run youtube-channel-analytics', () => {
  let g: FakeGoogle;
  before(async () => {
    g = await startFakeGoogle({ lastDataDay: '2024-06-28' });
  });
  after(() => g.close());

  it('completes headless with env credentials: a day per date, nulls for missing days, totals', async () => {
    const refresh = g.issueRefreshToken();
    const home = tempDir();
    const env = {
      FLOWDECK_HOME: home,
      FLOWDECK_GOOGLE_API_URL: g.url,
      FLOWDECK_GOOGLE_TOKEN_URL: g.tokenUrl,
      FLOWDECK_GOOGLE_CLIENT_ID: g.clientId,
      FLOWDECK_GOOGLE_CLIENT_SECRET: g.clientSecret,
      FLOWDECK_YOUTUBE_REFRESH_TOKEN: refresh,
    };
    const r = await runCli(['run', 'youtube-channel-analytics', '--param', 'startDate=2024-06-20', '--param', 'endDate=2024-07-01', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout).result;
    assert.equal(res.days.length, 12);
    assert.equal(res.days[0].date, '2024-06-20');
    assert.equal(res.days.at(-1).views, null);
    assert.equal(typeof res.days[0].views, 'number');
    assert.equal(res.totals.views, res.days.reduce((s: number, d: { views: number | null }) => s + (d.views ?? 0), 0));
    assert.match(r.stderr, /Day: 2024-06-20, Estimated Minutes Watched: -?\d+/);
    const stored = storeText(home);
    for (const secret of [refresh, g.clientSecret]) assert.ok(!stored.includes(secret) && !r.stderr.includes(secret) && !r.stdout.includes(secret));
  });

  it('an unreachable token endpoint is an expected failure: its message, no stack trace', async () => {
    const gone = await startFakeGoogle();
    const tokenUrl = gone.tokenUrl;
    await gone.close();
    const env = { FLOWDECK_HOME: tempDir(), FLOWDECK_GOOGLE_API_URL: g.url, FLOWDECK_GOOGLE_TOKEN_URL: tokenUrl, FLOWDECK_GOOGLE_CLIENT_ID: g.clientId, FLOWDECK_GOOGLE_CLIENT_SECRET: g.clientSecret, FLOWDECK_YOUTUBE_REFRESH_TOKEN: g.issueRefreshToken() };
    const r = await runCli(['run', 'youtube-channel-analytics', '--json'], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).state.message, /Could not reach Google while refreshing the access token \(ECONNREFUSED\)/);
    assert.match(r.stderr, /Encountered exception during execution: YouTubeError: Could not reach Google/);
    assert.doesNotMatch(r.stderr, /\n\s+at |Flowdeck\/Node frame|500 with id/);
  });

  it('fails with how to connect when no credentials exist', async () => {
    const r = await runCli(['run', 'youtube-channel-analytics', '--json'], { env: { FLOWDECK_HOME: tempDir(), FLOWDECK_GOOGLE_API_URL: g.url, FLOWDECK_GOOGLE_TOKEN_URL: g.tokenUrl, FLOWDECK_GOOGLE_CLIENT_ID: '', FLOWDECK_GOOGLE_CLIENT_SECRET: '', FLOWDECK_YOUTUBE_REFRESH_TOKEN: '' } });
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).state.message, /flowdeck auth youtube/);
  });

  it('rejects reversed dates before any request (exit 2)', async () => {
    const n = g.requests.length;
    const r = await runCli(['run', 'youtube-channel-analytics', '--param', 'startDate=2024-07-01', '--param', 'endDate=2024-06-01'], { env: { FLOWDECK_HOME: tempDir(), FLOWDECK_GOOGLE_API_URL: g.url } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /startDate 2024-07-01 is after endDate 2024-06-01/);
    assert.equal(g.requests.length, n);
  });
});
