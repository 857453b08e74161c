import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../../src/extension/util/throttle';
import { handTimers } from '../support/handTimers';

describe('Throttle', { timeout: 10_000 }, () => {
  test('flush runs only a pending run; runNow runs with or without one, folding a pending one into it', () => {
    const timers = handTimers();
    let runs = 0;
    const push = new Throttle(200, () => runs++, timers);
    // Nothing asked: flush does nothing — a run details panel whose run has only subflows posted no timeline.
    push.flush();
    assert.equal(runs, 0);
    push.runNow();
    assert.equal(runs, 1, 'runNow runs though nothing was pending');
    push.schedule();
    push.runNow();
    assert.equal(runs, 2);
    timers.advance(1000);
    assert.equal(runs, 2, 'the pending run was folded into runNow, not run again later');
    assert.equal(timers.pending(), 0);
  });
});
