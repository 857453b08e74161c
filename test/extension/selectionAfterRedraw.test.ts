import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selectionAfterRedraw, type SelectionWait } from '../../src/extension/runs/selectionAfterRedraw';

/** A clock that moves only when slept on: each sleep is recorded. */
function handClock(boundMs: number, stepMs: number): SelectionWait & { sleeps: number[] } {
  let now = 1000;
  const sleeps: number[] = [];
  return {
    boundMs,
    stepMs,
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('the row a click selected, read through a redraw', { timeout: 10_000 }, () => {
  test('a selection VS Code has handed over is taken at once', async () => {
    const clock = handClock(3000, 20);
    assert.equal(await selectionAfterRedraw(() => 'run-1', () => true, clock), 'run-1');
    assert.deepEqual(clock.sleeps, []);
  });

  test('an empty selection just after a redraw: looked at again until the rows are read again', async () => {
    // The host forgot the rows at the redraw; the fourth look finds them handed over again.
    const clock = handClock(3000, 20);
    let looks = 0;
    const row = await selectionAfterRedraw(() => (++looks >= 4 ? 'run-1' : undefined), () => true, clock);
    assert.equal(row, 'run-1');
    assert.equal(looks, 4);
    assert.deepEqual(clock.sleeps, [20, 20, 20]);
  });

  test('an empty selection with no redraw going on is taken as it is, without waiting', async () => {
    const clock = handClock(3000, 20);
    let looks = 0;
    assert.equal(await selectionAfterRedraw(() => (++looks, undefined), () => false, clock), undefined);
    assert.equal(looks, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  test('a selection that never comes back: the wait ends at its bound', async () => {
    const clock = handClock(100, 20);
    assert.equal(await selectionAfterRedraw(() => undefined, () => true, clock), undefined);
    assert.deepEqual(clock.sleeps, [20, 20, 20, 20, 20]);
  });
});
