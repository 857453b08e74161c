/**
 * A tag's limit changed (`flowdeck limit set|rm`) while task runs wait for its slots (limits/concurrencyGate.ts,
 * over the embedded store's limits): the waiters go by the limit as it is now, not as it was when they began to
 * wait. The gate's clock is moved past the time it keeps the limits read, so the change is read at its next try.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ConcurrencyGate } from '../../src/engine/limits/concurrencyGate';
import type { LimitStore } from '../../src/engine/limits/limitStore';
import { tempDir, waitFor } from '../support/engine';

/** A gate with a clock of its own (moved by `later`), and the count of its tries for a slot. */
function gateOf(limits: LimitStore): { gate: ConcurrencyGate; later: () => void; tries: () => number } {
  let clock = 1_000_000;
  let tries = 0;
  const store: LimitStore = {
    list: () => limits.list(),
    set: (tag, limit) => limits.set(tag, limit),
    remove: (tag) => limits.remove(tag),
    tryAcquire: (tag, limit, holder) => (tries++, limits.tryAcquire(tag, limit, holder)),
    release: (lease) => limits.release(lease),
    leases: (tag) => limits.leases(tag),
  };
  return { gate: new ConcurrencyGate(store, { now: () => clock }), later: () => (clock += 60_000), tries: () => tries };
}

const holder = (name: string) => ({ runId: 'run', taskRunId: name });

/** Ends the waits a failed test leaves (their polls would keep the file going). */
const ending = new AbortController();
after(() => ending.abort(new Error('the test file ended')));

/** Fails the test when `p` has not settled within `ms` (the outcome it waits for never came). */
function within<T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> {
  return Promise.race([p, sleep(ms, undefined, { ref: false }).then(() => assert.fail(`${what}: not within ${ms / 1000} s`))]);
}

/** Resolves once the waiter `name` has begun to wait (its `onWait`), with its acquire. */
async function waiting(gate: ConcurrencyGate, name: string, tags: string[]): Promise<{ acquire: ReturnType<ConcurrencyGate['acquire']> }> {
  let waits!: () => void;
  const began = new Promise<void>((r) => (waits = r));
  const acquire = gate.acquire(holder(name), tags, () => waits(), { signal: ending.signal });
  acquire.catch(() => undefined);
  await within(Promise.race([began, acquire.then(() => assert.fail(`${name} did not wait`))]), `${name} to wait`);
  return { acquire };
}

test('set to 0 while task runs wait: each waiter is stopped at once (as a new one is), giving back the slots it took of other tags; the one running keeps its slot', { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  await home.limits.set('api', 1);
  await home.limits.set('db', 1);
  const { gate, later } = gateOf(home.limits);
  assert.equal((await gate.acquire(holder('running'), ['api'], () => undefined)).held, true);
  // Two waiters in api's line: the first polls the store, the second waits its turn.
  const first = await waiting(gate, 'first', ['api']);
  const second = await waiting(gate, 'second', ['api']);
  await home.limits.set('api', 0);
  later();
  for (const [name, w] of [['first', first], ['second', second]] as const) {
    const got = await within(w.acquire, `the ${name} waiter stopped`);
    assert.deepEqual([got.held, got.stopped], [false, ['api']], name);
  }
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId), ['running'], 'the one running keeps its slot');
  // A waiter holding another tag's slot (tags are taken in order: api's, then db's) gives it back when stopped.
  await home.limits.set('api', 2);
  assert.equal((await gate.acquire(holder('db-running'), ['db'], () => undefined)).held, true);
  later();
  const third = await waiting(gate, 'third', ['db', 'api']);
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId).sort(), ['running', 'third'], "it holds api's slot while it waits for db's");
  await home.limits.set('db', 0);
  later();
  assert.deepEqual((await within(third.acquire, 'the waiter holding api stopped')).stopped, ['db']);
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId), ['running'], "its slot of api is given back");
  await gate.release(holder('db-running'));
  await gate.release(holder('running'));
  assert.deepEqual(await home.limits.leases('api'), []);
  await home.close();
});

test('lowered while task runs wait: no waiter starts while as many as the new limit run, though the old limit had room; then they start one at a time', { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  await home.limits.set('api', 2);
  // Two processes sharing the store: the running ones in one, the waiter in the other (it polls the store).
  const here = gateOf(home.limits);
  const there = gateOf(home.limits);
  for (const name of ['r0', 'r1']) assert.equal((await here.gate.acquire(holder(name), ['api'], () => undefined)).held, true);
  const events: string[] = [];
  const w = await waiting(there.gate, 'w', ['api']);
  void w.acquire.then(() => events.push('w started'), () => undefined);
  await home.limits.set('api', 1);
  there.later();
  await here.gate.release(holder('r0'));
  events.push('r0 ended');
  // Two tries begun after r0's slot was given back (or the waiter started): under the old limit of 2 it would have.
  const triesBefore = there.tries();
  await waitFor(() => there.tries() >= triesBefore + 2 || events.includes('w started'), 'the waiter to try twice', 20_000);
  assert.deepEqual(events, ['r0 ended'], 'no start while r1 runs: as many as the new limit');
  await here.gate.release(holder('r1'));
  events.push('r1 ended');
  assert.equal((await within(w.acquire, 'the waiter started once r1 ended')).held, true);
  assert.deepEqual(events, ['r0 ended', 'r1 ended', 'w started']);
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId), ['w']);
  await there.gate.release(holder('w'));
  await home.close();
});

test("removed while task runs wait: every waiter starts, holding no slot of the tag, while the one running still runs", { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  await home.limits.set('api', 1);
  const { gate, later } = gateOf(home.limits);
  assert.equal((await gate.acquire(holder('running'), ['api'], () => undefined)).held, true);
  const waiters = [];
  for (const name of ['w0', 'w1', 'w2']) waiters.push(await waiting(gate, name, ['api']));
  assert.equal(await home.limits.remove('api'), true);
  later();
  for (const [i, w] of waiters.entries()) assert.deepEqual({ ...(await within(w.acquire, `w${i} to start`)), waitedMs: 0 }, { held: false, waitedMs: 0 });
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId), ['running']);
  await gate.release(holder('running'));
  await home.close();
});
