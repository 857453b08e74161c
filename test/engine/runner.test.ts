import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BadInputError, FlowRunner } from '../../src/engine/runner';
import type { FlowRunDetail } from '../../src/engine/records';
import type { NewRun, RunHandle, RunStore } from '../../src/engine/runStore';
import { state, type State } from '../../src/engine/states';
import { DIST, alive, flowSource, logsOf, makeRunner, tempDir, valueOf, waitFor, workspace } from '../support/engine';

async function run(files: Record<string, string>, entry: string, parameters: Record<string, unknown> = {}, env?: Record<string, string>) {
  const ws = workspace(files);
  const home = tempDir();
  const { store, runner } = await makeRunner(home);
  const logs: string[] = [];
  runner.on('log', (l) => logs.push(`${l.level} ${l.source} - ${l.message}`));
  const active = await runner.start({ source: { kind: 'file', path: join(ws, entry) }, parameters, env });
  const detail = await active.done;
  return { detail, logs, store, runner, home, ws };
}

describe('flow runs: states', () => {
  it('goes Pending → Running → Completed and stores the result and every state as an event', async () => {
    const { detail, store } = await run({ 'a.flow.ts': flowSource(`export default flow({ name: 'adder' }, async ({ x = 1, y = 2 }: { x?: number; y?: number }) => x + y);`) }, 'a.flow.ts', { x: 40 });
    assert.equal(detail.state.name, 'Completed');
    assert.equal(valueOf(detail), 42);
    const stored = (await store.readRun(detail.id))!;
    assert.deepEqual(stored.states.map((s) => s.name), ['Pending', 'Running', 'Completed']);
    assert.ok(stored.states.every((s, i) => i === 0 || s.timestamp >= stored.states[i - 1]!.timestamp));
    assert.equal(valueOf(stored), 42);
    assert.deepEqual(stored.parameters, { x: 40 });
  });

  it("reports a final state only once the journal holds it after the run's last records, with its Finished line; this process's list has it then, the index file by the end", async () => {
    const ws = workspace({ 'last.flow.ts': flowSource(`const step = task({ name: 'step' }, async (n: number) => n * 2);\nexport default flow({ name: 'last' }, async () => { getRunLogger().info('last words'); return step(21); });`) });
    for (const standby of [false, true]) {
      const home = tempDir();
      const { runner, store } = await makeRunner(home, { standby });
      after(() => runner.dispose());
      if (standby) {
        runner.prepareStandby();
        await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      }
      const seen: string[][] = [];
      runner.on('run', (s) => {
        if (s.state.type !== 'COMPLETED') return;
        // What is on file when the state is reported (read at once: a later write could not be in it).
        const journal = readFileSync(join(home, 'runs', `${s.id}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { k: string; name?: string; message?: string });
        seen.push(journal.map((r) => `${r.k}${r.name ? ` ${r.name}` : ''}${r.k === 'log' ? ` ${r.message}` : ''}`));
        listed.push(store.get(s.id).then((r) => r?.state.name));
      });
      const listed: Promise<string | undefined>[] = [];
      const indexFile = (id: string): boolean => {
        const index = readdirSync(join(home, 'runs')).filter((f) => /^index-.*\.jsonl$/.test(f)).map((f) => readFileSync(join(home, 'runs', f), 'utf8')).join('');
        return index.includes(`"id":"${id}"`) && /"state":\{[^}]*"name":"Completed"/.test(index);
      };
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'last.flow.ts') } })).done;
      assert.equal(detail.state.name, 'Completed', detail.state.message);
      assert.equal(valueOf(detail), 42);
      assert.equal(seen.length, 1, 'reported once');
      const [journal] = seen as [string[]];
      const at = (line: string): number => journal.findIndex((l) => l.startsWith(line));
      // The task's first run in its worker: on record at its start (taskJournal.ts), then at its end.
      for (const line of ['run', 'state Running', 'log last words', 'task step-0', 'tstate Completed', 'result', 'state Completed', 'log Finished in state Completed()']) assert.ok(at(line) >= 0, `${line} in ${journal.join(' | ')}`);
      assert.ok(at('tstate Completed') < at('state Completed') && at('result') < at('state Completed') && at('log last words') < at('state Completed'), journal.join(' | '));
      assert.deepEqual(journal.slice(-2), ['state Completed', 'log Finished in state Completed()'], journal.join(' | '));
      assert.deepEqual(await Promise.all(listed), ['Completed'], `standby ${standby}: this process lists it Completed when it is reported`);
      assert.ok(indexFile(detail.id), `standby ${standby}: the index file says Completed once the run is done`);
    }
  });

  it('fails the flow when a task throws and the flow does not catch it, naming the error', async () => {
    const { detail, logs } = await run(
      { 'f.flow.ts': flowSource(`const boom = task({ name: 'boom' }, async () => { throw new Error('disk on fire'); });\nexport default flow({ name: 'f' }, async () => { await boom(); });`) },
      'f.flow.ts',
    );
    assert.equal(detail.state.type, 'FAILED');
    assert.equal(detail.state.message, 'disk on fire');
    assert.equal(detail.taskRuns[0]!.state.name, 'Failed');
    assert.ok(logs.some((l) => l.includes("Flow run '") && l.includes("Finished in state Failed('disk on fire')")));
  });

  it("logs a failure's traceback with the user's frames (source-mapped) and Flowdeck's and Node's own folded into a line", async () => {
    const { logs, ws } = await run({ 'tb.flow.ts': flowSource(`const step = task({ name: 'step' }, async () => {\n  throw new Error('deep trouble');\n});\nexport default flow({ name: 'tb' }, async () => step());`) }, 'tb.flow.ts');
    const traceback = logs.find((l) => l.startsWith('ERROR') && l.includes('Encountered exception') && l.includes('deep trouble'));
    assert.ok(traceback, logs.join('\n'));
    assert.match(traceback, new RegExp(`${join(ws, 'tb.flow.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+`));
    assert.match(traceback, /… \d+ Flowdeck\/Node frames?/);
    assert.doesNotMatch(traceback, /\(node:|at node:|\(<anonymous>\)$/m, "no frame of Node's own modules or of the engine's built-ins is shown");
    // The user's two frames (the task's function, the flow's call), each followed by what was folded.
    assert.equal(traceback.split('\n').filter((l) => /^\s+at /.test(l)).length, 2, traceback);
  });

  it('records where a failure comes from: the error, its causes, the first frame in the user\'s file (source-mapped)', async () => {
    const { detail, ws } = await run(
      {
        'w.flow.ts': flowSource(`
type Row = { id: number };
const load = task({ name: 'load' }, async (rows: Row[]) => {
  if (rows.length === 0) {
    throw new Error('no rows to load', { cause: new TypeError('the query returned nothing') });
  }
});
export default flow({ name: 'w' }, async () => { await load([]); });`),
      },
      'w.flow.ts',
    );
    assert.equal(detail.state.name, 'Failed');
    const failure = detail.taskRuns[0]!.state.failure!;
    assert.equal(failure.name, 'Error');
    assert.equal(failure.message, 'no rows to load');
    assert.deepEqual(failure.causes, ['TypeError: the query returned nothing']);
    assert.equal(failure.frame?.file, join(ws, 'w.flow.ts'));
    assert.equal(failure.frame?.line, 6);
    assert.match(failure.stack!, /Caused by: TypeError: the query returned nothing/);
  });

  it('ends a run whose thrown error cannot be read (a getter that throws) instead of leaving it running, and its task run Failed with its own message', async () => {
    const files = {
      'g.flow.ts': flowSource(`
const unreadable = (field: string) => { const e = new Error('as thrown'); Object.defineProperty(e, field, { get() { throw new Error(field + ' getter threw'); } }); return e; };
const t = task({ name: 't' }, async () => { throw unreadable('stack'); });
export const caught = flow({ name: 'caught' }, async () => { try { await t(); } catch { return 'caught'; } });
export const message = flow({ name: 'message' }, async () => { throw unreadable('message'); });`),
    };
    const ws = workspace(files);
    const { runner } = await makeRunner(tempDir());
    const start = async (flowName: string) => (await runner.start({ source: { kind: 'file', path: join(ws, 'g.flow.ts') }, flowName })).done;
    const caught = await start('caught');
    assert.equal(caught.state.name, 'Completed', caught.state.message);
    assert.equal(caught.taskRuns[0]!.state.name, 'Failed');
    assert.equal(caught.taskRuns[0]!.state.message, 'as thrown');
    const message = await Promise.race([start('message'), new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000).unref())]);
    assert.ok(message, 'the run ended');
    assert.equal(message.state.name, 'Failed');
    assert.match(message.state.message!, /could not be read \(message getter threw\)/);
  });

  it('completes when the flow catches a failed task', async () => {
    const { detail } = await run(
      { 'c.flow.ts': flowSource(`const boom = task({ name: 'boom' }, async () => { throw new Error('nope'); });\nexport default flow({ name: 'c' }, async () => { try { await boom(); } catch { return 'recovered'; } });`) },
      'c.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed');
    assert.equal(valueOf(detail), 'recovered');
    assert.equal(detail.taskRuns[0]!.state.name, 'Failed');
  });

  it('names task runs after their task, counting per task', async () => {
    const { detail } = await run(
      { 'n.flow.ts': flowSource(`const a = task({ name: 'fetch-repo' }, async () => 1);\nconst b = task({ name: 'other' }, async () => 2);\nexport default flow({ name: 'n' }, async () => { await a(); await b(); await a(); });`) },
      'n.flow.ts',
    );
    assert.deepEqual(detail.taskRuns.map((t) => t.name), ['fetch-repo-0', 'other-0', 'fetch-repo-1']);
  });
});

describe('retries', () => {
  it('retries with the listed delays, logs each retry, and records the attempts', async () => {
    const { detail, logs } = await run(
      {
        'r.flow.ts': flowSource(`
let n = 0; const times: number[] = [];
const flaky = task({ name: 'flaky', retries: 3, retryDelaySeconds: [0.1, 0.3] }, async () => { times.push(Date.now()); if (++n < 4) throw new Error('flake ' + n); return times; });
export default flow({ name: 'r' }, async () => { const t = await flaky(); return t.slice(1).map((x, i) => x - t[i]!); });`),
      },
      'r.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed');
    const gaps = valueOf(detail) as number[];
    assert.equal(gaps.length, 3);
    // 0.1 s, then 0.3 s, then the last entry repeats.
    // Each retry waited at least its delay (how much longer depends on the machine's load).
    assert.ok(gaps[0]! >= 95, `first gap ${gaps[0]}`);
    assert.ok(gaps[1]! >= 295, `second gap ${gaps[1]}`);
    assert.ok(gaps[2]! >= 295, `third gap ${gaps[2]}`);
    assert.equal(detail.taskRuns[0]!.attempts, 4);
    assert.equal(logs.filter((l) => l.startsWith('WARNING') && l.includes('Encountered exception during execution: flake')).length, 3);
    assert.ok(logs.some((l) => l.includes('Retry 2/3 will start 0.3 seconds from now')));
  });

  it('keeps jittered delays within the factor', async () => {
    const { detail } = await run(
      {
        'j.flow.ts': flowSource(`
let n = 0; const times: number[] = [];
const flaky = task({ name: 'j', retries: 5, retryDelaySeconds: 0.2, retryJitterFactor: 0.5 }, async () => { times.push(Date.now()); if (++n < 6) throw new Error('x'); });
export default flow({ name: 'j' }, async () => { await flaky(); return times.slice(1).map((x, i) => x - times[i]!); });`),
      },
      'j.flow.ts',
    );
    // Jitter's upper bound is checked with an injected random in units.test.ts; here: never shorter than 0.2 × (1 − 0.5).
    for (const gap of valueOf(detail) as number[]) assert.ok(gap >= 95, `gap ${gap} below 0.1 s`);
  });

  it('stops retrying when retryCondition says no', async () => {
    const { detail } = await run(
      {
        'rc.flow.ts': flowSource(`
let n = 0;
class Fatal extends Error {}
const t = task({ name: 't', retries: 5, retryDelaySeconds: 0, retryCondition: (e) => !(e instanceof Fatal) }, async () => { n++; if (n === 2) throw new Fatal('fatal at ' + n); throw new Error('transient'); });
export default flow({ name: 'rc' }, async () => { try { await t(); } catch (e) { return [n, (e as Error).message]; } });`),
      },
      'rc.flow.ts',
    );
    assert.deepEqual(valueOf(detail), [2, 'fatal at 2']);
    assert.equal(detail.taskRuns[0]!.attempts, 2);
  });

  it('awaits an async retryCondition: resolving false stops the retries, rejecting is a condition that threw', { timeout: 60_000 }, async () => {
    const { detail, logs } = await run(
      {
        'arc.flow.ts': flowSource(`
let declined = 0;
let broken = 0;
const charge = task({ name: 'charge', retries: 3, retryDelaySeconds: 0, retryCondition: async () => false }, async () => { declined++; throw new Error('card declined'); });
const odd = task({ name: 'odd', retries: 3, retryDelaySeconds: 0, retryCondition: async () => { throw new Error('cannot tell'); } }, async () => { broken++; throw new Error('odd'); });
export default flow({ name: 'arc' }, async () => {
  await charge().catch(() => undefined);
  await odd().catch(() => undefined);
  return [declined, broken];
});`),
      },
      'arc.flow.ts',
    );
    assert.deepEqual(valueOf(detail), [1, 1], 'each task ran once');
    assert.ok(logs.some((l) => /retryCondition threw: cannot tell; not retrying/.test(l)), logs.join('\n'));
    assert.ok(!logs.some((l) => /Unhandled promise rejection/.test(l)), logs.join('\n'));
  });

  it('a map of twenty task runs waiting out their retry delays at once warns of nothing (Node warns past ten listeners on one signal)', async () => {
    const { detail, logs } = await run(
      {
        'many.flow.ts': flowSource(`
const tries = new Map<number, number>();
const flaky = task({ name: 'flaky', retries: 1, retryDelaySeconds: 0.2 }, async (i: number) => { const n = (tries.get(i) ?? 0) + 1; tries.set(i, n); if (n === 1) throw new Error('first try fails'); return n; });
export default flow({ name: 'many' }, async () => flaky.map(Array.from({ length: 20 }, (_, i) => i)));`),
      },
      'many.flow.ts',
    );
    assert.deepEqual(valueOf(detail), Array.from({ length: 20 }, () => 2));
    assert.ok(!logs.some((l) => /MaxListeners|memory leak/.test(l)), logs.filter((l) => l.startsWith('ERROR')).join('\n'));
  });

  it('takes exponentialBackoff from the flowdeck module as a delay', async () => {
    const { detail, logs } = await run(
      { 'eb.flow.ts': `import { flow, task, exponentialBackoff } from 'flowdeck';\nlet n = 0;\nconst t = task({ name: 't', retries: 2, retryDelaySeconds: exponentialBackoff(0.05) }, async () => { if (++n < 3) throw new Error('again'); return n; });\nexport default flow({ name: 'eb' }, async () => t());\n` },
      'eb.flow.ts',
    );
    assert.equal(valueOf(detail), 3);
    assert.ok(logs.some((l) => l.includes('Retry 1/2 will start 0.05 seconds from now')));
    assert.ok(logs.some((l) => l.includes('Retry 2/2 will start 0.1 seconds from now')));
  });

  it('retries a whole flow', async () => {
    const { detail, store } = await run(
      { 'fr.flow.ts': flowSource(`let n = 0;\nexport default flow({ name: 'fr', retries: 2, retryDelaySeconds: 0 }, async () => { if (++n < 3) throw new Error('again'); return n; });`) },
      'fr.flow.ts',
    );
    assert.equal(valueOf(detail), 3);
    const names = (await store.readRun(detail.id))!.states.map((s) => s.name);
    assert.deepEqual(names, ['Pending', 'Running', 'AwaitingRetry', 'Retrying', 'AwaitingRetry', 'Retrying', 'Completed']);
  });
});

describe('timeouts, hangs, crashes, cancel', () => {
  it('fails a task that exceeds its timeout with TimedOut, and the AbortSignal fires', async () => {
    const { detail } = await run(
      {
        't.flow.ts': flowSource(`
let aborted = false;
const slow = task({ name: 'slow', timeoutSeconds: 0.2 }, async () => {
  const signal = getRunContext().signal;
  await new Promise((_, reject) => signal.addEventListener('abort', () => { aborted = true; reject(signal.reason); }));
});
export default flow({ name: 't' }, async () => { try { await slow(); } catch (e) { return [(e as Error).name, aborted]; } });`),
      },
      't.flow.ts',
    );
    assert.deepEqual(valueOf(detail), ['TimeoutError', true]);
    assert.equal(detail.taskRuns[0]!.state.name, 'TimedOut');
    assert.match(detail.taskRuns[0]!.state.message!, /exceeded timeout of 0.2 second/);
  });

  it('waits out a timeout or a retry delay longer than a Node timer holds (~24.8 days), instead of firing it at once', async () => {
    const month = 30 * 24 * 3600;
    const timeouts = await run(
      {
        'long.flow.ts': flowSource(`
const slowish = task({ name: 'slowish', timeoutSeconds: ${month} }, async () => { await new Promise((r) => setTimeout(r, 100)); return 1; });
export default flow({ name: 'long', timeoutSeconds: ${month} }, async () => { await new Promise((r) => setTimeout(r, 100)); return slowish(); });`),
      },
      'long.flow.ts',
    );
    assert.equal(timeouts.detail.state.name, 'Completed', timeouts.detail.state.message);
    assert.equal(timeouts.detail.taskRuns[0]!.state.name, 'Completed', timeouts.detail.taskRuns[0]!.state.message);
    assert.ok(!timeouts.logs.some((l) => /TimeoutOverflowWarning/.test(l)), timeouts.logs.join('\n'));
    // The retry waits its month: the flow's own timeout ends the wait, before any second call.
    const retry = await run(
      {
        'wait.flow.ts': flowSource(`
let calls = 0;
const flaky = task({ name: 'flaky', retries: 1, retryDelaySeconds: ${month} }, async () => { calls++; throw new Error('call ' + calls); });
export default flow({ name: 'wait', timeoutSeconds: 1 }, async () => flaky());`),
      },
      'wait.flow.ts',
    );
    assert.equal(retry.detail.state.name, 'TimedOut', retry.detail.state.message);
    assert.ok(!retry.logs.some((l) => /call 2/.test(l)), retry.logs.join('\n'));
  });

  it('ends a flow past its timeout as Failed/TimedOut', async () => {
    const { detail } = await run(
      { 'ft.flow.ts': flowSource(`export default flow({ name: 'ft', timeoutSeconds: 0.3 }, async () => { await new Promise((r) => getRunContext().signal.addEventListener('abort', r)); });`) },
      'ft.flow.ts',
    );
    assert.equal(detail.state.type, 'FAILED');
    assert.equal(detail.state.name, 'TimedOut');
    assert.match(detail.state.message!, /exceeded timeout of 0.3 second/);
  });

  it('kills a flow that ignores its timeout once the grace is over: TimedOut, saying so', async () => {
    const { detail } = await run({ 'fi.flow.ts': flowSource(`export default flow({ name: 'fi', timeoutSeconds: 0.3 }, async () => { await new Promise((r) => setTimeout(r, 60_000)); });`) }, 'fi.flow.ts');
    assert.equal(detail.state.name, 'TimedOut');
    assert.match(detail.state.message!, /exceeded timeout of 0.3 second\(s\) and did not stop within 1 s; its worker process was killed/);
  });

  it('kills a worker stuck in a synchronous loop past a timeout: Failed/TimedOut within a few seconds', async () => {
    const { detail } = await run({ 'h.flow.ts': flowSource(`const spin = task({ name: 'spin', timeoutSeconds: 0.5 }, () => { for (;;) {} });\nexport default flow({ name: 'h' }, async () => { await spin(); });`) }, 'h.flow.ts');
    assert.equal(detail.state.name, 'TimedOut');
    assert.match(detail.state.message!, /Task run 'spin-0' exceeded timeout of 0.5 second\(s\) and did not stop/);
    assert.notEqual(detail.taskRuns[0]!.state.type, 'RUNNING');
  });

  it('a task run killed in a synchronous loop past its timeout ends TimedOut itself, its log saying so', async () => {
    const { detail, store } = await run({ 'h2.flow.ts': flowSource(`const spin = task({ name: 'spin', timeoutSeconds: 0.5 }, () => { for (;;) {} });\nexport default flow({ name: 'h2' }, async () => { await spin(); });`) }, 'h2.flow.ts');
    assert.equal(detail.state.name, 'TimedOut');
    const spin = detail.taskRuns[0]!;
    assert.equal(spin.state.name, 'TimedOut', spin.state.message);
    assert.match(spin.state.message!, /^Task run exceeded timeout of 0.5 second\(s\) and did not stop within 1 s; its worker process was killed$/);
    const own = (await logsOf(store, detail.id)).filter((l) => l.taskRunId === spin.id);
    assert.match(own.at(-1)?.message ?? '', /^Finished in state TimedOut\('Task run exceeded timeout of 0.5 second\(s\)/);
  });

  it('marks a run Crashed when its worker calls process.exit, naming the exit code and keeping earlier logs', async () => {
    const { detail, store } = await run({ 'x.flow.ts': flowSource(`export default flow({ name: 'x' }, async () => { getRunLogger().info('before exit'); await new Promise((r) => setTimeout(r, 50)); process.exit(3); });`) }, 'x.flow.ts');
    assert.equal(detail.state.type, 'CRASHED');
    assert.match(detail.state.message!, /exit code 3/);
    assert.ok((await logsOf(store, detail.id)).some((l) => l.message === 'before exit'));
  });

  it('marks a run Crashed when its worker is killed by a signal', async () => {
    const { detail } = await run({ 'k.flow.ts': flowSource(`export default flow({ name: 'k' }, async () => { process.kill(process.pid, 'SIGKILL'); });`) }, 'k.flow.ts');
    assert.equal(detail.state.type, 'CRASHED');
    // Said in words: the name of a signal tells a user little.
    assert.equal(detail.state.message, 'Worker process exited unexpectedly (signal SIGKILL — killed from outside the flow: by `kill -9` or a process manager, or by the system when the machine ran short of memory)');
  });

  it('says what a crash in native code is', async () => {
    const { detail } = await run({ 's.flow.ts': flowSource(`export default flow({ name: 's' }, async () => { process.kill(process.pid, 'SIGSEGV'); await new Promise((r) => setTimeout(r, 5000)); });`) }, 's.flow.ts');
    assert.equal(detail.state.type, 'CRASHED');
    assert.match(detail.state.message!, /^Worker process exited unexpectedly \(signal SIGSEGV — a crash in native code \(an invalid memory access\)/);
  });

  it('cancels: CANCELLING, the signal fires, then CANCELLED — even for code that ignores the signal', async () => {
    const ws = workspace({
      'cancel.flow.ts': flowSource(`
const wait = task({ name: 'wait' }, async () => { getRunLogger().info('waiting'); getRunContext().signal.addEventListener('abort', () => getRunLogger().warning('signal fired')); for (;;) await new Promise((r) => setTimeout(r, 50)); });
export default flow({ name: 'cancel-me' }, async () => { await wait(); });`),
    });
    const { store, runner } = await makeRunner(tempDir());
    const seen: string[] = [];
    runner.on('run', (r) => seen.push(r.state.name));
    const logs: string[] = [];
    runner.on('log', (l) => logs.push(l.message));
    const active = await runner.start({ source: { kind: 'file', path: join(ws, 'cancel.flow.ts') } });
    await waitFor(() => logs.includes('waiting'), "the task's first log line");
    assert.equal(runner.cancel(active.id), true);
    const detail = await active.done;
    assert.equal(detail.state.type, 'CANCELLED');
    assert.ok(seen.includes('Cancelling'));
    assert.ok(logs.includes('signal fired'));
    assert.equal((await store.readRun(detail.id))!.taskRuns[0]!.state.type, 'CANCELLED');
  });

  it('records a task whose code fails because of the cancel (an aborted request) as Cancelled, not Failed', async () => {
    const ws = workspace({
      'abort.flow.ts': flowSource(`
const fetchSlow = task({ name: 'fetch-slow' }, async () => {
  getRunLogger().info('requesting');
  await new Promise((_, reject) => getRunContext().signal.addEventListener('abort', () => reject(new Error('The operation was aborted'))));
});
export default flow({ name: 'abort' }, async () => { await fetchSlow(); });`),
    });
    const { runner } = await makeRunner(tempDir());
    const lines: string[] = [];
    runner.on('log', (l) => lines.push(`${l.level} ${l.message}`));
    const active = await runner.start({ source: { kind: 'file', path: join(ws, 'abort.flow.ts') } });
    await waitFor(() => lines.includes('INFO requesting'), "the task's first log line");
    runner.cancel(active.id);
    const detail = await active.done;
    assert.equal(detail.state.type, 'CANCELLED');
    assert.equal(detail.taskRuns[0]!.state.type, 'CANCELLED');
    assert.ok(!lines.some((l) => l.startsWith('ERROR')), lines.join('\n'));
  });
});

describe('a flow run told to stop starts no task', () => {
  const stopping = (dir: string, header: string) =>
    flowSource(`import { appendFileSync } from 'node:fs';
const effect = (what: string) => appendFileSync(${JSON.stringify(join(dir, 'effects.txt'))}, what + '\\n');
// Ignores the signal: returns a moment after it fired, within the grace, and the flow goes on.
const first = task({ name: 'first' }, async () => {
  getRunLogger().info('waiting');
  await new Promise((r) => getRunContext().signal.addEventListener('abort', () => setTimeout(r, 50)));
  effect('first');
});
const plain = task({ name: 'plain' }, async () => effect('plain'));
const keyed = task({ name: 'keyed', cacheKey: () => 'k' + Math.random() }, async () => effect('keyed'));
${header}, async () => { await first(); try { await plain(); } catch {} await keyed(); });`);

  it('a task called after a cancel, in the grace period, does not run: it ends Cancelled', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const ws = workspace({ 'c.flow.ts': stopping(dir, `export default flow({ name: 'cancelled' }`) });
    const { runner } = await makeRunner(tempDir());
    const logs: string[] = [];
    runner.on('log', (l) => logs.push(l.message));
    const active = await runner.start({ source: { kind: 'file', path: join(ws, 'c.flow.ts') } });
    await waitFor(() => logs.includes('waiting'), "the first task's log line");
    runner.cancel(active.id);
    const detail = await active.done;
    assert.equal(detail.state.name, 'Cancelled', detail.state.message);
    assert.equal(readFileSync(join(dir, 'effects.txt'), 'utf8'), 'first\n', 'no task began after the cancel');
    assert.deepEqual(
      detail.taskRuns.map((t) => [t.name, t.state.name]),
      [['first-0', 'Completed'], ['plain-0', 'Cancelled'], ['keyed-0', 'Cancelled']],
    );
  });

  it("a task called after its flow run's timeout, in the grace period, does not run: it ends TimedOut", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const { detail } = await run({ 't.flow.ts': stopping(dir, `export default flow({ name: 'timed-out', timeoutSeconds: 0.5 }`) }, 't.flow.ts');
    assert.equal(detail.state.name, 'TimedOut', detail.state.message);
    assert.equal(readFileSync(join(dir, 'effects.txt'), 'utf8'), 'first\n', 'no task began after the timeout');
    assert.deepEqual(
      detail.taskRuns.map((t) => [t.name, t.state.name]),
      [['first-0', 'Completed'], ['plain-0', 'TimedOut'], ['keyed-0', 'TimedOut']],
    );
  });
});

describe('caching, map, subflows, hooks', () => {
  it('reuses a cached task result across runs until it expires (time from an injected clock)', async () => {
    const ws = workspace({
      'cache.flow.ts': flowSource(`
const compute = task({ name: 'compute', cacheKey: (n: number) => 'n' + n, cacheExpirationSeconds: 3600 }, async (n: number) => ({ n, at: Math.random() }));
export default flow({ name: 'cache' }, async () => compute(7));`),
    });
    let now = Date.now();
    const { runner } = await makeRunner(tempDir(), { clock: { now: () => now } });
    const once = async () => (await (await runner.start({ source: { kind: 'file', path: join(ws, 'cache.flow.ts') } })).done);
    const first = await once();
    const second = await once();
    assert.equal(first.taskRuns[0]!.state.name, 'Completed');
    assert.equal(second.taskRuns[0]!.state.name, 'Cached');
    assert.deepEqual(valueOf(second), valueOf(first));
    now += 2 * 3600 * 1000;
    const third = await once();
    assert.equal(third.taskRuns[0]!.state.name, 'Completed');
    assert.notDeepEqual(valueOf(third), valueOf(first));
  });

  it('refuses a cacheKey that gives an object or a promise (one text for every call), naming the task; a number keys, null caches nothing', async () => {
    const { detail, logs } = await run(
      {
        'keys.flow.ts': flowSource(`
const byNumber = task({ name: 'by-number', cacheKey: ((n: number) => n) as never }, async (n: number) => n * 10);
const byNull = task({ name: 'by-null', cacheKey: (() => null) as never }, async (n: number) => n * 10);
const byObject = task({ name: 'by-object', cacheKey: ((n: number) => ({ n })) as never }, async (n: number) => n * 10);
const byPromise = task({ name: 'by-promise', cacheKey: (async (n: number) => 'k' + n) as never }, async (n: number) => n * 10);
const tried = async (f: () => Promise<number>) => f().catch((e: Error) => e.message);
export default flow({ name: 'keys' }, async () => [
  await byNumber(1), await byNumber(2), await byNull(1), await byNull(2),
  await tried(() => byObject(1)), await tried(() => byObject(2)), await tried(() => byPromise(1)), await tried(() => byPromise(2)),
]);`),
      },
      'keys.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    const [n1, n2, z1, z2, o1, o2, p1, p2] = valueOf(detail) as unknown[];
    assert.deepEqual([n1, n2, z1, z2], [10, 20, 10, 20]);
    for (const m of [o1, o2]) assert.match(String(m), /cacheKey of task 'by-object' must give a string \(or undefined to cache nothing\), got an object/);
    for (const m of [p1, p2]) assert.match(String(m), /cacheKey of task 'by-promise' must give a string .*got a promise: cacheKey must return the key itself, not be async/);
    assert.deepEqual(detail.taskRuns.map((t) => t.state.name), ['Completed', 'Completed', 'Completed', 'Completed']);
    assert.ok(!logs.some((l) => /Unhandled promise rejection/.test(l)), logs.join('\n'));
  });

  it('caches by the arguments with taskInputHash (equal data in any key order, Maps and Dates too), not across changes to the task\'s code; refreshCache runs the task and caches its result anew', async () => {
    const body = (code: string): string => `import { flow, task, taskInputHash } from 'flowdeck';
let calls = 0;
const score = task({ name: 'score', cacheKey: taskInputHash }, async (q: Record<string, unknown>, when?: Date) => ({ ${code}, calls: ++calls, at: Math.random() }));
const fresh = score.withOptions({ refreshCache: true });
const opaque = task({ name: 'opaque', cacheKey: taskInputHash }, async (f: () => number) => f() + Math.random());
export default flow({ name: 'hashed' }, async ({ refresh }: { refresh?: boolean }) => {
  const day = new Date(Date.UTC(2026, 0, 2));
  const a = await score({ repo: 'x', tags: new Map([['a', 1], ['b', 2]]) }, day);
  const b = await score({ tags: new Map([['b', 2], ['a', 1]]), repo: 'x' }, new Date(day.getTime()));
  const c = await score({ repo: 'y', tags: new Map() }, day);
  const d = refresh ? await fresh({ repo: 'x', tags: new Map([['a', 1], ['b', 2]]) }, day) : undefined;
  await opaque(() => 1);
  await opaque(() => 1);
  return { a, b, c, d };
});
`;
    const ws = workspace({ 'hashed.flow.ts': body('v: 1') });
    const { runner, store } = await makeRunner(tempDir());
    const once = async (parameters: Record<string, unknown> = {}) => (await (await runner.start({ source: { kind: 'file', path: join(ws, 'hashed.flow.ts') }, parameters })).done);
    type Out = { a: { at: number; v: number }; b: { at: number }; c: { at: number }; d?: { at: number } };

    const first = await once();
    assert.equal(first.state.name, 'Completed', first.state.message);
    const one = valueOf(first) as Out;
    assert.deepEqual(first.taskRuns.map((t) => [t.name, t.state.name]), [['score-0', 'Completed'], ['score-1', 'Cached'], ['score-2', 'Completed'], ['opaque-0', 'Completed'], ['opaque-1', 'Completed']]);
    assert.equal(one.b.at, one.a.at, 'the same data in another order is the same key');
    assert.notEqual(one.c.at, one.a.at);
    const warnings = (await logsOf(store, first.id)).filter((l) => l.level === 'WARNING').map((l) => l.message);
    assert.deepEqual(warnings, [warnings.find((w) => /^Task 'opaque' is not cached when its arguments cannot be hashed \(argument 1\)/.test(w))], 'said once, naming the argument');

    // Across runs: cached.
    const second = await once();
    assert.equal((valueOf(second) as Out).a.at, one.a.at);
    assert.equal(second.taskRuns[0]!.state.name, 'Cached');

    // refreshCache: run again, and what it returns is the cached result from then on.
    const refreshed = await once({ refresh: true });
    const r = valueOf(refreshed) as Out;
    assert.equal(refreshed.taskRuns[3]!.state.name, 'Completed');
    assert.notEqual(r.d!.at, one.a.at);
    const third = await once();
    assert.equal((valueOf(third) as Out).a.at, r.d!.at, 'the refreshed result replaced the cached one');

    // The task's code changed: its old results are not its results.
    writeFileSync(join(ws, 'hashed.flow.ts'), body('v: 2'));
    const changed = await once();
    assert.equal(changed.taskRuns[0]!.state.name, 'Completed');
    assert.equal((valueOf(changed) as Out).a.v, 2);
  });

  it('a run started with refreshCache runs every cached task, in its subflows too, replacing the cached results; it says so, and a resume of it refreshes too', async () => {
    const ws = workspace({
      'refresh.flow.ts': `import { flow, task } from 'flowdeck';
import { existsSync } from 'node:fs';
const stamp = task({ name: 'stamp', cacheKey: (k: string) => k }, async (k: string) => \`\${k}:\${Math.random()}\`);
const gate = task({ name: 'gate' }, async (path: string) => { if (!existsSync(path)) throw new Error('gate closed'); });
const child = flow({ name: 'refresh-child' }, async () => stamp('child'));
export default flow({ name: 'refresh' }, async ({ gatePath }: { gatePath: string }) => {
  const a = await stamp('a');
  const sub = await child({});
  await gate(gatePath);
  return { a, sub, after: await stamp('after') };
});
`,
    });
    const gatePath = join(ws, 'gate-open');
    writeFileSync(gatePath, '');
    const { runner, store } = await makeRunner(tempDir());
    const start = async (refreshCache?: boolean) => (await (await runner.start({ source: { kind: 'file', path: join(ws, 'refresh.flow.ts') }, parameters: { gatePath }, ...(refreshCache ? { refreshCache } : {}) })).done);
    type Out = { a: string; sub: string; after: string };
    const stamps = (d: FlowRunDetail): string[] => d.taskRuns.filter((t) => t.name.startsWith('stamp')).map((t) => t.state.name);

    const first = await start();
    assert.equal(first.state.name, 'Completed', first.state.message);
    const cachedRun = await start();
    assert.deepEqual(valueOf(cachedRun), valueOf(first), 'cached: the same stamps');
    assert.deepEqual(stamps(cachedRun), ['Cached', 'Cached']);

    const refreshed = await start(true);
    assert.equal(refreshed.state.name, 'Completed', refreshed.state.message);
    assert.equal(refreshed.refreshCache, true);
    const r = valueOf(refreshed) as Out;
    const f = valueOf(first) as Out;
    assert.deepEqual(stamps(refreshed), ['Completed', 'Completed']);
    assert.notEqual(r.a, f.a);
    assert.notEqual(r.sub, f.sub, "the subflow's task ran too");
    assert.notEqual(r.after, f.after);
    const sub = (await store.list()).find((x) => x.parentRunId === refreshed.id)!;
    assert.equal((await store.readRun(sub.id))!.refreshCache, true, 'the subflow run says it refreshed');
    assert.ok((await logsOf(store, refreshed.id)).some((l) => /^Refreshing the cache: tasks with a cacheKey run/.test(l.message)), 'the run says it refreshes');
    assert.deepEqual(valueOf(await start()), r, 'the refreshed results replaced the cached ones');

    // Failing after its first task: the resume reuses that task from its checkpoint and refreshes the rest.
    rmSync(gatePath);
    const failed = await start(true);
    assert.equal(failed.state.name, 'Failed');
    writeFileSync(gatePath, '');
    const resumed = await (await runner.resume(failed.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.equal(resumed.attempt, 2);
    const out = valueOf(resumed) as Out;
    assert.ok(resumed.taskRuns.some((t) => t.name === 'stamp-0' && t.state.name === 'Cached' && /reused from attempt 1/.test(t.state.message ?? '')), 'the task before the failure came from its checkpoint');
    assert.notEqual(out.after, r.after, "the resumed attempt's cached task ran instead of returning the cached result");
    const last = resumed.taskRuns.filter((t) => t.name.startsWith('stamp')).at(-1)!;
    assert.equal(last.state.name, 'Completed');
    assert.equal((valueOf(await start()) as Out).after, out.after);
  });

  it('maps in input order and never exceeds the concurrency limit', async () => {
    const { detail } = await run(
      {
        'm.flow.ts': flowSource(`
let active = 0, peak = 0;
const t = task({ name: 'sq' }, async (x: number) => { active++; peak = Math.max(peak, active); await new Promise((r) => setTimeout(r, 30 - x)); active--; return x * x; });
export default flow({ name: 'm' }, async () => ({ out: await t.map([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { concurrency: 3 }), peak }));`),
      },
      'm.flow.ts',
    );
    const { out, peak } = valueOf(detail) as { out: number[]; peak: number };
    assert.deepEqual(out, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
    assert.equal(peak, 3);
    assert.equal(detail.taskRuns.length, 10);
  });

  it('records a subflow as its own run linked to its parent', async () => {
    const { detail, store } = await run(
      {
        's.flow.ts': flowSource(`
const child = flow({ name: 'child' }, async ({ v }: { v: number }) => v * 2);
export default flow({ name: 'parent' }, async () => (await child({ v: 21 })) + 0);`),
      },
      's.flow.ts',
    );
    assert.equal(valueOf(detail), 42);
    const sub = (await store.list()).find((r) => r.flowName === 'child')!;
    assert.equal(sub.parentRunId, detail.id);
    assert.equal(sub.state.name, 'Completed');
    assert.equal(valueOf((await store.readRun(sub.id))!), 42);
  });

  // Found by a hunter: the record's parameters were JSON.stringify's, which threw on a BigInt or a cycle
  // (failing the call with `TypeError: Do not know how to serialize a BigInt`) and kept a Map or a Set as {}.
  it("records a subflow's parameters as the JSON view shows values: a BigInt, a Map, a Set, a cycle are kept, the subflow gets the values themselves", async () => {
    const { detail, store } = await run(
      {
        's.flow.ts': flowSource(`
const child = flow({ name: 'child' }, async (p: Record<string, unknown>) => Object.values(p).map((v) => Object.prototype.toString.call(v)));
export default flow({ name: 'parent' }, async () => {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  return [
    await child({ b: 12345678901234567890n, m: new Map([['eu', 3]]), s: new Set(['x']), d: new Date(0) }),
    await child({ c: cycle }),
  ];
});`),
      },
      's.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(valueOf(detail), [['[object BigInt]', '[object Map]', '[object Set]', '[object Date]'], ['[object Object]']]);
    const subs = (await store.list()).filter((r) => r.flowName === 'child');
    const parameters = await Promise.all(subs.map(async (s) => (await store.readRun(s.id))!.parameters));
    assert.deepEqual(
      parameters.sort((a, b) => Object.keys(a).length - Object.keys(b).length),
      [{ c: { a: 1, self: '[Circular]' } }, { b: '12345678901234567890', m: { eu: 3 }, s: ['x'], d: '1970-01-01T00:00:00.000Z' }],
    );
  });

  it("fails a parent whose subflow failed with a message naming the subflow's run and state, on one line", async () => {
    const { detail, store } = await run(
      {
        's.flow.ts': flowSource(`
const child = flow({ name: 'child' }, async () => { throw new Error("can't go on\\nsecond line"); });
export default flow({ name: 'parent' }, async () => child({}));`),
      },
      's.flow.ts',
    );
    const sub = (await store.list()).find((r) => r.flowName === 'child')!;
    assert.equal(sub.state.message, "can't go on\nsecond line");
    assert.equal(detail.state.name, 'Failed');
    // Not "FlowRunError: Subflow run …": the message says what the error is.
    assert.equal(detail.state.message, `Subflow run '${sub.name}' ended in state Failed("can't go on\\nsecond line")`);
  });

  // Found on review: which subflow run failed a parent was known only from the parent's message (`Subflow
  // run 'x' ended…`), matched by name against its subflow runs — two runs of one name were mistaken.
  it('records on a parent failed by a subflow run that run\'s id: live, read back from its journal, listed, and up a nesting', async () => {
    const { detail, store } = await run(
      {
        's.flow.ts': flowSource(`
const child = flow({ name: 'child', flowRunName: 'same' }, async ({ fail }: { fail: boolean }) => { if (fail) throw new Error('broke'); return 1; });
const middle = flow({ name: 'middle' }, async () => { await child({ fail: false }); await child({ fail: true }); });
export default flow({ name: 'parent' }, async () => { await middle(); });`),
      },
      's.flow.ts',
    );
    const [middle] = await store.list({ parentRunId: detail.id });
    const children = await store.list({ parentRunId: middle!.id });
    const failed = children.find((c) => c.state.name === 'Failed')!;
    assert.equal(children.length, 2);
    assert.equal(detail.state.name, 'Failed');
    assert.equal(detail.state.subflowRunId, middle!.id, 'live: the subflow run it awaited');
    assert.equal(detail.state.failure, undefined);
    assert.equal((await store.readRun(detail.id))!.state.subflowRunId, middle!.id, 'read back');
    assert.equal((await store.get(detail.id))!.state.subflowRunId, middle!.id, 'listed');
    assert.equal(middle!.state.subflowRunId, failed.id, 'the middle run names the child run that failed, not the one that completed');
    assert.equal((await store.readRun(middle!.id))!.state.subflowRunId, failed.id);
    assert.equal(failed.state.subflowRunId, undefined, 'a failure of its own code');
  });

  // Found by a hunter: a flow calling itself as a subflow made about 4,900 nested runs in 50 s, no limit.
  it('bounds subflow nesting at 100 levels: a flow calling itself without end fails the call that would go deeper, with no run for it; 3 levels with a base case complete', { timeout: 60_000 }, async () => {
    const { detail, store } = await run(
      {
        'r.flow.ts': flowSource(`
const rec: (p: { n: number }) => Promise<number> = flow({ name: 'rec' }, async ({ n }: { n: number }) => rec({ n: n + 1 }));
export default flow({ name: 'rec-root' }, async () => rec({ n: 2 }));`),
      },
      'r.flow.ts',
    );
    assert.equal(detail.state.name, 'Failed');
    // Each level's message says its subflow's as it is, not quoted again (that doubled its length each level).
    assert.ok(detail.state.message!.includes("would nest 101 levels deep (at most 100)"), detail.state.message);
    assert.ok(detail.state.message!.length < 10_000, `${detail.state.message!.length} characters`);
    const runs = await store.list({ flowNames: ['rec'] });
    assert.equal(runs.length, 99, 'the root and 99 nested runs: 100 levels, none beyond');
    assert.ok(runs.every((r) => r.state.name === 'Failed'));
    const deepest = runs.filter((r) => !runs.some((c) => c.parentRunId === r.id));
    assert.equal(deepest.length, 1);
    assert.equal(deepest[0]!.state.message, "subflow 'rec' would nest 101 levels deep (at most 100): a flow that calls itself without end? call it in a loop instead");

    const nested = await run(
      {
        'n.flow.ts': flowSource(`
const down: (p: { n: number }) => Promise<number> = flow({ name: 'down' }, async ({ n }: { n: number }) => (n <= 1 ? 1 : 1 + (await down({ n: n - 1 }))));
export default down;`),
      },
      'n.flow.ts',
      { n: 3 },
    );
    assert.equal(nested.detail.state.name, 'Completed', nested.detail.state.message);
    assert.equal(valueOf(nested.detail), 3);
    assert.equal((await nested.store.list({ flowNames: ['down'] })).length, 3);
  });

  it("names task runs with taskRunName (Prefect's task_run_name): a function of the call's arguments or a string, in maps and plain calls; a bad one fails the call naming the task", async () => {
    const { detail, logs } = await run(
      {
        'n.flow.ts': flowSource(`
const fetchRepo = task({ name: 'fetch', taskRunName: (repo: string) => 'fetch-' + repo }, async (repo: string) => repo.length);
const save = task({ name: 'save', retries: 1, taskRunName: 'save-all' }, async (n: number) => { getRunLogger().info('saving ' + n); return n; });
const long = task({ name: 'long', taskRunName: () => 'x'.repeat(500) }, async () => 1);
const bad = task({ name: 'bad', taskRunName: () => 42 as unknown as string }, async () => 1);
export default flow({ name: 'named' }, async () => {
  const lengths = await fetchRepo.map(['octo/a', 'octo/bb']);
  await save(lengths[0]!);
  await long();
  const failed = await bad().then(() => 'ran', (e: Error) => e.message);
  return [lengths, failed];
});`),
      },
      'n.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(valueOf(detail), [[6, 7], "taskRunName of task 'bad' must give a non-empty string, got number"]);
    const names = detail.taskRuns.map((t) => t.name);
    assert.deepEqual(names.slice(0, 3), ['fetch-octo/a', 'fetch-octo/bb', 'save-all']);
    assert.equal(names[3], `${'x'.repeat(199)}…`, 'a long name is cut');
    assert.equal(names.length, 4, 'the bad call made no task run');
    assert.ok(logs.includes("INFO Task run 'save-all' - saving 6"), logs.join('\n'));
  });

  it("names flow runs with flowRunName (Prefect's flow_run_name), subflows too: numbered when taken, on one line, secrets masked; a bad one starts no run, naming the flow", async () => {
    const ws = workspace({
      'n.flow.ts': flowSource(`
const child = flow({ name: 'child', flowRunName: 'child-run' }, async () => 1);
const badChild = flow({ name: 'bad-child', flowRunName: () => { throw new Error('no name today'); } }, async () => 2);
const asyncChild = flow({ name: 'async-child', flowRunName: (async () => 'later') as unknown as string }, async () => 3);
export default flow({ name: 'named', flowRunName: ({ repo }) => 'stats ' + repo + '\\nline two' }, async ({ repo }: { repo: string }) => {
  getRunLogger().info('counting ' + repo);
  const one = await child({});
  const failed = await badChild({}).then(() => 'ran', (e: Error) => e.message);
  const waited = await asyncChild({}).then(() => 'ran', (e: Error) => e.message);
  return [one, failed, waited];
});`),
      'bad.flow.ts': flowSource(`export default flow({ name: 'unnamed', flowRunName: ({ n }) => { if (n === 1) throw new Error('n is one'); return ''; } }, async () => 1);`),
      // A string is a template, as Prefect's flow_run_name: {name} is a parameter, {{ and }} braces.
      'tpl.flow.ts': flowSource(`export default flow({ name: 'tpl', flowRunName: '{repo}-{n}-{{x}}-{when}-{tags}', parameters: { repo: { type: 'string' }, n: { type: 'integer', default: 3 }, tags: { type: 'array', default: ['a'] }, when: { type: 'string', default: 'today' } } }, async () => 1);`),
      'tpl-typo.flow.ts': flowSource(`export default flow({ name: 'typo', flowRunName: 'stats-{rpeo}' }, async () => 1);`),
    });
    const home = tempDir();
    const { store, runner } = await makeRunner(home);
    after(() => runner.dispose());
    const logs: string[] = [];
    runner.on('log', (l) => logs.push(`${l.level} ${l.source} - ${l.message}`));
    const env = { REPORT_API_TOKEN: 'tok-5f2e9c81a7' };
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'n.flow.ts') }, parameters: { repo: 'acme' }, env })).done;
    const second = await (await runner.start({ source: { kind: 'file', path: join(ws, 'n.flow.ts') }, parameters: { repo: 'acme' }, env })).done;
    const secret = await (await runner.start({ source: { kind: 'file', path: join(ws, 'n.flow.ts') }, parameters: { repo: 'tok-5f2e9c81a7' }, env })).done;
    assert.equal(first.state.name, 'Completed', first.state.message);
    assert.deepEqual(valueOf(first), [1, "flowRunName of flow 'bad-child' threw: no name today", "flowRunName of flow 'async-child' must give a non-empty string, got a promise (make it a plain function, not async)"]);
    assert.deepEqual([first.name, second.name, secret.name], ['stats acme line two', 'stats acme line two-2', 'stats *** line two']);
    assert.ok(logs.includes(`INFO flowdeck.engine - Created flow run 'stats acme line two' for flow 'named'`), logs.join('\n'));
    assert.ok(logs.includes(`INFO Flow run 'stats acme line two-2' - counting acme`), logs.join('\n'));
    const children = (await store.list({ flowNames: ['child'] })).map((r) => r.name).sort();
    assert.deepEqual(children, ['child-run', 'child-run-2', 'child-run-3']);
    assert.deepEqual((await store.list({ flowNames: ['bad-child'] })).length, 0, 'a subflow that cannot be named makes no run');
    assert.equal((await store.resolve('stats acme line two-2')).run?.id, second.id);
    assert.ok(!JSON.stringify(await store.list()).includes('tok-5f2e9c81a7'));

    // At the root: no run is created, and the start says which flow's flowRunName failed.
    const before = await store.count();
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'bad.flow.ts') }, parameters: { n: 1 } }), (e: Error) => e.message === "flowRunName of flow 'unnamed' threw: n is one");
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'bad.flow.ts') }, parameters: { n: 2 } }), (e: Error) => e.message === "flowRunName of flow 'unnamed' must give a non-empty string, got an empty string");
    assert.equal(await store.count(), before);

    const tpl = await (await runner.start({ source: { kind: 'file', path: join(ws, 'tpl.flow.ts') }, parameters: { repo: 'acme' } })).done;
    assert.equal(tpl.name, 'acme-3-{x}-today-["a"]');
    await assert.rejects(
      runner.start({ source: { kind: 'file', path: join(ws, 'tpl-typo.flow.ts') }, parameters: { repo: 'acme' } }),
      (e: Error) => e.message === "flowRunName of flow 'typo' names {rpeo}, which is not one of the run's parameters (the run's are {repo})",
    );
  });

  it('names a run created ahead (a schedule slot, a queued run) with its flowRunName when it is taken up, saying so; the new name is on record everywhere', async () => {
    const ws = workspace({ 'a.flow.ts': flowSource(`export default flow({ name: 'ahead', flowRunName: ({ day }) => 'report-' + day }, async ({ day }: { day: string }) => day.length);`) });
    const home = tempDir();
    const { store, runner } = await makeRunner(home);
    after(() => runner.dispose());
    const source = join(ws, 'a.flow.ts');
    const h = await store.createRun({ flowName: 'ahead', source, parameters: { day: 'mon' }, state: state('Scheduled', 'waiting') });
    const random = h.name;
    await h.close();
    const detail = await (await runner.start({ source: { kind: 'file', path: source }, parameters: { day: 'mon' } }, { runId: h.id })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(detail.name, 'report-mon');
    const { store: other } = await makeRunner(home);
    const stored = (await other.readRun(h.id))!;
    assert.equal(stored.name, 'report-mon');
    assert.equal((await other.get(h.id))!.name, 'report-mon');
    const lines = (await logsOf(other, h.id)).map((l) => `${l.source} - ${l.message}`);
    assert.ok(lines.includes(`Flow run 'report-mon' - Flow run '${random}' is named 'report-mon' by its flow's flowRunName`), lines.join('\n'));
    assert.equal(lines.at(-1), "Flow run 'report-mon' - Finished in state Completed()");
  });

  it('runs a task or subflow made by withOptions with its options (retries here), as the same task: its runs named and counted with the others', async () => {
    const { detail } = await run(
      {
        'w.flow.ts': flowSource(`
let calls = 0;
const flaky = task({ name: 'flaky' }, async () => { calls++; if (calls < 3) throw new Error('call ' + calls); return calls; });
let childCalls = 0;
const child = flow({ name: 'child' }, async () => { childCalls++; if (childCalls === 1) throw new Error('first child attempt'); return childCalls; });
export default flow({ name: 'w' }, async () => {
  const first = await flaky().then(String, (e: Error) => e.message);
  const second = await flaky.withOptions({ retries: 1, retryDelaySeconds: 0 })();
  const third = await child.withOptions({ retries: 1 })({});
  return [first, second, third];
});`),
      },
      'w.flow.ts',
    );
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    // Without retries the first call fails; with one retry the second fails once (call 2) and then completes (call 3).
    assert.deepEqual(valueOf(detail), ['call 1', 3, 2]);
    assert.deepEqual(detail.taskRuns.map((t) => [t.name, t.state.name, t.attempts]), [['flaky-0', 'Failed', 1], ['flaky-1', 'Completed', 2]]);
  });

  it('runs completion and failure hooks with the final state', async () => {
    const ws = workspace({
      'hooks.flow.ts': flowSource(`
const log = (tag: string) => (info: { name: string; state: { name: string } }) => getRunLogger().info(tag + ' ' + info.state.name);
const bad = task({ name: 'bad', onFailure: log('task-failure') }, async () => { throw new Error('x'); });
export const ok = flow({ name: 'ok', onCompletion: log('flow-completion') }, async () => 1);
export const ko = flow({ name: 'ko', onFailure: [log('flow-failure')] }, async () => { await bad(); });`),
    });
    const { runner } = await makeRunner(tempDir());
    const lines: string[] = [];
    runner.on('log', (l) => lines.push(l.message));
    await (await runner.start({ source: { kind: 'file', path: join(ws, 'hooks.flow.ts') }, flowName: 'ok' })).done;
    await (await runner.start({ source: { kind: 'file', path: join(ws, 'hooks.flow.ts') }, flowName: 'ko' })).done;
    assert.ok(lines.includes('flow-completion Completed'));
    assert.ok(lines.includes('task-failure Failed'));
    assert.ok(lines.includes('flow-failure Failed'));
  });
});

