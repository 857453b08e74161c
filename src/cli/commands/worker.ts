import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { openStore as openRunStore, storeUrl } from '../../engine/openStore';
import { LEASE_LOST, checkLease, leaseFromEnv } from '../../engine/postgres/hostLease';
import { loadPostgres } from '../../engine/postgres/load';
import type { PgStore } from '../../engine/postgres/pgStore';
import { DEFAULT_QUEUE } from '../../engine/postgres/queueName';
import type { QueueWorker } from '../../engine/postgres/queueWorker';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { decimalNumber } from '../decimalNumber';
import { wholeNumberOption } from '../wholeNumberOption';
import { createRunner } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { keepRuns, keepRunsHelp, keepRunsOf } from '../keepRuns';
import { knownSecrets } from '../knownSecrets';
import { checkedQueue } from '../queueArg';

/** Standby worker processes kept by default: one for each run at once, up to this many (each ~40 MB idle). */
const DEFAULT_MAX_STANDBY = 4;

export const WORKER_HELP = `Usage: flowdeck worker [options]

Takes runs queued on a Postgres store (\`flowdeck run … --queue NAME\`, Run on Workers in VS Code) and
runs each as \`flowdeck run\` does: a worker process per run, timeouts, cancel, logs live in the store.
Needs FLOWDECK_STORE (or --store) set to a postgres:// URL. Runs until stopped: SIGTERM or Ctrl-C takes no
more runs and waits for those in progress; a second one cancels them.

Options:
  --queue NAME         the queue to serve (default: default)
  --concurrency N      runs at once (default: 1)
  --flows DIR          this machine's copy of the workspace: queued flow files are looked up by their path
                       relative to the workspace root, and must have the content hash they were queued with.
                       Without it, the worker runs built-in flows only.
  --name HOST          the host name its runs show (default: this machine's, ${hostname()})
  --heartbeat SECONDS  how often it proves it is alive (default 5; FLOWDECK_HEARTBEAT_SECONDS)
  --lease SECONDS      how long after its last heartbeat others take its runs over (default 30; FLOWDECK_LEASE_SECONDS)
  --standby N          worker processes kept forked ahead of the next runs (default: one per --concurrency,
                       at most ${DEFAULT_MAX_STANDBY}). A run that finds one waiting starts ~20 ms after it was
                       queued instead of ~190; each holds ~40 MB while it waits
  --no-standby         keep none (--standby 0): each run waits for its own Node process to start
${keepRunsHelp(23)}
  -h, --help           this help

A worker that stops responding (machine off, process killed, network cut) loses its runs after the lease:
they turn Crashed ("worker HOST stopped responding"), and those whose flow allows it (retries left, or
resumeOnCrash) are resumed on another worker from their checkpoints.

A run whose flow is at its own concurrencyLimit is not taken up: it goes back to the queue, in state
AwaitingConcurrencySlot, holding none of --concurrency while it waits. When a run of the flow ends, the runs
waiting for its slot are handed to workers at once, and take the free slots in the order they were queued.`;

