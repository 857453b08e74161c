/**
 * `npm run bench`: Flowdeck's engine figures. Prints a table and writes bench/results.json.
 *   1. no-op tasks per second through the whole engine (worker process and store included), 20,000 mapped
 *   2. per-task overhead against a plain `await fn()` loop
 *   3. opening a store that holds 10,000 runs
 *   4. a one-task run, CLI start to exit
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FlowRunner } from '../src/engine/runner';
import { RunStore } from '../src/engine/runStore';
import { currentProcess } from '../src/engine/processIdentity';
import { state } from '../src/engine/states';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');
const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'flowdeck-bench-'));
}

async function engineThroughput(): Promise<{ tasksPerSecond: number; perTaskMicros: number; plainPerTaskMicros: number; ratio: number; runMs: number }> {
  const dir = scratch();
  writeFileSync(
    join(dir, 'noop.flow.ts'),
    `import { flow, task } from 'flowdeck';
const noop = task({ name: 'noop' }, async (i: number) => i);
export default flow({ name: 'noop-map' }, async ({ n }: { n: number }) => {
  const items = Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  const out = await noop.map(items);
  return { inWorkerMs: performance.now() - t0, count: out.length };
});`,
  );
  const times: number[] = [];
  // One store for all rounds: the first pays for compiling the flow file, as a user's first run does.
  for (let i = 0; i < 5; i++) {
    const store = RunStore.open(join(dir, 'home'));
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows') });
    const t0 = performance.now();
    const run = await runner.start({ source: { kind: 'file', path: join(dir, 'noop.flow.ts') }, parameters: { n: TASKS } });
    const detail = await run.done;
    const ms = performance.now() - t0;
    if (detail.state.type !== 'COMPLETED' || detail.taskRuns.length !== TASKS) throw new Error(`benchmark run ended ${detail.state.name} with ${detail.taskRuns.length} task runs`);
    times.push(ms);
  }
  // The same work as plain awaited calls, no engine.
  const fn = async (i: number) => i;
  const plain: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: TASKS }, (_, i) => fn(i)));
    for (let i = 0; i < TASKS; i++) await fn(i);
    plain.push((performance.now() - t0) / 2);
  }
  rmSync(dir, { recursive: true, force: true });
  const runMs = median(times);
  const perTaskMicros = (runMs * 1000) / TASKS;
  const plainPerTaskMicros = (median(plain) * 1000) / TASKS;
  return { tasksPerSecond: Math.round(TASKS / (runMs / 1000)), perTaskMicros, plainPerTaskMicros, ratio: perTaskMicros / plainPerTaskMicros, runMs };
}

function storeOpen(): { runs: number; openMs: number; firstOpenMs: number } {
  const home = scratch();
  const store = RunStore.open(home);
  const owner = currentProcess();
  const N = 10_000;
  for (let i = 0; i < N; i++) {
    const id = crypto.randomUUID();
    const t = Date.now();
    const w = store.createRun({ id, name: store.newRunName(), flowName: i % 2 ? 'github-repo-stats' : 'hello', source: '/ws/hello.flow.ts', parameters: { repo: 'PrefectHQ/prefect', i }, state: state('Pending', undefined, t), created: t - (N - i), owner });
    store.setRunState(id, state('Running', undefined, t + 1), { startTime: t + 1 });
    store.setRunState(id, state('Completed', undefined, t + 2), { endTime: t + 2 });
    w.close();
  }
  // The first open after many appends compacts the index; later opens read one line per run.
  let t0 = performance.now();
  const first = RunStore.open(home);
  const firstOpenMs = performance.now() - t0;
  if (first.size !== N) throw new Error(`expected ${N} runs, found ${first.size}`);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    t0 = performance.now();
    const s = RunStore.open(home);
    times.push(performance.now() - t0);
    if (s.size !== N) throw new Error('lost runs');
  }
  rmSync(home, { recursive: true, force: true });
  return { runs: N, openMs: median(times), firstOpenMs };
}

function cliOneTask(): { medianMs: number; minMs: number } {
  const dir = scratch();
  writeFileSync(join(dir, 'one.flow.ts'), `import { flow, task } from 'flowdeck';\nconst one = task({ name: 'one' }, async () => 1);\nexport default flow({ name: 'one' }, async () => one());\n`);
  const env = { ...process.env, FLOWDECK_HOME: join(dir, 'home') };
  // Warm the compile cache and the OS file cache once, as a user's second run would be.
  spawnSync(process.execPath, [join(DIST, 'cli.js'), 'run', 'one.flow.ts'], { cwd: dir, env });
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'run', 'one.flow.ts'], { cwd: dir, env });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`CLI run failed: ${r.stderr}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return { medianMs: median(times), minMs: Math.min(...times) };
}

async function main(): Promise<void> {
  const throughput = await engineThroughput();
  const open = storeOpen();
  const cli = cliOneTask();
  const rows: [string, string, string][] = [
    [`No-op tasks/s (${TASKS.toLocaleString('en')} mapped, worker + store)`, `${throughput.tasksPerSecond.toLocaleString('en')} /s`, '≥ 50,000 /s'],
    ['Per-task overhead', `${throughput.perTaskMicros.toFixed(1)} µs vs ${throughput.plainPerTaskMicros.toFixed(2)} µs plain await (×${Math.round(throughput.ratio)})`, '—'],
    [`Open a store of ${open.runs.toLocaleString('en')} runs`, `${open.openMs.toFixed(1)} ms (first open, compacting: ${open.firstOpenMs.toFixed(0)} ms)`, '≤ 150 ms'],
    ['One-task run, CLI start to exit', `${cli.medianMs.toFixed(0)} ms median (min ${cli.minMs.toFixed(0)} ms)`, '≤ 700 ms'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${'Benchmark'.padEnd(w0)}  ${'Result'.padEnd(w1)}  Target`);
  for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, throughput, open, cli }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