describe('onCrashed hooks', () => {
  it('runs them in a fresh worker after the worker died, logging to the crashed run', async () => {
    const marker = join(tempDir(), 'hooks-exited');
    const ws = workspace({
      'oc.flow.ts': flowSource(`import { writeFileSync } from 'node:fs';
export default flow({ name: 'oc', onCrashed: (info) => {
  process.on('exit', () => {
    writeFileSync(${JSON.stringify(marker)}, 'x');
    console.log('the hooks worker ran its exit handlers');
  });
  getRunLogger().warning('cleanup after ' + info.state.name + ': ' + info.state.message);
} }, async () => { process.exit(4); });`),
    });
    // The hooks have a budget of their own (crashHookBudgetMs, 10 s), separate from the cancel grace.
    const { store, runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'oc.flow.ts') } })).done;
    assert.equal(detail.state.type, 'CRASHED');
    const lines = (await logsOf(store, detail.id)).map((l) => `${l.level} ${l.message}`);
    assert.ok(lines.some((l) => /^WARNING cleanup after Crashed: Worker process exited unexpectedly \(exit code 4\)/.test(l)), lines.join('\n'));
    // It ended by itself once done (told to), not killed when its budget ran out.
    assert.ok(existsSync(marker), "the hooks worker's exit handlers ran");
    assert.ok(lines.includes('INFO the hooks worker ran its exit handlers'), `what they printed is in the run's logs: ${lines.join('\n')}`);
  });
});

