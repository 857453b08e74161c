import assert from 'node:assert/strict';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentialsPath, mayStoreRefreshedCredentials, mergeCredentials, readCredentials } from '../../src/engine/credentials';
import { tempDir } from '../support/engine';

const posix = process.platform !== 'win32';

describe('credentials file', { timeout: 30_000 }, () => {
  it('is 0600 in a 0700 folder, whatever the umask, and leaves no temp file behind', { skip: posix ? false : 'POSIX modes' }, () => {
    const previous = process.umask(0);
    try {
      const home = join(tempDir(), 'new', 'home');
      mergeCredentials(home, 'youtube', { client_id: 'id', refresh_token: 'refresh-token-1' });
      mergeCredentials(home, 'youtube', { access_token: 'access-token-1' });
      assert.equal(statSync(home).mode & 0o777, 0o700);
      assert.equal(statSync(join(home, '..')).mode & 0o777, 0o700, 'every folder it had to make');
      // The file is the renamed temp file, so its mode is the one the temp file was made with.
      assert.equal(statSync(credentialsPath(home)).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(home).filter((f) => f.startsWith('credentials.json')), ['credentials.json']);
      assert.deepEqual(readCredentials(home), { youtube: { client_id: 'id', refresh_token: 'refresh-token-1', access_token: 'access-token-1' } });
    } finally {
      process.umask(previous);
    }
  });

  it('a file left readable by others (an older version, a copy) is private again after the next write', { skip: posix ? false : 'POSIX modes' }, () => {
    const home = tempDir();
    writeFileSync(credentialsPath(home), '{"youtube": {"refresh_token": "refresh-token-1"}}\n');
    chmodSync(credentialsPath(home), 0o644);
    mergeCredentials(home, 'youtube', { access_token: 'access-token-1' });
    assert.equal(statSync(credentialsPath(home)).mode & 0o777, 0o600);
  });
});

describe('mayStoreRefreshedCredentials', { timeout: 30_000 }, () => {
  it('stores refreshed tokens only when none of the service credentials came from the environment', () => {
    assert.equal(mayStoreRefreshedCredentials('youtube', {}), true);
    assert.equal(mayStoreRefreshedCredentials('youtube', { FLOWDECK_GOOGLE_CLIENT_ID: '  ', FLOWDECK_YOUTUBE_REFRESH_TOKEN: '' }), true, 'blank is unset, as for the flow');
    for (const name of ['FLOWDECK_GOOGLE_CLIENT_ID', 'FLOWDECK_GOOGLE_CLIENT_SECRET', 'FLOWDECK_YOUTUBE_REFRESH_TOKEN']) {
      assert.equal(mayStoreRefreshedCredentials('youtube', { [name]: 'value' }), false, name);
    }
    assert.equal(mayStoreRefreshedCredentials('other', { FLOWDECK_YOUTUBE_REFRESH_TOKEN: 'value' }), true);
  });
});
