/**
 * `flowdeck worker`: takes runs from a queue (graphile-worker) and runs each as the CLI does — a worker
 * process per run through the FlowRunner, with its timeouts, cancel and live logs, all into the store.
 *
 * A job only says which run; what happens is decided from the run itself: a Scheduled run is started (its
 * first attempt claimed once: `start:<id>`), a run that crashed with its worker is resumed from its
 * checkpoints when its flow allows (`resume:<id>:<attempt>`, claimed once), anything else is left alone.
 * So a job delivered twice, or a resume queued both by the reaper and by a freed job, runs once.
 *
 * The job is held while the run goes, so `--concurrency` bounds the runs in progress. The worker's lease
 * (hostLease.ts) proves it is alive; each heartbeat also settles runs of workers whose lease lapsed. Losing
 * its own lease (cut off from the database), it kills its runs at once: they are resumed elsewhere.
 */
import { EventEmitter } from 'node:events';
import { run as runQueue, type Runner, type WorkerEvents } from 'graphile-worker';
import { finishedLog } from '../finishedLog';
import { EndedBeforeStart } from '../endedBeforeStart';
import { BadInputError } from '../runRequest';
import { stateRecord } from '../stateRecord';
import { ENGINE_SOURCE } from '../logFormat';
import type { FlowRunDetail, LogRecord } from '../records';
import type { ActiveRun, FlowRunner } from '../runner';
import { resumeKey } from '../resumePlan';
import { CRASHED_HOST_MESSAGE } from '../runStore';
import { isTerminal, state, stateLabel } from '../states';
import { workerSourceFor } from '../flowCopy';
import type { PgStore } from './pgStore';
import { LEASE_LOST } from './hostLease';
import { hearOwnMigrationsOnly } from './ownMigrations';
import { waitingPool } from './waitingPool';
import { addRunJob, isRunJob, queueMigrationHead, queueSchemaOf, silentLogger, taskIdentifier, type RunJob } from './runQueue';
import { FlowSlotBusy, flowSlotTurn, WAITING_FOR_FLOW_SLOT } from '../limits/flowRunSlot';

/**
 * How soon a run given back to its queue (its flow at its concurrency limit) is tried again, unless a run of
 * its flow ending on a process sharing the store hands it to a worker first (PgShared.flowSlotFreed): this
 * finds slots freed otherwise (a dead host's, taken back).
 */
const GIVE_BACK_MS = 2000;

export interface QueueWorkerOptions {
  queue: string;
  concurrency: number;
  /** This machine's copy of the workspace (flow files by their relative path); built-ins only when unset. */
  flowsDir?: string;
  /** What the worker says about itself (stderr). */
  say(message: string): void;
  /** The queue stopped and could not be started again: the worker can take no runs and should exit. */
  onFatal?(error: Error): void;
}

export class QueueWorker {
  private queueRunner?: Runner;
  /** The queue runner's stop, once asked for: graphile-worker refuses a second `stop()` ("Runner is already stopped"). */
  private queueStop?: { runner: Runner; done: Promise<void> };
  private readonly active = new Map<string, Promise<unknown>>();
  /** The concurrencyLimit of flows this worker loaded (`flowdeck worker` checks it before loading a run of one again). */
  private readonly flowLimits = new Map<string, number>();
  /** Runs that were going when the lease was lost: stopped here, their ends not on record (sayEnd). */
  private readonly lost = new Set<string>();
  /** Runs this worker gave back (said once, not at each try). */
  private readonly gaveBack = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  /** The queue schema's newest migration when the queue (last) started: one past it is this store's own. */
  private queueHead = 0;
  private stopping = false;
  /** Aborted as the worker stops: a job waiting for the lease to be renewed (take) gives up, back to the queue. */
  private readonly stopped = new AbortController();
  /** The store's pool, waiting for the database while it is away: what graphile-worker is given. */
  private readonly queuePool;
  readonly name: string;

  constructor(
    private readonly store: PgStore,
    private readonly runner: FlowRunner,
    private readonly options: QueueWorkerOptions,
  ) {
    this.name = `worker ${store.hostname}`;
    this.queuePool = waitingPool(store.pool, { stopping: () => this.stopping, say: (message) => options.say(`queue: ${message}`) });
  }

  get running(): number {
    return this.active.size;
  }