describe('input problems create no run', () => {
  it('rejects invalid parameters against a declaration', async () => {
    const ws = workspace({ 'p.flow.ts': flowSource(`export default flow({ name: 'p', parameters: { n: { type: 'integer', required: true } } }, async ({ n }: { n: number }) => n);`) });
    const { store, runner } = await makeRunner(tempDir());
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'p.flow.ts') }, parameters: { n: 'five' } }), (e: unknown) => e instanceof BadInputError && e.reason === 'invalid-parameters' && /'n' must be an integer, got the string "five"/.test(e.message));
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'p.flow.ts') } }), /missing required parameter 'n'/);
    assert.equal(await store.count(), 0);
  });

  it('accepts any parameters for a flow without a declaration, with its defaults applying', async () => {
    const { detail } = await run({ 'any.flow.ts': flowSource(`export default flow({ name: 'any' }, async ({ a = 'dflt', ...rest }: Record<string, unknown>) => ({ a, rest }));`) }, 'any.flow.ts', { b: [1], c: { d: true } });
    assert.deepEqual(valueOf(detail), { a: 'dflt', rest: { b: [1], c: { d: true } } });
  });

  it('reports a syntax error as file:line:col', async () => {
    const ws = workspace({ 'bad.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'bad' }, async () => {\n  const x = ;\n});\n` });
    const { runner } = await makeRunner(tempDir());
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'bad.flow.ts') } }), (e: unknown) => e instanceof BadInputError && e.reason === 'compile' && e.message.includes(`${join(ws, 'bad.flow.ts')}:3:13`));
  });

  it('says which flows a file has when the name is wrong', async () => {
    const ws = workspace({ 'two.flow.ts': flowSource(`export const a = flow({ name: 'alpha' }, async () => 1);\nexport const b = flow({ name: 'beta' }, async () => 2);`) });
    const { runner } = await makeRunner(tempDir());
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'two.flow.ts') } }), /has 2 flows \(alpha, beta\); pick one with --flow NAME/);
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'two.flow.ts') }, flowName: 'gamma' }), /no flow named 'gamma'; it has: alpha, beta/);
  });
});

