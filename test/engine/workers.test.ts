/**
 * `flowdeck worker` for real: three (or more) worker processes with host names of their own, on one
 * Postgres store, taking queued runs of a 20-task flow whose every task leaves a side effect (a line in a
 * shared file: run, task, host, process, time). Bounded in count and time; figures are printed.
 * A worker is put in a network namespace of its own where the machine allows (root, `ip netns`).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { queuedFlowFor } from '../../src/engine/queuedFlow';
import type { FlowRunSummary } from '../../src/engine/records';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { netnsUnavailable, startWorker, type WorkerProc } from '../support/workers';

const TASKS = 20;

/** Each task appends `runId task host pid time` to EFFECTS (O_APPEND: lines never interleave). */
function effectFlow(name: string, taskMs: number, options: string): string {
  return flowSource(`
import { appendFileSync } from 'node:fs';
const effect = task({ name: 'effect' }, async (i: number) => {
  await new Promise((r) => setTimeout(r, ${taskMs}));
  appendFileSync(process.env.EFFECTS!, getRunContext().flowRunId + ' ' + i + ' ' + process.env.EFFECT_HOST + ' ' + process.pid + ' ' + Date.now() + '\\n');
  return i;
});
export default flow({ name: '${name}', ${options} }, async () => {
  let sum = 0;
  for (let i = 0; i < ${TASKS}; i++) sum += await effect(i);
  return sum;
});`);
}

interface Effect {
  run: string;
  task: number;
  host: string;
  pid: number;
  ts: number;
}

function effects(file: string): Effect[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [run, task, host, pid, ts] = l.split(' ');
      return { run: run!, task: Number(task), host: host!, pid: Number(pid), ts: Number(ts) };
    });
}

async function setup(files: Record<string, string>): Promise<{ ws: string; schema: string; store: PgStore; effectsFile: string }> {
  const ws = workspace(files);
  const schema = freshSchema();
  const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, detectCrashed: false });
  const effectsFile = join(tempDir(), 'effects.log');
  writeFileSync(effectsFile, '');
  return { ws, schema, store, effectsFile };
}

async function enqueue(store: PgStore, ws: string, file: string, n: number): Promise<string[]> {
  const flow = await queuedFlowFor({ kind: 'file', path: join(ws, file) }, ws, undefined, discoverFlows);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await store.shared.enqueue({ queue: 'default', parameters: {}, ...flow })).id);
  return ids;
}

async function allEnded(store: PgStore, ids: string[]): Promise<FlowRunSummary[]> {
  const runs = await store.list({ rootsOnly: true });
  return runs.filter((r) => ids.includes(r.id));
}

/**
 * Checks what "nothing done twice that had checkpointed" means in the journal's own terms: a task whose
 * completion the store recorded in an attempt left exactly one side effect for it, and a run's attempts
 * never overlapped in time (the old worker's last effect came before the new one's first).
 */
async function assertNoCheckpointRedone(store: PgStore, effectsFile: string, ids: string[]): Promise<{ redoneInFlight: number }> {
  const all = effects(effectsFile);
  let redoneInFlight = 0;
  for (const id of ids) {
    const detail = (await store.readRun(id))!;
    const mine = all.filter((e) => e.run === id);
    for (let task = 0; task < TASKS; task++) {
      const done = mine.filter((e) => e.task === task);
      assert.ok(done.length >= 1, `run ${detail.name} task ${task} never ran`);
      const recorded = detail.taskRuns.filter((t) => t.name === `effect-${task}` && t.state.type === 'COMPLETED' && !t.reusedFrom);
      assert.equal(recorded.length, 1, `run ${detail.name} task ${task} completed ${recorded.length} times in the journal`);
      if (done.length > 1) {
        // Only a task in flight when its worker died may run again: its first run was never recorded complete.
        assert.equal(done.length, 2, `run ${detail.name} task ${task} ran ${done.length} times`);
        redoneInFlight++;
      }
    }
    const byPid = new Map<number, Effect[]>();
    for (const e of mine) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e]);
    const spans = [...byPid.values()].map((es) => ({ from: Math.min(...es.map((e) => e.ts)), to: Math.max(...es.map((e) => e.ts)) })).sort((a, b) => a.from - b.from);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]!.from >= spans[i - 1]!.to, `run ${detail.name}: two attempts ran at the same time`);
  }
  return { redoneInFlight };
}

