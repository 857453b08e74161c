/** A notice's POST: retried while the server refuses it, told of each attempt that another follows, and stopped when asked. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { postWebhook, webhookErrorText } from '../../src/engine/notify/webhook';

async function refusingServer(): Promise<{ url: string; posts: () => number }> {
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      posts++;
      res.writeHead(503).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, posts: () => posts };
}

const body = { text: 't', run: { id: 'i', name: 'n', flowName: 'f', state: 'Failed', startTime: null, endTime: null, message: null } };

test('a refused notice is tried 1 + retries times; each failed attempt but the last says another follows', { timeout: 30_000 }, async () => {
  const server = await refusingServer();
  const retried: number[] = [];
  await assert.rejects(postWebhook(server.url, body, { retries: 2, minTimeoutMs: 5, onRetry: (attempt) => retried.push(attempt) }), /the server answered HTTP 503/);
  assert.equal(server.posts(), 3);
  assert.deepEqual(retried, [1, 2]);
});

test('an abort stops the retries: no post after it', { timeout: 30_000 }, async () => {
  const server = await refusingServer();
  const stop = new AbortController();
  const posting = postWebhook(server.url, body, { retries: 5, minTimeoutMs: 60_000, signal: stop.signal, onRetry: () => stop.abort() });
  await assert.rejects(posting);
  assert.equal(server.posts(), 1, 'the retry a minute later never came');
});

test("a POST fetch refuses quotes the whole URL: its error, for the log, names the URL's origin and no piece of its userinfo, path or query", { timeout: 30_000 }, async () => {
  const server = await refusingServer();
  const origin = new URL(server.url).origin;
  const url = `${origin.replace('//', '//hookuser:hookPassw0rd@')}/services/T000/XXXXSECRETPATH?token=qtokensecret123`;
  const error = await postWebhook(url, body, { retries: 0 }).then(
    () => assert.fail('fetch took a URL with credentials'),
    (e: unknown) => e,
  );
  assert.match(String((error as Error).message), /XXXXSECRETPATH/, 'fetch quotes the URL (else this test shows nothing)');
  const text = webhookErrorText(url, error);
  assert.equal(text, `Request cannot be constructed from a URL that includes credentials: ${origin}`);
  // A piece quoted on its own (a path, a decoded password) is masked too.
  assert.equal(webhookErrorText(url, new Error('at /services/T000/XXXXSECRETPATH?token=qtokensecret123 as hookuser:hookPassw0rd')), 'at *** as ***:***');
  assert.equal(server.posts(), 0);
});

test('a redirect is not followed: the notice is not taken as delivered by a GET without it, and the error names the status and where it points by origin only', { timeout: 30_000 }, async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/moved') res.writeHead(200).end('ok');
      else res.writeHead(302, { location: req.url === '/away' ? 'https://elsewhere.example/services/XXXXSECRET' : '/moved' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(postWebhook(`${origin}/hook`, body, { retries: 2, minTimeoutMs: 5 }), /the server answered HTTP 302, a redirect to another path of the same server, which a notice does not follow .*: use the URL it redirects to/);
  assert.deepEqual(seen, ['POST /hook'], 'tried once, and never sent on as a GET');
  const away = await postWebhook(`${origin}/away`, body, { retries: 0 }).then(
    () => assert.fail('a redirect was taken for a delivery'),
    (e: unknown) => e as Error,
  );
  assert.match(webhookErrorText(`${origin}/away`, away), /a redirect to https:\/\/elsewhere\.example, /);
  assert.doesNotMatch(away.message, /XXXXSECRET/);
});

test("a POST that cannot reach the server says why (fetch's cause), not only 'fetch failed'", { timeout: 30_000 }, async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/XXXXSECRETPATH`;
  await new Promise<void>((r) => server.close(() => r()));
  const error = await postWebhook(url, body, { retries: 0 }).then(
    () => assert.fail('a closed port took the post'),
    (e: unknown) => e,
  );
  const text = webhookErrorText(url, error);
  assert.match(text, /^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  assert.doesNotMatch(text, /XXXXSECRETPATH/);
});

test('an attempt the signal cuts short is not told as one another follows: the post just ends', { timeout: 30_000 }, async () => {
  const stop = new AbortController();
  // A server that takes the post and never answers: the abort comes while the attempt waits.
  const server = createServer((req) => req.resume().on('end', () => stop.abort()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const retried: number[] = [];
  await assert.rejects(postWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, body, { retries: 5, minTimeoutMs: 5, signal: stop.signal, onRetry: (attempt) => retried.push(attempt) }));
  assert.deepEqual(retried, [], 'no "retrying" after the sender gave up');
});