describe('a new run, created while its flow loads', () => {
  const journals = (home: string): string[] => readdirSync(join(home, 'runs')).filter((f) => f.endsWith('.jsonl') && !f.startsWith('index'));

  it("ends its start at once with the store's error when its name cannot be claimed while the flow still loads: the loading worker goes, no run or journal is left", { timeout: 120_000 }, async () => {
    const home = tempDir();
    const ws = workspace({});
    const loadedMark = join(ws, 'loaded');
    writeFileSync(
      join(ws, 'slow.flow.ts'),
      flowSource(`import { writeFileSync } from 'node:fs';
// A flow whose module takes long to load (its own top-level await).
await new Promise((r) => setTimeout(r, 20_000));
writeFileSync(${JSON.stringify(loadedMark)}, 'loaded');
export default flow({ name: 'slow' }, async () => 1);`),
    );
    const { store, runner } = await makeRunner(home, { standby: true });
    after(() => runner.dispose());
    runner.prepareStandby();
    await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
    const worker = runner.standbyPid()!;
    writeFileSync(join(home, 'runs', 'names'), 'not a folder\n');
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'slow.flow.ts') } }), /Could not write .*names/);
    assert.equal(existsSync(loadedMark), false, 'the start ended while the flow was still loading');
    await waitFor(() => !alive(worker), 'the loading worker to be killed', 30_000);
    assert.equal(await store.count(), 0);
    assert.deepEqual(journals(home), []);
  });

  it("never starts the flow's code before its run is in the journal and the index, however long creating it takes", { timeout: 120_000 }, async () => {
    const ws = workspace({
      'order.flow.ts': flowSource(`import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
export default flow({ name: 'order' }, async () => {
  const id = getRunContext().flowRunId;
  const runs = join(process.env.FLOWDECK_HOME!, 'runs');
  const journal = readFileSync(join(runs, id + '.jsonl'), 'utf8');
  const index = readdirSync(runs).filter((f) => /^index-.*\.jsonl$/.test(f)).map((f) => readFileSync(join(runs, f), 'utf8')).join('');
  return { journal: journal.includes('"k":"run","runId":"' + id + '"'), index: index.includes('"id":"' + id + '"') };
});`),
    });
    for (const standby of [false, true]) {
      const home = tempDir();
      const { store } = await makeRunner(home);
      const steps: string[] = [];
      // A store whose disk is slow: the run's records are written well after its flow has loaded.
      const slowDisk = new Proxy(store, {
        get(target, key) {
          if (key === 'createRun') {
            return async (run: NewRun | Promise<NewRun>) => {
              const details = await run;
              steps.push('flow loaded');
              await new Promise((r) => setTimeout(r, 300));
              const handle = await target.createRun(details);
              steps.push('run created');
              return handle;
            };
          }
          return member(target, key);
        },
      });
      const runner = new FlowRunner(slowDisk, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home }, standby });
      after(() => runner.dispose());
      if (standby) {
        runner.prepareStandby();
        await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      }
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'order.flow.ts') } })).done;
      assert.equal(detail.state.name, 'Completed', detail.state.message);
      assert.deepEqual(valueOf(detail), { journal: true, index: true }, `standby ${standby}: the flow's code saw its run on file`);
      assert.deepEqual(steps, ['flow loaded', 'run created']);
    }
  });
});

