/**
 * What the editor says when its run store cannot be opened: the reason once, and one thing to change in
 * the editor's terms — not the engine's terminal advice with the editor's appended after it (`~/.flowdeck..`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreHomeError } from '../../src/engine/storeErrors';
import { storeOpenMessage } from '../../src/extension/storeOpenError';

describe('storeOpenMessage', { timeout: 10_000 }, () => {
  it('a store folder that cannot be used: its path and reason once, the setting to change, no doubled full stop', () => {
    const text = storeOpenMessage('/data/afile', undefined, new StoreHomeError('/data/afile', 'it is a file, not a folder'));
    assert.equal(text, 'Could not open the run store at /data/afile: it is a file, not a folder. Set "flowdeck.home" to a folder you can write, or leave it empty for FLOWDECK_HOME or ~/.flowdeck.');
    assert.doesNotMatch(text, /\.\./);
    assert.equal(text.split('/data/afile').length - 1, 1, 'the path is said once');
  });

  it('another error: its message without its own full stop, then what to check', () => {
    assert.equal(storeOpenMessage('/h', undefined, new Error('EIO: i/o error.')), 'Could not open the run store at /h: EIO: i/o error. Check the "flowdeck.home" setting and the folder\'s permissions.');
  });

  it('a Postgres store is named by its setting, never its URL', () => {
    const text = storeOpenMessage('/h', 'postgres://u:secret@db/x', new Error('connect ECONNREFUSED 10.0.0.1:5432'));
    assert.equal(text, 'Could not open the Postgres run store set in "flowdeck.store": connect ECONNREFUSED 10.0.0.1:5432. Check the setting, the network and the database.');
    assert.doesNotMatch(text, /secret/);
  });
});