  async start(): Promise<void> {
    const lease = this.store.lease!;
    // graphile-worker locks a job with its pool's id, made while `run` starts: only an emitter of our own
    // hears it in time.
    const events: WorkerEvents = new EventEmitter();
    events.on('pool:create', ({ workerPool }) => {
      lease.addQueueWorker(workerPool.id).catch((e: Error) => this.options.say(`could not record the queue's id in the lease: ${e.message}`));
    });
    // Another schema's queue migrated (a store installed beside this one) is none of this worker's business.
    events.on('pool:listen:success', ({ client }) => hearOwnMigrationsOnly(client, async () => (await queueMigrationHead(this.store.pool, this.store.schema)) > this.queueHead));
    await this.startQueue(events);
    // Each heartbeat: settle runs of workers that stopped responding (and queue their resumes).
    let sweeping = false;
    this.sweeper = setInterval(() => {
      lease.running = this.active.size;
      if (sweeping || lease.fenced) return;
      sweeping = true;
      void this.store
        .markCrashed()
        .then(
          (crashed) => crashed.length > 0 && this.options.say(`marked ${crashed.length} run(s) of unresponsive hosts Crashed`),
          (e: Error) => this.options.say(e.message),
        )
        .finally(() => (sweeping = false));
    }, lease.timing.heartbeatMs);
    this.sweeper.unref();
  }

  private async startQueue(events: WorkerEvents): Promise<void> {
    const runner = await runQueue({
      events,
      // A job ending while the database is away is completed once it answers (waitingPool.ts).
      pgPool: this.queuePool,
      schema: queueSchemaOf(this.store.schema),
      concurrency: this.options.concurrency,
      noHandleSignals: true,
      // New jobs arrive by LISTEN/NOTIFY at once; this only paces retries and jobs freed from dead workers.
      pollInterval: Math.min(2000, this.store.lease!.timing.heartbeatMs),
      logger: silentLogger((message) => this.options.say(`queue: ${message}`)),
      taskList: { [taskIdentifier(this.options.queue)]: async (payload) => (isRunJob(payload) ? this.take(payload.runId, payload.resume) : undefined) },
    });
    this.queueRunner = runner;
    runner.promise.then(
      () => this.queueStopped(events, 'it stopped'),
      (e: Error) => this.queueStopped(events, e.message),
    );
    // Unread (the store down a moment), a migration heard is taken for this store's: the queue starts again.
    this.queueHead = await queueMigrationHead(this.store.pool, this.store.schema).catch(() => 0);
  }

  /**
   * graphile-worker stops taking jobs on a breaking migration of this store's queue schema (those of other
   * schemas it no longer hears: ownMigrations.ts), and the worker would live on taking nothing. The queue is
   * started again instead: that migrates nothing when this store's queue is current, and refuses, saying
   * why, a queue schema too new for this Flowdeck.
   */
  private queueStopped(events: WorkerEvents, why: string): void {
    if (this.stopping) return;
    // graphile-worker marks the process for a breaking migration it heard of (exit code 57): the restart decides.
    if (process.exitCode === 57) process.exitCode = undefined;
    this.options.say(`the queue stopped taking runs (${why}); starting it again`);
    this.startQueue(events).catch((e: Error) => {
      this.options.say(`could not start the queue again: ${e.message}`);
      this.options.onFatal?.(e);
    });
  }

  /** The lease is gone: every run here is killed now, before another worker resumes it. */
  leaseLost(why: string): void {
    this.options.say(`lost the lease on the store (${why}): stopping ${this.active.size} run(s); the store marks them Crashed, and they are resumed elsewhere if their flows allow`);
    for (const id of this.active.keys()) {
      // One whose end is on record already (its hooks going) is not lost: it ended as the store says.
      if (!this.runner.hooksGoing(id)) this.lost.add(id);
      this.runner.kill(id, `${this.name} lost its lease on the store`);
    }
  }

  /**
   * What became of a run this worker ran, as the store holds it. A run stopped because the lease was lost
   * ended here in a state no write could record (`Failed('Flowdeck could not record the run…')`, or the
   * Cancelled of its kill): the store holds it Crashed once another process sees the lease lapsed, then its
   * resume. So the worker says it lost the run, never that end.
   */
  private sayEnd(active: ActiveRun, end: FlowRunDetail): void {
    const refused = (active.failedToRecord as { code?: unknown } | undefined)?.code === LEASE_LOST;
    if (this.lost.delete(active.id) || refused) {
      this.options.say(`${active.name} lost: ${this.name} lost its lease on the store while it ran; it was stopped here and its end is not recorded: the store marks it Crashed (resumed elsewhere if its flow allows)`);
      return;
    }
    this.options.say(`${active.name} ended ${stateLabel(end.state)}`);
  }

