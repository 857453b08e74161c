/**
 * Connecting YouTube: the OAuth loopback flow with PKCE against the fake Google (the test plays the
 * browser), `flowdeck auth youtube`, and the credentials file it writes.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { authYoutubeCommand } from '../../src/cli/commands/authYoutube';
import { CredentialsFileError, credentialsPath, mergeCredentials, readCredentials, secretValuesFrom } from '../../src/engine/credentials';
import { runChannelAnalytics } from '../../src/flows/youtube/analytics';
import { YouTubeError } from '../../src/flows/youtube/errors';
import { connectYouTube, readClientSecretFile, type ConnectYouTubeOptions } from '../../src/flows/youtube/oauth';
import { tempDir } from '../support/engine';
import { ANALYTICS_SCOPE, YOUTUBE_SCOPE, startFakeGoogle, type BrowserVisit, type FakeGoogle } from '../support/fakeGoogle';
import { sink } from '../support/sink';

let fake: FakeGoogle;

before(async () => {
  fake = await startFakeGoogle();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.clearFailures();
  fake.set({ consent: 'approve', grantScopes: undefined });
});

/** A browser that visits the consent page once it is asked to; the visit's outcome is kept for the test. */
function browser(tamper?: (location: URL) => void): { open: (url: string) => void; visited: Promise<BrowserVisit>; url: () => string } {
  let resolveVisit!: (v: Promise<BrowserVisit>) => void;
  const visited = new Promise<BrowserVisit>((resolve) => (resolveVisit = resolve));
  let opened = '';
  return {
    // Not awaited: the listener answers the browser only after the code exchange.
    open: (url) => {
      opened = url;
      resolveVisit(fake.visit(url, tamper));
    },
    visited,
    url: () => opened,
  };
}

function connectOptions(open: (url: string) => void, extra: Partial<ConnectYouTubeOptions> = {}): ConnectYouTubeOptions {
  return { clientId: fake.clientId, clientSecret: fake.clientSecret, authUrl: fake.authUrl, tokenUrl: fake.tokenUrl, openBrowser: open, ...extra };
}

