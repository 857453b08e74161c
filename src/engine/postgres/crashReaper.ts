/**
 * Settling the runs of hosts that stopped responding. Deleting a lapsed host's row is the decision — one
 * statement, so exactly one process makes it however many look at once — and then each of its unfinished
 * runs turns Crashed (journal record and index state in one transaction, only if it is still unfinished
 * and still that host's), runs it had claimed but not yet taken up are queued again, its queue jobs are
 * freed, and a run its flow lets resume (`retries` left, or
 * `resumeOnCrash`) is queued again under a key naming its next attempt, so it is resumed once.
 */
import type { Pool, PoolClient } from 'pg';
import { finalStateOf, type JournalEnd } from '../journalEnd';
import type { RunRecord } from '../records';
import { asRunRecord } from '../recordShape';
import { finishedLog } from '../finishedLog';
import { stateRecord } from '../stateRecord';
import { CRASHED_HOST_MESSAGE } from '../runStore';
import { crashTime, taskStartOf } from '../crashTime';
import { indexState } from '../runIndex';
import { state } from '../states';
import { resumeKey } from '../resumePlan';
import { liveSession } from './hostLease';
import { addRunJob, unlockQueueWorkers } from './runQueue';
import { transaction } from './transaction';

/** Runs a process owns: not ended, and not Suspended (a suspended run has no process; it waits for a resume). */
const UNFINISHED = `state_type not in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') and state->>'name' <> 'Suspended'`;
/**
 * SQL: a hosts row's last sign of life — its last heartbeat, or later, the stamp it puts on its row every
 * second while it has runs going (hostLease.ts holdRun; null until then, which greatest() passes over).
 */
const LAST_SIGN = 'greatest(last_seen, alive_at)';
/** How many of a run's last state records decide how it ended: a final state, and any new attempt after it. */
const LAST_STATES = 16;
/** The most runs of lapsed processes a read-only look shows as ended (the newest): one read of each's last states. */
const MAX_SHOWN_ENDS = 1000;

export function workerStoppedMessage(hostname: string): string {
  return `worker ${hostname} stopped responding`;
}

/** Why a run whose process stopped responding crashed: its worker, for a queued run (or a subflow of one); else its host. */
function crashMessage(rootQueue: string | null, owner: { hostname?: string } | null): string {
  return rootQueue !== null ? workerStoppedMessage(owner?.hostname ?? 'unknown') : CRASHED_HOST_MESSAGE;
}

/** A run row's span, for crashTime (bigint columns come as strings). */
function spanOf(r: { created: string; start_time: string | null }): { created: number; startTime?: number } {
  return r.start_time === null ? { created: Number(r.created) } : { created: Number(r.created), startTime: Number(r.start_time) };
}

/**
 * The host's last sign of life for a run: LAST_SIGN, or, later, the run's last state its journal
 * holds — the row's span may not have the run's start yet (its host died before the row took it), and a
 * Crashed state dated before the Running one would lose to it in every fold of the journal (a dead run
 * shown Running by read-only looks, and settled as ending before it started). Without a heartbeat, none.
 */
function lastSign(lastSeen: number | undefined, lastStateAt: number | undefined): number | undefined {
  if (lastSeen === undefined) return undefined;
  return lastStateAt === undefined ? lastSeen : Math.max(lastSeen, lastStateAt);
}

/** How a read-only look shows a lapsed process's run: its journal's final state (`inJournal`), else Crashed. */
export type ShownEnd = JournalEnd & { inJournal: boolean };

export interface Reaped {
  runIds: string[];
}