/**
 * A store whose run handles say when the run's Running line reaches the journal and when the index is
 * given each state; with `hold`, the Running line (and every line after it) reaches the journal only once
 * the run's final state is on its way there — so the run has ended before its Running line is written.
 */
async function watchedStore(home: string, hold: boolean): Promise<{ store: RunStore; steps: string[] }> {
  const { store } = await makeRunner(home);
  const steps: string[] = [];
  const watch = (handle: RunHandle): RunHandle => {
    let held: { text: string; done: (p: Promise<void>) => void }[] | undefined;
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'appendText') {
          return (text: string) => {
            const running = text.includes('"name":"Running"');
            if (hold && (running || held)) return new Promise<void>((resolve) => (held ??= []).push({ text, done: (p) => resolve(p) }));
            const written = target.appendText(text);
            return running ? written.then(() => void steps.push('journal: Running')) : written;
          };
        }
        if (key === 'appendAfterAll') {
          return (text: string) => {
            for (const h of held ?? []) h.done(target.appendText(h.text).then(() => void (h.text.includes('"name":"Running"') && steps.push('journal: Running'))));
            held = undefined;
            return target.appendAfterAll!(text);
          };
        }
        if (key === 'setState') return (s: State, extra?: Record<string, unknown>) => (steps.push(`index: ${s.name}`), target.setState(s, extra));
        return member(target, key);
      },
    });
  };
  return { store: wrappingHandles(store, watch), steps };
}

