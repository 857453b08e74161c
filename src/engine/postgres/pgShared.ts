/**
 * What the Postgres store offers a store several machines share (sharedStore.ts): changes pushed by
 * LISTEN/NOTIFY, runs queued for workers, cancel requests that reach the worker running a run, the
 * workers alive, a run's journal read from where a follower left it.
 */
import { cancelCrashResume } from '../crashedToResume';
import { boundedReason } from '../cancelRequests';
import { finishedLog } from '../finishedLog';
import { ENGINE_SOURCE, flowRunSource } from '../logFormat';
import { stateRecord } from '../stateRecord';
import type { FlowRunSummary, PauseInputRecord, RunRecord } from '../records';
import { indexState } from '../runIndex';
import type { ResumePausedOutcome } from '../runStore';
import { RESUME_WITHDRAWN, type CancelOutcome, type QueueResumeRequest, type QueuedResume, type QueuedRun, type ResumePending, type RecordKinds, type SharedStore, type SharedStoreListener, type StoreHealth, type WorkerInfo } from '../sharedStore';
import { isTerminal, state } from '../states';
import { cancelSuspension } from '../suspensions';
import { attemptKey, resumeKey } from '../resumePlan';
import { CLAIM_TAKEN, throughPassingClaim } from '../nextAttemptClaim';
import { liveSession } from './hostLease';
import { isUnreachable } from './connection';
import type { Channel } from './changeFeed';
import { type BatchRow, READ_BATCH, READ_BYTES, goesOn, lineRecord, withinBytes } from './journalRows';
import type { PgStore } from './pgStore';
import { checkQueueName } from './queueName';
import { addRunJob, queueSchemaOf, withdrawRunJob } from './runQueue';
import { tagsField } from '../runTags';
import type { PoolClient } from 'pg';

/** Row `r` is a run given back to its queue by a worker, waiting for a slot of its flow (PgShared.markAwaitingSlot). */
const awaitingSlot = (r: string): string =>
  `${r}.state_type = 'SCHEDULED' and ${r}.state->>'name' = 'AwaitingConcurrencySlot' and ${r}.queue is not null and ${r}.parent_run_id is null and ${r}.owner_session is null and ${r}.start_time is null`;

/**
 * A queued run not started yet that a worker will still take up, so a slot of its flow is due to it before the
 * runs of its flow queued after it on its queue (PgShared.waitingAhead). Its start claimed by a live worker
 * (taking it up now; when the flow's slots are all held it will wait too), or its job on the queue: waiting
 * with attempts left (not picked yet, or given back to wait for a slot — due now or later), or held by a live
 * worker (picked, its start not claimed yet, or being given back). A run nothing will take up holds back no
 * run after it: its job failed for good or gone, or held by a worker that died (freed once the worker is found
 * dead — the reaper's unlockQueueWorkers — it counts again from then on).
 */
const stillToStart = (r: string, store: { t(name: string): string; schema: string }): string => {
  const jobs = `"${queueSchemaOf(store.schema)}".jobs`;
  return `${r}.state_type = 'SCHEDULED' and ${r}.queue is not null and ${r}.parent_run_id is null and ${r}.start_time is null
     and (exists (select 1 from ${store.t('claims')} c where c.key = 'start:' || ${r}.id and ${liveSession(store.t('hosts'), 'c.session')})
       or (${r}.owner_session is null and exists (select 1 from ${jobs} j where j.key = 'run:' || ${r}.id
             and (case when j.locked_at is null then j.attempts < j.max_attempts
                       else exists (select 1 from ${store.t('hosts')} q where j.locked_by = any(q.queue_worker_ids) and ${liveSession(store.t('hosts'), 'q.id')}) end))))`;
};

/** At most this many waiting runs are handed to workers when a slot frees (a flow's limit may be larger). */
const MAX_WOKEN = 50;

export class PgShared implements SharedStore {
  constructor(private readonly store: PgStore) {}

  get health(): StoreHealth {
    return this.store.feed.healthy;
  }

  watch(listener: SharedStoreListener): () => void {
    let watching = true;
    const unsubscribe = this.store.feed.subscribe({
      notify: (channel: Channel, payload: string) => {
        if (channel === 'runs') listener.runs?.();
        else if (channel === 'journal') listener.journal?.(payload);
      },
      health: (h) => listener.health?.(h),
      resync: () => {
        listener.runs?.();
        listener.resync?.();
      },
    });
    // What changed before the LISTEN was up was never announced to this listener: once it is, a look.
    void this.store.feed.start().then(
      () => watching && listener.resync?.(),
      (e: unknown) => this.store.feed.setHealth({ ok: false, message: this.store.describe(e) }),
    );
    return () => {
      watching = false;
      unsubscribe();
    };
  }

