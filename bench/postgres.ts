/**
 * The Postgres store and its workers, for `npm run bench` (FLOWDECK_TEST_PG_URL names the database; without
 * it the section is skipped, saying so):
 *
 *   1. runs per second through the queue with 1, 2 and 4 `flowdeck worker` processes (one run at a time each),
 *      each count also with workers started `--no-standby` (each run's worker process forked when it comes)
 *      and one worker at --concurrency 2 keeping two standbys, one, and none
 *   2. no-op tasks per second, the same engine run with the Postgres store vs the embedded store
 *   3. enqueue to start (Running), p50 and p95, one run at a time on idle workers: with their standby worker
 *      process and with `--no-standby`, samples interleaved
 *   4. two runs queued together on a worker at --concurrency 2: enqueue to start of the later one, with two
 *      standbys (its default) and with one (`--standby 1`), samples interleaved
 *   5. from a worker's death (kill -9) to its run resumed on another worker (lease 2 s, heartbeat 0.25 s)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedStore } from '../src/engine/embeddedStore';
import { PgStore } from '../src/engine/postgres/pgStore';
import { queuedFlowFor } from '../src/engine/queuedFlow';
import type { RunStore } from '../src/engine/runStore';
import { FlowRunner } from '../src/engine/runner';
import { median } from './stats';

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

async function until(check: () => Promise<boolean>, what: string, ms = 300_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const FLOWS = {
  'one.flow.ts': `import { flow, task } from 'flowdeck';\nconst one = task({ name: 'one' }, async () => 1);\nexport default flow({ name: 'one' }, async () => one());\n`,
  'slow.flow.ts': `import { flow, task } from 'flowdeck';\nconst step = task({ name: 'step' }, async (i: number) => { await new Promise((r) => setTimeout(r, 100)); return i; });\nexport default flow({ name: 'slow', retries: 1 }, async () => { for (let i = 0; i < 200; i++) await step(i); });\n`,
  'noop.flow.ts': `import { flow, task } from 'flowdeck';\nconst noop = task({ name: 'noop' }, async (i: number) => i);\nexport default flow({ name: 'noop-map' }, async ({ n }: { n: number }) => (await noop.map(Array.from({ length: n }, (_, i) => i))).length);\n`,
};

interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
}

function startWorker(url: string, schema: string, name: string, ws: string, lease?: { heartbeat: number; lease: number }, options: { queue?: string; standby?: boolean | number; concurrency?: number } = {}): Promise<Worker> {
  const args = [join(DIST, 'cli.js'), 'worker', '--name', name, '--flows', ws, '--concurrency', String(options.concurrency ?? 1), '--queue', options.queue ?? 'default'];
  if (lease) args.push('--heartbeat', String(lease.heartbeat), '--lease', String(lease.lease));
  if (options.standby === false) args.push('--no-standby');
  if (typeof options.standby === 'number') args.push('--standby', String(options.standby));
  const child = spawn(process.execPath, args, { env: { ...process.env, FLOWDECK_STORE: url, FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: mkdtempSync(join(tmpdir(), 'flowdeck-bench-w-')) }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('serving queue')) resolve({ child, exited });
    });
    void exited.then(() => reject(new Error(`bench worker ${name} exited: ${out}`)));
  });
}

async function stopAll(workers: Worker[]): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((r) => setTimeout(r, 20_000))])));
  for (const w of workers) w.child.kill('SIGKILL');
}

async function enqueue(store: PgStore, ws: string, file: string, queue = 'default'): Promise<string> {
  const flow = await queuedFlowFor({ kind: 'file', path: join(ws, file) }, ws, file === 'slow.flow.ts' ? 'slow' : 'one');
  return (await store.shared.enqueue({ queue, parameters: {}, ...flow })).id;
}

async function throughput(url: string, ws: string, workers: number, runs: number, standby: boolean | number = true, concurrency = 1): Promise<number> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const store = await PgStore.open(url, { home: mkdtempSync(join(tmpdir(), 'flowdeck-bench-')), schema });
  const procs: Worker[] = [];
  try {
    for (let i = 0; i < workers; i++) procs.push(await startWorker(url, schema, `b${i + 1}`, ws, undefined, { standby, concurrency }));
    // A warm-up run per worker (compile cache, page cache), not counted.
    const warm = await Promise.all(procs.map(() => enqueue(store, ws, 'one.flow.ts')));
    await until(async () => (await Promise.all(warm.map((id) => store.get(id)))).every((r) => r?.state.type === 'COMPLETED'), 'warm-up runs');
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < runs; i++) ids.push(await enqueue(store, ws, 'one.flow.ts'));
    const ended = async (): Promise<boolean> => (await store.count({ stateTypes: ['SCHEDULED', 'PENDING', 'RUNNING'] })) === 0;
    await until(ended, `${runs} runs to end`, 900_000);
    const seconds = (performance.now() - t0) / 1000;
    const failed = await store.list({ stateTypes: ['FAILED', 'CRASHED', 'CANCELLED'] });
    if (failed.length > 0) throw new Error(`bench: ${failed.length} queued run(s) did not complete: ${failed[0]!.state.name} ${failed[0]!.state.message ?? ''}`);
    return runs / seconds;
  } finally {
    await stopAll(procs);
    await store.close();
    await dropSchema(url, schema);
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`drop schema if exists "${schema}" cascade; drop schema if exists "${schema}_queue" cascade`);
  await c.end();
}

async function noopRound(store: RunStore, ws: string, tasks: number): Promise<number> {
  const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows') });
  const t0 = performance.now();
  const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'noop.flow.ts') }, parameters: { n: tasks } })).done;
  const ms = performance.now() - t0;
  if (detail.state.type !== 'COMPLETED') throw new Error(`bench: no-op run ended ${detail.state.name}: ${detail.state.message}`);
  return tasks / (ms / 1000);
}

async function noopTasks(url: string, ws: string, tasks: number, rounds: number): Promise<{ pg: number; embedded: number; ratio: number }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), 'flowdeck-bench-'));
  const pg = await PgStore.open(url, { home: join(home, 'pg'), schema });
  const embedded = await EmbeddedStore.open(join(home, 'embedded'));
  try {
    await noopRound(embedded, ws, tasks);
    const p: number[] = [];
    const e: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      e.push(await noopRound(embedded, ws, tasks));
      p.push(await noopRound(pg, ws, tasks));
      ratios.push(p[p.length - 1]! / e[e.length - 1]!);
    }
    return { pg: median(p), embedded: median(e), ratio: median(ratios) };
  } finally {
    await pg.close();
    await embedded.close();
    await dropSchema(url, schema);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Enqueue to start, one run at a time, on two idle workers with a standby and two without (`--no-standby`), samples alternating. */
