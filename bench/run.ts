/**
 * `npm run bench`: Flowdeck's engine figures, each beside a baseline measured in the same run (the
 * machines are shared and noisy, so ratios hold from day to day where absolute figures do not), with
 * CPU time beside wall time. Rounds of a figure and its baseline alternate. Prints a table and writes
 * bench/results.json.
 *
 *   1. no-op tasks through the whole engine (worker process, event pipe, journal with fsync per batch)
 *      vs the journal floor: the same three records per task appended in batches with one fdatasync (also
 *      per task between a run and one a tenth as long, and between a run and one twice as long: past the
 *      worker's warm-up);
 *      and vs an in-memory p-queue + p-retry loop (no durability at all); the same map through the real
 *      `flowdeck run` (CPU of the CLI and its worker, from bash's `time`): one more task vs the floor;
 *      and what Node's async context (the task run's AsyncLocalStorage) costs the same number of calls
 *   2. what durability costs: the engine run again with fsync off
 *   3. what keeping every task's result (the checkpoint) costs: the same run with `persistResult: false`
 *   4. resuming a 20,000-task run that failed at its last task: 19,999 calls reused
 *   5. opening a store of 10,000 runs
 *   6. a one-task CLI run vs a bare `node -e 0`
 *   7. a warm one-task run in a long-lived host (standby worker) vs its floor (bench/warmFloor.ts: the
 *      steps any engine keeping Flowdeck's promises takes, alone) and vs a cold one (forking the worker);
 *      also after both have waited 30 s (BENCH_LONG_IDLE_MS), as a standby waits between a user's runs
 *   8. peak memory (host and worker) of a CLI run mapping 20,000 and 1,000,000 no-op tasks, and of
 *      `flowdeck runs --json` printing each of those runs
 *   9. the extension's own code (VS Code stand-in): activate(), and the Runs view opening over 10,000 runs
 *  10. the scheduler with 1,000 schedules: computing next slots (vs croner's own nextRun), one look at
 *      the store (a tick), and the CPU it uses while nothing is due
 *  11. the Postgres store and its workers (bench/postgres.ts; skipped, saying why, without Postgres)
 *  12. a map under a tag's concurrency limit vs the same map paced by `map(…, { concurrency })` (bench/tagLimits.ts)
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmbeddedStore } from '../src/engine/embeddedStore';
import { DEFAULT_FOLD_BOUNDS } from '../src/engine/boundedFold';
import { extensionBench } from './extension';
import { largeResultBench } from './largeResult';
import { storeWithRuns } from './manyRuns';
import { postgresBench } from './postgres';
import { FlowRunner } from '../src/engine/runner';
import { runDetailsBench } from './runDetails';
import { schedulerBench } from './scheduler';
import { tagLimitsBench } from './tagLimits';
import { median, spread } from './stats';
import { WarmFloor } from './warmFloor';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');
const TASKS = Number(process.env.BENCH_TASKS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** The big map of the memory figure (BENCH_BIG_TASKS=0 leaves it out). */
const BIG_TASKS = Number(process.env.BENCH_BIG_TASKS ?? 1_000_000);
/** How long the warm run's standby (and its floor's process) wait before the long-idle rounds; 0 leaves them out. */
const LONG_IDLE_MS = Number(process.env.BENCH_LONG_IDLE_MS ?? 30_000);
const LONG_IDLE_ROUNDS = 3;
/** The finished map the details panel's figure folds. */
const DETAILS_TASKS = Number(process.env.BENCH_DETAILS_TASKS ?? 200_000);
/** BENCH_ONLY=memory,extension runs only those figures (names as in results.json); unset runs all. */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const wanted = (figure: string): boolean => ONLY.size === 0 || ONLY.has(figure);

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'flowdeck-bench-'));
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

const NOOP_FLOW = `import { flow, task } from 'flowdeck';
const noop = task({ name: 'noop' }, async (i: number) => i);
const unkept = task({ name: 'noop', persistResult: false }, async (i: number) => i);
export const unkeptMap = flow({ name: 'noop-unkept' }, async ({ n }: { n: number }) => {
  const before = process.cpuUsage();
  const out = await unkept.map(Array.from({ length: n }, (_, i) => i));
  const used = process.cpuUsage(before);
  return { count: out.length, workerCpuMs: (used.user + used.system) / 1000 };
});
export default flow({ name: 'noop-map' }, async ({ n }: { n: number }) => {
  const before = process.cpuUsage();
  const out = await noop.map(Array.from({ length: n }, (_, i) => i));
  const used = process.cpuUsage(before);
  return { count: out.length, workerCpuMs: (used.user + used.system) / 1000 };
});`;

