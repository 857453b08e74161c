/** The built-in flows tag their API tasks, so a concurrency limit on the tag bounds their requests in flight. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { FETCH_CHANNEL_TASK, FETCH_PREVIOUS_REPORT_TASK, FETCH_REPORT_TASK, FETCH_TOP_VIDEOS_TASK } from '../../src/flows/youtube/analytics';
import { runCli, tempDir } from '../support/engine';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';

let gh: FakeGitHub;
const token = 'ghp_tagsTOKEN0123456789abcdef';
before(async () => {
  gh = await startFakeGitHub({ tokens: [token], repos: [{ fullName: 'PrefectHQ/prefect', stars: 40, forks: 2, subscribers: 1, openIssues: 1, openPulls: 1 }] });
});
after(() => gh.close());

test('github-repo-stats tags every task github-api and completes under `limit set github-api 1`', { timeout: 120_000 }, async () => {
  const home = tempDir();
  const env = { FLOWDECK_HOME: home, FLOWDECK_GITHUB_API_URL: gh.url, GITHUB_TOKEN: token };
  assert.equal((await runCli(['limit', 'set', 'github-api', '1'], { env })).code, 0);
  const r = await runCli(['run', 'github-repo-stats', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const store = await EmbeddedStore.open(home, { readOnly: true });
  const detail = (await store.readRun(JSON.parse(r.stdout).id))!;
  await store.close();
  assert.ok(detail.taskRuns.length >= 3);
  for (const t of detail.taskRuns) assert.deepEqual(t.tags, ['github-api'], t.name);
});

test('youtube-channel-analytics tags its API tasks youtube-api', () => {
  for (const t of [FETCH_REPORT_TASK, FETCH_PREVIOUS_REPORT_TASK, FETCH_TOP_VIDEOS_TASK, FETCH_CHANNEL_TASK]) assert.ok(t.tags.includes('youtube-api'), t.name);
});