/** A member of `target` as the proxies here pass it on: a method bound to it. */
function member(target: object, key: string | symbol): unknown {
  const value: unknown = Reflect.get(target, key, target);
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

/** `store`, with the handle of each run it creates passed through `wrap`. */
function wrappingHandles(store: RunStore, wrap: (handle: RunHandle) => RunHandle): RunStore {
  return new Proxy(store, {
    get: (target, key) => (key === 'createRun' ? async (run: NewRun | Promise<NewRun>) => wrap(await target.createRun(run)) : member(target, key)),
  });
}

describe("the index follows a run's journal", () => {
  it("is given a run's Running only once the journal holds it", async () => {
    const home = tempDir();
    const ws = workspace({
      'long.flow.ts': flowSource(`import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
export default flow({ name: 'long' }, async () => {
  // Long enough for the index to be given Running: it says so before the run ends.
  const runs = join(process.env.FLOWDECK_HOME!, 'runs');
  const id = getRunContext().flowRunId;
  for (let i = 0; i < 3000; i++) {
    const index = readdirSync(runs).filter((f) => /^index-.*\.jsonl$/.test(f)).map((f) => readFileSync(join(runs, f), 'utf8')).join('');
    if (index.includes('"id":"' + id + '","seq":1,"state":{"type":"RUNNING"')) return 'seen';
    await new Promise((r) => setTimeout(r, 10));
  }
  return 'not seen';
});`),
    });
    const { store, steps } = await watchedStore(home, false);
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home } });
    after(() => runner.dispose());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'long.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 'seen');
    assert.deepEqual(steps, ['journal: Running', 'index: Running', 'index: Completed']);
  });

  it('is not given a Running that the run ended after before the journal held it: its final state says the rest', async () => {
    const home = tempDir();
    const ws = workspace({ 'quick.flow.ts': flowSource(`export default flow({ name: 'quick' }, async () => 1);`) });
    const { store, steps } = await watchedStore(home, true);
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home } });
    after(() => runner.dispose());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'quick.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(steps, ['journal: Running', 'index: Completed']);
    const indexed = (await store.list()).find((r) => r.id === detail.id)!;
    assert.equal(indexed.state.name, 'Completed');
    assert.equal(indexed.startTime, detail.startTime, 'the start time is on the index all the same');
    assert.deepEqual((await store.readRun(detail.id))!.states.map((s) => s.name), ['Pending', 'Running', 'Completed']);
  });
});