/** A count (`--concurrency`) is a whole number (wholeNumberOption.ts); seconds (`--heartbeat`, `--lease`) may have a fraction. */
function positiveNumber(value: string | undefined, name: string, fraction: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (!fraction) return wholeNumberOption(name, value, 1);
  const n = decimalNumber(value, { fraction });
  if (n === undefined || n <= 0) throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** How many worker processes to keep forked ahead: `--standby N`, `--no-standby` (0), or the default. */
function standbyCount(value: string | undefined, none: boolean, concurrency: number): number {
  if (none && value !== undefined && value !== '0') throw new UsageError(`--no-standby and --standby ${value} contradict each other; give one`);
  if (none) return 0;
  if (value === undefined) return Math.min(concurrency, DEFAULT_MAX_STANDBY);
  const n = decimalNumber(value);
  if (n === undefined || n < 0 || n > 256) throw new UsageError(`--standby must be a whole number from 0 to 256, got ${JSON.stringify(value)}`);
  return n;
}

export async function workerCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('worker', argv, {
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    flows: { type: 'string' },
    name: { type: 'string' },
    heartbeat: { type: 'string' },
    lease: { type: 'string' },
    standby: { type: 'string' },
    'no-standby': { type: 'boolean' },
    'keep-runs': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, WORKER_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`flowdeck worker takes no arguments, got '${positionals[0]}'; \`flowdeck worker --help\` lists its options`);
  if (storeUrl({ env: io.env }) === undefined) throw new UsageError('flowdeck worker needs a Postgres store: set FLOWDECK_STORE (or --store) to a postgres:// URL');
  let queue: string;
  try {
    queue = checkedQueue(values.queue ?? DEFAULT_QUEUE, knownSecrets(io.env));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const concurrency = positiveNumber(values.concurrency, '--concurrency', false) ?? 1;
  if (!Number.isInteger(concurrency) || concurrency > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256, got ${values.concurrency}`);
  const standby = standbyCount(values.standby, values['no-standby'] === true, concurrency);
  let lease;
  try {
    const envLease = leaseFromEnv(io.env);
    lease = checkLease({ heartbeatMs: (positiveNumber(values.heartbeat, '--heartbeat', true) ?? envLease.heartbeatMs / 1000) * 1000, lapseMs: (positiveNumber(values.lease, '--lease', true) ?? envLease.lapseMs / 1000) * 1000 });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const name = values.name ?? io.env.FLOWDECK_WORKER_NAME ?? hostname();
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) throw new UsageError(`--name must be a host name (letters, digits, '.', '-', '_', ':'), got ${JSON.stringify(name)}`);
  const keep = keepRunsOf(values['keep-runs']);
  const flowsDir = values.flows !== undefined ? resolve(io.cwd, values.flows) : undefined;
  // A folder that is not there would take every queued file run and fail it: said now instead.
  if (flowsDir !== undefined && !(await stat(flowsDir).then((st) => st.isDirectory(), () => false))) {
    throw new UsageError(`--flows ${flowsDir} is not a folder here: give this machine's copy of the workspace (queued flow files are looked up below it)`);
  }

  const say = (message: string): void => write(io.stderr, `flowdeck worker ${name}: ${neutraliseTerminal(message)}`);
  let worker: QueueWorker | undefined;
  const store = (await openRunStore({
    env: io.env,
    kind: 'worker',
    hostname: name,
    lease,
    worker: { queue, concurrency },
    onLeaseLost: (why) => worker?.leaseLost(why),
    onConnectionWait: say,
  })) as PgStore;
  const runner = createRunner(store, io, standby > 0 ? { standby } : {});
  // A write refused because the lease was lost is said once for all runs (leaseLost), and each run's end as lost.
  runner.on('storeError', (runId, e) => (e as { code?: unknown }).code !== LEASE_LOST && say(`run ${runId}: ${e.message}`));
  let stops = 0;
  let stopped: () => void = () => undefined;
  let exit: number = EXIT.ok;
  const done = new Promise<void>((r) => (stopped = r));
  const onFatal = (): void => {
    exit = EXIT.runFailed;
    void worker!.stop().then(() => stopped());
  };
  // graphile-worker's pool traces a pool worker's error on the console (`Trace: Error: read ECONNRESET` and a
  // dozen frames, for a job look that failed while the database was away) before its logger says it in one
  // line (`queue: Worker exited with error: …`, below): the trace goes. This process runs no flow code (each
  // run has a process of its own), so nothing else here traces.
  console.trace = () => undefined;
  worker = new (loadPostgres().QueueWorker)(store, runner, { queue, concurrency, ...(flowsDir ? { flowsDir } : {}), say, onFatal });
  const onSignal = (signal: NodeJS.Signals): void => {
    stops++;
    say(stops === 1 ? `${signal}: taking no more runs; waiting for ${worker!.running} in progress (again to cancel them)` : `${signal}: cancelling the runs in progress`);
    void worker!.stop(stops > 1).then(() => stopped());
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let stopPruning: (() => Promise<void>) | undefined;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    await worker.start();
    if (keep !== undefined) stopPruning = await keepRuns(store, runner, keep, say);
    // The first run is warm too: its worker process is forked now, for runs in the folder they run in.
    runner.prepareStandby(flowsDir ? { cwd: flowsDir } : {});
    const standbys = standby === 0 ? 'no standby process' : `${standby} standby process${standby === 1 ? '' : 'es'} forked ahead`;
    say(`serving queue '${queue}' (concurrency ${concurrency}, ${standbys}${flowsDir ? `, flows from ${flowsDir}` : ', built-in flows only'}) on ${store.location}`);
    await done;
    return exit;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    await stopPruning?.();
    await runner.dispose();
    await store.close();
  }
}