async function latency(url: string, ws: string, samples: number): Promise<{ p50: number; p95: number; cold: { p50: number; p95: number } }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const store = await PgStore.open(url, { home: mkdtempSync(join(tmpdir(), 'flowdeck-bench-')), schema });
  const procs: Worker[] = [];
  try {
    for (let i = 0; i < 2; i++) procs.push(await startWorker(url, schema, `l${i + 1}`, ws, undefined, { queue: 'warm' }));
    for (let i = 0; i < 2; i++) procs.push(await startWorker(url, schema, `c${i + 1}`, ws, undefined, { queue: 'cold', standby: false }));
    const waits: Record<'warm' | 'cold', number[]> = { warm: [], cold: [] };
    for (let i = 0; i < samples + 2; i++) {
      for (const queue of ['warm', 'cold'] as const) {
        const id = await enqueue(store, ws, 'one.flow.ts', queue);
        await until(async () => (await store.get(id))?.state.type === 'COMPLETED', 'a run');
        const run = (await store.get(id))!;
        if (i >= 2) waits[queue].push(run.startTime! - run.created);
      }
      // Idle workers: the one that ran forks its next standby meanwhile, as between a user's runs.
      await new Promise((r) => setTimeout(r, 300));
    }
    return { p50: percentile(waits.warm, 50), p95: percentile(waits.warm, 95), cold: { p50: percentile(waits.cold, 50), p95: percentile(waits.cold, 95) } };
  } finally {
    await stopAll(procs);
    await store.close();
    await dropSchema(url, schema);
  }
}

