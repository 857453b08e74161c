/**
 * A tag's limit changed (`flowdeck limit set|rm`) while task runs wait for its slots: the waiters go by the limit
 * as it is now, not as it was when they began to wait. First the gate (limits/concurrencyGate.ts, over the
 * embedded store's limits), its clock moved past the time it keeps the limits read, so the change is read at its
 * next try; then `flowdeck limit set api 0` in one process reaching the task runs waiting in a `flowdeck run`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ConcurrencyGate } from '../../src/engine/limits/concurrencyGate';
import type { LimitStore } from '../../src/engine/limits/limitStore';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

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

/** Three task runs tagged api, called at once; each runs until the file `go` exists. The flow returns how each ended. */
const WAITERS = flowSource(`
import { appendFileSync, existsSync } from 'node:fs';
const work = task({ name: 'work', tags: ['api'], retries: 2, retryDelaySeconds: 0 }, async (i: number) => {
  appendFileSync('started', \`\${i}\\n\`);
  while (!existsSync('go')) await new Promise((r) => setTimeout(r, 20));
  return i;
});
export default flow({ name: 'waiters' }, async () => {
  const ended = await Promise.allSettled([0, 1, 2].map((i) => work(i)));
  return ended.map((e) => (e.status === 'fulfilled' ? e.value : String(e.reason?.message ?? e.reason)));
});
`);

/** `limit set api 0` (another process) while two of three task runs of a `flowdeck run` wait for api's one slot. */
async function zeroStopsWaiters(env: Record<string, string>): Promise<void> {
  const dir = workspace({ 'waiters.flow.ts': WAITERS });
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env });
  assert.equal((await cli('limit', 'set', 'api', '1')).code, 0);
  let stderr = '';
  const run = runCli(['run', 'waiters.flow.ts', '--json'], { cwd: dir, env, onStderr: (c) => (stderr += c) });
  try {
    await waitFor(() => existsSync(join(dir, 'started')) && stderr.includes("Task runs tagged 'api' wait for a concurrency slot"), 'one task run to start and the others to wait', 60_000);
    const set = await cli('limit', 'set', 'api', '0');
    assert.equal(set.code, 0, set.stderr);
    // The two waiting fail while the one running still runs (its file `go` not yet there).
    await waitFor(() => (stderr.match(/Task run 'work-\d' - Finished in state Failed\("StoppedByLimit/g) ?? []).length === 2, 'the two waiting task runs to be stopped', 30_000);
  } finally {
    writeFileSync(join(dir, 'go'), '');
  }
  const ended = await run;
  assert.equal(ended.code, 0, ended.stderr);
  const detail = JSON.parse(ended.stdout) as { result: (number | string)[]; taskRuns: { name: string; state: { name: string }; attempts: number }[] };
  const started = readFileSync(join(dir, 'started'), 'utf8').trim().split('\n').map(Number);
  assert.equal(started.length, 1, `only the one running began: ${started.join(', ')}`);
  const stoppedMessage = "Not run: 'api' has a concurrency limit of 0, which stops its task runs (`flowdeck limit set api N` lets them run again)";
  assert.deepEqual(detail.result, [0, 1, 2].map((i) => (i === started[0] ? i : stoppedMessage)));
  const states = detail.taskRuns.map((t) => [t.state.name, t.attempts]).sort();
  assert.deepEqual(states, [['Completed', 1], ['Failed', 0], ['Failed', 0]], 'the one running ended as it would; the waiting ones never ran, not retried');
}

test('`flowdeck limit set api 0` reaches the task runs already waiting in a `flowdeck run`: they fail at once, not retried; the one running goes on', { timeout: 180_000 }, async () => {
  await zeroStopsWaiters({ FLOWDECK_HOME: tempDir() });
});

test('the same on a Postgres store', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
  await zeroStopsWaiters({ FLOWDECK_HOME: tempDir(), FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema() });
});
