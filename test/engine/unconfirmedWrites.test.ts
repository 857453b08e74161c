/**
 * When the store waits for its run writes to be confirmed (runs start no task run meanwhile): a write not
 * confirmed within the bound (a hung connection: a cut network sends no reset), or one that found the
 * database unreachable; until every such write is settled.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnconfirmedWrites } from '../../src/engine/postgres/unconfirmedWrites';
import { handTimers } from '../support/handTimers';

function watched(boundMs: number): { writes: UnconfirmedWrites; timers: ReturnType<typeof handTimers>; said: boolean[] } {
  const timers = handTimers();
  const writes = new UnconfirmedWrites(boundMs, timers, timers);
  const said: boolean[] = [];
  writes.onChange((w) => said.push(w));
  return { writes, timers, said };
}

describe('unconfirmed run writes', () => {
  it('writes confirmed within the bound: the store never waits', () => {
    const { writes, timers, said } = watched(1000);
    for (let i = 0; i < 5; i++) {
      const w = writes.begin();
      timers.advance(900);
      w.settled();
    }
    timers.advance(5000);
    assert.deepEqual(said, []);
    assert.equal(timers.pending(), 0, 'no timer left behind');
  });

  it('a write hanging past the bound: waits, until it is settled', () => {
    const { writes, timers, said } = watched(1000);
    const w = writes.begin();
    timers.advance(999);
    assert.equal(writes.waiting, false);
    timers.advance(1);
    assert.equal(writes.waiting, true);
    timers.advance(10_000);
    w.settled();
    assert.equal(writes.waiting, false);
    assert.deepEqual(said, [true, false]);
  });

  it('a write that found the database unreachable: waits at once, until it is settled', () => {
    const { writes, timers, said } = watched(1000);
    const w = writes.begin();
    timers.advance(5);
    w.unreachable();
    assert.equal(writes.waiting, true);
    w.settled();
    assert.equal(writes.waiting, false);
    w.settled();
    assert.deepEqual(said, [true, false]);
  });

  it('while an older write is still unconfirmed past the bound, a newer one settling does not end the wait', () => {
    const { writes, timers, said } = watched(1000);
    const old = writes.begin();
    timers.advance(600);
    const newer = writes.begin();
    timers.advance(400);
    assert.equal(writes.waiting, true);
    newer.settled();
    assert.equal(writes.waiting, true);
    old.settled();
    assert.equal(writes.waiting, false);
    // The next write is judged from its own start.
    const next = writes.begin();
    timers.advance(999);
    assert.equal(writes.waiting, false);
    timers.advance(1);
    assert.equal(writes.waiting, true);
    next.settled();
    assert.deepEqual(said, [true, false, true, false]);
  });

  it('the oldest settles: the next oldest is judged from when it began', () => {
    const { writes, timers } = watched(1000);
    const a = writes.begin();
    timers.advance(500);
    const b = writes.begin();
    timers.advance(300);
    a.settled();
    timers.advance(699);
    assert.equal(writes.waiting, false);
    timers.advance(1);
    assert.equal(writes.waiting, true);
    b.settled();
    assert.equal(writes.waiting, false);
  });
});