export class CrashReaper {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly channel: string,
    private readonly hasQueue: () => boolean,
  ) {}

  private get s(): string {
    return `"${this.schema}"`;
  }

  /** Hosts whose lease lapsed (or `only`, a lease this process gave up) go; their runs are settled. */
  async reap(only?: string): Promise<string[]> {
    const { rows: gone } = await this.pool.query<{ id: string; queue_worker_ids: string[]; last_seen: Date }>(
      only === undefined
        ? `delete from ${this.s}.hosts where last_seen < now() - lease_ms * interval '1 millisecond' returning id, queue_worker_ids, ${LAST_SIGN} as last_seen`
        : `delete from ${this.s}.hosts where id = $1 returning id, queue_worker_ids, ${LAST_SIGN} as last_seen`,
      only === undefined ? [] : [only],
    );
    // A lapsed host's runs crashed at its last sign of life; a lease this process gave up ends its runs now.
    const lastSeen = new Map(only === undefined ? gone.map((g) => [g.id, g.last_seen.getTime()]) : []);
    if (gone.length > 0 && this.hasQueue()) {
      // Before the jobs are freed: a worker handed one again must find its claim free.
      await this.releaseClaims(gone.map((g) => g.id));
      const queueWorkers = gone.flatMap((g) => g.queue_worker_ids);
      if (queueWorkers.length > 0) await unlockQueueWorkers(this.pool, this.schema, queueWorkers);
    }
    // Runs whose owner has no lease (its row went now or earlier). Runs waiting for a worker have no owner
    // yet and stay; a run its process created ahead (a schedule's slot) or took up for a new attempt
    // (AwaitingRetry) has one, and goes with it.
    const { rows: orphans } = await this.pool.query<{ id: string; owner_session: string | null }>(
      `select id, owner_session from ${this.s}.runs r where ${UNFINISHED} and (state_type <> 'SCHEDULED' or owner_session is not null)
         and (owner_session is null or not exists (select 1 from ${this.s}.hosts h where h.id = r.owner_session))`,
    );
    const crashed: string[] = [];
    for (const o of orphans) if (await this.crash(o.id, o.owner_session, o.owner_session === null ? undefined : lastSeen.get(o.owner_session))) crashed.push(o.id);
    return crashed;
  }

  /**
   * How the unfinished runs of processes whose lease lapsed (or that have none) ended, as `reap` would
   * settle them — their journal's final state, else Crashed — settling nothing: for a process that may
   * not write (a read-only command), which shows them so, as the embedded store's read-only `markCrashed`.
   */
  async lapsedEnds(): Promise<Map<string, ShownEnd>> {
    const { rows } = await this.pool.query<{ id: string; owner: { hostname?: string } | null; root_queue: string | null; created: string; start_time: string | null; last_seen: Date | null }>(
      `select r.id, r.owner, coalesce(r.queue, (select queue from ${this.s}.runs p where p.id = r.parent_run_id)) as root_queue, r.created, r.start_time,
              (select ${LAST_SIGN} from ${this.s}.hosts h where h.id = r.owner_session) as last_seen
         from ${this.s}.runs r where ${UNFINISHED} and (state_type <> 'SCHEDULED' or owner_session is not null)
         and (owner_session is null or not ${liveSession(`${this.s}.hosts`, 'r.owner_session')})
         order by r.created desc limit ${MAX_SHOWN_ENDS}`,
    );
    const ends = new Map<string, ShownEnd>();
    for (const r of rows) {
      const { end, lastStateAt, taskStart } = await this.journalTail(this.pool, r.id);
      // As `reap` will settle it: at its host's last sign of life, while the lapsed host's row is there to say.
      const s = state('Crashed', crashMessage(r.root_queue, r.owner), crashTime(spanOf(r), lastSign(r.last_seen?.getTime(), lastStateAt), Date.now(), taskStart));
      ends.set(r.id, end ? { ...end, inJournal: true } : { state: s, endTime: s.timestamp, inJournal: false });
    }
    return ends;
  }

  /**
   * A worker that died between claiming a run's start (or resume) and taking the run up left the run
   * Scheduled (or Crashed) with a claim nobody will use: the claim goes and the run is queued again
   * under the same job key (a job still locked by the dead worker loses its key to the new one).
   */
  private async releaseClaims(sessions: string[]): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; queue: string; key: string }>(
      `delete from ${this.s}.claims c using ${this.s}.runs r
        where c.session = any($1::uuid[]) and r.queue is not null
          and ((r.state_type = 'SCHEDULED' and c.key = 'start:' || r.id) or (r.state_type = 'CRASHED' and c.key = 'resume:' || r.id || ':' || (r.attempt + 1)))
        returning r.id, r.queue, c.key`,
      [sessions],
    );
    for (const r of rows) await addRunJob(this.pool, this.schema, r.queue, r.id, r.key.startsWith('start:') ? `run:${r.id}` : r.key);
  }

  /**
   * The final state the run's last state records leave it in, if they leave it finished (journalEnd.ts), when
   * the last of them was recorded, and the latest start of a task run among its last task records (crashTime.ts).
   */
  private async journalTail(client: Pool | PoolClient, id: string): Promise<{ end: JournalEnd | undefined; lastStateAt: number | undefined; taskStart: number | undefined }> {
    const records = await this.lastRecords(client, id, `kind = 'state'`);
    let lastStateAt: number | undefined;
    for (const r of records) if (r.k === 'state' && Number.isFinite(r.ts)) lastStateAt = Math.max(lastStateAt ?? r.ts, r.ts);
    // Recorded in order: a task run still going started no later than the last of these says.
    let taskStart: number | undefined;
    for (const r of await this.lastRecords(client, id, `kind in ('tstate', 'trun')`)) {
      const started = taskStartOf(r);
      if (started !== undefined) taskStart = Math.max(taskStart ?? started, started);
    }
    return { end: finalStateOf(id, records), lastStateAt, taskStart };
  }

  /** The run's last LAST_STATES records of the kinds `kinds` (SQL) picks, in order. */
  private async lastRecords(client: Pool | PoolClient, id: string, kinds: string): Promise<RunRecord[]> {
    const { rows } = await client.query<{ line: string }>(`select line from ${this.s}.records where run_id = $1 and ${kinds} order by seq desc limit ${LAST_STATES}`, [id]);
    const records: RunRecord[] = [];
    for (const { line } of rows.reverse()) {
      try {
        const r = asRunRecord(JSON.parse(line), id);
        if (r) records.push(r);
      } catch {
        // A line that does not parse is no record.
      }
    }
    return records;
  }

  private async crash(id: string, session: string | null, lastSeen: number | undefined): Promise<boolean> {
    return transaction(() => this.pool.connect(), async (client) => {
      const { rows } = await client.query<{ name: string; owner: { hostname?: string }; queue: string | null; root_queue: string | null; attempt: number; retries: number | null; resume_on_crash: boolean; parent_run_id: string | null; seq: string; created: string; start_time: string | null }>(
        `select r.created, r.start_time, r.name, r.owner, r.queue, coalesce(r.queue, (select queue from ${this.s}.runs p where p.id = r.parent_run_id)) as root_queue, r.attempt, r.retries, r.resume_on_crash, r.parent_run_id, r.journal_seq as seq
           from ${this.s}.runs r where r.id = $1 and ${UNFINISHED} and r.owner_session is not distinct from $2::uuid for update of r skip locked`,
        [id, session],
      );
      const run = rows[0];
      if (!run) return false;
      // Its host died after the journal took the run's final state, before the run's row did: it ended so.
      const { end, lastStateAt, taskStart } = await this.journalTail(client, id);
      if (end) {
        await client.query(
          `update ${this.s}.runs set seq = seq + 1, state = $2, state_type = $3, start_time = coalesce(start_time, $4), end_time = $5 where id = $1`,
          [id, indexState(end.state), end.state.type, end.startTime ?? null, end.endTime ?? end.state.timestamp],
        );
        await client.query('select pg_notify($1, $2)', [this.channel, id]);
        return false;
      }
      const message = crashMessage(run.root_queue, run.owner);
      const s = state('Crashed', message, crashTime(spanOf(run), lastSign(lastSeen, lastStateAt), Date.now(), taskStart));
      const record = stateRecord(id, s);
      // With the engine's end line, as the run's host would have written it: the run's logs say how it ended.
      await client.query(`insert into ${this.s}.records (run_id, seq, kind, line) values ($1, $2::bigint + 1, 'state', $3), ($1, $2::bigint + 2, 'log', $4)`, [
        id,
        run.seq,
        JSON.stringify(record),
        JSON.stringify(finishedLog(run.name, record)),
      ]);
      await client.query(`update ${this.s}.runs set journal_seq = journal_seq + 2, seq = seq + 1, state = $2, state_type = 'CRASHED', end_time = $3 where id = $1`, [id, indexState(s), s.timestamp]);
      const resumable = run.parent_run_id === null && run.queue !== null && (run.resume_on_crash || run.attempt <= (run.retries ?? 0));
      if (resumable && this.hasQueue()) await addRunJob(client, this.schema, run.queue!, id, resumeKey(id, run.attempt + 1));
      await client.query('select pg_notify($1, $2)', [this.channel, id]);
      return true;
    });
  }
}
