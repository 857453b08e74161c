/**
 * A flow's own concurrency limit (`concurrencyLimit`, Prefect's deployment `concurrency_limit`): a run of
 * the flow past it waits, Pending and saying for which run, and starts only once one ends — across
 * processes, a dead host's slot taken back; `collisionStrategy: 'cancel-new'` ends it Cancelled at once; a
 * run cancelled while it waits ends Cancelled; subflow calls are not counted; a wrong limit is refused
 * where it is written.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FlowRunDetail } from '../../src/engine/records';
import { flowRunTag } from '../../src/engine/limits/flowRunSlot';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { addRunJob } from '../../src/engine/postgres/runQueue';
import { CLI, flowSource, logsOf, makeRunner, runCli, tempDir, valueOf, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { startWorker } from '../support/workers';
import { gatedFlow } from '../support/gatedFlow';

/** Holds until its gate file exists; marks that it started. */
const GATED = (name: string, extra = '') => gatedFlow(name, `, concurrencyLimit: 1${extra}`);

describe('a flow concurrency limit', { timeout: 180_000 }, () => {
  it('a second run waits Pending, saying for which run, and starts once the first ended; the slot is given back; `limit ls` shows both', async () => {
    const ws = workspace({ 'one.flow.ts': GATED('one-at-a-time') });
    const home = tempDir();
    const { runner, store } = await makeRunner(home);
    const p = (n: string) => ({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
    const a = await runner.start({ source: { kind: 'file', path: join(ws, 'one.flow.ts') }, parameters: p('a') });
    await waitFor(() => existsSync(p('a').mark), 'the first run to start');
    const b = await runner.start({ source: { kind: 'file', path: join(ws, 'one.flow.ts') }, parameters: p('b') });
    await waitFor(async () => (await logsOf(store, b.id)).some((l) => l.message.startsWith('Waiting for a concurrency slot')), 'the second run to wait', 30_000);
    const waiting = (await store.get(b.id))!;
    assert.equal(waiting.state.name, 'Pending');
    assert.equal(waiting.state.message, `Waiting for a concurrency slot: flow 'one-at-a-time' runs at most 1 at once (running: '${a.name}')`);
    assert.equal(existsSync(p('b').mark), false, 'its code has not started');
    // `limit ls` names the flow's slot, who holds it and how many wait, though its limit is in code.
    const ls = await runCli(['limit', 'ls'], { env: { FLOWDECK_HOME: home } });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(`^flow 'one-at-a-time'  1 in use, 1 waiting \\(its concurrencyLimit, in its code\\)\n  flow run '${a.name}': for \\S+`, 'm'));
    const json = JSON.parse((await runCli(['limit', 'ls', '--json'], { env: { FLOWDECK_HOME: home } })).stdout) as { flow?: string; active: number; waiting: number; holders: { runId: string }[] }[];
    assert.deepEqual(json.map((l) => [l.flow, l.active, l.waiting, l.holders.map((h) => h.runId)]), [['one-at-a-time', 1, 1, [a.id]]]);
    writeFileSync(p('a').gate, '');
    const [da, db] = await Promise.all([a.done, b.done]);
    assert.equal(da.state.name, 'Completed', da.state.message);
    assert.equal(db.state.name, 'Completed', db.state.message);
    assert.ok(db.startTime! >= da.endTime!, `the second ran after the first ended (${db.startTime} ≥ ${da.endTime})`);
    assert.ok((await logsOf(store, b.id)).some((l) => /^Got a concurrency slot of flow 'one-at-a-time' after /.test(l.message)));
    await waitFor(async () => (await store.limits.leases(flowRunTag('one-at-a-time'))).length === 0, 'the slot to be given back');
    assert.equal((await runCli(['limit', 'ls'], { env: { FLOWDECK_HOME: home } })).stdout.trim(), 'No concurrency limits. Set one with `flowdeck limit set <tag> <n>`.');
  });

  it("this process's runs waiting for a slot of their flow get it in the order they asked, one at a time", async () => {
    const ws = workspace({
      'turns.flow.ts': flowSource(`
import { appendFileSync, existsSync } from 'node:fs';
export default flow({ name: 'turns', concurrencyLimit: 1 }, async ({ gate, order, me }: { gate: string; order: string; me: string }) => {
  appendFileSync(order, me + ' start\\n');
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
  appendFileSync(order, me + ' end\\n');
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const order = join(ws, 'order');
    const start = (me: string) => runner.start({ source: { kind: 'file', path: join(ws, 'turns.flow.ts') }, parameters: { gate: join(ws, 'gate'), order, me } });
    const first = await start('a');
    await waitFor(() => existsSync(order), 'the first run to start');
    const runs = [first];
    // Each asks after the one before it waits (so the order they asked is known).
    for (const me of ['b', 'c', 'd', 'e']) {
      const r = await start(me);
      runs.push(r);
      await waitFor(async () => (await logsOf(store, r.id)).some((l) => l.message.startsWith('Waiting for a concurrency slot')), `run ${me} to wait`, 30_000);
    }
    writeFileSync(join(ws, 'gate'), '');
    const ends = await Promise.all(runs.map((r) => r.done));
    for (const d of ends) assert.equal(d.state.name, 'Completed', d.state.message);
    const lines = readFileSync(order, 'utf8').trim().split('\n');
    console.log(`# flow slot order: ${lines.join(', ')}`);
    assert.deepEqual(lines, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end', 'd start', 'd end', 'e start', 'e end'], 'one at a time, in the order they asked');
  });

  it("collisionStrategy 'cancel-new' ends the second run Cancelled at once, its code never run; one cancelled while it waits ends Cancelled, the first unharmed", async () => {
    const ws = workspace({ 'solo.flow.ts': GATED('solo', ", collisionStrategy: 'cancel-new'"), 'queue.flow.ts': GATED('queued') });
    const { runner, store } = await makeRunner(tempDir());
    const p = (n: string) => ({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
    const first = await runner.start({ source: { kind: 'file', path: join(ws, 'solo.flow.ts') }, parameters: p('first') });
    await waitFor(() => existsSync(p('first').mark), 'the first run to start');
    const second = await (await runner.start({ source: { kind: 'file', path: join(ws, 'solo.flow.ts') }, parameters: p('second') })).done;
    assert.equal(second.state.name, 'Cancelled');
    assert.equal(second.state.message, `Cancelled at once (collisionStrategy 'cancel-new'): flow 'solo' runs at most 1 at once (running: '${first.name}')`);
    assert.equal(second.startTime, undefined, 'it never started');
    assert.equal(existsSync(p('second').mark), false);

    const held = await runner.start({ source: { kind: 'file', path: join(ws, 'queue.flow.ts') }, parameters: p('held') });
    await waitFor(() => existsSync(p('held').mark), 'the queued flow to start');
    const waiter = await runner.start({ source: { kind: 'file', path: join(ws, 'queue.flow.ts') }, parameters: p('waiter') });
    await waitFor(async () => (await store.get(waiter.id))?.state.message?.startsWith('Waiting for a concurrency slot') === true, 'the waiter to wait', 30_000);
    assert.equal(runner.cancel(waiter.id, 'Not needed'), true);
    const cancelled = await waiter.done;
    assert.equal(cancelled.state.name, 'Cancelled');
    assert.match(cancelled.state.message ?? '', /^Cancelled while it waited for a concurrency slot: flow 'queued' runs at most 1 at once/);
    assert.equal(existsSync(p('waiter').mark), false);
    writeFileSync(p('x').gate, '');
    assert.equal((await first.done).state.name, 'Completed');
    assert.equal((await held.done).state.name, 'Completed');
  });

  for (const backend of ['embedded', 'postgres'] as const) {
    it(`across processes (${backend} store): runs waiting for a slot of their flow, each in a process of its own, start in the order they asked, one at a time`, { ...(backend === 'postgres' && PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
      const home = tempDir();
      const ws = workspace({ 'line.flow.ts': GATED('line') });
      const p = (n: string) => JSON.stringify({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
      const schema = freshSchema();
      const env = backend === 'postgres' ? { FLOWDECK_HOME: home, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema } : { FLOWDECK_HOME: home };
      const runs: Promise<{ code: number | null; stderr: string }>[] = [];
      const run = (n: string): void => void runs.push(runCli(['run', 'line.flow.ts', '--params', p(n)], { cwd: ws, env }));
      run('a');
      await waitFor(() => existsSync(join(ws, 'started-a')), 'the first run to start', 60_000);
      const store = backend === 'postgres' ? await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true }) : (await makeRunner(home)).store;
      const waitingNow = async (): Promise<number> => {
        await store.refresh();
        return (await store.list({ flowNames: ['line'] })).filter((r) => r.state.message?.startsWith('Waiting for a concurrency slot') === true).length;
      };
      try {
        // Each asks once the one before it waits: b first, then c, then d.
        for (const [i, n] of ['b', 'c', 'd'].entries()) {
          run(n);
          await waitFor(async () => (await waitingNow()) === i + 1, `run ${n} to wait`, 60_000);
        }
        writeFileSync(join(ws, 'gate'), '');
        for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
        await store.refresh();
        const ended = (await Promise.all((await store.list({ flowNames: ['line'] })).map(async (r) => (await store.readRun(r.id))!))).sort((x, y) => x.startTime! - y.startTime!);
        assert.deepEqual(ended.map((r) => (r.parameters as { mark: string }).mark.slice(-1)), ['a', 'b', 'c', 'd'], 'started in the order they asked');
        for (let i = 1; i < ended.length; i++) assert.ok(ended[i]!.startTime! >= ended[i - 1]!.endTime!, 'one at a time');
        console.log(`[figure] ${backend}: gaps between one's end and the next one's start: ${ended.slice(1).map((r, i) => r.startTime! - ended[i]!.endTime!).join(', ')} ms`);
      } finally {
        writeFileSync(join(ws, 'gate'), '');
        await Promise.allSettled(runs);
        await store.close();
      }
    });
  }

  it("across processes: a run waits for another process's run, and takes the slot of one whose host was killed", async () => {
    const home = tempDir();
    const ws = workspace({ 'shared.flow.ts': GATED('shared') });
    const p = (n: string) => ({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
    const cli = spawn(process.execPath, [CLI, 'run', 'shared.flow.ts', '--params', JSON.stringify(p('cli'))], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore', detached: true });
    const exited = new Promise((r) => cli.on('close', r));
    try {
      await waitFor(() => existsSync(p('cli').mark), "the other process's run to start", 60_000);
      const { runner, store } = await makeRunner(home);
      const mine = await runner.start({ source: { kind: 'file', path: join(ws, 'shared.flow.ts') }, parameters: p('mine') });
      await waitFor(async () => (await store.get(mine.id))?.state.message?.startsWith('Waiting for a concurrency slot') === true, 'this run to wait for the other', 30_000);
      await store.refresh();
      const theirs = (await store.list({ flowNames: ['shared'] })).find((r) => r.id !== mine.id)!;
      assert.equal((await store.get(mine.id))!.state.message, `Waiting for a concurrency slot: flow 'shared' runs at most 1 at once (running: '${theirs.name}')`, "the other process's run named");
      assert.equal(existsSync(p('mine').mark), false);
      // The other host dies with its run: its slot is taken back, and this run starts (its gate still shut).
      process.kill(-cli.pid!, 'SIGKILL');
      await exited;
      await waitFor(() => existsSync(p('mine').mark), 'this run to start once the holder died', 30_000);
      writeFileSync(p('x').gate, '');
      const done: FlowRunDetail = await mine.done;
      assert.equal(done.state.name, 'Completed', done.state.message);
    } finally {
      try {
        process.kill(-cli.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  });

  it("on Postgres workers: a queued run past its flow's limit goes back to its queue, holding none of the worker's --concurrency, so another flow's run goes meanwhile; each runs once", { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace({ 'one.flow.ts': GATED('queued-one'), 'other.flow.ts': flowSource(`export default flow({ name: 'other' }, async () => 'other ran');`) });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, concurrency: 2 });
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    const mark = (n: string) => join(ws, `started-${n}`);
    const queue = async (file: string, n?: string): Promise<string> => {
      const params = n === undefined ? [] : ['--params', JSON.stringify({ gate: join(ws, 'gate'), mark: mark(n) })];
      const r = await runCli(['run', file, '--queue', 'default', '--json', ...params], { cwd: ws, env });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: string }).id;
    };
    try {
      const a = await queue('one.flow.ts', 'a');
      await waitFor(() => existsSync(mark('a')), 'the first run to start on the worker', 60_000);
      const b = await queue('one.flow.ts', 'b');
      const c = await queue('one.flow.ts', 'c');
      await waitFor(async () => (await Promise.all([b, c].map((id) => store.get(id)))).every((r) => r?.state.name === 'AwaitingConcurrencySlot'), 'both to be given back, saying why', 60_000);
      assert.match((await store.get(b))!.state.message!, /^Waiting for a concurrency slot: flow 'queued-one' runs at most 1 at once, and every slot is held; it waits on queue 'default' and starts when a slot is free, after the runs queued before it$/);
      // The worker's two jobs are not held by them: another flow's run goes at once.
      const other = await queue('other.flow.ts');
      await waitFor(async () => (await store.get(other))?.state.name === 'Completed', "another flow's run to complete while they wait", 60_000);
      assert.equal(existsSync(mark('b')) || existsSync(mark('c')), false, 'their code has not run');
      // One cancelled while it waits on the queue ends Cancelled at once, and never runs.
      const d = await queue('one.flow.ts', 'd');
      await waitFor(async () => (await store.get(d))?.state.name === 'AwaitingConcurrencySlot', 'a fourth to be given back', 60_000);
      const cancelled = await runCli(['cancel', d], { cwd: ws, env });
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.equal((await store.get(d))?.state.name, 'Cancelled');
      const e = await queue('one.flow.ts', 'e');
      await waitFor(async () => (await store.get(e))?.state.name === 'AwaitingConcurrencySlot', 'a fifth to be given back', 60_000);
      writeFileSync(join(ws, 'gate'), '');
      await waitFor(async () => (await Promise.all([a, b, c, e].map((id) => store.get(id)))).every((r) => r?.state.name === 'Completed'), 'all four to complete', 90_000);
      // Each slot freed went to the run queued first of those waiting (not to whichever asked first).
      const runs = await Promise.all([a, b, c, e].map(async (id) => (await store.readRun(id))!));
      console.log(`gaps: ${runs.slice(1).map((r, i) => r.startTime! - runs[i]!.endTime!).join(", ")} ms`);
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startTime! >= runs[i - 1]!.endTime!, `run ${i + 1} of 4 started after run ${i} ended, in the order queued: ${runs.map((r) => `${r.startTime}-${r.endTime}`).join(', ')}`);
      for (const id of [b, c, e]) {
        const d = (await store.readRun(id))!;
        assert.deepEqual(d.states.map((s) => s.name), ['Scheduled', 'AwaitingConcurrencySlot', 'Pending', 'Running', 'Completed'], 'taken up once, run once');
        assert.equal(d.attempt, 1);
      }
      assert.equal(existsSync(mark('d')), false, 'the cancelled one never ran');
      assert.match(worker.output(), /flow 'queued-one' runs at most 1 at once, and every slot is held; back on queue 'default'/);
    } finally {
      await store.close();
      await worker.stop();
    }
  });

  it('on Postgres workers: a worker new to the flow takes no free slot due to a run queued before: it gives its run back, and each runs in the order queued', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const { ws, schema, store, mark, queue } = await gatedQueue('turn-one');
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      const b = await queue('b');
      // Given back by a worker (gone since): it waits for a slot, its job due in ten minutes.
      await addRunJob(store.pool, schema, 'default', b, `run:${b}`, { at: Date.now() + 600_000 });
      assert.equal(await store.shared.markAwaitingSlot(b, 'Waiting for a concurrency slot: given back'), true);
      const c = await queue('c');
      // Every slot free, but due to b: a fresh worker loads c, and gives it back instead of running it.
      worker = await startWorker({ url: pgUrl(), schema, name: 'fresh', flowsDir: ws, concurrency: 2 });
      await waitFor(async () => (await store.get(c))?.state.name === 'AwaitingConcurrencySlot', 'the later run to be given back', 60_000).catch(async (e: Error) => {
        throw new Error(`${e.message}; it is ${JSON.stringify((await store.get(c))?.state)}; the worker said:\n${worker!.output()}`);
      });
      assert.match((await store.get(c))!.state.message!, /^Waiting for a concurrency slot: flow 'turn-one' runs at most 1 at once, and its free slots go first to the run queued before it; it waits on queue 'default'/);
      assert.equal(existsSync(mark('c')), false, 'its code has not run');
      // A slot of the flow frees (as when a run of it ends anywhere): b is handed out, then c, one after the other.
      writeFileSync(join(ws, 'gate'), '');
      assert.equal(await store.shared.flowSlotFreed('turn-one', 1), 1);
      await waitFor(async () => (await Promise.all([b, c].map((id) => store.get(id)))).every((r) => r?.state.name === 'Completed'), 'both to complete', 90_000);
      const [rb, rc] = await Promise.all([b, c].map(async (id) => (await store.readRun(id))!));
      assert.ok(rc!.startTime! >= rb!.endTime!, `the later run started after the earlier ended: ${rb!.startTime}-${rb!.endTime}, ${rc!.startTime}-${rc!.endTime}`);
      assert.deepEqual(rc!.states.map((x) => x.name), ['Scheduled', 'AwaitingConcurrencySlot', 'Pending', 'Running', 'Completed'], 'taken up once, run once');
    } finally {
      await store.close();
      await worker?.stop();
    }
  });

  it('on Postgres workers: runs queued before two fresh workers start run in the order queued, one at a time (a run being taken up elsewhere counts as ahead)', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace({ 'burst.flow.ts': flowSource(`export default flow({ name: 'burst', concurrencyLimit: 1 }, async ({ n }: { n: number }) => { await new Promise((r) => setTimeout(r, 100)); return n; });`) });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const ids: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const r = await runCli(['run', 'burst.flow.ts', '--queue', 'default', '--json', '--params', JSON.stringify({ n })], { cwd: ws, env });
      assert.equal(r.code, 0, r.stderr);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    const workers: Awaited<ReturnType<typeof startWorker>>[] = [];
    try {
      // Two workers new to the flow take two runs each at once.
      workers.push(...(await Promise.all(['w1', 'w2'].map((name) => startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2 })))));
      await waitFor(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((r) => r?.state.name === 'Completed'), 'all six to complete', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${(await Promise.all(ids.map((id) => store.get(id)))).map((r) => `${r?.state.name} ${r?.state.message ?? ''}`).join('; ')}\n${workers.map((w) => w.output()).join('\n')}`);
      });
      const runs = await Promise.all(ids.map(async (id) => (await store.readRun(id))!));
      const order = [...runs].sort((a, b) => a.startTime! - b.startTime!).map((r) => (r.parameters as { n: number }).n);
      assert.deepEqual(order, [1, 2, 3, 4, 5, 6], 'started in the order queued');
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startTime! >= runs[i - 1]!.endTime!, 'one at a time');
    } finally {
      await store.close();
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  it("on Postgres workers: a run whose job another worker picked and has not yet claimed counts as ahead: the run queued after it is given back, and they run in the order queued", { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    // A live worker's host: its queue worker id holds the first run's job, as a worker that picked it would.
    const { ws, schema, store, mark, queue, jobs } = await gatedQueue('picked-one');
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      const a = await queue('a');
      const b = await queue('b');
      // a's job picked by that worker, which has not claimed a's start yet (a still says it waits for a worker).
      await store.lease!.addQueueWorker('picker-of-a');
      const locked = await store.pool.query(`update ${jobs} set locked_at = now(), locked_by = 'picker-of-a', attempts = attempts + 1 where key = $1`, [`run:${a}`]);
      assert.equal(locked.rowCount, 1);
      writeFileSync(join(ws, 'gate'), '');
      // A fresh worker takes b: every slot is free, but due to a.
      worker = await startWorker({ url: pgUrl(), schema, name: 'fresh', flowsDir: ws, concurrency: 2 });
      await waitFor(async () => ['AwaitingConcurrencySlot', 'Completed'].includes((await store.get(b))?.state.name ?? ''), 'the later run to be given back', 60_000);
      assert.equal((await store.get(b))?.state.name, 'AwaitingConcurrencySlot', `the run queued after a did not run before it; the worker said:\n${worker.output()}`);
      assert.match((await store.get(b))!.state.message!, /its free slots go first to the run queued before it; it waits on queue 'default'/);
      assert.equal(existsSync(mark('b')), false, 'its code has not run');
      // The picker hands a's job back (as graphile-worker does a job it did not run): the worker runs a, then b.
      await store.pool.query(`update ${jobs} set locked_at = null, locked_by = null where key = $1`, [`run:${a}`]);
      await waitFor(async () => (await Promise.all([a, b].map((id) => store.get(id)))).every((r) => r?.state.name === 'Completed'), 'both to complete', 90_000);
      const [ra, rb] = await Promise.all([a, b].map(async (id) => (await store.readRun(id))!));
      assert.ok(rb!.startTime! >= ra!.endTime!, `the later run started after the earlier ended: ${ra!.startTime}-${ra!.endTime}, ${rb!.startTime}-${rb!.endTime}`);
    } finally {
      await store.close();
      await worker?.stop();
    }
  });

  it('on Postgres workers: runs queued before that nothing will take up — a job failed for good, one held by a worker gone — hold back no run queued after them', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const { ws, schema, store, queue, jobs } = await gatedQueue('stuck-one');
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      // a was given back waiting for a slot, and its job then failed for good (its attempts spent).
      const a = await queue('a');
      assert.equal(await store.shared.markAwaitingSlot(a, 'Waiting for a concurrency slot: given back'), true);
      await store.pool.query(`update ${jobs} set attempts = max_attempts, last_error = 'failed for good' where key = $1`, [`run:${a}`]);
      // b's job is held by a worker no live host has (it died; its lock is never freed by the reaper).
      const b = await queue('b');
      await store.pool.query(`update ${jobs} set locked_at = now(), locked_by = 'dead-worker', attempts = attempts + 1 where key = $1`, [`run:${b}`]);
      const c = await queue('c');
      writeFileSync(join(ws, 'gate'), '');
      worker = await startWorker({ url: pgUrl(), schema, name: 'fresh', flowsDir: ws, concurrency: 2 });
      await waitFor(async () => (await store.get(c))?.state.name === 'Completed', 'the run queued after them to complete', 60_000).catch(async (e: Error) => {
        throw new Error(`${e.message}; it is ${JSON.stringify((await store.get(c))?.state)}; the worker said:\n${worker!.output()}`);
      });
      assert.deepEqual((await store.readRun(c))!.states.map((s) => s.name), ['Scheduled', 'Pending', 'Running', 'Completed'], 'taken up at once, not given back');
      // c's end hands a, waiting for a slot, to the workers again (a fresh job): it runs after c.
      await waitFor(async () => (await store.get(a))?.state.name === 'Completed', 'the run given back to complete once a slot freed', 60_000);
      const [ra, rc] = await Promise.all([a, c].map(async (id) => (await store.readRun(id))!));
      assert.ok(ra!.startTime! >= rc!.endTime!, 'one at a time');
      assert.equal((await store.get(b))?.state.name, 'Scheduled', 'b waits for its job to be freed');
    } finally {
      await store.close();
      await worker?.stop();
    }
  });

  it('on Postgres: runs of two processes take turns', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace({ 'pg.flow.ts': GATED('pg-one') });
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() };
    const p = (n: string) => JSON.stringify({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
    const a = runCli(['run', 'pg.flow.ts', '--params', p('a'), '--json'], { cwd: ws, env });
    await waitFor(() => existsSync(join(ws, 'started-a')), 'the first run to start', 60_000);
    const b = runCli(['run', 'pg.flow.ts', '--params', p('b'), '--json'], { cwd: ws, env });
    const reader = await PgStore.open(pgUrl(), { home: tempDir(), schema: env.FLOWDECK_STORE_SCHEMA, readOnly: true });
    try {
      await waitFor(async () => (await reader.list({ flowNames: ['pg-one'] })).some((r) => r.state.message?.startsWith('Waiting for a concurrency slot') === true), 'the second run to wait', 60_000);
    } finally {
      await reader.close();
    }
    assert.equal(existsSync(join(ws, 'started-b')), false);
    writeFileSync(join(ws, 'gate'), '');
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stderr, /Waiting for a concurrency slot: flow 'pg-one' runs at most 1 at once \(running: '[a-z]+-[a-z]+'\)/);
    const ja = JSON.parse(ra.stdout) as { endTime: string };
    const jb = JSON.parse(rb.stdout) as { startTime: string };
    assert.ok(Date.parse(jb.startTime) >= Date.parse(ja.endTime), `the second ran after the first ended (${jb.startTime} ≥ ${ja.endTime})`);
  });

  it('a run whose worker dies is resumed by its retries with the slot it held, twice over (not waiting for itself)', async () => {
    const ws = workspace({
      'dies.flow.ts': flowSource(`
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
export default flow({ name: 'dies', concurrencyLimit: 1, retries: 2 }, async ({ dir }: { dir: string }) => {
  for (const n of [1, 2]) {
    if (!existsSync(dir + '/died-' + n)) {
      writeFileSync(dir + '/died-' + n, '');
      process.kill(process.pid, 'SIGKILL');
    }
  }
  return 'third attempt';
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const done = await (await runner.start({ source: { kind: 'file', path: join(ws, 'dies.flow.ts') }, parameters: { dir: ws } })).done;
    assert.equal(done.state.name, 'Completed', done.state.message);
    assert.equal(done.attempt, 3);
    assert.equal(valueOf(done), 'third attempt');
    assert.ok(!(await logsOf(store, done.id)).some((l) => l.message.startsWith('Waiting for a concurrency slot')), 'it never waited for its own slot');
    await waitFor(async () => (await store.limits.leases(flowRunTag('dies'))).length === 0, 'the slot to be given back once it ended');
  });

  it('a subflow call is not counted, and a wrong limit or strategy is refused where it is written', async () => {
    const ws = workspace({
      // Calls itself as a subflow while its run holds the flow's one slot: counted, it would wait for ever.
      'nested.flow.ts': flowSource(`
const outer = flow({ name: 'outer', concurrencyLimit: 1 }, async ({ depth }: { depth: number }): Promise<string> => (depth > 0 ? outer({ depth: depth - 1 }) : 'bottom'));
export default outer;`),
      'zero.flow.ts': flowSource(`export default flow({ name: 'zero', concurrencyLimit: 0 }, async () => 1);`),
      'odd.flow.ts': flowSource(`export default flow({ name: 'odd', concurrencyLimit: 1, collisionStrategy: 'skip' as never }, async () => 1);`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    const nested = await (await runner.start({ source: { kind: 'file', path: join(ws, 'nested.flow.ts') }, parameters: { depth: 2 } })).done;
    assert.equal(nested.state.name, 'Completed', nested.state.message);
    assert.equal(valueOf(nested), 'bottom');
    const zero = await runCli(['run', 'zero.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /concurrencyLimit must be a whole number from 1 to 1000/);
    const odd = await runCli(['run', 'odd.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(odd.code, 2);
    assert.match(odd.stderr, /collisionStrategy must be 'enqueue' or 'cancel-new'/);
  });
});

/**
 * A gated flow `name` in a workspace on a fresh Postgres schema, a store on it (a live host, as a worker's),
 * `queue(n)` queuing a run of it with `run --queue` (its code marks `mark(n)` once past the gate), and the
 * queue's jobs table, to hold or fail a run's job as a worker would.
 */
async function gatedQueue(name: string) {
  const ws = workspace({ 'one.flow.ts': GATED(name) });
  const schema = freshSchema();
  const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
  const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', detectCrashed: false });
  const mark = (n: string) => join(ws, `started-${n}`);
  const queue = async (n: string): Promise<string> => {
    const r = await runCli(['run', 'one.flow.ts', '--queue', 'default', '--json', '--params', JSON.stringify({ gate: join(ws, 'gate'), mark: mark(n) })], { cwd: ws, env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }).id;
  };
  return { ws, schema, store, mark, queue, jobs: `"${schema}_queue"._private_jobs` };
}
