/**
 * A shared store that could not be opened (the database down as the window opened) is tried again every
 * REOPEN_MS by itself, said unreachable meanwhile and reachable once it opens — before, it stayed unopened
 * until something asked for the store again (Refresh Runs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreHealth } from '../../src/engine/sharedStore';
import { REOPEN_MS, StoreReopen } from '../../src/extension/storeReopen';
import type { Timers } from '../../src/extension/util/throttle';

function handTimers(): Timers & { pending: { fn: () => void; ms: number }[]; fire(): void } {
  const pending: { fn: () => void; ms: number }[] = [];
  return {
    pending,
    now: () => 0,
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clearTimeout: (h) => void pending.splice(pending.indexOf(h as never), 1),
    fire() {
      pending.shift()!.fn();
    },
  };
}

test('a store that failed to open is tried again every REOPEN_MS until it opens; unreachable meanwhile, reachable then', { timeout: 10_000 }, async () => {
  const timers = handTimers();
  const health: StoreHealth[] = [];
  let databaseUp = false;
  let tries = 0;
  const reopen: StoreReopen = new StoreReopen(
    async () => {
      tries++;
      if (!databaseUp) {
        const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        reopen.failed(refused);
        throw refused;
      }
      reopen.opened();
    },
    (h) => health.push(h),
    timers,
  );
  reopen.failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  assert.deepEqual(health, [{ ok: false, message: 'connect ECONNREFUSED 127.0.0.1:5432' }]);
  assert.deepEqual(timers.pending.map((t) => t.ms), [REOPEN_MS], 'one try again, in REOPEN_MS');
  timers.fire();
  await new Promise((r) => setImmediate(r));
  assert.equal(tries, 1);
  assert.equal(timers.pending.length, 1, 'still down: tried again later');
  databaseUp = true;
  timers.fire();
  await new Promise((r) => setImmediate(r));
  assert.equal(tries, 2);
  assert.equal(timers.pending.length, 0, 'opened: no more tries');
  assert.deepEqual(health.at(-1), { ok: true });
});

test('a store opened by another caller meanwhile cancels the pending try; a disposed one tries no more', { timeout: 10_000 }, () => {
  const timers = handTimers();
  const health: StoreHealth[] = [];
  const reopen = new StoreReopen(async () => assert.fail('not tried'), (h) => health.push(h), timers);
  const down = new Error('Connection terminated unexpectedly');
  reopen.failed(down);
  reopen.failed(down);
  assert.equal(timers.pending.length, 1, 'one try pending at most');
  reopen.opened();
  assert.equal(timers.pending.length, 0);
  assert.deepEqual(health.at(-1), { ok: true });
  reopen.failed(down);
  reopen.dispose();
  assert.equal(timers.pending.length, 0);
});

test('a store the database refused (a wrong password) is not tried again: the error says what to fix', { timeout: 10_000 }, () => {
  const timers = handTimers();
  const health: StoreHealth[] = [];
  const reopen = new StoreReopen(async () => assert.fail('not tried'), (h) => health.push(h), timers);
  reopen.failed(Object.assign(new Error('password authentication failed for user "flowdeck"'), { code: '28P01' }));
  assert.equal(timers.pending.length, 0);
  assert.deepEqual(health, []);
});

test('a store whose server had no free connection for the whole wait (too many connections) is tried again', { timeout: 10_000 }, () => {
  const timers = handTimers();
  const health: StoreHealth[] = [];
  const reopen = new StoreReopen(async () => undefined, (h) => health.push(h), timers);
  const full = 'Could not open the run store in the Postgres store postgres://app@db/flows: too many connections for role "app", still after waiting 60 s for a free connection';
  reopen.failed(Object.assign(new Error(full), { name: 'PostgresStoreError', code: '53300' }));
  assert.deepEqual(timers.pending.map((t) => t.ms), [REOPEN_MS], 'a full server is a passing state: tried again');
  assert.deepEqual(health, [{ ok: false, message: full }]);
});