  /** A job of this queue for run `runId`; `resume`, what a job asking for its resume saw (RunJob). */
  private async take(runId: string, resume?: RunJob['resume']): Promise<void> {
    // Back from a cut longer than its lease, the database answers before this worker's new lease is written:
    // another process (an editor window, another worker) may have settled its runs meanwhile and queued
    // their resumes, which come here now. It waits for the lease: claimed under the lost one, a resume was
    // nobody's — its run ended Failed at that attempt, its writes refused, or stayed Crashed for good.
    await this.store.lease!.whenHeld(this.stopped.signal);
    const run = await this.store.get(runId);
    if (!run || run.id !== runId || run.parentRunId) return;
    if (run.state.type !== 'SCHEDULED') this.gaveBack.delete(runId);
    if (run.state.type === 'SCHEDULED') {
      // Its flow known to be at its concurrency limit — every slot held, or the free ones due to runs queued
      // before it that wait for one (first come, first served): back to the queue, nothing loaded.
      const limit = this.flowLimits.get(run.flowName);
      const busy = limit === undefined ? undefined : await flowSlotTurn(this.store.limits, this.store.shared, run, limit);
      if (busy) {
        await this.giveBack(runId, busy);
        return;
      }
      if (!(await this.store.claim(`start:${runId}`))) return;
      await this.track(runId, () => this.startRun(runId, run.source));
      return;
    }
    if (run.state.name === 'Suspended') {
      // Resumed on its queue (SharedStore.resumeQueued): its input is in its journal; once, whoever takes it.
      const queued = await this.store.queuedAs(runId);
      if (!queued || !(await this.store.claim(resumeKey(runId, run.attempt + 1)))) return;
      await this.track(runId, () => this.resumeRun(runId, run.source, queued.sourceHash));
      return;
    }
    // Sent here to be resumed (SharedStore.resumeOnQueue: `flowdeck resume --queue`): that attempt, once.
    const asked = resume !== undefined && resume.attempt === run.attempt + 1 && resume.seq === run.seq && isTerminal(run.state.type) && run.state.type !== 'COMPLETED';
    const crashedHere = run.state.type === 'CRASHED' && (run.state.message?.startsWith('worker ') || run.state.message === CRASHED_HOST_MESSAGE);
    if (!asked && !crashedHere) return;
    const queued = await this.store.queuedAs(runId);
    if (!queued || !(asked || run.resumeOnCrash || run.attempt <= (queued.retries ?? 0))) return;
    if (!(await this.store.claim(resumeKey(runId, run.attempt + 1)))) return;
    await this.track(runId, () => this.resumeRun(runId, run.source, queued.sourceHash));
  }

  private async track(runId: string, go: () => Promise<void>): Promise<void> {
    const p = go().catch((e: Error) => this.options.say(`run ${runId}: ${e.message}`));
    this.active.set(runId, p);
    this.store.lease!.running = this.active.size;
    try {
      await p;
    } finally {
      this.active.delete(runId);
      this.lost.delete(runId);
      this.store.lease!.running = this.active.size;
    }
  }

  private async startRun(runId: string, sourceRef: string): Promise<void> {
    const queued = await this.store.queuedAs(runId);
    let active;
    try {
      const source = await workerSourceFor({ source: sourceRef, sourceHash: queued?.sourceHash }, this.options.flowsDir, this.store.hostname);
      active = await this.runner.startCreated(runId, { source, ...(this.options.flowsDir ? { cwd: this.options.flowsDir } : {}) }, { takenBy: this.name, refuseIfSlotsBusy: true });
    } catch (e) {
      // Its flow at its concurrency limit: not taken up (it holds no job while it waits), back to the queue.
      if (e instanceof FlowSlotBusy) {
        this.flowLimits.set(e.flowName, e.limit);
        await this.store.unclaim(`start:${runId}`);
        await this.giveBack(runId, e);
        return;
      }
      // Cancelled between its job's taking and its start: it stays Cancelled.
      if (e instanceof EndedBeforeStart) {
        this.options.say(`run ${runId}: ${e.message}`);
        return;
      }
      // Claimed, so no other worker will start it: it must end here, saying why.
      await this.failUnstarted(runId, e instanceof BadInputError ? e.message : this.store.describe(e));
      return;
    }
    this.options.say(`running ${active.name} (${active.flowName})`);
    this.gaveBack.delete(runId);
    if (active.flow?.concurrencyLimit !== undefined) this.flowLimits.set(active.flowName, active.flow.concurrencyLimit);
    else this.flowLimits.delete(active.flowName);
    await this.store.recordRetries(runId, active.flow?.retries ?? 0);
    // A cancel asked for once it was taken up and before this worker followed its requests: followed now.
    const cancelReason = (await this.store.queuedAs(runId))?.cancelReason;
    if (cancelReason) this.runner.cancel(runId, cancelReason);
    this.sayEnd(active, await active.done);
  }

