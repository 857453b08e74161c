import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateInFlight } from '../../src/extension/logs/updateInFlight';
import { handTimers } from '../support/handTimers';

describe("a log document's updates, one in flight at a time", { timeout: 10_000 }, () => {
  test('updates asked for while one is in flight are sent as one, once it has reached the document', () => {
    const timers = handTimers();
    let sent = 0;
    const updates = new UpdateInFlight(() => (sent++, true), 10_000, timers);
    updates.request();
    assert.equal(sent, 1, 'the first goes at once');
    // The editor is still diffing: a run's log grows on.
    for (let i = 0; i < 20; i++) {
      updates.request();
      timers.advance(300);
    }
    assert.equal(sent, 1, 'none sent over the one in flight (each would cancel it)');
    updates.landed();
    assert.equal(sent, 2, 'the latest text, once the last one landed');
    updates.landed();
    assert.equal(sent, 2, 'nothing more was asked for');
    updates.request();
    assert.equal(sent, 3, 'nothing in flight: sent at once');
  });

  test('an update the document never says it received (it changed nothing, or the document closed) lets the next go after the stale time', () => {
    const timers = handTimers();
    let sent = 0;
    const updates = new UpdateInFlight(() => (sent++, true), 10_000, timers);
    updates.request();
    updates.request();
    timers.advance(9_999);
    assert.equal(sent, 1);
    timers.advance(1);
    assert.equal(sent, 2);
  });

  test('an update sent while no document is open awaits nothing: the next goes at once', () => {
    const timers = handTimers();
    let sent = 0;
    let open = false;
    const updates = new UpdateInFlight(() => (sent++, open), 10_000, timers);
    updates.request();
    updates.request();
    assert.equal(sent, 2, 'VS Code drops an update of a document it has not opened: none is in flight');
    open = true;
    updates.request();
    updates.request();
    assert.equal(sent, 3, 'once it is open, one at a time');
  });

  test('after dispose nothing is sent', () => {
    const timers = handTimers();
    let sent = 0;
    const updates = new UpdateInFlight(() => (sent++, true), 10_000, timers);
    updates.request();
    updates.request();
    updates.dispose();
    updates.landed();
    timers.advance(20_000);
    updates.request();
    assert.equal(sent, 1);
  });
});
