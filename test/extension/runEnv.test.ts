import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeYouTubeSecret, parseYouTubeSecret, runEnv, youTubeEnv } from '../../src/extension/accounts/runEnv';

test("the host's own environment wins over sign-ins and settings", () => {
  const env = runEnv({ GITHUB_TOKEN: 'from-host', FLOWDECK_GITHUB_API_URL: '' }, { GITHUB_TOKEN: 'from-session', FLOWDECK_GITHUB_API_URL: 'http://127.0.0.1:9999' });
  assert.deepEqual(env, { FLOWDECK_GITHUB_API_URL: 'http://127.0.0.1:9999' }, 'GITHUB_TOKEN is inherited from the host; an empty host value does not count');
});

test('unset and blank candidates are left out', () => {
  assert.deepEqual(runEnv({}, { GITHUB_TOKEN: undefined, FLOWDECK_GITHUB_API_URL: '  ' }), {});
});

test('YouTube credentials go to the worker under the names the flow reads', () => {
  const secret = { client_id: 'id', client_secret: 'shh', refresh_token: 'rt' };
  assert.deepEqual(runEnv({}, youTubeEnv(secret)), {
    FLOWDECK_GOOGLE_CLIENT_ID: 'id',
    FLOWDECK_GOOGLE_CLIENT_SECRET: 'shh',
    FLOWDECK_YOUTUBE_REFRESH_TOKEN: 'rt',
  });
  assert.deepEqual(runEnv({}, youTubeEnv(undefined)), {});
});

test('refreshed tokens merge into the stored entry without erasing the refresh token', () => {
  const stored = { client_id: 'id', client_secret: 'shh', refresh_token: 'rt', access_token: 'old', expiry_date: 1 };
  assert.deepEqual(mergeYouTubeSecret(stored, { access_token: 'new', expiry_date: 2, refresh_token: undefined, scope: 'x' }), {
    ...stored,
    access_token: 'new',
    expiry_date: 2,
  });
  assert.deepEqual(mergeYouTubeSecret(stored, { refresh_token: 'rt2' }).refresh_token, 'rt2');
  assert.equal(mergeYouTubeSecret(stored, { access_token: null }).access_token, undefined);
});

test('a stored entry that is not whole reads as not connected', () => {
  assert.equal(parseYouTubeSecret(undefined), undefined);
  assert.equal(parseYouTubeSecret('{'), undefined);
  assert.equal(parseYouTubeSecret('{"client_id":"id"}'), undefined);
  assert.deepEqual(parseYouTubeSecret('{"client_id":"a","client_secret":"b","refresh_token":"c","expiry_date":5}'), { client_id: 'a', client_secret: 'b', refresh_token: 'c', expiry_date: 5 });
});
