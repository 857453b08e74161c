/**
 * Where refreshed YouTube tokens go when the CLI runs the flow: into credentials.json only for an account
 * stored there; credentials from the environment, and every token refreshed from them, stay in memory.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { credentialsPath, mergeCredentials, readCredentials } from '../../src/engine/credentials';
import { runCli, tempDir } from '../support/engine';
import { startFakeGoogle, type FakeGoogle } from '../support/fakeGoogle';

const PARAMS = ['--param', 'startDate=2024-06-20', '--param', 'endDate=2024-06-22', '--json'];

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) files.set(join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return files;
}

describe('refreshed YouTube tokens and the credentials file (CLI)', { timeout: 120_000 }, () => {
  let g: FakeGoogle;
  before(async () => {
    g = await startFakeGoogle({ lastDataDay: '2024-06-28' });
  });
  after(() => g.close());

  /** The access tokens the APIs were called with since request `from`. */
  function accessTokensSince(from: number): string[] {
    const tokens = g.requests.slice(from).flatMap((r) => (typeof r.headers.authorization === 'string' ? [r.headers.authorization.replace(/^Bearer /, '')] : []));
    assert.ok(tokens.length > 0, 'the run called the APIs with an access token');
    return [...new Set(tokens)];
  }

  function endpoints(home: string): NodeJS.ProcessEnv {
    return { FLOWDECK_HOME: home, FLOWDECK_GOOGLE_API_URL: g.url, FLOWDECK_GOOGLE_TOKEN_URL: g.tokenUrl, FLOWDECK_GOOGLE_CLIENT_ID: '', FLOWDECK_GOOGLE_CLIENT_SECRET: '', FLOWDECK_YOUTUBE_REFRESH_TOKEN: '' };
  }

  it('a headless run with credentials from the environment writes no credentials and no token anywhere', async () => {
    const home = tempDir();
    const refresh = g.issueRefreshToken();
    const from = g.requests.length;
    const env = { ...endpoints(home), FLOWDECK_GOOGLE_CLIENT_ID: g.clientId, FLOWDECK_GOOGLE_CLIENT_SECRET: g.clientSecret, FLOWDECK_YOUTUBE_REFRESH_TOKEN: refresh };
    const r = await runCli(['run', 'youtube-channel-analytics', ...PARAMS], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(credentialsPath(home)), false);
    const secrets = [refresh, g.clientSecret, ...accessTokensSince(from)];
    const files = filesUnder(home);
    assert.ok(files.size > 0, 'the run was stored');
    for (const [path, text] of files) for (const secret of secrets) assert.ok(!text.includes(secret), `${path} holds a secret`);
    for (const secret of secrets) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
  });

  it('environment credentials beside a stored account leave the stored account exactly as it was', async () => {
    const home = tempDir();
    mergeCredentials(home, 'youtube', { client_id: g.clientId, client_secret: g.clientSecret, refresh_token: g.issueRefreshToken() });
    const before = readFileSync(credentialsPath(home), 'utf8');
    const envRefresh = g.issueRefreshToken();
    const from = g.requests.length;
    const r = await runCli(['run', 'youtube-channel-analytics', ...PARAMS], { env: { ...endpoints(home), FLOWDECK_YOUTUBE_REFRESH_TOKEN: envRefresh } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(credentialsPath(home), 'utf8'), before);
    for (const [path, text] of filesUnder(home)) for (const secret of [envRefresh, ...accessTokensSince(from)]) assert.ok(!text.includes(secret), `${path} holds a secret`);
  });

  it('a stored account keeps its refreshed access token for the next run', async () => {
    const home = tempDir();
    const refresh = g.issueRefreshToken();
    mergeCredentials(home, 'youtube', { client_id: g.clientId, client_secret: g.clientSecret, refresh_token: refresh });
    const from = g.requests.length;
    const r = await runCli(['run', 'youtube-channel-analytics', ...PARAMS], { env: endpoints(home) });
    assert.equal(r.code, 0, r.stderr);
    const stored = readCredentials(home).youtube!;
    assert.equal(stored.refresh_token, refresh);
    assert.deepEqual(accessTokensSince(from), [stored.access_token]);
  });
});
