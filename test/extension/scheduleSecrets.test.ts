/**
 * "Schedule Flow…" refuses parameters holding a secret the editor knows — its environment's (as
 * `flowdeck schedule add`), the store URL's password, and the tokens of accounts connected in the editor —
 * naming it masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { youTubeEnv } from '../../src/extension/accounts/runEnv';
import type { ScheduleEntry } from '../../src/engine/schedules/scheduleEntries';
import { editorScheduleViews, refuseKnownSecrets } from '../../src/extension/schedules/scheduleSecrets';
import { flowScheduleDescription } from '../../src/extension/flows/flowScheduleText';

const TOKEN = 'gho_signedInEditorToken42';
const REFRESH = '1//youtube-refresh-token-77';
const API_KEY = 'k-9a8b7c6d5e4f';
const DB_PASSWORD = 'pg-pass-31337';

const secrets = {
  env: { PATH: '/usr/bin', MY_API_KEY: API_KEY, FLOWDECK_STORE: `postgres://app:${DB_PASSWORD}@db/flows` },
  accounts: { GITHUB_TOKEN: TOKEN, ...youTubeEnv({ client_id: 'client-id-1', client_secret: 'client-secret-1', refresh_token: REFRESH }) },
};

test('a parameter holding a secret of the environment, the store URL or a connected account is refused, the secret masked', { timeout: 10_000 }, () => {
  const cases: [string, Record<string, unknown>][] = [
    [TOKEN, { repo: `octo/${TOKEN}` }],
    [REFRESH, { nested: { list: ['a', REFRESH] } }],
    [API_KEY, { key: API_KEY }],
    [DB_PASSWORD, { url: `postgres://app:${DB_PASSWORD}@db/flows` }],
  ];
  for (const [secret, parameters] of cases) {
    assert.throws(
      () => refuseKnownSecrets(parameters, secrets),
      (e: Error) => e.name === 'ScheduleError' && /a parameter of the schedule holds a secret .*\*\*\*.*read the secret from its environment/.test(e.message) && !e.message.includes(secret),
      secret,
    );
  }
});

test('parameters without a secret pass, and nothing counts as secret when nothing is known', { timeout: 10_000 }, () => {
  refuseKnownSecrets({ repo: 'octo/hello', days: 7, client: 'client-id-1' }, secrets);
  refuseKnownSecrets({ repo: `octo/${TOKEN}` }, { env: {}, accounts: { GITHUB_TOKEN: undefined } });
});

test("the window's schedule list marks refused a declared schedule whose parameters hold a secret it knows (no next time), as its scheduler refuses it; its row says so", { timeout: 10_000 }, async () => {
  const declared = (id: string, parameters?: Record<string, unknown>): ScheduleEntry => ({ id, flowName: id, source: `/ws/${id}.flow.ts`, schedule: { intervalSeconds: 3600, ...(parameters ? { parameters } : {}) }, origin: 'code' });
  const state = { added: [], paused: new Set<string>(), firstSeen: new Map<string, number>(), zones: new Map<string, string>() };
  let asked = 0;
  const known = async () => {
    asked++;
    return secrets;
  };
  const views = await editorScheduleViews([declared('leaky', { repo: `octo/${TOKEN}` }), declared('plain', { repo: 'octo/hello' }), declared('bare')], state, 1_000, known);
  const [leaky, plain, bare] = views;
  assert.equal(leaky!.refused, '{"repo":"octo/***"}');
  assert.equal(leaky!.next, undefined);
  assert.equal(flowScheduleDescription([leaky!], String), 'schedule refused: parameters hold a secret');
  assert.equal(plain!.refused, undefined);
  assert.equal(plain!.next, 3_600_000);
  assert.equal(bare!.next, 3_600_000);
  // No schedule with parameters: the editor's secrets (a GitHub session lookup) are not asked for.
  await editorScheduleViews([declared('bare')], state, 1_000, known);
  assert.equal(asked, 1);
});