/** One engine run of TASKS no-op tasks: wall time and CPU time of host and worker together. */
async function engineRound(dir: string, durable: boolean, flowName = 'noop-map', foldTasks: boolean | 'bounded' = false, tasks = TASKS): Promise<Sample> {
  const store = await EmbeddedStore.open(join(dir, durable ? 'home' : 'home-nosync'), { durable });
  // foldTasks false: the CLI's host, which keeps no task run in memory; 'bounded': the editor's, which shows them.
  const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), foldTasks });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const run = await runner.start({ source: { kind: 'file', path: join(dir, 'noop.flow.ts') }, flowName, parameters: { n: tasks } });
  const detail = await run.done;
  const wallMs = performance.now() - t0;
  const hostCpu = cpuMsSince(cpu);
  await store.close();
  if (detail.state.type !== 'COMPLETED' || (foldTasks && detail.taskRuns.length !== Math.min(tasks, DEFAULT_FOLD_BOUNDS.first))) throw new Error(`benchmark run ended ${detail.state.name} with ${detail.taskRuns.length} task runs`);
  const { deserialize } = await import('../src/engine/serializer');
  const result = deserialize(detail.result!.dv) as { workerCpuMs: number };
  return { wallMs, cpuMs: hostCpu + result.workerCpuMs };
}

/**
 * The journal floor: what any engine that records every task run must do — three small JSON records a
 * task (created, running, completed), serialized and appended in batches of 2,000 lines with one
 * fdatasync per batch — in one process, nothing else.
 */
function journalRound(dir: string): Sample {
  const file = join(dir, `floor-${Math.random().toString(36).slice(2)}.jsonl`);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const fd = openSync(file, 'a', 0o600);
  const runId = crypto.randomUUID();
  let batch: string[] = [];
  for (let i = 0; i < TASKS; i++) {
    const id = `abcdef01-${i.toString(36)}`;
    const ts = Date.now();
    batch.push(JSON.stringify({ k: 'task', runId, id, name: `noop-${i}`, taskName: 'noop', ts }));
    batch.push(JSON.stringify({ k: 'tstate', runId, id, name: 'Running', ts, attempt: 1 }));
    batch.push(JSON.stringify({ k: 'tstate', runId, id, name: 'Completed', ts }));
    if (batch.length >= 2000) {
      writeSync(fd, `${batch.join('\n')}\n`);
      fdatasyncSync(fd);
      batch = [];
    }
  }
  if (batch.length > 0) {
    writeSync(fd, `${batch.join('\n')}\n`);
    fdatasyncSync(fd);
  }
  closeSync(fd);
  const wallMs = performance.now() - t0;
  return { wallMs, cpuMs: cpuMsSince(cpu) };
}

/**
 * What Node's async context costs TASKS no-op calls (bench/asyncContextChild.mjs): the CPU of the calls
 * each in an AsyncLocalStorage context less the same calls plainly, each in a fresh process. The worker
 * gives every task run its context this way; on Node 20 every promise then runs Node's async hooks.
 */
