/**
 * "Run on Workers…" refuses parameters holding a secret the editor knows — its environment's, the store
 * URL's password, the connected accounts' tokens — as `flowdeck run --queue` does: they would wait in the
 * store as given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refuseQueuedSecrets } from '../../src/extension/workers/queuedSecrets';

const TOKEN = 'gho_signedInEditorToken42';
const DB_PASSWORD = 'pg-pass-31337';
const secrets = { env: { PATH: '/usr/bin', FLOWDECK_STORE: `postgres://app:${DB_PASSWORD}@db/flows` }, accounts: { GITHUB_TOKEN: TOKEN } };

test('a parameter holding a secret the editor knows is refused, the secret masked; others pass', { timeout: 10_000 }, () => {
  for (const [secret, parameters] of [[TOKEN, { repo: `octo/${TOKEN}` }], [DB_PASSWORD, { nested: [DB_PASSWORD] }]] as const) {
    assert.throws(
      () => refuseQueuedSecrets(parameters, secrets),
      (e: Error) => /^a parameter holds a secret \(.*\*\*\*.*\); a queued run's parameters are kept in the store/.test(e.message) && !e.message.includes(secret),
      secret,
    );
  }
  refuseQueuedSecrets({ repo: 'octo/hello', days: 7 }, secrets);
});

test('a parameter the flow declares secret is refused whatever its value, named and not quoted; left out, it passes', { timeout: 10_000 }, () => {
  const declarations = { password: { type: 'string' as const, secret: true }, user: { type: 'string' as const } };
  assert.throws(
    () => refuseQueuedSecrets({ user: 'ada', password: 'hunter2-correct-horse' }, secrets, declarations),
    (e: Error) => /^parameter 'password' is declared secret; a queued run's parameters are kept in the store/.test(e.message) && !e.message.includes('hunter2'),
  );
  refuseQueuedSecrets({ user: 'ada' }, secrets, declarations);
});