  /**
   * A run waiting to start whose flow is at its concurrency limit goes back to the queue, handed out again
   * when a slot frees or in GIVE_BACK_MS: it holds none of this worker's `--concurrency` while it waits, so
   * runs of other flows go.
   */
  private async giveBack(runId: string, busy: FlowSlotBusy): Promise<void> {
    await addRunJob(this.store.pool, this.store.schema, this.options.queue, runId, `run:${runId}`, { afterMs: GIVE_BACK_MS });
    if (this.gaveBack.has(runId)) return;
    // Runs another worker started stay here: bounded, it forgets them all now and then (they are said again).
    if (this.gaveBack.size >= 10_000) this.gaveBack.clear();
    this.gaveBack.add(runId);
    // The first time only: the run says why it waits (its Scheduled state said it waited for a worker).
    const why = `${WAITING_FOR_FLOW_SLOT}${busy.message}; it waits on queue '${this.options.queue}' and starts when a slot is free, after the runs queued before it`;
    await this.store.shared.markAwaitingSlot(runId, why).catch((e: Error) => this.options.say(`run ${runId}: ${e.message}`));
    this.options.say(`run ${runId}: ${busy.message}; back on queue '${this.options.queue}'`);
  }

  private async resumeRun(runId: string, sourceRef: string, sourceHash: string | null): Promise<void> {
    let active;
    try {
      const source = await workerSourceFor({ source: sourceRef, sourceHash }, this.options.flowsDir, this.store.hostname);
      active = await this.runner.resume(runId, { source, ...(this.options.flowsDir ? { cwd: this.options.flowsDir } : {}) });
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      this.options.say(`could not resume run ${runId}: ${e.message}`);
      // Another resume has it (`flowdeck resume` raced this worker), or it went: nothing for its logs to say.
      // Said before the resume is let go: a follower (`resume --queue`) ends once nothing will resume the run,
      // and reads its logs then — the reason must be there by that time.
      try {
        if (e.reason !== 'taken') await this.noteUnresumed(runId, e.message);
      } finally {
        // Not resumed here: the attempt is free for a resume where the flow file is.
        const run = await this.store.get(runId);
        if (run) await this.store.unclaim(resumeKey(runId, run.attempt + 1));
      }
      return;
    }
    this.options.say(`resuming ${active.name} (${active.flowName}) from its checkpoints`);
    this.sayEnd(active, await active.done);
  }

  /**
   * A crashed (or suspended) run this worker claimed to resume and could not (its flow file missing here,
   * or another version of it) stays as it was, and no other worker takes that attempt: its logs say why, so the user
   * sees it where they look, not only in this worker's output.
   */
  private async noteUnresumed(runId: string, message: string): Promise<void> {
    const stays = (await this.store.get(runId))?.state.name ?? 'as it is';
    const handle = await this.store.openRun(runId);
    try {
      const line: LogRecord = { k: 'log', runId, ts: Date.now(), level: 'ERROR', source: ENGINE_SOURCE, message: `${this.name} could not resume the run: ${message}; it stays ${stays} (resume it with \`flowdeck resume ${handle.name}\` where the flow file is)` };
      await handle.append([line]);
    } finally {
      await handle.close();
    }
  }

  /** A run that could not even start here (no such flow file, another version of it, parameters refused) ends Failed saying why. */
  private async failUnstarted(runId: string, message: string): Promise<void> {
    const handle = await this.store.openRun(runId);
    const s = state('Failed', `${this.name} could not start the run: ${message}`);
    const record = stateRecord(runId, s);
    // With the engine's end line: the run's logs say why it ended, as a run that started would.
    await handle.append([record, finishedLog(handle.name, record)]);
    await handle.setState(s, { endTime: s.timestamp, owner: { pid: process.pid, hostname: this.store.hostname } });
    await handle.close();
    this.options.say(`run ${runId} failed to start: ${message}`);
  }

  /** Takes no more runs and waits for those in progress to end (a second call cancels them). */
  async stop(cancelRuns = false): Promise<void> {
    this.stopping = true;
    this.stopped.abort(new Error(`${this.name} stopped before its lease on the store was renewed; the run goes back to its queue`));
    clearInterval(this.sweeper);
    if (cancelRuns) for (const id of this.active.keys()) this.runner.cancel(id, `Cancelled: ${this.name} is shutting down`);
    const runner = this.queueRunner;
    if (runner && this.queueStop?.runner !== runner) this.queueStop = { runner, done: runner.stop() };
    await this.queueStop?.done;
    await Promise.allSettled([...this.active.values()]);
  }
}