describe('a parent and its subflows', () => {
  it("ends a parent on record only after the subflow it just ran: its final state waits for the subflow's (the parent was Completed first, its subflow not yet)", async () => {
    const home = tempDir();
    const ws = workspace({
      'parent.flow.ts': flowSource(`const child = flow({ name: 'child' }, async () => 2);
export default flow({ name: 'parent' }, async () => (await child({})) + 1);`),
    });
    const { store } = await makeRunner(home);
    const written: string[] = [];
    // A slow disk under the subflow's journal: its final state takes 300 ms to be written.
    const slowChild = (handle: RunHandle): RunHandle =>
      new Proxy(handle, {
        get(target, key) {
          if (key === 'appendAfterAll')
            return async (text: string) => {
              const child = target.created.parentRunId !== undefined;
              if (child) await new Promise((r) => setTimeout(r, 300));
              await target.appendAfterAll!(text);
              written.push(child ? 'child' : 'parent');
            };
          return member(target, key);
        },
      });
    const runner = new FlowRunner(wrappingHandles(store, slowChild), { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home } });
    after(() => runner.dispose());
    const reported: string[] = [];
    runner.on('run', (r) => {
      if (r.state.type === 'COMPLETED') reported.push(r.flowName);
    });
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'parent.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 3);
    assert.deepEqual(written, ['child', 'parent'], 'the final states as they reached the journals');
    assert.deepEqual(reported, ['child', 'parent'], 'the final states as reported');
  });

  it('ends a subflow its parent left running (not awaited) as the parent left it — Failed after a Completed parent, saying so — not "Worker process exited unexpectedly (exit code 0)"', async () => {
    const ws = workspace({
      'leaves.flow.ts': flowSource(`const child = flow({ name: 'left' }, async () => { await new Promise((r) => setTimeout(r, 60_000)); return 1; });
export default flow({ name: 'leaves' }, async () => {
  void child({});
  await new Promise((r) => setTimeout(r, 200));
  return 'done';
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    after(() => runner.dispose());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'leaves.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    const child = (await store.list()).find((r) => r.flowName === 'left')!;
    assert.equal(child.state.name, 'Failed');
    assert.equal(child.state.message, `its parent flow run '${detail.name}' ended in state Completed while it ran`);
    assert.equal((await store.readRun(child.id))!.state.message, child.state.message, 'its journal says the same');
  });

  it('warns, when a flow returns with task runs or subflow runs still going, that they were not awaited; not when it awaited all, nor when it failed', async () => {
    const ws = workspace({
      'unawaited.flow.ts': flowSource(`const slow = task({ name: 'slow' }, async () => { await new Promise((r) => setTimeout(r, 60_000)); });
const quick = task({ name: 'quick' }, async (i: number) => i);
const careful = task({ name: 'careful', retries: 1 }, async () => { await new Promise((r) => setTimeout(r, 60_000)); });
const bad = task({ name: 'bad' }, async () => { throw new Error('bad'); });
const child = flow({ name: 'left' }, async () => { await new Promise((r) => setTimeout(r, 60_000)); });
const short = flow({ name: 'short' }, async () => 1);
export const leaves = flow({ name: 'leaves' }, async () => {
  void slow();
  void careful();
  void child({});
  await quick(1);
  return 'done';
});
export const awaits = flow({ name: 'awaits' }, async () => {
  await quick.map([1, 2, 3]);
  await Promise.all([quick(4), quick(5)]);
  await short({});
  await bad().catch(() => undefined);
  return 'done';
});
export const fails = flow({ name: 'fails' }, async () => {
  await Promise.all([slow(), bad()]);
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    after(() => runner.dispose());
    const run = async (flowName: string): Promise<{ state: string; warnings: string[] }> => {
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'unawaited.flow.ts') }, flowName })).done;
      const warnings = (await logsOf(store, detail.id)).filter((l) => l.level === 'WARNING' && /not awaited/.test(l.message)).map((l) => l.message);
      return { state: detail.state.name, warnings };
    };
    assert.deepEqual(await run('leaves'), {
      state: 'Completed',
      warnings: ['The flow returned with 2 task runs and 1 subflow run still running (not awaited): they end Failed. Await each call — or Promise.all them — so the flow waits for them.'],
    });
    assert.deepEqual(await run('awaits'), { state: 'Completed', warnings: [] });
    assert.deepEqual(await run('fails'), { state: 'Failed', warnings: [] });
  });
});

describe('a finished worker', () => {
  it("ends only once its run's end is on record, and its exit handlers still run and are logged", async () => {
    const home = tempDir();
    const marker = join(tempDir(), 'exited');
    const ws = workspace({
      'ends.flow.ts': flowSource(`import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  writeFileSync(${JSON.stringify(marker)}, 'x');
  console.log('exit handler ran');
});
export default flow({ name: 'ends' }, async () => 1);`),
    });
    const { store } = await makeRunner(home);
    // A slow disk: the run's final state reaches the journal once the worker has run its exit handlers,
    // or after 1.5 s — long after a worker that did not wait would have ended.
    const slow = (handle: RunHandle): RunHandle =>
      new Proxy(handle, {
        get(target, key) {
          if (key === 'appendAfterAll')
            return async (text: string) => {
              for (let i = 0; i < 150 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
              return target.appendAfterAll!(text);
            };
          return member(target, key);
        },
      });
    const runner = new FlowRunner(wrappingHandles(store, slow), { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home } });
    after(() => runner.dispose());
    let exitedAtResult: boolean | undefined;
    runner.on('run', (s) => {
      if (s.state.type === 'COMPLETED') exitedAtResult ??= existsSync(marker);
    });
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'ends.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(exitedAtResult, false, 'the worker had not begun to exit when its run was reported Completed');
    assert.ok(existsSync(marker), "the worker's exit handlers ran once it was told to end");
    const logs = (await logsOf(store, detail.id)).map((l) => l.message);
    assert.ok(logs.includes('exit handler ran'), `the exit handler's line is in the run's logs: ${JSON.stringify(logs)}`);
  });
});

describe('a standby worker (a long-lived host)', () => {
  const WHO = flowSource(`const g = globalThis as { loads?: number };
g.loads = (g.loads ?? 0) + 1;
const loads = g.loads;
export default flow({ name: 'who' }, async () => ({ pid: process.pid, loads }));`);

  it('runs the next flow in a worker forked ahead of time, a fresh one for every run', async () => {
    const ws = workspace({ 'who.flow.ts': WHO });
    const { runner } = await makeRunner(tempDir(), { standby: true });
    after(() => runner.dispose());
    runner.prepareStandby();
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      const standby = runner.standbyPid()!;
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'who.flow.ts') } })).done;
      const out = valueOf(detail) as { pid: number; loads: number };
      assert.equal(out.pid, standby, 'the run used the standby');
      assert.equal(out.loads, 1, 'nothing carried over from an earlier run');
      seen.push(out.pid);
    }
    assert.equal(new Set(seen).size, 3, 'never the same worker twice');
  });

  it('keeps as many standbys as asked (a host running runs at once): runs started together each take one, both are replaced, and a run with another environment takes none and kills them', async () => {
    const ws = workspace({ 'later.flow.ts': flowSource(`export default flow({ name: 'later' }, async () => { await new Promise((r) => setTimeout(r, 500)); return { pid: process.pid }; });`) });
    const home = tempDir();
    const { runner } = await makeRunner(home, { standby: 2 });
    after(() => runner.dispose());
    const source = { kind: 'file' as const, path: join(ws, 'later.flow.ts') };
    runner.prepareStandby();
    let waiting: number[] = [];
    await waitFor(() => (waiting = runner.standbyPids()).length === 2, 'two standby workers', 30_000);
    const both = await Promise.all([0, 1].map(async () => valueOf(await (await runner.start({ source })).done) as { pid: number }));
    assert.deepEqual(both.map((o) => o.pid).sort(), [...waiting].sort(), 'each run took one of the two standbys');
    let next: number[] = [];
    await waitFor(() => (next = runner.standbyPids()).length === 2 && next.every((p) => !waiting.includes(p)), 'two new standbys', 30_000);
    const other = valueOf(await (await runner.start({ source, env: { ...process.env, FLOWDECK_HOME: home, SOMETHING_ELSE: '1' } })).done) as { pid: number };
    assert.ok(!next.includes(other.pid), 'a run with another environment forks its own worker');
    await waitFor(() => !next.some(alive), 'the standbys that no longer match to go', 30_000);
  });

  it("readies the next standby as the last run's flow needed — without Node's module hooks after a flow importing only 'flowdeck', with them after one importing a helper or written as CommonJS — and a wrong guess still runs the flow", async (t) => {
    const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (!existsSync(`/proc/${process.pid}/environ`)) return t.skip('needs /proc to see how a standby was forked');
    const ws = workspace({
      'who.flow.ts': WHO,
      'helper.ts': `export const helped = 'helped';\n`,
      'helped.flow.ts': `import { flow } from 'flowdeck';\nimport { helped } from './helper';\nexport default flow({ name: 'helped' }, async () => ({ pid: process.pid, helped }));\n`,
      'common.flow.cjs': `const { flow } = require('flowdeck');\nmodule.exports = flow({ name: 'common' }, async () => ({ pid: process.pid }));\n`,
    });
    const { runner } = await makeRunner(tempDir(), { standby: true });
    after(() => runner.dispose());
    runner.prepareStandby();
    const seen: string[] = [];
    const standbyMode = async (): Promise<{ pid: number; mode: string }> => {
      await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      const pid = runner.standbyPid()!;
      return { pid, mode: environ(pid).find((e) => e.startsWith('FLOWDECK_WORKER_AHEAD='))?.slice('FLOWDECK_WORKER_AHEAD='.length) ?? 'none' };
    };
    for (const file of ['who.flow.ts', 'who.flow.ts', 'helped.flow.ts', 'who.flow.ts', 'common.flow.cjs']) {
      const { pid, mode } = await standbyMode();
      seen.push(mode);
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, file) } })).done;
      assert.equal(detail.state.type, 'COMPLETED', `${file}: ${detail.state.message}`);
      assert.equal((valueOf(detail) as { pid: number }).pid, pid, 'the run used the standby');
      if (file === 'helped.flow.ts') assert.equal((valueOf(detail) as { helped: string }).helped, 'helped');
    }
    seen.push((await standbyMode()).mode);
    assert.deepEqual(seen, ['standby', 'standby-no-hooks', 'standby-no-hooks', 'standby', 'standby-no-hooks', 'standby']);
  });

  it("runs a flow file as it is now, not as a standby's copy of it was made last time: changed, changed back", async () => {
    const version = (n: number): string => flowSource(`export default flow({ name: 'versioned' }, async () => ({ version: ${n}, pid: process.pid }));`);
    const ws = workspace({ 'versioned.flow.ts': version(1) });
    const { runner } = await makeRunner(tempDir(), { standby: true });
    after(() => runner.dispose());
    runner.prepareStandby();
    for (const n of [1, 1, 2, 1]) {
      writeFileSync(join(ws, 'versioned.flow.ts'), version(n));
      await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      const pid = runner.standbyPid()!;
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'versioned.flow.ts') } })).done;
      assert.equal(detail.state.type, 'COMPLETED', detail.state.message);
      assert.deepEqual(valueOf(detail), { version: n, pid }, 'the version on disk, in the standby');
    }
  });

  it('forks a fresh worker for a run whose environment differs, and the standby goes; dispose kills the standby', async () => {
    const ws = workspace({ 'who.flow.ts': WHO });
    const { runner } = await makeRunner(tempDir(), { standby: true });
    runner.prepareStandby();
    await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
    const standby = runner.standbyPid()!;
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'who.flow.ts') }, env: { FLOWDECK_EXTRA: 'x' } })).done;
    assert.notEqual((valueOf(detail) as { pid: number }).pid, standby);
    await waitFor(() => !alive(standby), 'the unmatched standby to be killed', 30_000);
    await waitFor(() => runner.standbyPid() !== undefined, 'a new standby', 30_000);
    const next = runner.standbyPid()!;
    await runner.dispose();
    await waitFor(() => !alive(next), 'dispose to kill the standby', 30_000);
    assert.equal(runner.standbyPid(), undefined);
  });
});

describe('working directory', () => {
  it('runs user code in the requested folder', async () => {
    const ws = workspace({ 'cwd.flow.ts': flowSource(`import { readFileSync, realpathSync } from 'node:fs';\nexport default flow({ name: 'cwd' }, async () => [process.cwd(), readFileSync('data.txt', 'utf8')]);`), 'data.txt': 'relative read' });
    const { runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'cwd.flow.ts') }, cwd: ws })).done;
    assert.deepEqual(valueOf(detail), [realpathSync(ws), 'relative read']);
  });
});

