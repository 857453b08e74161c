import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultHome } from '../../src/engine/storeHome';

describe('the store folder named by FLOWDECK_HOME', { timeout: 10_000 }, () => {
  it('reads ~ and ~/… in the home folder (as the flowdeck.home setting does), other paths as given, unset as ~/.flowdeck', () => {
    assert.equal(defaultHome({ FLOWDECK_HOME: '~/stores/fd' }), join(homedir(), 'stores/fd'));
    assert.equal(defaultHome({ FLOWDECK_HOME: '~' }), homedir());
    assert.equal(defaultHome({ FLOWDECK_HOME: '/srv/fd' }), '/srv/fd');
    assert.equal(defaultHome({ FLOWDECK_HOME: '~other/fd' }), '~other/fd');
    assert.equal(defaultHome({ FLOWDECK_HOME: '' }), join(homedir(), '.flowdeck'));
    assert.equal(defaultHome({}), join(homedir(), '.flowdeck'));
  });
});