/**
 * Two runs queued together on a worker at --concurrency 2: enqueue to start of the later of the two, on a
 * worker keeping two standbys (its default) and on one keeping one (`--standby 1`), samples alternating.
 */
async function pairLatency(url: string, ws: string, samples: number): Promise<{ two: { p50: number; p95: number }; one: { p50: number; p95: number } }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const store = await PgStore.open(url, { home: mkdtempSync(join(tmpdir(), 'flowdeck-bench-')), schema });
  const procs: Worker[] = [];
  try {
    procs.push(await startWorker(url, schema, 'p2', ws, undefined, { queue: 'two', concurrency: 2 }));
    procs.push(await startWorker(url, schema, 'p1', ws, undefined, { queue: 'one', concurrency: 2, standby: 1 }));
    const waits: Record<'two' | 'one', number[]> = { two: [], one: [] };
    for (let i = 0; i < samples + 2; i++) {
      for (const queue of ['two', 'one'] as const) {
        const ids = await Promise.all([0, 1].map(() => enqueue(store, ws, 'one.flow.ts', queue)));
        await until(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((r) => r?.state.type === 'COMPLETED'), 'two runs');
        const runs = (await Promise.all(ids.map((id) => store.get(id)))).map((r) => r!);
        if (i >= 2) waits[queue].push(Math.max(...runs.map((r) => r.startTime! - r.created)));
      }
      // Idle workers: each forks its next standbys meanwhile, as between a user's runs.
      await new Promise((r) => setTimeout(r, 500));
    }
    const stats = (xs: number[]): { p50: number; p95: number } => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });
    return { two: stats(waits.two), one: stats(waits.one) };
  } finally {
    await stopAll(procs);
    await store.close();
    await dropSchema(url, schema);
  }
}

async function deathToResume(url: string, ws: string, rounds: number): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const store = await PgStore.open(url, { home: mkdtempSync(join(tmpdir(), 'flowdeck-bench-')), schema });
    const lease = { heartbeat: 0.25, lease: 2 };
    const a = await startWorker(url, schema, 'dying', ws, lease);
    const procs = [a];
    try {
      const id = await enqueue(store, ws, 'slow.flow.ts');
      await until(async () => ((await store.readRun(id))?.taskRuns.filter((t) => t.state.type === 'COMPLETED').length ?? 0) >= 3, 'the run to get going');
      procs.push(await startWorker(url, schema, 'taker', ws, lease));
      const killed = Date.now();
      a.child.kill('SIGKILL');
      await until(async () => (await store.readRun(id))?.states.some((s) => s.name === 'AwaitingRetry') ?? false, 'the run to be resumed', 120_000);
      const resumed = (await store.readRun(id))!.states.find((s) => s.name === 'AwaitingRetry')!.timestamp;
      out.push(resumed - killed);
      await store.shared.requestCancel(id, 'benchmark over');
    } finally {
      await stopAll(procs);
      await store.close();
      await dropSchema(url, schema);
    }
  }
  return out;
}