function asyncContextRound(): number {
  const cpu = (mode: string): number => {
    const r = spawnSync(process.execPath, [join(__dirname, 'asyncContextChild.mjs'), mode, String(TASKS)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`async context benchmark (${mode}) failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { cpuMs: number }).cpuMs;
  };
  return cpu('context') - cpu('plain');
}

/** The same no-op tasks through p-queue and p-retry in memory: a task queue with retries and nothing recorded. */
async function pQueueRound(): Promise<Sample> {
  const { default: PQueue } = await import('p-queue');
  const { default: pRetry } = await import('p-retry');
  const queue = new PQueue({ concurrency: Infinity });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const out = await Promise.all(Array.from({ length: TASKS }, (_, i) => queue.add(() => pRetry(async () => i, { retries: 0 }))));
  const wallMs = performance.now() - t0;
  if (out.length !== TASKS) throw new Error('p-queue lost tasks');
  return { wallMs, cpuMs: cpuMsSince(cpu) };
}

async function engineVsFloor(): Promise<Record<string, unknown>> {
  const dir = scratch();
  writeFileSync(join(dir, 'noop.flow.ts'), NOOP_FLOW);
  // A first run compiles the flow file and warms the OS caches, as a user's first run would.
  await engineRound(dir, true);
  const engine: Sample[] = [];
  const nosync: Sample[] = [];
  const unkept: Sample[] = [];
  const folded: Sample[] = [];
  const floor: Sample[] = [];
  const queue: Sample[] = [];
  const tenth: Sample[] = [];
  const double: Sample[] = [];
  const context: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    engine.push(await engineRound(dir, true));
    tenth.push(await engineRound(dir, true, 'noop-map', false, TASKS / 10));
    double.push(await engineRound(dir, true, 'noop-map', false, TASKS * 2));
    floor.push(journalRound(dir));
    nosync.push(await engineRound(dir, false));
    unkept.push(await engineRound(dir, true, 'noop-unkept'));
    folded.push(await engineRound(dir, true, 'noop-map', 'bounded'));
    queue.push(await pQueueRound());
    context.push(asyncContextRound());
  }
  rmSync(dir, { recursive: true, force: true });
  const perTask = (xs: Sample[], k: keyof Sample): number => (median(xs.map((x) => x[k])) * 1000) / TASKS;
  const cpuRatios = engine.map((e, i) => e.cpuMs / floor[i]!.cpuMs);
  // What one more task costs, without what a run costs once (forking the worker, its first-time JIT, the
  // run's creation and end): the whole run less a run a tenth as long, over the tasks between them.
  // Medians first: a round's difference of two noisy figures is noisier than either (its spread is shown).
  const marginalUs = ((median(engine.map((e) => e.cpuMs)) - median(tenth.map((e) => e.cpuMs))) * 1000) / (TASKS * 0.9);
  const marginalRatios = engine.map((e, i) => ((e.cpuMs - tenth[i]!.cpuMs) * 1000) / (TASKS * 0.9) / ((floor[i]!.cpuMs * 1000) / TASKS));
  // A task past the worker's warm-up: V8 keeps optimizing the worker's code (its compiler runs on other
  // threads, counted here) through the run's first several thousand tasks, so a run twice as long less the
  // run measures what a task costs once that is done.
  const pastWarmUpUs = ((median(double.map((e) => e.cpuMs)) - median(engine.map((e) => e.cpuMs))) * 1000) / TASKS;
  const pastWarmUpRatios = double.map((d, i) => ((d.cpuMs - engine[i]!.cpuMs) * 1000) / TASKS / ((floor[i]!.cpuMs * 1000) / TASKS));
  return {
    tasks: TASKS,
    engineCpuUsPerTask: perTask(engine, 'cpuMs'),
    engineWallUsPerTask: perTask(engine, 'wallMs'),
    engineTasksPerSecond: Math.round(TASKS / (median(engine.map((e) => e.wallMs)) / 1000)),
    floorCpuUsPerTask: perTask(floor, 'cpuMs'),
    floorWallUsPerTask: perTask(floor, 'wallMs'),
    cpuRatio: median(cpuRatios),
    cpuRatioSpread: spread(cpuRatios),
    marginalCpuUsPerTask: marginalUs,
    marginalCpuRatio: marginalUs / ((median(floor.map((x) => x.cpuMs)) * 1000) / TASKS),
    marginalCpuRatioSpread: spread(marginalRatios),
    tenthRunCpuMs: median(tenth.map((x) => x.cpuMs)),
    pastWarmUpCpuUsPerTask: pastWarmUpUs,
    pastWarmUpCpuRatio: pastWarmUpUs / ((median(floor.map((x) => x.cpuMs)) * 1000) / TASKS),
    pastWarmUpCpuRatioSpread: spread(pastWarmUpRatios),
    doubleRunCpuMs: median(double.map((x) => x.cpuMs)),
    queueCpuUsPerTask: perTask(queue, 'cpuMs'),
    queueCpuRatio: median(engine.map((e, i) => e.cpuMs / queue[i]!.cpuMs)),
    asyncContextCpuUsPerTask: (median(context) * 1000) / TASKS,
    asyncContextCpuRatio: median(context.map((c, i) => c / floor[i]!.cpuMs)),
    asyncContextCpuRatioSpread: spread(context.map((c, i) => c / floor[i]!.cpuMs)),
    foldedCpuUsPerTask: perTask(folded, 'cpuMs'),
    foldedCpuRatio: median(folded.map((e, i) => e.cpuMs / floor[i]!.cpuMs)),
    nosyncWallUsPerTask: perTask(nosync, 'wallMs'),
    nosyncCpuUsPerTask: perTask(nosync, 'cpuMs'),
    fsyncWallMsPerRun: median(engine.map((e) => e.wallMs)) - median(nosync.map((e) => e.wallMs)),
    unkeptCpuUsPerTask: perTask(unkept, 'cpuMs'),
    checkpointCpuRatio: median(engine.map((e, i) => e.cpuMs / unkept[i]!.cpuMs)),
  };
}

/** CPU (user + system) of a command and of every process it waited for (the CLI's worker), from bash's `time`. */
function cpuOfCommand(args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; { time "$@" > /dev/null 2>&1 ; } 2>&1', 'bash', ...args], { cwd, env, encoding: 'utf8' });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return (Number(m[1]) + Number(m[2])) * 1000;
}

/**
 * The same no-op map through the real `flowdeck run` (the bundled CLI as host, its worker, the store with
 * fsync): the CPU of both processes, whole runs of TASKS and of a tenth as many; what one more task costs is
 * their difference over the tasks between them. Beside the journal floor, measured in the same rounds.
 */
function cliTasks(): Record<string, unknown> {
  const dir = scratch();
  writeFileSync(join(dir, 'noop.flow.ts'), NOOP_FLOW);
  const env = { ...process.env, FLOWDECK_HOME: join(dir, 'home') };
  const run = (n: number): number => cpuOfCommand([process.execPath, join(DIST, 'cli.js'), 'run', 'noop.flow.ts', '--param', `n=${n}`], dir, env);
  run(TASKS / 10);
  const full: number[] = [];
  const tenth: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    full.push(run(TASKS));
    floor.push(journalRound(dir).cpuMs);
    tenth.push(run(TASKS / 10));
  }
  rmSync(dir, { recursive: true, force: true });
  const floorUs = (median(floor) * 1000) / TASKS;
  const marginalUs = ((median(full) - median(tenth)) * 1000) / (TASKS * 0.9);
  return {
    tasks: TASKS,
    fullRunCpuMs: median(full),
    tenthRunCpuMs: median(tenth),
    floorCpuUsPerTask: floorUs,
    marginalCpuUsPerTask: marginalUs,
    marginalCpuRatio: marginalUs / floorUs,
    marginalCpuRatioSpread: spread(full.map((x, i) => ((x - tenth[i]!) * 1000) / (TASKS * 0.9) / ((floor[i]! * 1000) / TASKS))),
  };
}

const RESUME_FLOW = (marker: string) => `import { flow, task } from 'flowdeck';
import { existsSync, writeFileSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => {
  if (i === ${TASKS - 1} && !existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, ''); throw new Error('the last one fails once'); }
  return i;
});
export default flow({ name: 'resume-bench' }, async () => (await step.map(Array.from({ length: ${TASKS} }, (_, i) => i))).length);`;

/** A TASKS-long run failing at its last task, then resumed: the time for the resume to reach (and run) it. */
async function resumeBench(): Promise<Record<string, unknown>> {
  const times: number[] = [];
  const firstRuns: number[] = [];
  for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
    const dir = scratch();
    writeFileSync(join(dir, 'resume.flow.ts'), RESUME_FLOW(join(dir, 'failed-once')));
    const store = await EmbeddedStore.open(join(dir, 'home'));
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows') });
    let t0 = performance.now();
    const failed = await (await runner.start({ source: { kind: 'file', path: join(dir, 'resume.flow.ts') } })).done;
    firstRuns.push(performance.now() - t0);
    if (failed.state.name !== 'Failed') throw new Error(`the resume benchmark's first run ended ${failed.state.name}`);
    t0 = performance.now();
    const resumed = await (await runner.resume(failed.id)).done;
    times.push(performance.now() - t0);
    if (resumed.state.name !== 'Completed') throw new Error(`the resumed run ended ${resumed.state.name}: ${resumed.state.message}`);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { tasks: TASKS, resumeMs: median(times), firstRunMs: median(firstRuns), ratio: median(times) / median(firstRuns) };
}

async function storeOpen(): Promise<{ runs: number; openMs: number; firstOpenMs: number }> {
  const home = scratch();
  const N = 10_000;
  await storeWithRuns(home, N);
  // The first open after many appends folds the index into a snapshot; later opens read one line a run.
  let t0 = performance.now();
  const first = await EmbeddedStore.open(home);
  const firstOpenMs = performance.now() - t0;
  if ((await first.count()) !== N) throw new Error(`expected ${N} runs, found ${await first.count()}`);
  await first.close();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    t0 = performance.now();
    const s = await EmbeddedStore.open(home);
    times.push(performance.now() - t0);
    if ((await s.count()) !== N) throw new Error('lost runs');
    await s.close();
  }
  rmSync(home, { recursive: true, force: true });
  return { runs: N, openMs: median(times), firstOpenMs };
}

const ONE_TASK = `import { flow, task } from 'flowdeck';\nconst one = task({ name: 'one' }, async () => 1);\nexport default flow({ name: 'one' }, async () => one());\n`;

function cliOneTask(): Record<string, unknown> {
  const dir = scratch();
  writeFileSync(join(dir, 'one.flow.ts'), ONE_TASK);
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWDECK_HOME: join(dir, 'home') };
  // NODE_EXTRA_CA_CERTS, where it is set, is read and parsed at every Node start before any of its code
  // runs (Node 20: ~20 ms for Node's own roots and ~20 ms for 144 more certificates, here): a machine
  // without it is measured too, every figure of a round with the same environment.
  const { NODE_EXTRA_CA_CERTS: extraCa, ...withoutCa } = env;
  const twoStarts = `require('node:child_process').spawnSync(process.execPath, ['-e', '0'])`;
  const cliRun = (e: NodeJS.ProcessEnv): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'run', 'one.flow.ts'], { cwd: dir, env: e });
    if (r.status !== 0) throw new Error(`CLI run failed: ${r.stderr}`);
    return performance.now() - t0;
  };
  const node = (args: string[], e: NodeJS.ProcessEnv): number => {
    const t0 = performance.now();
    spawnSync(process.execPath, args, { env: e });
    return performance.now() - t0;
  };
  // Warm the compile cache and the OS file cache once, as a user's second run would be.
  cliRun(env);
  const cli: number[] = [];
  const bare: number[] = [];
  const two: number[] = [];
  const noCa = { cli: [] as number[], bare: [] as number[] };
  // At least 10 rounds: a round is two process starts on a shared machine, the noisiest figure here.
  for (let i = 0; i < Math.max(10, ROUNDS); i++) {
    cli.push(cliRun(env));
    bare.push(node(['-e', '0'], env));
    two.push(node(['-e', twoStarts], env));
    if (extraCa !== undefined) {
      noCa.cli.push(cliRun(withoutCa));
      noCa.bare.push(node(['-e', '0'], withoutCa));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const ratios = cli.map((c, i) => c / bare[i]!);
  const overTwo = cli.map((c, i) => c / two[i]!);
  const noCaRatios = noCa.cli.map((c, i) => c / noCa.bare[i]!);
  return {
    cliMs: median(cli),
    nodeMs: median(bare),
    ratio: median(ratios),
    ratioSpread: spread(ratios),
    twoStartsMs: median(two),
    overTwoStarts: median(overTwo),
    overTwoStartsSpread: spread(overTwo),
    ...(extraCa !== undefined
      ? { withoutExtraCa: { cliMs: median(noCa.cli), nodeMs: median(noCa.bare), ratio: median(noCaRatios), ratioSpread: spread(noCaRatios) } }
      : {}),
    rounds: cli.length,
    load: os.loadavg()[0],
  };
}

/**
 * A one-task run in a long-lived host, from start() to its result (the Completed state) and to the end
 * of its worker: warm (a standby worker forked ahead of time, as the editor keeps one) vs cold (forking it).
 */
async function warmRun(): Promise<Record<string, unknown>> {
  const dir = scratch();
  writeFileSync(join(dir, 'one.flow.ts'), ONE_TASK);
  const store = await EmbeddedStore.open(join(dir, 'home'));
  const options = { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows') };
  const warm = new FlowRunner(store, { ...options, standby: true });
  const cold = new FlowRunner(store, options);
  const once = async (runner: FlowRunner): Promise<{ resultMs: number; doneMs: number }> => {
    const t0 = performance.now();
    let resultMs = 0;
    const onRun = (s: { state: { type: string } }): void => {
      if (s.state.type === 'COMPLETED' && resultMs === 0) resultMs = performance.now() - t0;
    };
    runner.on('run', onRun);
    const detail = await (await runner.start({ source: { kind: 'file', path: join(dir, 'one.flow.ts') } })).done;
    const doneMs = performance.now() - t0;
    runner.off('run', onRun);
    if (detail.state.type !== 'COMPLETED') throw new Error(`warm-run benchmark ended ${detail.state.name}`);
    return { resultMs, doneMs };
  };
  const settle = async (): Promise<void> => {
    // The standby is forked once the last worker is gone, then readies its module hooks: give it time.
    for (let i = 0; i < 500 && warm.standbyPid() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 1000));
  };
  // The floor's process: forked ahead and idle before each of its rounds, as the standby is.
  const floor = new WarmFloor(dir);
  await floor.ready();
  warm.prepareStandby();
  await settle();
  await once(warm);
  await once(cold);
  await floor.measure(floor.prepare());
  const w: { resultMs: number; doneMs: number }[] = [];
  const c: { resultMs: number; doneMs: number }[] = [];
  const fl: number[] = [];
  for (let r = 0; r < ROUNDS * 2; r++) {
    const url = floor.prepare();
    await settle();
    w.push(await once(warm));
    c.push(await once(cold));
    await settle();
    fl.push(await floor.measure(url));
  }
  // The same after a wait as long as a user's between two runs: the standby and the floor's process idle
  // together for BENCH_LONG_IDLE_MS (0 leaves it out), then both run, in alternating order.
  const lw: number[] = [];
  const lf: number[] = [];
  for (let r = 0; r < (LONG_IDLE_MS > 0 ? LONG_IDLE_ROUNDS : 0); r++) {
    const url = floor.prepare();
    await settle();
    await new Promise((r) => setTimeout(r, LONG_IDLE_MS));
    if (r % 2 === 0) {
      lw.push((await once(warm)).resultMs);
      lf.push(await floor.measure(url));
    } else {
      lf.push(await floor.measure(url));
      lw.push((await once(warm)).resultMs);
    }
  }
  floor.dispose();
  await warm.dispose();
  await cold.dispose();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const ratios = w.map((x, i) => c[i]!.resultMs / x.resultMs);
  const overFloor = w.map((x, i) => x.resultMs / fl[i]!);
  return {
    floorMs: median(fl),
    floorSpread: spread(fl),
    warmOverFloor: median(overFloor),
    warmOverFloorSpread: spread(overFloor),
    warmResultMs: median(w.map((x) => x.resultMs)),
    warmResultSpread: spread(w.map((x) => x.resultMs)),
    warmDoneMs: median(w.map((x) => x.doneMs)),
    coldResultMs: median(c.map((x) => x.resultMs)),
    coldDoneMs: median(c.map((x) => x.doneMs)),
    coldOverWarm: median(ratios),
    ...(lw.length > 0 ? { longIdleS: LONG_IDLE_MS / 1000, longIdleWarmMs: median(lw), longIdleWarmSpread: spread(lw), longIdleFloorMs: median(lf), longIdleFloorSpread: spread(lf), longIdleOverFloor: median(lw.map((x, i) => x / lf[i]!)) } : {}),
  };
}

const MEMORY_FLOW = `import { flow, task, getRunLogger } from 'flowdeck';
const noop = task({ name: 'noop' }, async (i: number) => i);
export default flow({ name: 'memory' }, async ({ n }: { n: number }) => {
  const out = await noop.map(Array.from({ length: n }, (_, i) => i));
  getRunLogger().info('worker-peak-rss-kb=' + process.resourceUsage().maxRSS);
  return out.length;
});`;

/**
 * Peak resident memory of `flowdeck runs --json --limit 1` printing the run in `home` (to /dev/null), as the
 * process reports it when it exits, and how long it took.
 */
function runsJsonMemory(dir: string): { mb: number; seconds: number } {
  const preload = join(dir, 'peak.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeSync(2, '\\nPEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', preload, join(DIST, 'cli.js'), 'runs', '--json', '--limit', '1'], { cwd: dir, env: { ...process.env, FLOWDECK_HOME: join(dir, 'home') }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  const peak = /PEAK_RSS_KB=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !peak) throw new Error(`runs --json benchmark failed: ${r.stderr.slice(-2000)}`);
  return { mb: Number(peak[1]) / 1024, seconds };
}

/**
 * Peak resident memory of the CLI's process and of its worker for a CLI run mapping `n` no-op tasks; then
 * of `runs --json` printing that run.
 */
async function peakMemory(n: number): Promise<{ tasks: number; hostMb: number; workerMb: number; seconds: number; runsJsonMb: number; runsJsonSeconds: number }> {
  const dir = scratch();
  writeFileSync(join(dir, 'memory.flow.ts'), MEMORY_FLOW);
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'run', 'memory.flow.ts', '--param', `n=${n}`], { cwd: dir, env: { ...process.env, FLOWDECK_HOME: join(dir, 'home') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let hostKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) hostKb = Math.max(hostKb, Number(m[1]));
    } catch {
      // Gone.
    }
  }, 100);
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearInterval(poll);
  const seconds = (performance.now() - t0) / 1000;
  const worker = /worker-peak-rss-kb=(\d+)/.exec(stderr);
  if (code !== 0 || !worker) throw new Error(`memory benchmark run (${n} tasks) failed: ${stderr.slice(-2000)}`);
  const runsJson = runsJsonMemory(dir);
  rmSync(dir, { recursive: true, force: true });
  return { tasks: n, hostMb: hostKb / 1024, workerMb: Number(worker[1]) / 1024, seconds, runsJsonMb: runsJson.mb, runsJsonSeconds: runsJson.seconds };
}