describe('secrets', () => {
  it('masks secrets from the environment and registered at run time in logs, results, messages and the store', async () => {
    const token = 'ghp_SECRETSECRET123456';
    const { detail, logs, home } = await run(
      {
        's.flow.ts': flowSource(`
export default flow({ name: 's' }, async () => {
  const ctx = getRunContext();
  getRunLogger().info('token is ' + process.env.GITHUB_TOKEN);
  ctx.registerSecret('runtime-access-token-xyz');
  getRunLogger().info('access runtime-access-token-xyz');
  console.log('via console', process.env.GITHUB_TOKEN);
  throw new Error('failed with ' + process.env.GITHUB_TOKEN);
});`),
      },
      's.flow.ts',
      {},
      { GITHUB_TOKEN: token },
    );
    const everything = JSON.stringify(detail) + logs.join('\n') + readFileSync(join(home, 'runs', `${detail.id}.jsonl`), 'utf8') + readFileSync(join(home, 'runs', 'index-0000000000.jsonl'), 'utf8');
    assert.ok(!everything.includes(token));
    assert.ok(!everything.includes('runtime-access-token-xyz'));
    assert.ok(logs.some((l) => l.endsWith('token is ***')));
    assert.ok(logs.some((l) => l.endsWith('access ***')));
    assert.equal(detail.state.message, 'failed with ***');
  });

  it('keeps no secret in the identity of a call given it as an argument (a short argument stands for itself otherwise)', async () => {
    const token = 'ghp_SHORT123';
    const { detail, home } = await run(
      {
        's.flow.ts': flowSource(`
const use = task({ name: 'use' }, async (key: string) => key.length);
const child = flow({ name: 'child' }, async ({ key }: { key: string }) => key.length);
export default flow({ name: 's' }, async () => {
  getRunContext().registerSecret('pw-7f3k');
  return [await use('pw-7f3k'), await use(process.env.GITHUB_TOKEN!), await child({ key: 'pw-7f3k' }), await use('plain')];
});`),
      },
      's.flow.ts',
      {},
      { GITHUB_TOKEN: token },
    );
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    // Everything in the store but the compiled flow file (the flow's own source, which holds 'pw-7f3k').
    const files = (readdirSync(home, { recursive: true }) as string[]).filter((f) => !f.startsWith('compiled')).map((f) => join(home, f)).filter((f) => statSync(f).isFile());
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      assert.ok(!text.includes('pw-7f3k') && !text.includes(token), `a secret in ${file}`);
    }
    // What holds no secret still stands for itself.
    assert.ok(files.some((f) => readFileSync(f, 'utf8').includes('=[[1],\\"plain\\"]')), 'the plain argument as itself');
  });
});

describe('flow files', () => {
  it('import relative TypeScript modules, workspace packages and JSON; .mjs flow files run too', async () => {
    const ws = workspace({
      'flows/lib/math.ts': `export const double = (n: number): number => n * 2;\n`,
      'flows/lib/data.json': `{ "base": 20 }\n`,
      'node_modules/left-pad-lite/package.json': `{ "name": "left-pad-lite", "version": "1.0.0", "main": "index.js" }\n`,
      'node_modules/left-pad-lite/index.js': `module.exports = (s, n) => String(s).padStart(n, '0');\n`,
      'flows/calc.flow.ts': flowSource(`import { double } from './lib/math';\nimport data from './lib/data.json';\nimport pad from 'left-pad-lite';\nexport default flow({ name: 'calc' }, async () => pad(double(data.base) + 1, 4));`),
      'flows/esm.flow.mjs': `import { flow } from 'flowdeck';\nimport { double } from './lib/math';\nexport default flow({ name: 'esm' }, async () => double(21));\n`,
    });
    const { runner } = await makeRunner(tempDir());
    const calc = await (await runner.start({ source: { kind: 'file', path: join(ws, 'flows/calc.flow.ts') }, cwd: ws })).done;
    assert.equal(calc.state.name, 'Completed', calc.state.message);
    assert.equal(valueOf(calc), '0041');
    const esm = await (await runner.start({ source: { kind: 'file', path: join(ws, 'flows/esm.flow.mjs') } })).done;
    assert.equal(esm.state.name, 'Completed', esm.state.message);
    assert.equal(valueOf(esm), 42);
  });

  it('reports a missing import as a load error naming the module, creating no run', async () => {
    const ws = workspace({ 'm.flow.ts': flowSource(`import nope from 'not-installed-anywhere';\nexport default flow({ name: 'm' }, async () => nope);`) });
    const { store, runner } = await makeRunner(tempDir());
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'm.flow.ts') } }), (e: unknown) => e instanceof BadInputError && e.reason === 'module' && /Cannot find module 'not-installed-anywhere'/.test(e.message));
    assert.equal(await store.count(), 0);
  });

  it('says a missing relative import is a file that is not there, not a package to install', async () => {
    const ws = workspace({
      'r.flow.ts': flowSource(`import { helper } from './no-such-helper';\nexport default flow({ name: 'r' }, async () => helper);`),
      'c.flow.cts': `const { flow } = require('flowdeck');\nconst helper = require('./no-such-helper');\nmodule.exports = flow({ name: 'c' }, async () => helper);\n`,
    });
    const { runner } = await makeRunner(tempDir());
    for (const file of ['r.flow.ts', 'c.flow.cts']) {
      await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, file) } }), (e: unknown) => {
        assert.ok(e instanceof BadInputError && e.reason === 'module', String(e));
        assert.match(e.message, /Cannot find module '[^']*no-such-helper'.*\. There is no such file: fix the import path\.$/);
        assert.doesNotMatch(e.message, /npm install/);
        return true;
      });
    }
  });

  it("says a missing import that a tsconfig.json `paths` entry maps is not applied at run time, not a package to install", async () => {
    const ws = workspace({
      'tsconfig.json': `{\n  // the editor's aliases\n  "compilerOptions": { "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"], }, },\n}\n`,
      'src/lib/greet.ts': `export const greet = (n: string) => 'hi ' + n;\n`,
      'flows/a.flow.ts': flowSource(`import { greet } from '@lib/greet';\nexport default flow({ name: 'a' }, async () => greet('x'));`),
      'flows/b.flow.ts': flowSource(`import nope from 'not-installed-anywhere';\nexport default flow({ name: 'b' }, async () => nope);`),
    });
    const { runner } = await makeRunner(tempDir());
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'flows/a.flow.ts') } }), (e: unknown) => {
      assert.ok(e instanceof BadInputError && e.reason === 'module', String(e));
      assert.match(e.message, /Cannot find module '@lib\/greet'\. It matches '@lib\/\*' of the `paths` in .*tsconfig\.json, which runs do not apply \(`flowdeck check` and the editor do\): import it by a relative path, or make it a package of the workspace\.$/);
      assert.doesNotMatch(e.message, /npm install/);
      return true;
    });
    await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, 'flows/b.flow.ts') } }), (e: unknown) => e instanceof BadInputError && /Install the package in the workspace \(npm install\)/.test(e.message));
  });

  it('says what a flow file threw as it was imported when that is no Error (a string, null), creating no run', async () => {
    const ws = workspace({
      's.flow.ts': flowSource(`throw 'no config';\nexport default flow({ name: 's' }, async () => 1);`),
      'n.flow.ts': flowSource(`throw null;\nexport default flow({ name: 'n' }, async () => 1);`),
      'c.flow.cts': `const { flow } = require('flowdeck');\nthrow 'cjs says no';\nmodule.exports = flow({ name: 'c' }, async () => 1);`,
    });
    const { store, runner } = await makeRunner(tempDir());
    const refused = async (file: string, message: RegExp) =>
      assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, file) } }), (e: unknown) => e instanceof BadInputError && e.reason === 'module' && message.test(e.message));
    await refused('s.flow.ts', /s\.flow\.ts failed: it threw "no config" \(a string, not an Error\) as it was imported/);
    await refused('n.flow.ts', /n\.flow\.ts failed: it threw null \(null, not an Error\) as it was imported/);
    await refused('c.flow.cts', /c\.flow\.cts failed: it threw "cjs says no" \(a string, not an Error\) as it was imported/);
    assert.equal(await store.count(), 0);
  });

  it('says a CommonJS flow file with top-level await needs to be an ES module, without the noop.js Node names', async () => {
    const ws = workspace({
      'a.flow.ts': `const { flow } = require('flowdeck');\nconst n = await Promise.resolve(5);\nmodule.exports = flow({ name: 'a' }, async () => n);\n`,
      'b.flow.cts': `const { flow } = require('flowdeck');\nconst n = await Promise.resolve(5);\nmodule.exports = flow({ name: 'b' }, async () => n);\n`,
    });
    const { store, runner } = await makeRunner(tempDir());
    for (const file of ['a.flow.ts', 'b.flow.cts']) {
      await assert.rejects(runner.start({ source: { kind: 'file', path: join(ws, file) } }), (e: unknown) => {
        assert.ok(e instanceof BadInputError && e.reason === 'module', String(e));
        assert.match(e.message, new RegExp(`${file.replace('.', '\\.')} failed: it uses top-level await, which only an ES module may: .*${file.replace('.', '\\.')} loads as CommonJS\\. Write it with import/export \\(or name it \\.mts\\)`));
        assert.doesNotMatch(e.message, /noop\.js/);
        return true;
      });
    }
    assert.equal(await store.count(), 0);
  });
});

describe('task runs are on record in the order they began', { timeout: 120_000 }, () => {
  const names = async (files: Record<string, string>, entry: string): Promise<{ live: string[]; stored: string[] }> => {
    const { detail, store } = await run(files, entry);
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    return { live: detail.taskRuns.map((t) => t.name), stored: (await store.readRun(detail.id))!.taskRuns.map((t) => t.name) };
  };
  const inOrder = (n: number) => Array.from({ length: n }, (_, i) => `step-${i}`);

  it('when a task turns slow mid-map (its next runs go out at their start, those held back before them go first)', async () => {
    // Item 5 keeps the worker busy 80 ms (over SLOW_MS), so item 6 goes out at its start while 1–5 are still held back.
    const got = await names(
      { 'slow.flow.ts': flowSource(`const step = task({ name: 'step' }, async (i: number) => {
  if (i === 5) { const t = Date.now(); while (Date.now() - t < 80) {} }
  await new Promise((r) => setTimeout(r, 100));
  return i;
});
export default flow({ name: 'turns-slow' }, async () => (await step.map([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).length);`) },
      'slow.flow.ts',
    );
    assert.deepEqual(got, { live: inOrder(10), stored: inOrder(10) });
  });

  it('when a task run ends before one that began earlier and is still held back (it overtook it)', async () => {
    // Item 2 lets item 1 go on and ends first, all in one turn of the event loop (the worker never falls idle).
    const got = await names(
      { 'overtake.flow.ts': flowSource(`let release: () => void = () => undefined;
const gate = new Promise<void>((r) => (release = r));
const step = task({ name: 'step' }, async (i: number) => {
  if (i === 1) await gate;
  if (i === 2) release();
  return i;
});
export default flow({ name: 'overtaken' }, async () => (await step.map([0, 1, 2, 3])).length);`) },
      'overtake.flow.ts',
    );
    assert.deepEqual(got, { live: inOrder(4), stored: inOrder(4) });
  });
});