export async function postgresBench(rounds: number): Promise<{ skipped: string } | { rows: [string, string, string][]; results: Record<string, unknown> }> {
  const url = process.env.FLOWDECK_TEST_PG_URL;
  if (!url) return { skipped: 'Postgres benchmarks skipped: no Postgres (export FLOWDECK_TEST_PG_URL=$(bash test/support/pg-up.sh | tail -n 1))' };
  const ws = mkdtempSync(join(tmpdir(), 'flowdeck-bench-ws-'));
  for (const [f, text] of Object.entries(FLOWS)) writeFileSync(join(ws, f), text);
  try {
    const runs = Number(process.env.BENCH_QUEUE_RUNS ?? 24);
    const perSecond: Record<number, number> = {};
    const coldPerSecond: Record<number, number> = {};
    for (const n of [1, 2, 4]) {
      perSecond[n] = await throughput(url, ws, n, runs);
      coldPerSecond[n] = await throughput(url, ws, n, runs, false);
    }
    // One worker at --concurrency 2, its default two standbys against one and none, rounds alternating.
    const pairPerSecond: Record<'two' | 'one' | 'none', number[]> = { two: [], one: [], none: [] };
    for (let r = 0; r < Math.min(rounds, 3); r++) {
      pairPerSecond.two.push(await throughput(url, ws, 1, runs, 2, 2));
      pairPerSecond.one.push(await throughput(url, ws, 1, runs, 1, 2));
      pairPerSecond.none.push(await throughput(url, ws, 1, runs, false, 2));
    }
    const pairRate = { two: median(pairPerSecond.two), one: median(pairPerSecond.one), none: median(pairPerSecond.none) };
    const tasks = Number(process.env.BENCH_PG_TASKS ?? 5000);
    const noop = await noopTasks(url, ws, tasks, Math.min(rounds, 3));
    const wait = await latency(url, ws, 20);
    const pair = await pairLatency(url, ws, 20);
    const deaths = await deathToResume(url, ws, Math.min(rounds, 3));
    const f = (n: number, d = 1): string => n.toFixed(d);
    return {
      rows: [
        [`Runs/s through the queue (${runs} one-task runs)`, `1 worker ${f(perSecond[1]!, 2)}, 2 workers ${f(perSecond[2]!, 2)}, 4 workers ${f(perSecond[4]!, 2)} (${f(perSecond[4]! / perSecond[1]!, 2)}× with 4); --no-standby ${f(coldPerSecond[1]!, 2)}, ${f(coldPerSecond[2]!, 2)}, ${f(coldPerSecond[4]!, 2)}`, '—'],
        [`Runs/s, one worker at --concurrency 2 (${runs} runs queued at once)`, `${f(pairRate.two, 2)} with two standbys; ${f(pairRate.one, 2)} with one (--standby 1), ${f(pairRate.none, 2)} with none (medians of ${pairPerSecond.two.length})`, '—'],
        [`No-op tasks/s, Postgres store vs embedded (${tasks.toLocaleString('en')} mapped)`, `${f(noop.pg, 0)} vs ${f(noop.embedded, 0)}: ${f(noop.ratio, 2)}×`, '—'],
        ['Enqueue to start (Running) on idle workers', `p50 ${f(wait.p50, 0)} ms, p95 ${f(wait.p95, 0)} ms; --no-standby p50 ${f(wait.cold.p50, 0)} ms, p95 ${f(wait.cold.p95, 0)} ms (${f(wait.cold.p50 / wait.p50, 1)}×)`, '—'],
        ['Two runs queued together, --concurrency 2: enqueue to start of the later', `p50 ${f(pair.two.p50, 0)} ms, p95 ${f(pair.two.p95, 0)} ms with two standbys; --standby 1 p50 ${f(pair.one.p50, 0)} ms, p95 ${f(pair.one.p95, 0)} ms (${f(pair.one.p50 / pair.two.p50, 1)}×)`, '—'],
        ['Worker killed (-9) to its run resumed elsewhere', `${f(median(deaths) / 1000, 2)} s median (${deaths.map((d) => f(d / 1000, 2)).join(', ')}); lease 2 s, heartbeat 0.25 s`, '≈ lease'],
      ],
      results: { queueRunsPerSecond: perSecond, queueRunsPerSecondNoStandby: coldPerSecond, concurrency2RunsPerSecond: pairPerSecond, queueRuns: runs, noop: { tasks, ...noop }, enqueueToStartMs: wait, pairEnqueueToStartMs: pair, deathToResumeMs: deaths },
    };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