  /** Creates the run in state Scheduled and hands it to the queue, in one transaction. */
  async enqueue(run: QueuedRun, options: { signal?: AbortSignal } = {}): Promise<FlowRunSummary> {
    this.store.assertWritable();
    checkQueueName(run.queue);
    const created = await this.store.insertRun(
      {
        flowName: run.flowName,
        source: run.source,
        parameters: run.parameters,
        state: state('Scheduled', `Waiting for a worker on queue '${run.queue}'`),
        ...(run.sourceHash ? { sourceHash: run.sourceHash } : {}),
        ...(run.trigger ? { trigger: run.trigger } : {}),
        ...(run.refreshCache ? { refreshCache: true } : {}),
        ...(run.idempotencyKey !== undefined ? { idempotencyKey: run.idempotencyKey } : {}),
        ...tagsField(run.tags),
      },
      { ownerSession: null, queue: run.queue, ...(run.runId !== undefined ? { id: run.runId } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
    return (await this.store.get(created.runId))!;
  }

  async requestCancel(runId: string, reason: string): Promise<CancelOutcome> {
    this.store.assertWritable();
    if (await cancelSuspension(this.store, runId, boundedReason(reason))) return 'cancelled';
    // Crashed, to be resumed by the next host (resumeOnCrash): that resume is what is cancelled.
    if (await cancelCrashResume(this.store, runId, boundedReason(reason))) return 'cancelled';
    return this.store.transaction('cancel a run', async (client) => {
      const { rows } = await client.query<{ state_type: string; state_name: string; journal_seq: string; name: string; attempt: number; queue: string | null }>(
        `select state_type, state->>'name' as state_name, journal_seq, name, attempt, queue from ${this.store.t('runs')} where id = $1 for update`,
        [runId],
      );
      const run = rows[0];
      let outcome: CancelOutcome;
      if (!run) outcome = 'unknown';
      else if (isTerminal(run.state_type as FlowRunSummary['state']['type'])) {
        // Being resumed (its next attempt claimed by a live process, its flow loading): the request goes to
        // that claim, where the resume looks once it has taken the run over — which waits for this row.
        const { rowCount } = await client.query(
          `update ${this.store.t('claims')} c set cancel_reason = $2 where key = $1 and ${liveSession(this.store.t('hosts'), 'c.session')}`,
          [attemptKey(runId, run.attempt + 1), boundedReason(reason)],
        );
        outcome = rowCount === 1 ? 'requested' : 'finished';
        // Sent to its queue to be resumed (`resume --queue`, a crash workers resume) and no worker has taken it
        // up yet: the resume is withdrawn. The run stays as it ended, its log saying so, and is no longer one
        // workers resume on their own (the job it was started with, freed from a dead worker, would) — only by hand.
        if (outcome === 'finished' && run.queue !== null && run.state_type !== 'COMPLETED' && (await withdrawRunJob(client, this.store.schema, resumeKey(runId, run.attempt + 1)))) {
          const log: RunRecord = { k: 'log', runId, ts: Date.now(), level: 'INFO', source: ENGINE_SOURCE, message: `${RESUME_WITHDRAWN}${boundedReason(reason)}); it stays ${run.state_name}` };
          await client.query(`insert into ${this.store.t('records')} (run_id, seq, kind, line) values ($1, $2::bigint + 1, 'log', $3)`, [runId, run.journal_seq, JSON.stringify(log)]);
          await client.query(`update ${this.store.t('runs')} set journal_seq = journal_seq + 1, resume_on_crash = false, retries = 0 where id = $1`, [runId]);
          await client.query('select pg_notify($1, $2)', [this.store.channels.journal, runId]);
          outcome = 'withdrawn';
        }
      }
      else if (run.state_type === 'SCHEDULED') {
        // Not taken yet: cancelled here and now; the worker that gets its job finds it finished.
        const s = state('Cancelled', boundedReason(reason));
        const record = stateRecord(runId, s);
        // With the engine's end line, as a host would end it: the run's logs say how it ended.
        await client.query(`insert into ${this.store.t('records')} (run_id, seq, kind, line) values ($1, $2::bigint + 1, 'state', $3), ($1, $2::bigint + 2, 'log', $4)`, [
          runId,
          run.journal_seq,
          JSON.stringify(record),
          JSON.stringify(finishedLog(run.name, record)),
        ]);
        await client.query(`update ${this.store.t('runs')} set journal_seq = journal_seq + 2, seq = seq + 1, state = $2, state_type = 'CANCELLED', end_time = $3 where id = $1`, [runId, indexState(s), s.timestamp]);
        await client.query('select pg_notify($1, $2)', [this.store.channels.runs, runId]);
        outcome = 'cancelled';
      } else {
        await client.query(`update ${this.store.t('runs')} set cancel_reason = $2 where id = $1`, [runId, boundedReason(reason)]);
        await client.query('select pg_notify($1, $2)', [this.store.channels.cancel, runId]);
        outcome = 'requested';
      }
      return outcome;
    });
  }

  unreachable(e: unknown): boolean {
    return isUnreachable(e);
  }

  async resumePending(runId: string, attempt: number): Promise<ResumePending> {
    const rows = await this.store.rows<{ pending: ResumePending }>(
      `select case when exists (select 1 from ${this.store.t('claims')} c where c.key = any($2::text[]) and ${liveSession(this.store.t('hosts'), 'c.session')})
                     or exists (select 1 from "${queueSchemaOf(this.store.schema)}".jobs j where j.key = $1 and j.locked_at is null) then 'waiting'
                   when exists (select 1 from "${queueSchemaOf(this.store.schema)}".jobs j where j.key = $1) then 'taking'
                   else 'none' end as pending`,
      [resumeKey(runId, attempt), [resumeKey(runId, attempt), attemptKey(runId, attempt)]],
      'look for a resume',
    );
    return rows[0]?.pending ?? 'none';
  }

  /**
   * A queued run a worker gave back to its queue (its flow at its concurrency limit) says so: state
   * AwaitingConcurrencySlot (Prefect's, of the Scheduled kind) with why, and a log line — only while it still
   * waits to start, nobody has taken it up and it does not say so already (else nothing is written). True when written.
   */
  async markAwaitingSlot(runId: string, why: string): Promise<boolean> {
    this.store.assertWritable();
    return this.store.transaction('record a run', async (client) => {
      const { rows } = await client.query<{ journal_seq: string; name: string }>(
        `select journal_seq, name from ${this.store.t('runs')} where id = $1 and state_type = 'SCHEDULED' and start_time is null and owner_session is null and state->>'name' <> 'AwaitingConcurrencySlot' for update`,
        [runId],
      );
      const run = rows[0];
      if (!run) return false;
      const s = state('AwaitingConcurrencySlot', why);
      const log: RunRecord = { k: 'log', runId, ts: s.timestamp, level: 'INFO', source: flowRunSource(run.name), message: why };
      await client.query(`insert into ${this.store.t('records')} (run_id, seq, kind, line) values ($1, $2::bigint + 1, 'state', $3), ($1, $2::bigint + 2, 'log', $4)`, [
        runId,
        run.journal_seq,
        JSON.stringify(stateRecord(runId, s)),
        JSON.stringify(log),
      ]);
      await client.query(`update ${this.store.t('runs')} set journal_seq = journal_seq + 2, seq = seq + 1, state = $2 where id = $1`, [runId, indexState(s)]);
      await client.query('select pg_notify($1, $2), pg_notify($3, $1)', [this.store.channels.runs, runId, this.store.channels.journal]);
      return true;
    });
  }

  async flowSlotFreed(flowName: string, limit: number): Promise<number> {
    this.store.assertWritable();
    const waiting = await this.store.rows<{ id: string; queue: string; created: string }>(
      `select w.id, w.queue, w.created from ${this.store.t('runs')} w
         where w.flow_name = $1 and ${awaitingSlot('w')} order by w.created, w.id limit $2`,
      [flowName, Math.min(Math.max(1, Math.floor(limit)), MAX_WOKEN)],
      'hand waiting runs to workers',
    );
    if (waiting.length === 0) return 0;
    // Due when each was queued: in their order, ahead of jobs added since.
    for (const r of waiting) await addRunJob(this.store.pool, this.store.schema, r.queue, r.id, `run:${r.id}`, { at: Number(r.created) }).catch((e: unknown) => this.store.fail(e, 'hand waiting runs to workers'));
    return waiting.length;
  }

  async waitingAhead(runId: string): Promise<number> {
    const rows = await this.store.rows<{ n: string }>(
      `select count(*) as n from ${this.store.t('runs')} w, ${this.store.t('runs')} r
         where r.id = $1 and w.flow_name = r.flow_name and w.queue = r.queue and w.id <> r.id
           and (w.created, w.id) < (r.created, r.id) and ${stillToStart('w', this.store)}`,
      [runId],
      'read the runs waiting ahead',
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** A paused run's row gets the input and its process a notification; a run of a process gone is settled Crashed first. */
  async requestResumePaused(runId: string, input: Record<string, unknown>): Promise<ResumePausedOutcome> {
    this.store.assertWritable();
    const state = async (): Promise<FlowRunSummary['state'] | undefined> => (await this.store.get(runId))?.state;
    let now = await state();
    if (now === undefined) return 'unknown';
    // Suspended: no process waits for its input; a resume runs it (FlowRunner.resume with the input).
    if (now.name === 'Suspended') return 'not-paused';
    if (now.type === 'PAUSED') {
      // Its host's lease lapsed: nobody waits for the input (the reaper settles it).
      await this.store.markCrashed();
      now = await state();
    }
    if (now?.type !== 'PAUSED') return now === undefined ? 'unknown' : isTerminal(now.type) ? 'finished' : 'not-paused';
    const text = JSON.stringify({ input });
    const updated = await this.store.rows(`update ${this.store.t('runs')} set resume_input = $2 where id = $1 and state_type = 'PAUSED' and state->>'name' <> 'Suspended' returning id`, [runId, text], 'resume a paused run');
    if (updated.length !== 1) return 'not-paused';
    await this.store.rows('select pg_notify($1, $2)', [this.store.channels.resume, runId], 'resume a paused run');
    return 'requested';
  }

  async resumeQueued(runId: string, record: PauseInputRecord): Promise<QueuedResume> {
    this.store.assertWritable();
    const s = (name: string): string => this.store.t(name);
    return this.store.transaction('resume a suspended run', async (client) => {
      const { rows } = await client.query<{ name: string | null; queue: string | null; attempt: number; journal_seq: string; answered: boolean }>(
        `select r.state->>'name' as name, r.queue, r.attempt, r.journal_seq,
                exists (select 1 from ${s('records')} i where i.run_id = r.id and i.kind = 'input'
                          and i.seq > (select coalesce(max(t.seq), 0) from ${s('records')} t where t.run_id = r.id and t.kind = 'state')) as answered
           from ${s('runs')} r where r.id = $1 for update`,
        [runId],
      );
      const run = rows[0];
      const refused: QueuedResume['outcome'] | undefined = !run || run.name !== 'Suspended' ? 'not-suspended' : run.queue === null ? 'not-queued' : run.answered ? 'resumed-already' : undefined;
      if (refused !== undefined) return { outcome: refused } as QueuedResume;
      const seq = Number(run!.journal_seq) + 1;
      await client.query(`insert into ${s('records')} (run_id, seq, kind, line) values ($1, $2, 'input', $3)`, [runId, seq, JSON.stringify(record)]);
      await client.query(`update ${s('runs')} set journal_seq = $2 where id = $1`, [runId, seq]);
      // Under the key a crashed run's resume has: one job for the attempt, whoever asks.
      await addRunJob(client, this.store.schema, run!.queue!, runId, resumeKey(runId, run!.attempt + 1));
      await client.query('select pg_notify($1, $2)', [this.store.channels.journal, runId]);
      return { outcome: 'queued', queue: run!.queue!, seq, subflowSeqs: await this.subflowSeqs(client, runId) };
    });
  }

  async resumeOnQueue(runId: string, to: QueueResumeRequest): Promise<QueuedResume> {
    this.store.assertWritable();
    checkQueueName(to.queue);
    // Its next attempt claimed may be for a moment only (the end of its last attempt tidying up): tried again
    // for a while, as a resume here is (nextAttemptClaim.ts). A run that moved on meanwhile is `changed` at once.
    const sent = await throughPassingClaim(async () => {
      const tried = await this.sendToQueue(runId, to);
      return tried.outcome === 'resumed-already' ? CLAIM_TAKEN : tried;
    });
    return sent === CLAIM_TAKEN ? { outcome: 'resumed-already' } : sent;
  }

  /** One try of resumeOnQueue. */
  private sendToQueue(runId: string, to: QueueResumeRequest): Promise<QueuedResume> {
    const s = (name: string): string => this.store.t(name);
    return this.store.transaction('send a run to a queue', async (client) => {
      const { rows } = await client.query<{ name: string | null; attempt: number; seq: string; journal_seq: string; parent_run_id: string | null; state_type: string }>(
        `select r.state->>'name' as name, r.state_type, r.attempt, r.seq, r.journal_seq, r.parent_run_id from ${s('runs')} r where r.id = $1 for update`,
        [runId],
      );
      const run = rows[0];
      const suspended = run?.name === 'Suspended';
      const resumable = run !== undefined && run.parent_run_id === null && (suspended ? to.record !== undefined : isTerminal(run.state_type as FlowRunSummary['state']['type']) && run.state_type !== 'COMPLETED');
      if (!run || !resumable || run.attempt !== to.seen.attempt || run.name !== to.seen.state) return { outcome: 'changed' };
      // Being resumed by a live process now (`flowdeck resume`, the editor, a worker of its queue).
      const next = run.attempt + 1;
      const { rowCount } = await client.query(`select 1 from ${s('claims')} c where c.key = any($1::text[]) and ${liveSession(s('hosts'), 'c.session')}`, [[attemptKey(runId, next), resumeKey(runId, next)]]);
      if ((rowCount ?? 0) > 0) return { outcome: 'resumed-already' };
      let seq = Number(run.journal_seq);
      if (suspended) {
        seq += 1;
        await client.query(`insert into ${s('records')} (run_id, seq, kind, line) values ($1, $2, 'input', $3)`, [runId, seq, JSON.stringify(to.record)]);
      }
      // From now on a run of that queue: its flow named as workers find it, its crashes resumed there too.
      await client.query(
        `update ${s('runs')} set journal_seq = $2, queue = $3, source = coalesce($4, source), source_hash = case when $4::text is null then source_hash else $5 end where id = $1`,
        [runId, seq, to.queue, to.source?.path ?? null, to.source?.hash ?? null],
      );
      await addRunJob(client, this.store.schema, to.queue, runId, resumeKey(runId, next), {}, { attempt: next, seq: Number(run.seq) });
      await client.query('select pg_notify($1, $2)', [this.store.channels.runs, runId]);
      if (suspended) await client.query('select pg_notify($1, $2)', [this.store.channels.journal, runId]);
      return { outcome: 'queued', queue: to.queue, seq, subflowSeqs: await this.subflowSeqs(client, runId) };
    });
  }

  /**
   * Where each of run `runId`'s subflow runs' journals ends, read before a job resuming it can be taken:
   * what they logged in earlier attempts, which a follower does not show again.
   */
  private async subflowSeqs(client: PoolClient, runId: string): Promise<Record<string, number>> {
    const s = (name: string): string => this.store.t(name);
    const subflows = await client.query<{ id: string; journal_seq: string }>(
      `with recursive t as (select id, journal_seq from ${s('runs')} where parent_run_id = $1
         union select r.id, r.journal_seq from ${s('runs')} r join t on r.parent_run_id = t.id)
       select id, journal_seq from t`,
      [runId],
    );
    return Object.fromEntries(subflows.rows.map((r) => [r.id, Number(r.journal_seq)]));
  }

  async workers(): Promise<WorkerInfo[]> {
    const rows = await this.store.rows<{ id: string; hostname: string; pid: number; queue: string; concurrency: number; running: number; last_seen: Date; started_at: Date }>(
      `select id, hostname, pid, queue, concurrency, running, last_seen, started_at from ${this.store.t('hosts')}
        where kind = 'worker' and last_seen >= now() - lease_ms * interval '1 millisecond' order by started_at, id`,
      [],
      'list workers',
    );
    return rows.map((r) => ({ id: r.id, hostname: r.hostname, pid: r.pid, queue: r.queue, concurrency: r.concurrency, running: r.running, lastHeartbeat: r.last_seen.getTime(), startedAt: r.started_at.getTime() }));
  }

  async readRecords(runId: string, afterSeq: number, limit = READ_BATCH, kinds?: RecordKinds): Promise<{ records: RunRecord[]; last: number; full: boolean }> {
    const params: unknown[] = [runId, afterSeq, limit, READ_BYTES];
    const filter = kinds === undefined ? '' : 'only' in kinds ? `and kind = any($${params.push(kinds.only)})` : `and kind <> all($${params.push(kinds.not)})`;
    const rows = await this.store.rows<BatchRow>(withinBytes(`select seq, line from ${this.store.t('records')} where run_id = $1 and seq > $2 ${filter} order by seq limit $3`, '$4'), params, 'read a run journal');
    const records = rows.map((r) => lineRecord(r.line, runId)).filter((r): r is RunRecord => r !== undefined);
    return { records, last: rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : afterSeq, full: goesOn(rows, limit) };
  }
}