async function main(): Promise<void> {
  const f = (n: unknown, d = 1): string => (n as number).toFixed(d);
  const rows: [string, string, string][] = [];
  const results: Record<string, unknown> = {};
  if (wanted('engine')) {
    const engine = (results.engine = await engineVsFloor());
    rows.push(
      [
        `CPU per no-op task (${TASKS.toLocaleString('en')} mapped; host + worker)`,
        `${f(engine.cpuRatio, 2)}× the journal floor (${engine.cpuRatioSpread}); ${f(engine.engineCpuUsPerTask)} µs vs ${f(engine.floorCpuUsPerTask)} µs`,
        '≤ 2×',
      ],
      [
        `  one more task (the run less a run of ${(TASKS / 10).toLocaleString('en')} tasks, per task between them)`,
        `${f(engine.marginalCpuRatio, 2)}× the journal floor (rounds ${engine.marginalCpuRatioSpread}); ${f(engine.marginalCpuUsPerTask)} µs; a ${(TASKS / 10).toLocaleString('en')}-task run ${f(engine.tenthRunCpuMs, 0)} ms CPU`,
        '≤ 2×',
      ],
      [
        `  a task past the worker's warm-up (a run of ${(TASKS * 2).toLocaleString('en')} less the run, per task between them)`,
        `${f(engine.pastWarmUpCpuRatio, 2)}× the journal floor (rounds ${engine.pastWarmUpCpuRatioSpread}); ${f(engine.pastWarmUpCpuUsPerTask)} µs; a ${(TASKS * 2).toLocaleString('en')}-task run ${f(engine.doubleRunCpuMs, 0)} ms CPU`,
        '—',
      ],
      [
        `  of which Node's async context (a task run's two promises in an AsyncLocalStorage context vs plainly)`,
        `${f(engine.asyncContextCpuUsPerTask)} µs/task = ${f(engine.asyncContextCpuRatio, 2)}× the journal floor (rounds ${engine.asyncContextCpuRatioSpread}); Node ${process.versions.node}`,
        '—',
      ],
      [`  vs an in-memory p-queue + p-retry loop`, `${f(engine.queueCpuRatio, 1)}× (${f(engine.queueCpuUsPerTask)} µs/task in p-queue)`, '—'],
      [`  the editor's host (shows every task run, holds a bounded number)`, `${f(engine.foldedCpuRatio, 2)}× the journal floor (${f(engine.foldedCpuUsPerTask)} µs/task)`, '—'],
      [`Wall time per task, fsync per batch`, `${f(engine.engineWallUsPerTask)} µs (${(engine.engineTasksPerSecond as number).toLocaleString('en')} tasks/s); floor ${f(engine.floorWallUsPerTask)} µs`, '—'],
      [`What fsync costs a ${TASKS.toLocaleString('en')}-task run`, `${f(engine.fsyncWallMsPerRun, 0)} ms wall (${f(engine.nosyncWallUsPerTask)} µs/task without fsync)`, '—'],
      ['What keeping every result (the checkpoints) costs', `${f(engine.checkpointCpuRatio, 2)}× the CPU of the same run with persistResult: false (${f(engine.unkeptCpuUsPerTask)} µs/task)`, '—'],
    );
  }
  if (wanted('clitasks')) {
    const c = (results.clitasks = cliTasks());
    rows.push([
      `CPU per no-op task through \`flowdeck run\` (its CLI + worker), one more task`,
      `${f(c.marginalCpuRatio, 2)}× the journal floor (rounds ${c.marginalCpuRatioSpread}); ${f(c.marginalCpuUsPerTask)} µs vs ${f(c.floorCpuUsPerTask)} µs; whole runs ${f(c.fullRunCpuMs, 0)} and ${f(c.tenthRunCpuMs, 0)} ms CPU`,
      '≤ 2×',
    ]);
  }
  if (wanted('resume')) {
    const resume = (results.resume = await resumeBench());
    rows.push([`Resume a ${TASKS.toLocaleString('en')}-task run failed at its last task`, `${f(resume.resumeMs, 0)} ms to reuse ${(TASKS - 1).toLocaleString('en')} calls and run the last (${f(resume.ratio, 2)}× the first run's ${f(resume.firstRunMs, 0)} ms)`, '—']);
  }
  if (wanted('open')) {
    const open = (results.open = await storeOpen());
    rows.push([`Open a store of ${open.runs.toLocaleString('en')} runs`, `${f(open.openMs)} ms (first open, folding the index: ${f(open.firstOpenMs, 0)} ms)`, '≤ 150 ms']);
  }
  if (wanted('cli')) {
    const cli = (results.cli = cliOneTask());
    rows.push(['One-task CLI run vs `node -e 0`', `${f(cli.ratio, 2)}× (${cli.ratioSpread}, ${cli.rounds} rounds); ${f(cli.cliMs, 0)} ms vs ${f(cli.nodeMs, 0)} ms at load ${f(cli.load, 1)}`, '≤ 2.2×']);
    rows.push(['  vs two Node starts in a row (a node starting `node -e 0`)', `${f(cli.overTwoStarts, 2)}× (${cli.overTwoStartsSpread}); ${f(cli.twoStartsMs, 0)} ms`, '—']);
    const noCa = cli.withoutExtraCa as { cliMs: number; nodeMs: number; ratio: number; ratioSpread: string } | undefined;
    if (noCa) rows.push(['  without this machine\'s NODE_EXTRA_CA_CERTS (both sides)', `${f(noCa.ratio, 2)}× (${noCa.ratioSpread}); ${f(noCa.cliMs, 0)} ms vs ${f(noCa.nodeMs, 0)} ms`, '—']);
  }
  if (wanted('warm')) {
    const warm = (results.warm = await warmRun());
    rows.push([
      'Warm one-task run in a long-lived host, start → result',
      `${f(warm.warmResultMs)} ms (${warm.warmResultSpread}) = ${f(warm.warmOverFloor, 2)}× its floor (rounds ${warm.warmOverFloorSpread}; floor ${f(warm.floorMs)} ms, ${warm.floorSpread}); worker gone at ${f(warm.warmDoneMs)} ms; cold ${f(warm.coldResultMs)} ms = ${f(warm.coldOverWarm, 1)}× warm`,
      '≤ 10 ms',
    ]);
    if (warm.longIdleS !== undefined) {
      rows.push([
        `  after ${f(warm.longIdleS as number, 0)} s idle (the standby and the floor's process; ${LONG_IDLE_ROUNDS} rounds)`,
        `${f(warm.longIdleWarmMs as number)} ms (${warm.longIdleWarmSpread}) = ${f(warm.longIdleOverFloor as number, 2)}× its floor (${f(warm.longIdleFloorMs as number)} ms, ${warm.longIdleFloorSpread})`,
        '—',
      ]);
    }
  }
  if (wanted('memory')) {
    const memory = (results.memory = [await peakMemory(TASKS), ...(BIG_TASKS > 0 ? [await peakMemory(BIG_TASKS)] : [])]);
    rows.push(
      ...memory.flatMap((m): [string, string, string][] => [
        [
          `Peak memory, CLI run mapping ${m.tasks.toLocaleString('en')} tasks`,
          `${f(m.hostMb + m.workerMb, 0)} MB (CLI ${f(m.hostMb, 0)} MB + worker ${f(m.workerMb, 0)} MB; ${f(m.seconds)} s)`,
          m.tasks >= 1_000_000 ? '≤ 300 MB' : '—',
        ],
        [`  \`runs --json\` of that run (to /dev/null)`, `${f(m.runsJsonMb, 0)} MB peak (${f(m.runsJsonSeconds)} s)`, '—'],
      ]),
    );
  }
  if (wanted('extension')) {
    const ext = (results.extension = await extensionBench(DIST, ROUNDS));
    rows.push(
      ['Extension activate() (its own code; VS Code stand-in)', `${f(ext.activateMs, 2)} ms (${ext.activateSpread}); loading dist/extension.js before it ${f(ext.loadMs)} ms`, '≤ 5 ms'],
      [
        `Runs view opening, ${ext.runs.toLocaleString('en')} runs (groups + first pages)`,
        `${f(ext.firstOpenMs)} ms first (${ext.firstOpenSpread}), after ${f(ext.storeOpenMs, 0)} ms opening the store; ${f(ext.openMs)} ms again; flat list ${f(ext.flatOpenMs)} ms`,
        '≤ 100 ms',
      ],
    );
  }
  if (wanted('details')) {
    const d = (results.details = await runDetailsBench(ROUNDS, DETAILS_TASKS));
    rows.push([
      `Run details panel folding a finished ${DETAILS_TASKS.toLocaleString('en')}-task map`,
      `${f(d.panelHeldMb)} MB held (${d.panelHeldSpread}; ${(d.panelTasksHeld as number).toLocaleString('en')} task runs) = ${f(d.heldRatio, 2)}× the whole fold's ${f(d.wholeHeldMb)} MB; ${f(d.panelCpuMs, 0)} ms CPU = ${f(d.cpuRatio, 2)}×; at most ${f(d.panelMaxBatchCpuMs, 0)} ms CPU in one go`,
      '—',
    ]);
  }
  if (wanted('results')) {
    const lr = (results.results = largeResultBench(ROUNDS));
    rows.push([
      `Keep a result of ${lr.objects.toLocaleString('en')} small objects; read it back`,
      `${f(lr.keepRatio, 2)}× JSON.stringify (${lr.keepSpread}); ${f(lr.keepMs, 0)} ms (${f(lr.keepCpuMs, 0)} ms CPU) vs ${f(lr.jsonMs, 0)} ms; devalue's text ${f(lr.devalueRatio, 1)}× (${f(lr.devalueMs, 0)} ms). Read: ${f(lr.readRatio, 2)}× JSON.parse (${f(lr.readMs, 0)} vs ${f(lr.jsonParseMs, 0)} ms; devalue's ${f(lr.devalueReadMs, 0)} ms)`,
      '—',
    ]);
  }
  if (wanted('limits')) {
    const l = (results.limits = await tagLimitsBench(DIST, ROUNDS));
    rows.push([
      `A map of ${l.tasks} 5 ms task runs under a tag limit of 2 vs map({ concurrency: 2 })`,
      `${f(l.wallRatio, 2)}× the wall time (${l.wallSpread}; ${f(l.limitedWallMs, 0)} vs ${f(l.pacedWallMs, 0)} ms), ${f(l.cpuRatio, 2)}× the CPU (${l.cpuSpread}; ${f(l.limitedCpuMs, 0)} vs ${f(l.pacedCpuMs, 0)} ms)`,
      '—',
    ]);
  }
  if (wanted('scheduler')) {
    const scheduler = (results.scheduler = await schedulerBench(ROUNDS));
    rows.push([
      `Scheduler, ${scheduler.schedules} schedules: next slots; one tick; idle`,
      `${f(scheduler.nextSlotUs)} µs/schedule (${f(scheduler.nextSlotRatio, 2)}× croner's nextRun); tick ${f(scheduler.tickMs)} ms wall (${scheduler.tickSpread}), ${f(scheduler.tickCpuMs)} ms CPU; first ${f(scheduler.firstTickMs, 0)} ms; idle ${f(scheduler.idleCpuMsPerS, 2)} ms CPU/s`,
      '—',
    ]);
  }
  let skipped: string | undefined;
  if (wanted('postgres')) {
    const postgres = await postgresBench(ROUNDS);
    if ('rows' in postgres) rows.push(...postgres.rows);
    results.postgres = 'results' in postgres ? postgres.results : (skipped = postgres.skipped);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const load = os.loadavg().map((l) => l.toFixed(1)).join(', ');
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}; load average ${load}; Node ${process.version}; ${ROUNDS} rounds, interleaved\n`);
  console.log(`${'Benchmark'.padEnd(w0)}  ${'Result (median of rounds, spread)'.padEnd(w1)}  Target`);
  for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
  if (skipped) console.log(skipped);
  // A partial run (BENCH_ONLY) does not overwrite the full record.
  const out = ONLY.size === 0 ? 'results.json' : 'results.partial.json';
  writeFileSync(join(ROOT, 'bench', out), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), rounds: ROUNDS, ...results }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