async function connectFailure(promise: Promise<unknown>): Promise<YouTubeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof YouTubeError, `expected a YouTubeError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected connecting to fail');
}

describe('connectYouTube (installed-app loopback flow with PKCE)', () => {
  test('end to end: consent, redirect to 127.0.0.1, code exchange with the PKCE verifier', async () => {
    const b = browser();
    const tokens = await connectYouTube(connectOptions(b.open));
    const visit = await b.visited;

    assert.match(tokens.access_token, /^ya29\./);
    assert.match(tokens.refresh_token, /^1\/\//);
    assert.equal(tokens.scope, `${ANALYTICS_SCOPE} ${YOUTUBE_SCOPE}`);
    assert.ok(fake.isValidAccessToken(tokens.access_token));
    assert.equal(visit.status, 200);
    assert.match(visit.body, /You can close this tab/);
    assert.match(visit.location, /^http:\/\/127\.0\.0\.1:\d+\/\?/);

    const auth = new URL(b.url());
    assert.equal(auth.origin + auth.pathname, fake.authUrl);
    const q = auth.searchParams;
    assert.equal(q.get('access_type'), 'offline');
    assert.equal(q.get('prompt'), 'consent');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.equal(q.get('response_type'), 'code');
    assert.deepEqual(q.get('scope')!.split(' '), [ANALYTICS_SCOPE, YOUTUBE_SCOPE]);
    assert.ok((q.get('state') ?? '').length >= 32);
    assert.ok((q.get('code_challenge') ?? '').length >= 43);

    // The fake checked SHA-256(code_verifier) against the challenge before issuing tokens.
    const exchange = fake.requests.filter((r) => r.path === '/token');
    assert.equal(exchange.length, 1);
    assert.equal(exchange[0]!.form.grant_type, 'authorization_code');
    assert.equal(exchange[0]!.form.redirect_uri, q.get('redirect_uri'));
    assert.equal(exchange[0]!.status, 200);
  });

  test('the fake rejects a code exchanged with the wrong verifier', async () => {
    const code = new URL((await fetch(`${fake.authUrl}?${new URLSearchParams({
      client_id: fake.clientId, redirect_uri: 'http://127.0.0.1:9/', response_type: 'code', scope: YOUTUBE_SCOPE,
      state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
    })}`, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    const answer = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: 'not-the-verifier', redirect_uri: 'http://127.0.0.1:9/', client_id: fake.clientId, client_secret: fake.clientSecret }),
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(await answer.json(), { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
  });

  test('a redirect with another state is rejected, and its code is never exchanged', async () => {
    const b = browser((location) => location.searchParams.set('state', 'forged-state'));
    const error = await connectFailure(connectYouTube(connectOptions(b.open)));
    assert.equal(error.code, 'state-mismatch');
    assert.match(error.message, /state mismatch/);
    const visit = await b.visited;
    assert.equal(visit.status, 400);
    assert.match(visit.body, /state mismatch.*You can close this tab/);
    assert.equal(fake.requests.filter((r) => r.path === '/token').length, 0);
  });

  test('access denied on the consent page', async () => {
    fake.set({ consent: 'deny' });
    const b = browser();
    const error = await connectFailure(connectYouTube(connectOptions(b.open)));
    assert.equal(error.code, 'access-denied');
    assert.match(error.message, /access_denied.*choose Allow/);
    assert.match((await b.visited).body, /close this tab/);
  });

  test('a permission left unticked on the consent page', async () => {
    fake.set({ grantScopes: [ANALYTICS_SCOPE] });
    const b = browser();
    const error = await connectFailure(connectYouTube(connectOptions(b.open)));
    assert.equal(error.code, 'scopes-not-granted');
    assert.match(error.message, /youtube\.readonly/);
  });

  test('gives up after the timeout with a clear error, and stops listening', async () => {
    let listenerUrl = '';
    const error = await connectFailure(
      connectYouTube(connectOptions((url) => (listenerUrl = new URL(url).searchParams.get('redirect_uri')!), { timeoutMs: 150 })),
    );
    assert.equal(error.code, 'timeout');
    assert.match(error.message, /Gave up waiting for Google's sign-in page after 0\.2 seconds/);
    await assert.rejects(
      new Promise((resolve, reject) => request(listenerUrl, resolve).on('error', reject).end()),
      /ECONNREFUSED/,
    );
  });

  test('stops when the signal fires', async () => {
    const controller = new AbortController();
    const error = await connectFailure(connectYouTube(connectOptions(() => setTimeout(() => controller.abort(), 20), { signal: controller.signal })));
    assert.equal(error.code, 'cancelled');
  });

  test('other requests to the listener (favicon) do not end the wait', async () => {
    const b = browser();
    const tokens = await connectYouTube(
      connectOptions(async (url) => {
        const redirect = new URL(url).searchParams.get('redirect_uri')!;
        assert.equal((await fetch(new URL('/favicon.ico', redirect))).status, 404);
        b.open(url);
      }),
    );
    assert.ok(tokens.refresh_token);
  });

  test('a fixed loopback redirect (web clients, SSH forwarding) is used as given', async () => {
    const probe = await startFakeGoogle();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const b = browser();
    await connectYouTube(connectOptions(b.open, { redirectUri: `http://127.0.0.1:${port}/oauth2callback` }));
    assert.match((await b.visited).location, new RegExp(`^http://127\\.0\\.0\\.1:${port}/oauth2callback\\?`));
  });
});

