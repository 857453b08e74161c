/**
 * The built youtube-channel-analytics flow run by the real engine (runner + worker process) against the
 * fake Google: task runs, engine-level retries (the only retry layer), failure states, masking.
 * Needs the built worker (`npm run build`, which `npm test` runs first).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { mergeCredentials, readCredentials, secretValuesFrom } from '../../src/engine/credentials';
import { BadInputError } from '../../src/engine/runner';
import { DIST, logsOf, makeRunner, tempDir, valueOf } from '../support/engine';
import { startFakeGoogle, type FakeGoogle } from '../support/fakeGoogle';

const skip = existsSync(join(DIST, 'worker.js')) ? false : 'needs the built worker: npm run build';

let fake: FakeGoogle;
before(async () => {
  fake = await startFakeGoogle({ lastDataDay: '2024-06-30' });
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.clearFailures();
});

async function runFlow(parameters: Record<string, unknown>) {
  const home = tempDir('flowdeck-yt-engine-');
  const refreshToken = fake.issueRefreshToken();
  mergeCredentials(home, 'youtube', { client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: refreshToken });
  const saved: { service: string; patch: Record<string, unknown> }[] = [];
  const { store, runner } = await makeRunner(home, {
    env: { ...process.env, FLOWDECK_HOME: home, FLOWDECK_GOOGLE_API_URL: fake.url, FLOWDECK_GOOGLE_TOKEN_URL: fake.tokenUrl },
    // What the CLI host does: mask the stored secrets, merge refreshed tokens into the file.
    secrets: secretValuesFrom({}, readCredentials(home)),
    onCredentials: (service, patch) => {
      saved.push({ service, patch });
      mergeCredentials(home, service, patch);
    },
  });
  const active = await runner.start({ source: { kind: 'builtin', id: 'youtube-channel-analytics' }, parameters });
  const detail = await active.done;
  return { detail, logs: await logsOf(store, detail.id), saved, home, refreshToken, runFile: store.runFile(detail.id) };
}

describe('youtube-channel-analytics in the engine', { skip }, () => {
  test('completes with a task run per request group, logs per day, and masked secrets', async () => {
    const { detail, logs, saved, home, refreshToken } = await runFlow({ startDate: '2024-06-25', endDate: '2024-07-02' });
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(detail.taskRuns.map((t) => `${t.name}:${t.state.name}`).sort(), [
      'fetch-channel-0:Completed',
      'fetch-previous-report-0:Completed',
      'fetch-report-0:Completed',
      'fetch-top-videos-0:Completed',
    ]);
    const result = valueOf(detail) as { days: { date: string; views: number | null }[]; channel: { subscribers: number } };
    assert.equal(result.days.length, 8);
    assert.equal(result.days.at(-1)!.views, null);
    assert.equal(result.channel.subscribers, 1234);
    const messages = logs.map((l) => l.message);
    assert.ok(messages.some((m) => m.startsWith('Day: 2024-06-25, Estimated Minutes Watched: ')));
    assert.ok(messages.some((m) => m.startsWith('Totals 2024-06-25 to 2024-07-02 (6 of 8 days with data)')));

    assert.equal(saved.length, 1);
    assert.equal(saved[0]!.service, 'youtube');
    assert.ok(!('refresh_token' in saved[0]!.patch));
    const stored = readCredentials(home).youtube!;
    assert.equal(stored.refresh_token, refreshToken);
    const everything = JSON.stringify({ detail, logs });
    for (const secret of [fake.clientSecret, refreshToken, stored.access_token as string]) assert.ok(!everything.includes(secret));
  });

  test('a 429 is retried once by the engine: two requests in all, two attempts of fetch-report', async () => {
    const daily = { dimensions: 'day', startDate: '2024-06-01' };
    fake.inject({ kind: 'rateLimitExceeded', path: /^\/v2\/reports$/, query: daily });
    const { detail, logs } = await runFlow({ startDate: '2024-06-01', endDate: '2024-06-07' });
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(fake.requests.filter((r) => r.path === '/v2/reports' && r.query.startDate === '2024-06-01' && r.query.dimensions === 'day').length, 2);
    const report = detail.taskRuns.find((t) => t.taskName === 'fetch-report')!;
    assert.equal(report.attempts, 2);
    assert.ok(logs.some((l) => /Retry 1\/3 will start/.test(l.message)));
  });

  test('quota exceeded: Failed at once with the reason and what to do', async () => {
    fake.inject({ kind: 'quotaExceeded', path: /^\/v2\/reports$/, times: Infinity });
    const { detail } = await runFlow({ startDate: '2024-06-01', endDate: '2024-06-07' });
    assert.equal(detail.state.type, 'FAILED');
    assert.match(detail.state.message ?? '', /quota .* used up for today .* resets at midnight Pacific Time/);
    // The range, the previous period and the top videos: each asked once, none retried.
    assert.equal(fake.requests.filter((r) => r.path === '/v2/reports').length, 3);
  });

  test('reversed or malformed dates are bad input: no run, no request', async () => {
    await assert.rejects(
      runFlow({ startDate: '2024-07-04', endDate: '2024-06-01' }),
      (e: unknown) => e instanceof BadInputError && e.reason === 'invalid-parameters' && /startDate 2024-07-04 is after endDate 2024-06-01/.test(e.message),
    );
    assert.equal(fake.requests.length, 0);
    await assert.rejects(runFlow({ startDate: '2024/06/01' }), (e: unknown) => e instanceof BadInputError && /startDate/.test(e.message));
    // A range reaching back before YouTube: the run looped for ever (its previous period fell before year 0).
    await assert.rejects(
      runFlow({ startDate: '1000-01-01', endDate: '2024-01-01' }),
      (e: unknown) => e instanceof BadInputError && e.reason === 'invalid-parameters' && /startDate 1000-01-01 is before 2005-01-01/.test(e.message),
    );
    assert.equal(fake.requests.length, 0);
  });
});
