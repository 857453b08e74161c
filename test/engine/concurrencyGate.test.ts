/**
 * The host's gate to concurrency slots (limits/concurrencyGate.ts) over the embedded store's limits: the order
 * this process's waiters get slots in, and how often the store is asked while they wait.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ConcurrencyGate, lineTag } from '../../src/engine/limits/concurrencyGate';
import type { LimitStore } from '../../src/engine/limits/limitStore';
import { tempDir, waitFor } from '../support/engine';

/** The store's limits, counting the tries for a slot. */
function counted(limits: LimitStore): { store: LimitStore; tries: () => number } {
  let tries = 0;
  const store: LimitStore = {
    list: () => limits.list(),
    set: (tag, limit) => limits.set(tag, limit),
    remove: (tag) => limits.remove(tag),
    tryAcquire: (tag, limit, holder) => {
      tries++;
      return limits.tryAcquire(tag, limit, holder);
    },
    release: (lease) => limits.release(lease),
    leases: (tag) => limits.leases(tag),
  };
  return { store, tries: () => tries };
}

test('while this process holds every slot of a tag, its waiters do not ask the store; a slot it gives back goes to them in the order they asked', { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  await home.limits.set('api', 2);
  const { store, tries } = counted(home.limits);
  const gate = new ConcurrencyGate(store);
  const holder = (i: number) => ({ runId: 'run', taskRunId: `t${i}` });
  for (const i of [0, 1]) assert.equal((await gate.acquire(holder(i), ['api'], () => undefined)).held, true);
  const triesWhenFull = tries();
  const got: number[] = [];
  const waiting = [2, 3, 4].map((i) => gate.acquire(holder(i), ['api'], () => undefined).then(() => got.push(i)));
  // Long enough for several polls had they been made (the first poll comes after 10 ms, then 20, 40, …).
  await sleep(400);
  assert.equal(tries(), triesWhenFull, 'no try while every slot is held here');
  assert.deepEqual(got, []);
  await gate.release(holder(1));
  await gate.release(holder(0));
  await Promise.race([Promise.all(waiting.slice(0, 2)), sleep(30_000).then(() => assert.fail('the two waiters first in line did not get the slots given back'))]);
  assert.deepEqual(got, [2, 3]);
  assert.deepEqual((await home.limits.leases('api')).map((l) => l.holder.taskRunId).sort(), ['t2', 't3']);
  await gate.release(holder(2));
  await waiting[2];
  assert.deepEqual(got, [2, 3, 4]);
  for (const i of [3, 4]) await gate.release(holder(i));
  assert.deepEqual(await home.limits.leases('api'), []);
  await home.close();
});

test('a waiter cancelled in line gives back the slots it holds and leaves the line; the one behind it is next', { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  await home.limits.set('a', 1);
  await home.limits.set('b', 1);
  const gate = new ConcurrencyGate(home.limits);
  const y = { runId: 'run', taskRunId: 'y' };
  const x = { runId: 'run', taskRunId: 'x' };
  const z = { runId: 'run', taskRunId: 'z' };
  await gate.acquire(y, ['b'], () => undefined);
  // x takes 'a' (tags are taken in order), then waits in b's line; z waits behind it.
  let xWaits!: () => void;
  const xWaiting = new Promise<void>((r) => (xWaits = r));
  const xAcquire = gate.acquire(x, ['b', 'a'], () => xWaits());
  await xWaiting;
  let zWaits!: () => void;
  const zWaiting = new Promise<void>((r) => (zWaits = r));
  const zAcquire = gate.acquire(z, ['b'], () => zWaits());
  await zWaiting;
  assert.deepEqual((await home.limits.leases('a')).map((l) => l.holder.taskRunId), ['x']);
  await gate.release(x);
  await assert.rejects(xAcquire, /stopped waiting for a concurrency slot/);
  assert.deepEqual(await home.limits.leases('a'), [], "x's slot of 'a' is given back");
  await gate.release(y);
  assert.equal((await zAcquire).held, true);
  assert.deepEqual((await home.limits.leases('b')).map((l) => l.holder.taskRunId), ['z']);
  await gate.release(z);
  await home.close();
});

test("given limits apply instead of the store's; without waiting, a slot not free at once is refused, holding nothing; a signal stops a wait", { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  const gate = new ConcurrencyGate(home.limits);
  const holder = (i: number) => ({ runId: `run${i}`, taskRunId: 'flow-run' });
  const limits = [{ tag: 'flow.abc', limit: 1 }];
  // No limit for the tag in the store: the given one applies.
  assert.deepEqual(await gate.acquire(holder(0), ['flow.abc'], () => undefined, { limits }), { held: true, waitedMs: 0 });
  let told = 0;
  assert.deepEqual(await gate.acquire(holder(1), ['flow.abc'], () => told++, { limits, wait: false }), { held: false, waitedMs: 0, refused: true });
  assert.equal(told, 1, 'told once that every slot is held');
  assert.deepEqual((await home.limits.leases('flow.abc')).map((l) => l.holder.runId), ['run0'], 'the refused one holds nothing');

  const stop = new AbortController();
  const waiting = gate.acquire(holder(2), ['flow.abc'], () => stop.abort(new Error('cancelled')), { limits, signal: stop.signal });
  await assert.rejects(waiting, /cancelled/);
  // The line is empty again: the slot given back goes to the next to ask.
  await gate.release(holder(0));
  assert.equal((await gate.acquire(holder(3), ['flow.abc'], () => undefined, { limits, wait: false })).held, true);
  assert.deepEqual((await home.limits.leases('flow.abc')).map((l) => l.holder.runId), ['run3']);
  await gate.release(holder(3));
  await home.close();
});