describe('readClientSecretFile', () => {
  const dir = tempDir('flowdeck-yt-client-');
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  test('reads a Desktop app client', async () => {
    const path = file('installed.json', {
      installed: { client_id: 'id.apps.googleusercontent.com', project_id: 'p', auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: 'https://oauth2.googleapis.com/token', client_secret: 'GOCSPX-abc', redirect_uris: ['http://localhost'] },
    });
    assert.deepEqual(await readClientSecretFile(path), { clientId: 'id.apps.googleusercontent.com', clientSecret: 'GOCSPX-abc', kind: 'installed' });
  });

  test('a web client needs a registered 127.0.0.1 redirect, which is then used', async () => {
    const web = file('web.json', { web: { client_id: 'w', client_secret: 'GOCSPX-w', redirect_uris: ['https://example.com/cb', 'http://127.0.0.1:8085/cb'] } });
    assert.deepEqual(await readClientSecretFile(web), { clientId: 'w', clientSecret: 'GOCSPX-w', kind: 'web', loopbackRedirectUri: 'http://127.0.0.1:8085/cb' });
    const noLoopback = file('web2.json', { web: { client_id: 'w', client_secret: 'GOCSPX-w', redirect_uris: ['https://example.com/cb'] } });
    await assert.rejects(readClientSecretFile(noLoopback), /"Web application" client without a http:\/\/127\.0\.0\.1:PORT redirect URI/);
  });

  test('clear errors for a missing file, non-JSON, and other JSON', async () => {
    await assert.rejects(readClientSecretFile(join(dir, 'nope.json')), /does not exist\. Download the OAuth client's JSON/);
    await assert.rejects(readClientSecretFile(file('bad.json', '{not json')), /is not JSON/);
    await assert.rejects(readClientSecretFile(file('other.json', { installed: { client_id: 'x' } })), /is not an OAuth client file/);
  });

  // Found by a hunter: the file was read whole, whatever it was — /dev/zero to 512 MB and then
  // `Could not read /dev/zero (error).`, a 300 MB file into ~950 MB of memory.
  test('a file larger than any client file (or a device that never ends) is refused saying so, read only up to 64 KiB', { timeout: 30_000 }, async () => {
    const big = file('big.json', `{"installed":{"client_id":"${'x'.repeat(200 * 1024)}","client_secret":"s"}}`);
    await assert.rejects(readClientSecretFile(big), /big\.json holds more than 64 KiB, which no OAuth client file does/);
    if (process.platform !== 'win32') await assert.rejects(readClientSecretFile('/dev/zero'), /\/dev\/zero holds more than 64 KiB/);
  });
});

describe('credentials file', () => {
  test('written with mode 0600, atomically, merging per service', () => {
    const home = tempDir('flowdeck-cred-');
    mergeCredentials(home, 'github', { token: 'ghp_0123456789abcdef' });
    mergeCredentials(home, 'youtube', { client_id: 'id', refresh_token: '1//refresh-old', access_token: 'ya29.old' });
    const merged = mergeCredentials(home, 'youtube', { access_token: 'ya29.new', refresh_token: undefined, scope: null });
    assert.deepEqual(merged, { client_id: 'id', refresh_token: '1//refresh-old', access_token: 'ya29.new' });
    assert.deepEqual(readCredentials(home), { github: { token: 'ghp_0123456789abcdef' }, youtube: merged });
    const path = credentialsPath(home);
    assert.equal(path, join(home, 'credentials.json'));
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('a too-open file is replaced by a 0600 one on the next write', { skip: process.platform === 'win32' }, () => {
    const home = tempDir('flowdeck-cred-');
    writeFileSync(credentialsPath(home), '{}');
    chmodSync(credentialsPath(home), 0o644);
    mergeCredentials(home, 'youtube', { refresh_token: 'r' });
    assert.equal(statSync(credentialsPath(home)).mode & 0o777, 0o600);
  });

  test('a missing file reads as empty; a corrupt one is an error that does not echo its content', () => {
    const home = tempDir('flowdeck-cred-');
    assert.deepEqual(readCredentials(home), {});
    writeFileSync(credentialsPath(home), '{"youtube": {"refresh_token": "1//SECRET-VALUE"');
    assert.throws(() => readCredentials(home), (e: unknown) => e instanceof CredentialsFileError && !e.message.includes('SECRET-VALUE'));
  });

  test('secretValuesFrom lists every secret to mask, and nothing else', () => {
    const secrets = secretValuesFrom(
      { GITHUB_TOKEN: 'ghp_envtoken123', FLOWDECK_GOOGLE_CLIENT_SECRET: 'GOCSPX-env', FLOWDECK_YOUTUBE_REFRESH_TOKEN: '1//env-refresh', FLOWDECK_GOOGLE_CLIENT_ID: 'public-id.apps', PATH: '/usr/bin' },
      { youtube: { client_id: 'public-id.apps', client_secret: 'GOCSPX-stored', refresh_token: '1//stored-refresh', access_token: 'ya29.stored', token_type: 'Bearer', expiry_date: 1, scope: 'https://x' }, github: { token: 'ghp_storedtoken' } },
    );
    assert.deepEqual(new Set(secrets), new Set(['ghp_envtoken123', 'GOCSPX-env', '1//env-refresh', 'GOCSPX-stored', '1//stored-refresh', 'ya29.stored', 'ghp_storedtoken']));
    assert.deepEqual(secrets, [...secrets].sort((a, b) => b.length - a.length));
  });
});

describe('flowdeck auth youtube', () => {
  function env(home: string): NodeJS.ProcessEnv {
    return { FLOWDECK_HOME: home, FLOWDECK_GOOGLE_AUTH_URL: fake.authUrl, FLOWDECK_GOOGLE_TOKEN_URL: fake.tokenUrl, FLOWDECK_GOOGLE_API_URL: fake.url };
  }

  test('--client-secret FILE: connects, stores the tokens with mode 0600, names the channel, prints no secret', async () => {
    const home = tempDir('flowdeck-auth-');
    const clientFile = join(home, 'client_secret.json');
    writeFileSync(clientFile, JSON.stringify({ installed: { client_id: fake.clientId, client_secret: fake.clientSecret, redirect_uris: ['http://localhost'] } }));
    const out = sink();
    const err = sink();
    const b = browser();
    const code = await authYoutubeCommand(['--client-secret', 'client_secret.json'], { stdout: out.stream, stderr: err.stream, env: env(home), cwd: home, openBrowser: b.open });
    assert.equal(code, 0, err.text());
    assert.match(out.text(), /Open this link to connect your YouTube account/);
    assert.match(out.text(), /YouTube channel: Fake Channel \(UCfakeChannel000000000001\)/);

    const stored = readCredentials(home).youtube!;
    assert.equal(stored.client_id, fake.clientId);
    assert.equal(stored.client_secret, fake.clientSecret);
    assert.match(stored.refresh_token as string, /^1\/\//);
    assert.match(stored.access_token as string, /^ya29\./);
    if (process.platform !== 'win32') assert.equal(statSync(credentialsPath(home)).mode & 0o777, 0o600);
    for (const secret of [fake.clientSecret, stored.refresh_token as string, stored.access_token as string]) {
      assert.ok(!out.text().includes(secret) && !err.text().includes(secret), 'no secret printed');
    }

    // The stored credentials are what the flow uses.
    const run = {
      signal: new AbortController().signal,
      logger: { info: () => undefined, warning: () => undefined },
      registerSecret: () => undefined,
      saveCredentials: () => undefined,
      home,
    };
    const result = await runChannelAnalytics(
      { startDate: '2024-06-01', endDate: '2024-06-03' },
      { task: (_o, fn) => fn, context: () => run, env: { FLOWDECK_GOOGLE_API_URL: fake.url, FLOWDECK_GOOGLE_TOKEN_URL: fake.tokenUrl } },
    );
    assert.equal(result.days.length, 3);
  });

  test('--no-browser with the client from the environment: prints the link, which a browser elsewhere opens', async () => {
    const home = tempDir('flowdeck-auth-');
    let visited: Promise<BrowserVisit> | undefined;
    const out = sink((text) => {
      const url = /(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/.exec(text)?.[1];
      if (url && !visited) visited = fake.visit(url);
    });
    const err = sink();
    let opened = false;
    const code = await authYoutubeCommand(['--no-browser', '--timeout', '10'], {
      stdout: out.stream,
      stderr: err.stream,
      env: { ...env(home), FLOWDECK_GOOGLE_CLIENT_ID: fake.clientId, FLOWDECK_GOOGLE_CLIENT_SECRET: fake.clientSecret },
      openBrowser: () => (opened = true),
    });
    assert.equal(code, 0, err.text());
    assert.equal(opened, false);
    assert.equal((await visited!).status, 200);
    assert.ok(readCredentials(home).youtube?.refresh_token);
  });

  test('--client-secret-value -: the secret is read from stdin (a command line is visible to other users), never printed', async () => {
    const home = tempDir('flowdeck-auth-');
    const out = sink();
    const err = sink();
    const b = browser();
    const stdin = { isTTY: false, open: () => Readable.from([`${fake.clientSecret}\n`]) };
    const code = await authYoutubeCommand(['--client-id', fake.clientId, '--client-secret-value', '-'], { stdout: out.stream, stderr: err.stream, env: env(home), openBrowser: b.open, stdin });
    assert.equal(code, 0, err.text());
    assert.equal((await b.visited).status, 200);
    assert.equal(readCredentials(home).youtube?.client_secret, fake.clientSecret);
    assert.ok(!out.text().includes(fake.clientSecret) && !err.text().includes(fake.clientSecret), 'no secret printed');
    // Nothing on stdin: refused, saying where the secret was looked for.
    const empty = sink();
    const refused = await authYoutubeCommand(['--client-id', fake.clientId, '--client-secret-value', '-'], { stdout: sink().stream, stderr: empty.stream, env: env(home), stdin: { isTTY: false, open: () => Readable.from([]) } });
    assert.equal(refused, 2);
    assert.match(empty.text(), /^flowdeck auth: --client-secret-value -: stdin held no client secret/);
  });

  test('--help says a client secret on the command line is visible to other users, and how not to put it there', async () => {
    const out = sink();
    assert.equal(await authYoutubeCommand(['--help'], { stdout: out.stream, stderr: sink().stream, env: {} }), 0);
    assert.match(out.text(), /--client-secret-value -/);
    assert.match(out.text(), /visible to other/);
  });

  test('usage errors exit 2 and say what is missing; --help exits 0', async () => {
    const home = tempDir('flowdeck-auth-');
    const run = async (argv: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
      const out = sink();
      const err = sink();
      const code = await authYoutubeCommand(argv, { stdout: out.stream, stderr: err.stream, env: { FLOWDECK_HOME: home, ...extraEnv } });
      return { code, out: out.text(), err: err.text() };
    };
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--client-secret FILE/);
    assert.match(help.out, /FLOWDECK_YOUTUBE_REFRESH_TOKEN/);
    assert.match((await run([])).err, /Give --client-secret client_secret\.json/);
    assert.equal((await run([])).code, 2);
    assert.match((await run(['--client-id', 'x'])).err, /FLOWDECK_GOOGLE_CLIENT_SECRET or --client-secret-value/);
    const port = await run(['--port', 'abc']);
    assert.equal(port.code, 2);
    assert.match(port.err, /^flowdeck auth: --port must be a port number \(got abc\)\n/);
    assert.match((await run(['--bogus'])).err, /^flowdeck auth: unknown option '--bogus'; `flowdeck auth youtube --help` lists its options\n/);
    assert.match((await run([])).err, /^flowdeck auth: Give --client-secret/);
    assert.equal((await run(['--client-secret', 'a.json', '--client-id', 'x'])).code, 2);
    const missing = await run(['--client-secret', join(home, 'missing.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^flowdeck auth: .*does not exist/);
    writeFileSync(join(home, 'bad.json'), '{not json');
    const notJson = await run(['--client-secret', join(home, 'bad.json')]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.err, /is not JSON/);
  });

  test("a token endpoint error that echoes the request shows neither the client secret, the code nor the PKCE verifier (terminal and browser page)", { timeout: 60_000 }, async () => {
    fake.inject({ kind: 'tokenEchoesRequest' });
    const home = tempDir('flowdeck-auth-');
    const out = sink();
    const err = sink();
    const b = browser();
    const code = await authYoutubeCommand(['--client-id', fake.clientId, '--client-secret-value', fake.clientSecret], { stdout: out.stream, stderr: err.stream, env: env(home), openBrowser: b.open });
    const visit = await b.visited;
    assert.equal(code, 1);
    const sent = fake.requests.find((r) => r.path === '/token')!.form;
    const secrets = [fake.clientSecret, sent.code!, sent.code_verifier!];
    assert.ok(secrets.every((s) => s.length >= 8), JSON.stringify(sent));
    assert.match(err.text(), /Google's token endpoint failed \(HTTP 401 Bad credentials: you sent .*client_secret=\*\*\*/);
    assert.match(visit.body, /Flowdeck could not connect to YouTube/);
    for (const secret of secrets) {
      for (const text of [out.text(), err.text(), visit.body]) {
        assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), `${secret} shown in: ${text}`);
      }
    }
    assert.throws(() => readFileSync(credentialsPath(home)), /ENOENT/);
  });

  test('a failed connection exits 1 with the reason and stores nothing', async () => {
    fake.set({ consent: 'deny' });
    const home = tempDir('flowdeck-auth-');
    const err = sink();
    const b = browser();
    const code = await authYoutubeCommand(['--client-id', fake.clientId, '--client-secret-value', fake.clientSecret], {
      stdout: sink().stream,
      stderr: err.stream,
      env: env(home),
      openBrowser: b.open,
    });
    assert.equal(code, 1);
    assert.match(err.text(), /access_denied/);
    assert.throws(() => readFileSync(credentialsPath(home)), /ENOENT/);
  });
});