describe('flowdeck workers on a Postgres queue', { timeout: 600_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('three workers run 60 queued runs of a 20-task flow: all Completed, each task\'s side effect exactly once', async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'effects.flow.ts': effectFlow('effects', 0, '') });
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['w1', 'w2', 'w3']) workers.push(await startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile } }));
      const started = performance.now();
      const ids = await enqueue(store, ws, 'effects.flow.ts', 60);
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED' || r.state.type === 'FAILED' || r.state.type === 'CRASHED'), '60 runs to end', 480_000);
      const seconds = (performance.now() - started) / 1000;
      const runs = await allEnded(store, ids);
      assert.deepEqual(runs.filter((r) => r.state.type !== 'COMPLETED').map((r) => `${r.name}: ${r.state.name} ${r.state.message ?? ''}`), []);
      const all = effects(effectsFile);
      assert.equal(all.length, 60 * TASKS, 'one side effect per task');
      assert.equal(new Set(all.map((e) => `${e.run}:${e.task}`)).size, 60 * TASKS);
      const perHost = new Map<string, number>();
      for (const r of runs) perHost.set(r.owner.hostname, (perHost.get(r.owner.hostname) ?? 0) + 1);
      console.log(`60 runs × ${TASKS} tasks on 3 workers (concurrency 2 each): ${seconds.toFixed(1)} s, ${(60 / seconds).toFixed(2)} runs/s; by host: ${[...perHost].map(([h, n]) => `${h} ${n}`).join(', ')}`);
      assert.ok(perHost.size >= 2, `runs spread over workers: ${[...perHost.keys()].join(', ')}`);
      assert.deepEqual([...perHost.keys()].filter((h) => !['w1', 'w2', 'w3'].includes(h)), [], 'every run names the worker host that ran it');
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });

  it('kill -9 of a worker mid-run: its runs turn Crashed, are resumed on the others from their checkpoints, and complete', async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 150, 'retries: 1') });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['k1', 'k2', 'k3']) workers.push(await startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, ...lease }));
      const ids = await enqueue(store, ws, 'slow.flow.ts', 6);
      // Wait until k1 is running a run that has checkpointed a few tasks.
      let victim: FlowRunSummary | undefined;
      await waitFor(async () => {
        const running = (await allEnded(store, ids)).filter((r) => r.state.type === 'RUNNING' && r.owner.hostname === 'k1');
        for (const r of running) {
          const d = await store.readRun(r.id);
          if (d && d.taskRuns.filter((t) => t.state.type === 'COMPLETED').length >= 3) victim = r;
        }
        return victim !== undefined;
      }, 'worker k1 to be partway through a run', 120_000);
      const killedAt = Date.now();
      await workers[0]!.kill9();
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'every run to complete after the kill', 240_000);
      const detail = (await store.readRun(victim!.id))!;
      assert.ok(detail.attempt >= 2, `the victim was resumed (attempt ${detail.attempt})`);
      assert.ok(detail.states.some((s) => s.name === 'Crashed' && s.message === 'worker k1 stopped responding'), detail.states.map((s) => `${s.name}: ${s.message}`).join('\n'));
      assert.notEqual(detail.owner.hostname, 'k1');
      const reused = detail.taskRuns.filter((t) => t.reusedFrom).length;
      assert.ok(reused >= 3, `checkpointed tasks were reused (${reused})`);
      const resumedAt = detail.states.find((s) => s.name === 'AwaitingRetry')!.timestamp;
      const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
      console.log(`kill -9 of k1: resumed on ${detail.owner.hostname} ${((resumedAt - killedAt) / 1000).toFixed(1)} s later (lease 2 s); ${reused} task runs reused; ${redoneInFlight} task(s) in flight at the kill ran again`);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });

  const noNetns = netnsUnavailable();
  it(
    'a worker cut off from the network fences itself; its runs are resumed elsewhere, and nothing runs twice when it comes back',
    noNetns !== undefined ? { skip: `network namespaces unavailable (${noNetns}); separate worker processes are used for the other tests` } : {},
    async () => {
      const { ws, schema, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 150, 'retries: 1') });
      const lease = { heartbeatSeconds: 0.25, leaseSeconds: 3 };
      const workers: WorkerProc[] = [];
      try {
        workers.push(await startWorker({ url: pgUrl(), schema, name: 'n1', flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, netns: true, ...lease }));
        const ids = await enqueue(store, ws, 'slow.flow.ts', 2);
        await waitFor(async () => {
          const runs = await allEnded(store, ids);
          if (!runs.every((r) => r.state.type === 'RUNNING' && r.owner.hostname === 'n1')) return false;
          const done = await Promise.all(runs.map(async (r) => (await store.readRun(r.id))!.taskRuns.filter((t) => t.state.type === 'COMPLETED').length));
          return done.every((n) => n >= 3);
        }, 'worker n1 to be partway through both runs', 120_000);
        for (const name of ['n2', 'n3']) workers.push(await startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, ...lease }));
        const cutAt = Date.now();
        workers[0]!.netns!.cut();
        await waitFor(async () => (await allEnded(store, ids)).every((r) => r.owner.hostname !== 'n1' && r.attempt >= 2), 'both runs to be taken over', 120_000);
        workers[0]!.netns!.restore();
        await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'both runs to complete', 240_000);
        await waitFor(() => workers[0]!.output().includes('lost the lease'), 'n1 to say it lost its lease', 60_000);
        const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
        const after = effects(effectsFile).filter((e) => e.host === 'n1' && e.ts > cutAt + 3000);
        assert.deepEqual(after, [], 'n1 did nothing once its lease had lapsed');
        for (const id of ids) {
          const d = (await store.readRun(id))!;
          assert.ok(d.states.some((s) => s.name === 'Crashed' && s.message === 'worker n1 stopped responding'));
        }
        console.log(`network cut of n1 (namespace link down): both runs resumed on ${[...new Set((await allEnded(store, ids)).map((r) => r.owner.hostname))].join(', ')}; ${redoneInFlight} task(s) in flight at the cut ran again`);
      } finally {
        for (const w of workers) await w.stop();
        await store.close();
      }
    },
  );

});