test("in the store's line (`line`: a flow's own slots), a slot freed goes to the process that has waited longest: a newcomer, waiting or not, goes behind; a waiter cancelled leaves the line; no ticket is left", { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  // A gate per process sharing the store (one here, as the store sees it: each keeps its own line of waiters).
  const [a, b, c, d] = [0, 1, 2, 3].map(() => new ConcurrencyGate(home.limits));
  const holder = (name: string) => ({ runId: name, taskRunId: 'flow-run' });
  const limits = [{ tag: 'flow.abc', limit: 1 }];
  const options = { limits, line: true };
  const tickets = async (): Promise<string[]> => (await home.limits.leases(lineTag('flow.abc'))).map((l) => l.holder.runId);
  const got: string[] = [];
  assert.equal((await a!.acquire(holder('a'), ['flow.abc'], () => undefined, options)).held, true);
  const bWaits = b!.acquire(holder('b'), ['flow.abc'], () => undefined, options).then(() => got.push('b'));
  await waitFor(async () => (await tickets()).length === 1, "b's ticket", 10_000);
  // One that gives up waiting leaves the line, holding nothing.
  const stop = new AbortController();
  const dWaits = d!.acquire(holder('d'), ['flow.abc'], () => undefined, { ...options, signal: stop.signal });
  await waitFor(async () => (await tickets()).length === 2, "d's ticket", 10_000);
  stop.abort(new Error('cancelled'));
  await assert.rejects(dWaits, /cancelled/);
  assert.deepEqual(await tickets(), ['b']);
  // b has waited a while (its polls backed off to their longest); the slot frees, and a newcomer asks at once.
  await sleep(400);
  await a!.release(holder('a'));
  assert.deepEqual(await c!.acquire(holder('c'), ['flow.abc'], () => undefined, { limits, wait: false, line: true }), { held: false, waitedMs: 0, refused: true }, 'not taken from the one waiting');
  const cWaits = c!.acquire(holder('c'), ['flow.abc'], () => undefined, options).then(() => got.push('c'));
  await Promise.race([bWaits, sleep(30_000).then(() => assert.fail('b never got the slot'))]);
  assert.deepEqual(got, ['b'], 'the one waiting longest first');
  assert.deepEqual((await home.limits.leases('flow.abc')).map((l) => l.holder.runId), ['b']);
  await b!.release(holder('b'));
  await Promise.race([cWaits, sleep(30_000).then(() => assert.fail('c never got the slot'))]);
  assert.deepEqual(got, ['b', 'c']);
  await c!.release(holder('c'));
  assert.deepEqual(await tickets(), [], 'no ticket left');
  await home.close();
});

test("the store's line unreadable or its ticket not taken (the store failing a moment), a waiter still gets a free slot, as without the line", { timeout: 60_000 }, async () => {
  const home = await EmbeddedStore.open(tempDir());
  let failing = true;
  const flaky: LimitStore = {
    ...home.limits,
    list: () => home.limits.list(),
    set: (tag, limit) => home.limits.set(tag, limit),
    remove: (tag) => home.limits.remove(tag),
    release: (lease) => home.limits.release(lease),
    tryAcquire: (tag, limit, holder) => (failing && tag.endsWith('.line') ? Promise.reject(new Error('store unreachable')) : home.limits.tryAcquire(tag, limit, holder)),
    leases: (tag) => (failing && tag.endsWith('.line') ? Promise.reject(new Error('store unreachable')) : home.limits.leases(tag)),
  };
  const [a, b] = [new ConcurrencyGate(flaky), new ConcurrencyGate(flaky)];
  const holder = (name: string) => ({ runId: name, taskRunId: 'flow-run' });
  const options = { limits: [{ tag: 'flow.abc', limit: 1 }], line: true };
  assert.equal((await a.acquire(holder('a'), ['flow.abc'], () => undefined, options)).held, true);
  let told = 0;
  const bWaits = b.acquire(holder('b'), ['flow.abc'], () => told++, options);
  await waitFor(() => told === 1, 'b to wait', 10_000);
  await sleep(100);
  failing = false;
  await sleep(100);
  failing = true;
  await a.release(holder('a'));
  assert.equal((await Promise.race([bWaits, sleep(30_000).then(() => assert.fail('b never got the slot'))])).held, true);
  await b.release(holder('b'));
  assert.deepEqual(await home.limits.leases(lineTag('flow.abc')), [], 'no ticket left');
  await home.close();
});
