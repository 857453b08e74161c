/**
 * `flowdeck run … --queue NAME [--wait]` with a `flowdeck worker`: exit codes as for a local run, the
 * worker's copy of a flow file checked by content hash, cancel from another process reaching the worker.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, logsOf, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { PROC_SKIP, processAlive, workerChildren } from '../support/childWorkers';
import { explainedBy, startWorker } from '../support/workers';

const FLOWS = {
  'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async ({ n }: { n: number }) => { getRunLogger().info('adding ' + n); return n + 1; });`),
  // Two flows in one file: the queued run names the one it runs.
  'flows/pair.flow.ts': flowSource(`export const first = flow({ name: 'first' }, async () => 'first ran');
export const second = flow({ name: 'second' }, async () => 'second ran');`),
  'flows/fails.flow.ts': flowSource(`export default flow({ name: 'fails' }, async () => { throw new Error('boom from the flow'); });`),
  'flows/release.flow.ts': flowSource(`export default flow({ name: 'release', parameters: { version: { type: 'string' }, times: { type: 'integer', default: 1 } } }, async (p: Record<string, unknown>) => p);`),
  // Where and since when the run's worker process is: its pid and its start (epoch ms).
  'flows/origin.flow.ts': flowSource(`export default flow({ name: 'origin' }, async () => ({ pid: process.pid, origin: performance.timeOrigin }));`),
  // The same, after a while: runs taken together overlap.
  'flows/origin-later.flow.ts': flowSource(`export default flow({ name: 'origin-later' }, async () => { await new Promise((r) => setTimeout(r, 1500)); return { pid: process.pid, origin: performance.timeOrigin }; });`),
  'flows/stamp.flow.ts': flowSource(`const stamp = task({ name: 'stamp', cacheKey: () => 'stamp' }, async () => String(Math.random()));
export default flow({ name: 'stamp', tags: ['stamps'] }, async () => stamp());`),
  // Tags built when it loads: not readable as it is queued.
  'flows/built-tags.flow.ts': flowSource(`export default flow({ name: 'built-tags', tags: ['built-' + 'late'] }, async () => 'ran');`),
  'flows/slow.flow.ts': flowSource(`export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); await new Promise((r, j) => { const t = setTimeout(r, 120_000); getRunContext().signal.addEventListener('abort', () => { clearTimeout(t); j(new Error('stopped')); }); }); });`),
};

describe('flowdeck run --queue', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('runs on a worker and follows it like a local run: logs, JSON, exit codes; a differing flow file fails naming both hashes; cancel reaches the worker', async () => {
    const ws = workspace(FLOWS);
    // The worker's copy of the workspace: the same files, except one edited.
    const copy = workspace({ ...FLOWS, 'flows/fails.flow.ts': `${FLOWS['flows/fails.flow.ts']}\n// edited on the worker\n` });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'q1', flowsDir: copy, concurrency: 2 });
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    try {
      await explainedBy(worker, async () => {
        const ok = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'default', '--wait', '--json', '--param', 'n=41'], { cwd: ws, env });
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(JSON.parse(ok.stdout).result, 42);
        assert.match(ok.stderr, /Queued flow run '[a-z]+-[a-z]+'/);
        assert.match(ok.stderr, /adding 41/);
        assert.match(ok.stderr, /worker q1 took flow run/);

        // One of a file's two flows, picked with --flow: the worker runs that one.
        const picked = await runCli(['run', 'flows/pair.flow.ts', '--flow', 'second', '--queue', 'default', '--wait', '--json'], { cwd: ws, env });
        assert.equal(picked.code, 0, picked.stderr);
        assert.equal(JSON.parse(picked.stdout).flowName, 'second');
        assert.equal(JSON.parse(picked.stdout).result, 'second ran');

        // Its declared defaults filled in, a queued run records the parameters it ran with, as a local run
        // does (it recorded only those given: {} for none).
        const local = await runCli(['run', 'flows/release.flow.ts', '--json', '--param', 'version=2.0'], { cwd: ws, env });
        const onWorker = await runCli(['run', 'flows/release.flow.ts', '--queue', 'default', '--wait', '--json', '--param', 'version=2.0'], { cwd: ws, env });
        assert.equal(local.code, 0, local.stderr);
        assert.equal(onWorker.code, 0, onWorker.stderr);
        assert.deepEqual(JSON.parse(local.stdout).parameters, { version: '2.0', times: 1 });
        assert.deepEqual(JSON.parse(onWorker.stdout).parameters, JSON.parse(local.stdout).parameters);
        assert.deepEqual(JSON.parse(onWorker.stdout).result, JSON.parse(onWorker.stdout).parameters);
        assert.deepEqual((await store.readRun(JSON.parse(onWorker.stdout).id))!.parameters, { version: '2.0', times: 1 });
        assert.deepEqual(await store.parametersOf(JSON.parse(onWorker.stdout).id), { version: '2.0', times: 1 }, "as the editor's tooltip and Rerun read them");

        const differs = await runCli(['run', 'flows/fails.flow.ts', '--queue', 'default', '--wait'], { cwd: ws, env });
        assert.equal(differs.code, 1, differs.stderr);
        const failed = (await store.list({ flowNames: ['fails'] }))[0]!;
        assert.equal(failed.state.name, 'Failed');
        assert.match(failed.state.message!, /content hash is [0-9a-f]{64}, the run was queued with [0-9a-f]{64}/);
        // Its logs say so too, as a run that started would end them; and so does the CLI that followed it.
        const lastLog = (await logsOf(store, failed.id)).at(-1);
        assert.equal(lastLog?.source, `Flow run '${failed.name}'`);
        assert.match(lastLog?.message ?? '', /^Finished in state Failed\('worker q1 could not start the run: .*content hash is [0-9a-f]{64}, the run was queued with [0-9a-f]{64}/);
        assert.match(differs.stderr, /Finished in state Failed\('worker q1 could not start the run: /);

        // The same file on both sides: the flow's own failure, exit 1.
        writeFileSync(join(copy, 'flows', 'fails.flow.ts'), FLOWS['flows/fails.flow.ts']);
        const boom = await runCli(['run', 'flows/fails.flow.ts', '--queue', 'default', '--wait'], { cwd: ws, env });
        assert.equal(boom.code, 1);
        assert.match(boom.stderr, /boom from the flow/);

        // Queued without --wait: exit 0 at once; cancelled from this machine while the worker runs it.
        const queued = await runCli(['run', 'flows/slow.flow.ts', '--queue', 'default', '--json'], { cwd: ws, env });
        assert.equal(queued.code, 0, queued.stderr);
        const id = JSON.parse(queued.stdout).id as string;
        await waitFor(async () => (await store.get(id))?.state.name === 'Running', 'the slow run to start on the worker', 60_000);
        const canceller = await PgStore.open(pgUrl(), { home: tempDir(), schema });
        assert.equal(await canceller.shared.requestCancel(id, 'Cancelled from another machine'), 'requested');
        await canceller.close();
        await waitFor(async () => (await store.get(id))?.state.name === 'Cancelled', 'the cancel to reach the worker', 60_000);

        const usage = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'default'], { cwd: ws, env: { FLOWDECK_STORE: '', FLOWDECK_HOME: tempDir() } });
        assert.equal(usage.code, 2);
        assert.match(usage.stderr, /--queue needs a Postgres store/);
        const bad = await runCli(['runs', '--store', 'mysql://x@y/z'], { cwd: ws });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /must be a postgres:\/\/ URL/);
      });
    } finally {
      await store.close();
      await worker.stop();
    }
  });

  it('--refresh-cache: a queued run (and a local one) runs its cached tasks and replaces their results; the run says so in its logs and JSON; a queued run carries its tags', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'q1', flowsDir: ws });
    try {
      await explainedBy(worker, async () => {
        const queued = async (...extra: string[]) => {
          const r = await runCli(['run', 'flows/stamp.flow.ts', '--queue', 'default', '--wait', '--json', ...extra], { cwd: ws, env });
          assert.equal(r.code, 0, r.stderr);
          return { json: JSON.parse(r.stdout) as { result: string; refreshCache?: true; tags?: string[]; taskRuns: { state: { name: string } }[] }, stderr: r.stderr };
        };
        // (A queued run carries its flow's literal tags, read as it is queued, and those given.)
        const first = await queued('--tag', 'queued');
        assert.deepEqual(first.json.tags, ['stamps', 'queued']);
        const again = await queued();
        assert.deepEqual(again.json.tags, ['stamps']);
        // Tags the flow builds as it loads: given to the run as the worker takes it up.
        const built = await runCli(['run', 'flows/built-tags.flow.ts', '--queue', 'default', '--wait', '--json', '--tag', 'queued'], { cwd: ws, env });
        assert.equal(built.code, 0, built.stderr);
        assert.deepEqual((JSON.parse(built.stdout) as { tags?: string[] }).tags, ['queued', 'built-late']);
        assert.equal(again.json.result, first.json.result);
        assert.equal(again.json.taskRuns[0]!.state.name, 'Cached');
        assert.equal(again.json.refreshCache, undefined);
        assert.doesNotMatch(again.stderr, /Refreshing the cache/);

        const refreshed = await queued('--refresh-cache');
        assert.notEqual(refreshed.json.result, first.json.result);
        assert.equal(refreshed.json.taskRuns[0]!.state.name, 'Completed');
        assert.equal(refreshed.json.refreshCache, true);
        assert.match(refreshed.stderr, /Refreshing the cache: tasks with a cacheKey run instead of returning a cached result/);
        assert.equal((await queued()).json.result, refreshed.json.result, 'the refreshed result is the cached one now');

        const local = await runCli(['run', 'flows/stamp.flow.ts', '--refresh-cache', '--json'], { cwd: ws, env });
        assert.equal(local.code, 0, local.stderr);
        assert.notEqual(JSON.parse(local.stdout).result, refreshed.json.result);
        assert.equal(JSON.parse(local.stdout).refreshCache, true);
        assert.match(local.stderr, /Refreshing the cache/);
      });
    } finally {
      await worker.stop();
    }
  });

  it('--idempotency-key with --queue: queued once; a second queue says so without queuing, --wait follows the one run to its end', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const queue = (...extra: string[]) => runCli(['run', 'flows/ok.flow.ts', '--queue', 'default', '--param', 'n=1', '--idempotency-key', 'nightly-7', '--json', ...extra], { cwd: ws, env });
    // No worker yet: the run waits on its queue.
    const first = await queue();
    assert.equal(first.code, 0, first.stderr);
    const id = (JSON.parse(first.stdout) as { id: string }).id;
    const second = await queue();
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as { id: string }).id, id);
    assert.match(second.stderr, /already; it is Scheduled, and is not queued again/);
    const worker = await startWorker({ url: pgUrl(), schema, name: 'q1', flowsDir: ws });
    try {
      await explainedBy(worker, async () => {
        const waited = await queue('--wait');
        assert.equal(waited.code, 0, waited.stderr);
        const run = JSON.parse(waited.stdout) as { id: string; result: number; idempotencyKey?: string };
        assert.equal(run.id, id);
        assert.equal(run.idempotencyKey, 'nightly-7');
        assert.equal(run.result, 2);
      });
    } finally {
      await worker.stop();
    }
    const runs = JSON.parse((await runCli(['runs', '--json', '--flow', 'ok'], { cwd: ws, env })).stdout) as unknown[];
    assert.equal(runs.length, 1, 'queued once');
  });

  it('starts a queued run on the process the worker forked ahead (its standby), also after a run; with --no-standby, on one forked once it took the run', { ...(PROC_SKIP !== undefined ? { skip: PROC_SKIP } : {}) }, async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const warm = await startWorker({ url: pgUrl(), schema, name: 'warm', flowsDir: ws, concurrency: 1, queue: 'warm' });
    const cold = await startWorker({ url: pgUrl(), schema, name: 'cold', flowsDir: ws, concurrency: 1, queue: 'cold', args: ['--no-standby'] });
    assert.match(cold.output(), /\(concurrency 1, no standby process, flows from /);
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    const queued = async (queue: string): Promise<{ pid: number; origin: number; created: number }> => {
      const r = await runCli(['run', 'flows/origin.flow.ts', '--queue', queue, '--wait', '--json'], { cwd: ws, env });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { id: string; result: { pid: number; origin: number } };
      return { ...out.result, created: (await store.get(out.id))!.created };
    };
    try {
      const pids = new Set<number>();
      for (let i = 0; i < 3; i++) {
        // The process waiting for the next run (not the last run's, which may still be going).
        let waiting: number[] = [];
        await waitFor(() => (waiting = workerChildren(warm.child.pid!).filter((p) => !pids.has(p))).length === 1, "the worker's standby", 60_000);
        const run = await queued('warm');
        assert.equal(run.pid, waiting[0], `run ${i + 1} took the standby`);
        assert.ok(run.origin < run.created, `run ${i + 1}'s process was up before the run was queued (${run.origin} vs ${run.created})`);
        pids.add(run.pid);
      }
      // Stopping the worker takes its standby with it.
      let last: number[] = [];
      await waitFor(() => (last = workerChildren(warm.child.pid!).filter((p) => !pids.has(p))).length === 1, "the worker's next standby", 60_000);
      await warm.stop();
      await waitFor(() => !processAlive(last[0]!), 'the standby to go with its worker', 20_000);
      for (let i = 0; i < 2; i++) {
        const run = await queued('cold');
        assert.ok(run.origin > run.created, `with --no-standby, run ${i + 1}'s process was forked after the run was queued (${run.origin} vs ${run.created})`);
        assert.ok(!pids.has(run.pid));
        pids.add(run.pid);
      }
    } finally {
      await store.close();
      await warm.stop();
      await cold.stop();
    }
  });

  it('with --concurrency 2 keeps two standbys, and two runs queued together each start on one of them; --standby takes a count, checked', { ...(PROC_SKIP !== undefined ? { skip: PROC_SKIP } : {}) }, async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    for (const [args, why] of [[['--standby', 'two'], /--standby must be a whole number from 0 to 256, got "two"/], [['--standby', '2', '--no-standby'], /--no-standby and --standby 2 contradict/]] as const) {
      const bad = await runCli(['worker', ...args], { cwd: ws, env });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, why);
    }
    const worker = await startWorker({ url: pgUrl(), schema, name: 'pair', flowsDir: ws, concurrency: 2, queue: 'pair' });
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    try {
      await explainedBy(worker, async () => {
        assert.match(worker.output(), /serving queue 'pair' \(concurrency 2, 2 standby processes forked ahead, flows from /);
        let waiting: number[] = [];
        await waitFor(() => (waiting = workerChildren(worker.child.pid!)).length === 2, "the worker's two standbys", 60_000);
        const queued = await Promise.all([0, 1].map(async () => {
          const r = await runCli(['run', 'flows/origin-later.flow.ts', '--queue', 'pair', '--wait', '--json'], { cwd: ws, env });
          assert.equal(r.code, 0, r.stderr);
          const out = JSON.parse(r.stdout) as { id: string; result: { pid: number; origin: number } };
          const run = (await store.get(out.id))!;
          return { ...out.result, created: run.created, start: run.startTime!, end: run.endTime! };
        }));
        const [a, b] = queued as [(typeof queued)[0], (typeof queued)[0]];
        assert.ok(a.start < b.end && b.start < a.end, 'the two runs overlapped');
        assert.deepEqual([a.pid, b.pid].sort(), [...waiting].sort(), 'each run started on one of the two standbys');
        for (const run of [a, b]) assert.ok(run.origin < run.created, `the run's process was up before the run was queued (${run.origin} vs ${run.created})`);
        // Both replaced once the host is idle again.
        await waitFor(() => workerChildren(worker.child.pid!).filter((p) => p !== a.pid && p !== b.pid).length === 2, 'two new standbys', 60_000);
      });
    } finally {
      await store.close();
      await worker.stop();
    }
  });

  it('stops on SIGTERM, and a second one cancels the runs in progress; the worker then ends cleanly (it threw "Runner is already stopped")', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'q2', flowsDir: ws });
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    try {
      await explainedBy(worker, async () => {
        const queued = await runCli(['run', 'flows/slow.flow.ts', '--queue', 'default', '--json'], { cwd: ws, env });
        assert.equal(queued.code, 0, queued.stderr);
        const id = JSON.parse(queued.stdout).id as string;
        await waitFor(async () => (await store.get(id))?.state.name === 'Running', 'the slow run to start on the worker', 60_000);
        worker.child.kill('SIGTERM');
        await waitFor(() => /SIGTERM: taking no more runs; waiting for 1 in progress/.test(worker.output()), 'the first SIGTERM to be taken', 30_000);
        worker.child.kill('SIGTERM');
        await waitFor(async () => (await store.get(id))?.state.name === 'Cancelled', 'the second SIGTERM to cancel the run', 60_000);
        await Promise.race([worker.exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`worker q2 did not exit:\n${worker.output()}`)), 60_000))]);
        assert.equal(worker.child.exitCode, 0, worker.output());
        assert.doesNotMatch(worker.output(), /Runner is already stopped|\n\s+at /);
        // Its own log says how the run ended, with the state's message, as the run's log prints a state.
        assert.match(worker.output(), /ended Cancelled\((['"]).+\1\)$/m);
      });
    } finally {
      await store.close();
      await worker.stop();
    }
  });

  it('cancels a queued run that no worker has taken yet, at once', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const queued = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'nobody-serves-this', '--json', '--param', 'n=1'], { cwd: ws, env });
    assert.equal(queued.code, 0, queued.stderr);
    const id = JSON.parse(queued.stdout).id as string;
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    try {
      assert.equal((await store.get(id))!.state.name, 'Scheduled');
      assert.equal(await store.shared.requestCancel(id, 'not needed'), 'cancelled');
      assert.equal((await store.get(id))!.state.name, 'Cancelled');
      assert.equal(await store.shared.requestCancel(id, 'again'), 'finished');
    } finally {
      await store.close();
    }
  });

  it('a queued run cancelled while a worker loads its flow is not started: it stays Cancelled (the worker ran it, and it ended Completed)', async () => {
    const ws = workspace(FLOWS);
    const gate = tempDir();
    // Its loading holds until the test says go: the cancel lands after the worker took its job and before its start.
    writeFileSync(
      join(ws, 'flows/gated.flow.ts'),
      `import { existsSync, writeFileSync } from 'node:fs';
import { flow } from 'flowdeck';
writeFileSync(${JSON.stringify(join(gate, 'loading'))}, '');
const wait = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < 3000 && !existsSync(${JSON.stringify(join(gate, 'go'))}); i++) Atomics.wait(wait, 0, 0, 20);
export default flow({ name: 'gated' }, async () => { writeFileSync(${JSON.stringify(join(gate, 'ran'))}, ''); return 'ran'; });
`,
    );
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'q3', flowsDir: ws });
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    try {
      await explainedBy(worker, async () => {
        const queued = await runCli(['run', 'flows/gated.flow.ts', '--queue', 'default', '--json'], { cwd: ws, env });
        assert.equal(queued.code, 0, queued.stderr);
        const id = JSON.parse(queued.stdout).id as string;
        await waitFor(() => existsSync(join(gate, 'loading')), 'the worker to load the flow', 60_000);
        assert.equal((await store.get(id))!.state.name, 'Scheduled');
        assert.equal(await store.shared.requestCancel(id, 'Cancelled while it loaded'), 'cancelled');
        writeFileSync(join(gate, 'go'), '');
        await waitFor(() => /ended before its start/.test(worker.output()), 'the worker to leave the cancelled run', 60_000);
        const run = (await store.get(id))!;
        assert.equal(run.state.name, 'Cancelled', `the run is ${run.state.name}: ${run.state.message}`);
        assert.equal(run.state.message, 'Cancelled while it loaded');
        assert.equal(run.startTime, undefined);
        assert.equal(existsSync(join(gate, 'ran')), false, 'the flow did not run');
        // Its logs end as the cancel ended them: nothing of the worker after.
        const logs = await logsOf(store, id);
        assert.doesNotMatch(logs.map((l) => l.message).join('\n'), /took flow run/);
        // The worker goes on taking runs.
        const ok = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'default', '--wait', '--json', '--param', 'n=1'], { cwd: ws, env });
        assert.equal(ok.code, 0, ok.stderr);
      });
    } finally {
      await store.close();
      await worker.stop();
    }
  });

  it('a --queue holding a secret the command knows (GITHUB_TOKEN) is refused by run, resume and worker, exit 2: never stored nor printed', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const token = 'ghp_queueName0123456789abcdefghijklmnopq';
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
    for (const args of [
      ['run', 'flows/ok.flow.ts', '--queue', token, '--param', 'n=1'],
      ['run', 'flows/ok.flow.ts', '--queue', token, '--wait', '--param', 'n=1'],
      ['resume', 'some-run', '--queue', token],
      ['worker', '--queue', token],
    ]) {
      const r = await runCli(args, { cwd: ws, env });
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /--queue was given a secret's value \(GITHUB_TOKEN, a stored token…\): a queue's name is kept in the store with its runs and shown as it is, never masked, so it is refused; use a plain name\n$/, args[0]);
      assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token), args[0]);
    }
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    try {
      assert.equal(await store.count({}), 0, 'nothing was queued');
    } finally {
      await store.close();
    }
  });

  it('reads --param texts by the declared types when it queues (2.0 stays "2.0" for a string), refuses a bad one without queuing, and takes --store before the command', async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const queued = await runCli(['--store', pgUrl(), 'run', 'flows/release.flow.ts', '--queue', 'nobody-serves-this', '--json', '--param', 'version=2.0', '--param', 'times=3'], { cwd: ws, env });
    assert.equal(queued.code, 0, queued.stderr);
    const id = JSON.parse(queued.stdout).id as string;
    assert.equal(JSON.parse(queued.stdout).queue, 'nobody-serves-this');
    // The queue it waits on, as `run --queue --json` said it: in `runs --json` and `inspect --json` too.
    const listed = await runCli(['--store', pgUrl(), 'runs', '--json', '--limit', '1'], { cwd: ws, env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as { id: string; queue?: string }[])[0]?.queue, 'nobody-serves-this', listed.stdout);
    const inspected = await runCli(['--store', pgUrl(), 'inspect', id, '--json'], { cwd: ws, env });
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.equal(JSON.parse(inspected.stdout).queue, 'nobody-serves-this', inspected.stdout);
    const refused = await runCli(['run', `--store=${pgUrl()}`, 'flows/release.flow.ts', '--queue', 'nobody-serves-this', '--param', 'version=2.0', '--param', 'times=often'], { cwd: ws, env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /'times' must be a whole number, got "often"/);
    // Parameters the worker would refuse are refused here, before a run is made (they used to be queued, and end Failed).
    const unknown = await runCli(['run', `--store=${pgUrl()}`, 'flows/release.flow.ts', '--queue', 'nobody-serves-this', '--param', 'version=2.0', '--param', 'colour=red'], { cwd: ws, env });
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /Invalid parameters for flow 'release': unknown parameter 'colour' \(expected one of: version, times\)/);
    const wrongType = await runCli(['run', `--store=${pgUrl()}`, 'flows/release.flow.ts', '--queue', 'nobody-serves-this', '--params', '{"version": 2}'], { cwd: ws, env });
    assert.equal(wrongType.code, 2, wrongType.stderr);
    assert.match(wrongType.stderr, /'version' must be a string, got number 2/);
    // A secret the command knows is never put in the store, where the run's parameters wait for a worker as given.
    const token = 'ghp_queuedSecret0123456789abcdefghijklmn';
    const secret = await runCli(['run', `--store=${pgUrl()}`, 'flows/release.flow.ts', '--queue', 'nobody-serves-this', '--param', `version=v1-${token}`], { cwd: ws, env: { ...env, GITHUB_TOKEN: token } });
    assert.equal(secret.code, 2, secret.stderr);
    assert.match(secret.stderr, /a parameter holds a secret \(\{"version":"v1-\*\*\*"\}\); a queued run's parameters are kept in the store/);
    assert.ok(!secret.stderr.includes(token) && !secret.stdout.includes(token));
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    try {
      assert.deepEqual((await store.readRun(id))!.parameters, { version: '2.0', times: 3 });
      assert.equal(await store.count({}), 1, 'the refused runs were not queued');
    } finally {
      await store.close();
    }
  });

  it('a run a worker ran and that failed is resumed from another terminal while that worker lives on (it runs the run no more)', async () => {
    const marker = join(tempDir(), 'up');
    const ws = workspace({ 'flows/once.flow.ts': flowSource(`import { existsSync } from 'node:fs';
const step = task({ name: 'step' }, async () => { if (!existsSync(${JSON.stringify(marker)})) throw new Error('not yet'); return 'done'; });
export default flow({ name: 'once' }, async () => step());`) });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'alive', flowsDir: ws, concurrency: 1 });
    try {
      await explainedBy(worker, async () => {
        const failed = await runCli(['run', 'flows/once.flow.ts', '--queue', 'default', '--wait', '--json'], { cwd: ws, env });
        assert.equal(failed.code, 1, failed.stderr);
        const { name } = JSON.parse(failed.stdout) as { name: string };
        writeFileSync(marker, '');
        const resumed = await runCli(['resume', name, '--json'], { cwd: ws, env });
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.equal(JSON.parse(resumed.stdout).result, 'done');
        assert.equal(JSON.parse(resumed.stdout).attempt, 2);
      });
    } finally {
      await worker.stop();
    }
  });
});
