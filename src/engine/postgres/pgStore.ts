/**
 * The run store in Postgres (node-postgres), for history shared by several machines. The same records
 * as the embedded store, folded by the same reducer: `runs` is the index (one row per run with its latest
 * state and a per-run `seq`), `records` the journals (the lines workers send, already masked), `results`
 * the results too large for a line. Everything lives in one schema of its own (default `flowdeck`),
 * created and migrated by numbered migrations (migrations.ts); the job queue in `<schema>_queue`.
 *
 * A process that writes holds a lease (hostLease.ts); runs of hosts whose lease lapsed are settled by
 * whoever notices first (crashReaper.ts). Other processes hear of changes by LISTEN/NOTIFY (changeFeed.ts).
 * The connection string's password is never shown: `location` is the URL without it, and errors are masked.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { CancelOutcome } from '../sharedStore';
import type { ArtifactInfo } from '../artifactInfo';
import type { Artifact } from '../artifacts';
import { systemClock, type Clock } from '../clock';
import { systemTimers } from '../timers';
import { finishedLog } from '../finishedLog';
import { checkedKeep } from '../historyRetention';
import { stateRecord } from '../stateRecord';
import { currentProcess } from '../processIdentity';
import { TASK_RECORD_KINDS, type FlowRunDetail, type FlowRunSummary, type LogRecord, type ProcessIdentity, type ResultRef, type RunCreatedRecord, type RunRecord } from '../records';
import { newRunRecords } from '../newRunRecords';
import { NOTICE_KEY_KINDS, ORPHAN_MARKS_AT_ONCE } from '../orphanMarks';
import { RunChanges, type RunChangeListener } from '../runChanges';
import { randomRunName } from '../runNames';
import { checkedRunName, firstFreeName } from '../givenRunName';
import { indexState } from '../runIndex';
import { JournalReplay } from '../runReducer';
import { readRunParts, type RunParts, type RunPartsOptions, type WithoutArtifactData } from '../runTaskStream';
import { checkedNewRunId, MAX_LISTED_TAGS, MIN_RUN_PREFIX, type ClaimOptions, type ListOptions, type ReadRunOptions, type NewRun, type NewRunOptions, type OpenRunOptions, type ResolvedRun, type ResumePausedOutcome, type RunHandle, type RunStore } from '../runStore';
import { inputOf } from '../resumeRequests';
import { isTerminal, type StateType } from '../states';
import { privateDir } from '../storeHome';
import { StoreWriteError } from '../storeErrors';
import { expiredSuspension, inputGivenSince, settleExpiredSuspensions } from '../suspensions';
import { ChangeFeed, type Channel } from './changeFeed';
import { stateFromColumn } from './stateColumn';
import { PostgresStoreError, connectionMasker, isUnreachable, redactUrl } from './connection';
import { CrashReaper, type ShownEnd } from './crashReaper';
import { DEFAULT_LEASE, HostLease, LEASE_LOST, liveSession, type HostKind, type LeaseTiming } from './hostLease';
import { migrate, schemaBehind } from './migrations';
import { checkSchemaName } from './schemaName';
import { PgKeyValueStore } from './pgKeyValueStore';
import { PgVariableStore } from './pgVariableStore';
import { PgResultCache } from './pgResultCache';
import { type BatchRow, READ_BATCH, READ_BYTES, goesOn, lineRecord, lineRecordWithoutArtifactData, withinBytes } from './journalRows';
import { PgShared } from './pgShared';
import { PgRunHandle, isNameTaken, type HandleContext } from './pgRunHandle';
import { addRunJob, migrateQueue } from './runQueue';
import { cancelPoolOnAbort } from './poolCancel';
import { abortableQuery, abortableTransaction, transaction } from './transaction';
import { SlotWaitingPool } from './slotWaitingPool';
import { FreeSlotWait } from './freeSlotWait';
import { POOL_SIZE, type PoolUse } from './poolSize';
import { PgLimitStore } from './pgLimitStore';
import { PgScheduleStore } from './pgScheduleStore';
import { UnconfirmedWrites, type WriteUnderWay } from './unconfirmedWrites';
import { parametersAfter } from '../runParameters';

/** How long the server lets a session of ours sit idle inside a transaction before ending it (see open). */
export const IDLE_IN_TRANSACTION_MS = 15_000;

export interface PgStoreOptions {
  /** Local folder for compiled flows and results on their way into the database (FLOWDECK_HOME). */
  home: string;
  /** Default `flowdeck`. */
  schema?: string;
  readOnly?: boolean;
  clock?: Clock;
  /** What this process is, for the hosts list (default `cli`). */
  kind?: HostKind;
  /** The host name runs of this process show (default the machine's). */
  hostname?: string;
  lease?: LeaseTiming;
  /** A worker's queue and concurrency, shown in the Workers list. */
  worker?: { queue: string; concurrency: number };
  /** Called when this process's lease is lost (fenced, or taken by another): its runs must stop. */
  onLeaseLost?: (why: string) => void;
  /** Mark runs of hosts that stopped responding Crashed on open (default true). */
  detectCrashed?: boolean;
  /** How many connections the pool keeps, and how long idle (poolSize.ts; default longLived). */
  pool?: PoolUse;
  /** Said once when the server has no free connection and a connection waits for one (freeSlotWait.ts). */
  onConnectionWait?: (message: string) => void;
  /** How long a checkout waits for a free connection in all (default 60 s). */
  connectionWaitMs?: number;
  /**
   * Given up when it fires while the store opens (Ctrl-C, its migrations or a read waiting on a lock another
   * session holds): the opening's statements are cancelled on the server (poolCancel.ts), the store closed,
   * and open rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RESULT_FILE = /^[A-Za-z0-9_.-]+$/;
/** How many named runs one delete statement takes. */
const DELETE_AT_ONCE = 1000;
/** How long after sweeping the marks of runs gone a process's delete sweeps them again (sweepOrphanMarks). */
const ORPHAN_SWEEP_EVERY_MS = 60 * 60_000;
const UNFINISHED = `state_type not in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')`;
/** Runs readManyRunParts reads the rows and journal sizes of in one query each. */
const MANY_RUNS = 1000;
/** Records of small journals readManyRunParts reads in one query (and holds). */
const MANY_LINES = 20_000;
/** The most suspended runs a read-only look shows ended, their time up (the newest). */
const MAX_SHOWN_SUSPENSIONS = 1000;
const SUMMARY = `id, name, flow_name, source, parent_run_id, parent_task_run_id, created, seq, state, start_time, end_time, attempt, owner, trigger, resume_on_crash, artifact_keys, tags, queue`;

interface RunRow {
  id: string;
  name: string;
  flow_name: string;
  source: string;
  parent_run_id: string | null;
  parent_task_run_id: string | null;
  created: string;
  seq: string;
  state: FlowRunSummary['state'];
  start_time: string | null;
  end_time: string | null;
  attempt: number;
  owner: ProcessIdentity;
  trigger: FlowRunSummary['trigger'] | null;
  resume_on_crash: boolean;
  artifact_keys: string[] | null;
  tags: string[] | null;
  queue: string | null;
}

function toSummary(r: RunRow): FlowRunSummary {
  const s: FlowRunSummary = { id: r.id, name: r.name, flowName: r.flow_name, source: r.source, state: stateFromColumn(r.state), created: Number(r.created), owner: r.owner, attempt: r.attempt, seq: Number(r.seq) };
  if (r.start_time !== null) s.startTime = Number(r.start_time);
  if (r.end_time !== null) s.endTime = Number(r.end_time);
  if (r.parent_run_id !== null) s.parentRunId = r.parent_run_id;
  if (r.parent_task_run_id !== null) s.parentTaskRunId = r.parent_task_run_id;
  if (r.trigger !== null) s.trigger = r.trigger;
  if (r.resume_on_crash) s.resumeOnCrash = true;
  if (r.artifact_keys && r.artifact_keys.length > 0) s.artifactKeys = r.artifact_keys;
  if (r.tags && r.tags.length > 0) s.tags = r.tags;
  if (r.queue !== null) s.queue = r.queue;
  return s;
}


export class PgStore implements RunStore {
  readonly cache: PgResultCache;
  readonly kv: PgKeyValueStore;
  readonly variables: PgVariableStore;
  readonly schedules: PgScheduleStore;
  readonly limits: PgLimitStore;
  readonly location: string;
  readonly readOnly: boolean;
  readonly skippedIndexRecords = 0;
  readonly schema: string;
  readonly hostname: string;
  readonly lease?: HostLease;
  /** This process's run writes not confirmed yet: while the store waits for them, runs start no task run. */
  private readonly writes: UnconfirmedWrites;
  readonly shared: PgShared;
  private readonly masker;
  /** @internal */
  readonly feed: ChangeFeed;
  private readonly reaper: CrashReaper;
  /** Opened read-only: unfinished runs whose process is gone, shown as they ended (markCrashed), never written. */
  private shownEnds = new Map<string, ShownEnd>();
  private readonly changed = new Set<string>();
  private readonly changes = new RunChanges();
  private resyncDue = false;
  private unfinished = false;
  private missingSchema = false;
  /** The day's purge of the result cache, when this process does it. */
  private purging?: Promise<void>;
  private queueReady = false;
  /** When this process's next delete sweeps the marks of runs gone (sweepOrphanMarks): at once, then hourly. */
  private nextOrphanSweep = 0;

  private constructor(
    readonly pool: Pool,
    url: string,
    readonly options: PgStoreOptions,
    slots: FreeSlotWait,
  ) {
    this.schema = checkSchemaName(options.schema ?? 'flowdeck');
    this.location = redactUrl(url);
    this.masker = connectionMasker(url);
    this.readOnly = options.readOnly ?? false;
    this.hostname = options.hostname ?? osHostname();
    const clock = options.clock ?? systemClock;
    this.cache = new PgResultCache(this, clock);
    this.kv = new PgKeyValueStore(pool, this.t('kv'));
    this.feed = new ChangeFeed({ connectionString: url, application_name: 'flowdeck-listen' }, this.channels, (e) => this.describe(e), slots, pool instanceof SlotWaitingPool ? () => pool.idleGivesWay() : undefined);
    this.reaper = new CrashReaper(pool, this.schema, this.channels.runs, () => this.queueReady);
    const timing = options.lease ?? DEFAULT_LEASE;
    // A write not confirmed within a heartbeat (at most a second; batches go out within milliseconds) means the database is away.
    this.writes = new UnconfirmedWrites(Math.min(timing.heartbeatMs, 1000), systemClock, systemTimers);
    if (!this.readOnly) {
      this.lease = new HostLease(
        pool,
        this.t('hosts'),
        { hostname: this.hostname, pid: process.pid, kind: options.kind ?? 'cli', ...(options.worker ?? {}) },
        timing,
        clock,
        (why) => this.onLeaseLost(why),
      );
    }
    this.feed.subscribe({
      notify: (channel, id) => {
        if (channel === 'runs') this.changed.add(id);
      },
      resync: () => (this.resyncDue = true),
    });
    this.shared = new PgShared(this);
    this.schedules = new PgScheduleStore(this);
    this.limits = new PgLimitStore(this);
    this.variables = new PgVariableStore(this);
  }

  /** Connects, migrates (unless read-only) and, by default, settles runs of hosts that stopped responding. */
  static async open(url: string, options: PgStoreOptions): Promise<PgStore> {
    const masker = connectionMasker(url);
    const location = redactUrl(url);
    // A server with no free connection (a role's CONNECTION LIMIT, max_connections) is waited for (freeSlotWait.ts).
    const slots = new FreeSlotWait({ ...(options.onConnectionWait ? { onWait: options.onConnectionWait } : {}), ...(options.connectionWaitMs !== undefined ? { waitMs: options.connectionWaitMs } : {}) });
    const pool = new SlotWaitingPool({
      connectionString: url,
      ...POOL_SIZE[options.pool ?? 'longLived'],
      // A store that holds a lease keeps one connection however long it sits idle: its heartbeat's (poolSize.ts).
      min: options.readOnly ? 0 : 1,
      application_name: 'flowdeck',
      connectionTimeoutMillis: 15_000,
      // A process cut off from the network in the middle of a transaction leaves its session open on the
      // server (nothing tells Postgres the client is gone for hours), holding the row locks it took: the
      // server ends such a session once it has sat idle this long, so the locks go and its runs can be
      // settled. Flowdeck's transactions are a few statements with no waiting between them.
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    }, slots, () => store.feed.poolWaits());
    // A client losing its connection must not take the process down (idle or checked out, as the queue
    // keeps some): the next query says why, and the lease and the feed notice on their own.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const store: PgStore = new PgStore(pool, url, options, slots);
    const { signal } = options;
    const cancelling = signal ? cancelPoolOnAbort(pool, signal) : undefined;
    try {
      signal?.throwIfAborted();
      const client = await pool.connect();
      try {
        if (store.readOnly) {
          const { rows } = await client.query<{ t: string | null }>('select to_regclass($1) as t', [`"${store.schema}".runs`]);
          store.missingSchema = rows[0]?.t === null;
          // A schema an older Flowdeck made (this one's tables and columns not there yet) is brought up to
          // date even by a command that only reads: its queries need them. Its runs are not touched.
          if (!store.missingSchema && (await schemaBehind(client, store.schema))) await migrate(client, store.schema);
        } else {
          await migrate(client, store.schema);
        }
      } finally {
        client.release();
      }
      if (!store.readOnly) {
        signal?.throwIfAborted();
        await migrateQueue(pool, store.schema);
        store.queueReady = true;
        signal?.throwIfAborted();
        await store.lease!.start();
        // Expired cache entries are never read, but take space: cleared once a day (UTC), by the first
        // writer that opens the store that day, in the background; close() waits for it.
        store.purging = store.purgeCacheDaily().catch(() => undefined);
      }
      signal?.throwIfAborted();
      if (options.detectCrashed !== false) await store.markCrashed();
      signal?.throwIfAborted();
      await store.updateUnfinished();
      signal?.throwIfAborted();
    } catch (e) {
      cancelling?.();
      await store.close().catch(() => undefined);
      if (signal?.aborted) throw signal.reason;
      throw PostgresStoreError.from(e, location, masker, 'open the run store');
    }
    cancelling?.();
    return store;
  }

  get home(): string {
    return this.options.home;
  }

  get channels(): Record<Channel, string> {
    return { runs: `${this.schema}_runs`, journal: `${this.schema}_journal`, cancel: `${this.schema}_cancel`, resume: `${this.schema}_resume` };
  }

  /** A table of the store's schema, quoted. */
  t(name: string): string {
    return `"${this.schema}".${name}`;
  }

  describe(e: unknown): string {
    return this.masker.mask(String((e as Error)?.message ?? e));
  }

  /** @internal Throws the error as a user reads it (the store's location, never its password). */
  fail(e: unknown, doing: string): never {
    throw PostgresStoreError.from(e, this.location, this.masker, doing);
  }

  /** @internal `work` in a transaction on a client of the pool (transaction.ts); `doing` says what failed, for the error. */
  async transaction<T>(doing: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await transaction(() => this.pool.connect(), work);
    } catch (e) {
      this.fail(e, doing);
    }
  }

  /**
   * @internal A query of the backend's own modules; `doing` says what failed, for the error. Given up when
   * `signal` fires (Ctrl-C), its statement cancelled on the server (abortableQuery): it rejects with the signal's reason.
   */
  async rows<T extends object>(sql: string, params: unknown[], doing: string, signal?: AbortSignal): Promise<T[]> {
    if (this.missingSchema) return [];
    try {
      return (signal ? await abortableQuery<T & QueryResultRow>(this.pool, signal, sql, params) : await this.pool.query<T>(sql, params)).rows;
    } catch (e) {
      if (signal?.aborted) throw e;
      this.fail(e, doing);
    }
  }

  private onLeaseLost(why: string): void {
    this.feed.setHealth({ ok: false, message: `This host lost its lease on the store: ${why}` });
    this.options.onLeaseLost?.(why);
    // Once the database answers again: a fresh lease, and the old one's runs settled (resumed elsewhere if they may).
    const retry = (): void => {
      void this.lease!.renew().then(
        (old) => this.reaper.reap(old).then(() => this.feed.setHealth({ ok: true }), () => undefined),
        () => setTimeout(retry, this.lease!.timing.heartbeatMs).unref(),
      );
    };
    retry();
  }

  async refresh(): Promise<string[]> {
    await this.feed.start().catch((e: unknown) => this.fail(e, 'listen for changes'));
    const ids = [...this.changed];
    this.changed.clear();
    if (this.resyncDue) {
      this.resyncDue = false;
      const rows = await this.rows<{ id: string }>(`select id from ${this.t('runs')} where ${UNFINISHED} or id in (select id from ${this.t('runs')} order by created desc limit 200)`, [], 'read the run history');
      ids.push(...rows.map((r) => r.id));
    }
    if (ids.length > 0) await this.updateUnfinished();
    const unique = [...new Set(ids)];
    this.changes.tell(unique);
    return unique;
  }

  onRunsChanged(listener: RunChangeListener): () => void {
    return this.changes.listen(listener);
  }

  private async updateUnfinished(): Promise<void> {
    const rows = await this.rows<{ any: boolean }>(`select exists (select 1 from ${this.t('runs')} where ${UNFINISHED}) as any`, [], 'read the run history');
    this.unfinished = rows[0]?.any ?? false;
  }

  /** A run's row as this store shows it: read-only, a run whose process is gone as it ended. */
  private summary(row: RunRow): FlowRunSummary {
    const s = toSummary(row);
    const end = this.shownEnds.get(s.id);
    if (end === undefined || isTerminal(s.state.type)) return s;
    s.state = end.state;
    s.endTime = end.endTime ?? end.state.timestamp;
    if (end.startTime !== undefined) s.startTime ??= end.startTime;
    return s;
  }

  private where(options: ListOptions): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (options.rootsOnly) clauses.push('parent_run_id is null');
    if (options.parentRunId !== undefined) {
      params.push(options.parentRunId);
      clauses.push(`parent_run_id = $${params.length}`);
    }
    if (options.flowNames && options.flowNames.length > 0) {
      params.push([...options.flowNames]);
      clauses.push(`flow_name = any($${params.length}::text[])`);
    }
    const types = options.stateTypes ?? [];
    const names = options.stateNames ?? [];
    if (types.length > 0 || names.length > 0) {
      params.push([...types], [...names]);
      const stored = `(state_type = any($${params.length - 1}::text[]) or state->>'name' = any($${params.length}::text[]))`;
      if (this.shownEnds.size === 0) clauses.push(stored);
      else {
        // Runs shown as they ended (read-only, their process gone) are filtered by the state shown.
        const wantedTypes = new Set<string>(types);
        const wantedNames = new Set<string>(names);
        const shown = [...this.shownEnds].filter(([, e]) => wantedTypes.has(e.state.type) || wantedNames.has(e.state.name)).map(([id]) => id);
        params.push([...this.shownEnds.keys()], shown);
        clauses.push(`((${stored} and not id = any($${params.length - 1}::text[])) or id = any($${params.length}::text[]))`);
      }
    }
    if (options.search) {
      params.push(`%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      clauses.push(`(name ilike $${params.length} or flow_name ilike $${params.length} or exists (select 1 from unnest(tags) t where t ilike $${params.length}))`);
    }
    if (options.tags && options.tags.length > 0) {
      params.push([...options.tags]);
      clauses.push(`tags @> $${params.length}::text[]`);
    }
    return { sql: clauses.length > 0 ? `where ${clauses.join(' and ')}` : '', params };
  }

  async list(options: ListOptions = {}): Promise<FlowRunSummary[]> {
    const { sql, params } = this.where(options);
    params.push(options.limit ?? null, options.offset ?? 0);
    const rows = await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} ${sql} order by created desc, id limit $${params.length - 1} offset $${params.length}`, params, 'list runs');
    return rows.map((r) => this.summary(r));
  }

  async count(options: ListOptions = {}): Promise<number> {
    const { sql, params } = this.where(options);
    const rows = await this.rows<{ n: string }>(`select count(*) as n from ${this.t('runs')} ${sql}`, params, 'count runs');
    return Number(rows[0]?.n ?? 0);
  }

  async flowCounts(options: ListOptions): Promise<Map<string, number>> {
    const { sql, params } = this.where(options);
    const rows = await this.rows<{ flow_name: string; n: string }>(`select flow_name, count(*) as n from ${this.t('runs')} ${sql} group by flow_name`, params, 'count runs by flow');
    return new Map(rows.map((r) => [r.flow_name, Number(r.n)]));
  }

  async flows(): Promise<{ flowName: string; runs: number; last: FlowRunSummary }[]> {
    const rows = await this.rows<RunRow & { runs: string }>(
      `select * from (select distinct on (flow_name) ${SUMMARY}, count(*) over (partition by flow_name) as runs
         from ${this.t('runs')} where parent_run_id is null order by flow_name, created desc, id) f order by created desc, id`,
      [],
      'list flows',
    );
    return rows.map((r) => ({ flowName: r.flow_name, runs: Number(r.runs), last: this.summary(r) }));
  }

  async tags(): Promise<{ tag: string; runs: number }[]> {
    const rows = await this.rows<{ tag: string; runs: string }>(
      `select t as tag, count(*) as runs from ${this.t('runs')}, unnest(tags) t where parent_run_id is null group by t order by count(*) desc, t collate "C" limit $1`,
      [MAX_LISTED_TAGS],
      'list tags',
    );
    return rows.map((r) => ({ tag: r.tag, runs: Number(r.runs) }));
  }

  async resolve(ref: string): Promise<ResolvedRun> {
    const exact = await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} where id = $1 or name = $1 order by (id = $1) desc limit 1`, [ref], 'find a run');
    if (exact[0]) return { run: this.summary(exact[0]) };
    if (!RUN_ID.test(ref)) return {};
    const like = `${ref.replace(/_/g, '\\_')}%`;
    if (ref.length < MIN_RUN_PREFIX) return (await this.rows(`select 1 from ${this.t('runs')} where id like $1 limit 1`, [like], 'find a run')).length > 0 ? { tooShort: true } : {};
    const matches = await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} where id like $1 order by created desc, id limit 50`, [like], 'find a run');
    if (matches.length === 1) return { run: this.summary(matches[0]!) };
    return matches.length > 1 ? { ambiguous: matches.map((r) => this.summary(r)) } : {};
  }

  async get(ref: string): Promise<FlowRunSummary | undefined> {
    return (await this.resolve(ref)).run;
  }

  /**
   * The journal's records in order, a batch at a time: READ_BATCH rows at most, and READ_BYTES of lines.
   * `kind`: only records of that kind; `{ not }`: all but those (a read of a run's state leaves out its logs, which the reducer ignores).
   * `artifactData` false: an artifact's line is its head (artifactHead.ts), its data left in the database.
   */
  private async scan(id: string, afterSeq: number, onBatch: (lines: { seq: number; line: string }[]) => void | Promise<void>, kind?: string | { not: string }, untilSeq?: number, artifactData = true, signal?: AbortSignal): Promise<number> {
    let after = afterSeq;
    for (;;) {
      const params: unknown[] = [id, after, READ_BATCH, READ_BYTES];
      const kindFilter = kind === undefined ? '' : typeof kind === 'string' ? `and kind = $${params.push(kind)}` : `and kind <> $${params.push(kind.not)}`;
      const line = artifactData ? 'line' : 'coalesce(artifact_head, line) as line';
      const rows = await this.rows<BatchRow>(
        withinBytes(`select seq, ${line} from ${this.t('records')} where run_id = $1 and seq > $2 ${kindFilter} ${untilSeq !== undefined ? `and seq <= $${params.push(untilSeq)}` : ''} order by seq limit $3`, '$4'),
        params,
        'read a run journal',
        signal,
      );
      if (rows.length === 0) return after;
      after = Number(rows[rows.length - 1]!.seq);
      await onBatch(rows.map((r) => ({ seq: Number(r.seq), line: r.line })));
      if (!goesOn(rows, READ_BATCH)) return after;
    }
  }

  async readRun(id: string, options: ReadRunOptions = {}): Promise<FlowRunDetail | undefined> {
    const row = (await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} where id = $1`, [id], 'read a run', options.signal))[0];
    if (!row) return undefined;
    const replay = new JournalReplay(this.summary(row));
    await this.scan(
      id,
      0,
      (batch) => {
        for (const { line } of batch) {
          const r = lineRecord(line, id);
          if (r) replay.add(r);
          else replay.skipped++;
        }
      },
      { not: 'log' },
      undefined,
      true,
      options.signal,
    );
    return replay.detail();
  }

  readRunParts(id: string, options?: RunPartsOptions): Promise<RunParts | undefined>;
  readRunParts(id: string, options: RunPartsOptions & WithoutArtifactData): Promise<RunParts<ArtifactInfo> | undefined>;
  async readRunParts(id: string, options?: RunPartsOptions & Partial<WithoutArtifactData>): Promise<RunParts<Artifact | ArtifactInfo> | undefined> {
    const row = (await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} where id = $1`, [id], 'read a run'))[0];
    if (!row) return undefined;
    /** The last record the first read saw: later reads stop there, so every read sees the same records. */
    let until: number | undefined;
    const artifactData = options?.artifactData ?? true;
    return readRunParts(
      this.summary(row),
      async (onRecords) => {
        let skipped = 0;
        const last = await this.scan(
          id,
          0,
          (batch) => {
            const records: RunRecord[] = [];
            for (const { line } of batch) {
              const r = artifactData ? lineRecord(line, id) : lineRecordWithoutArtifactData(line, id);
              if (r) records.push(r);
              else skipped++;
            }
            return onRecords(records);
          },
          { not: 'log' },
          until,
          artifactData,
        );
        until ??= last;
        return { skipped };
      },
      options,
    );
  }

  /**
   * Many runs' parts in a few queries (`runs --json`), MANY_RUNS at a time: their rows; how many records
   * each journal has, its last and their bytes; then the small journals of consecutive runs together, up to
   * MANY_LINES lines and READ_BYTES a query, each held in memory until its run is handed on — so every read
   * of a run sees the same records, as readRunParts' do. A journal of more than READ_BATCH records or
   * READ_BYTES is read as readRunParts reads it, a batch at a time, when its turn comes.
   */
  async *readManyRunParts(ids: readonly string[], options: RunPartsOptions & WithoutArtifactData): AsyncGenerator<RunParts<ArtifactInfo> | undefined> {
    for (let from = 0; from < ids.length; from += MANY_RUNS) {
      const chunk = ids.slice(from, from + MANY_RUNS);
      const rows = new Map((await this.rows<RunRow>(`select ${SUMMARY} from ${this.t('runs')} where id = any($1::text[])`, [chunk], 'read runs')).map((r) => [r.id, r]));
      const sizes = new Map(
        (
          await this.rows<{ run_id: string; n: string; last: string; bytes: string }>(
            // The lines as read below (an artifact's head, not its data), their sizes as stored (not read whole).
            `select run_id, count(*) as n, max(seq) as last, sum(octet_length(coalesce(artifact_head, line))) as bytes from ${this.t('records')}
               where run_id = any($1::text[]) and kind <> 'log' group by run_id`,
            [[...rows.keys()]],
            'read runs',
          )
        ).map((r) => [r.run_id, { n: Number(r.n), last: r.last, bytes: Number(r.bytes) }]),
      );
      const small = (id: string): boolean => (sizes.get(id)?.n ?? 0) <= READ_BATCH && (sizes.get(id)?.bytes ?? 0) <= READ_BYTES;
      for (let at = 0; at < chunk.length; ) {
        // Consecutive runs whose small journals together fit a query (one at least).
        const read: string[] = [];
        let lines = 0;
        let bytes = 0;
        let end = at;
        for (; end < chunk.length; end++) {
          const id = chunk[end]!;
          const size = sizes.get(id);
          if (!small(id) || !size || size.n === 0) continue;
          if (read.length > 0 && (lines + size.n > MANY_LINES || bytes + size.bytes > READ_BYTES)) break;
          read.push(id);
          lines += size.n;
          bytes += size.bytes;
        }
        const journals = new Map<string, string[]>();
        if (read.length > 0) {
          const found = await this.rows<{ run_id: string; line: string }>(
            `select r.run_id, coalesce(r.artifact_head, r.line) as line from ${this.t('records')} r join unnest($1::text[], $2::bigint[]) as u(id, last) on r.run_id = u.id and r.seq <= u.last
               where r.kind <> 'log' order by r.run_id, r.seq`,
            [read, read.map((id) => sizes.get(id)!.last)],
            'read runs',
          );
          for (const { run_id, line } of found) {
            let journal = journals.get(run_id);
            if (!journal) journals.set(run_id, (journal = []));
            journal.push(line);
          }
        }
        for (; at < end; at++) {
          const id = chunk[at]!;
          const row = rows.get(id);
          if (!row) yield undefined;
          else if (!small(id)) yield (await this.readRunParts(id, options)) as RunParts<ArtifactInfo> | undefined;
          else {
            const journal = journals.get(id) ?? [];
            journals.delete(id);
            // Read without their data (lineRecordWithoutArtifactData): the artifacts are ArtifactInfo.
            yield (await readRunParts(
              this.summary(row),
              async (onRecords) => {
                let skipped = 0;
                const records: RunRecord[] = [];
                for (const line of journal) {
                  const r = lineRecordWithoutArtifactData(line, id);
                  if (r) records.push(r);
                  else skipped++;
                }
                await onRecords(records);
                return { skipped };
              },
              options,
            )) as RunParts<Artifact | ArtifactInfo> as RunParts<ArtifactInfo>;
          }
        }
      }
    }
  }

  async parametersOf(id: string): Promise<Record<string, unknown> | undefined> {
    // Up to its first task run's record (endsParameterLines): a big run's records are not all read.
    const rows = await this.rows<{ line: string }>(
      `select line from ${this.t('records')} where run_id = $1 and kind in ('run', 'flow')
         and seq < coalesce((select min(seq) from ${this.t('records')} where run_id = $1 and kind = any($2::text[])), 9223372036854775807) order by seq`,
      [id, TASK_RECORD_KINDS],
      'read a run',
    );
    let parameters: Record<string, unknown> | undefined;
    for (const { line } of rows) {
      const r = lineRecord(line, id);
      if (r) parameters = parametersAfter(parameters, r);
    }
    return parameters;
  }

  async readLogs(id: string, onLogs: (logs: LogRecord[]) => void | Promise<void>, options: { taskRunId?: string } = {}): Promise<{ found: boolean }> {
    const exists = await this.rows<{ name: string; state_type: StateType }>(`select name, state_type from ${this.t('runs')} where id = $1`, [id], 'read logs');
    if (!exists[0]) return { found: false };
    await this.scan(
      id,
      0,
      (batch) => {
        const logs = batch.map(({ line }) => lineRecord(line, id)).filter((r): r is LogRecord => r?.k === 'log' && (options.taskRunId === undefined || r.taskRunId === options.taskRunId));
        return logs.length > 0 ? onLogs(logs) : undefined;
      },
      'log',
    );
    const shown = this.shownEnds.get(id);
    // Read-only, a run shown Crashed that nobody settled yet ends as its settling will end it: with the engine's end line.
    if (shown && !shown.inJournal && !isTerminal(exists[0].state_type) && options.taskRunId === undefined) await onLogs([finishedLog(exists[0].name, stateRecord(id, shown.state))]);
    return { found: true };
  }

  async readResultText(runId: string, ref: ResultRef): Promise<string> {
    if (!RESULT_FILE.test(ref.file) || ref.file.startsWith('.')) throw new Error(`Not a result file name: ${JSON.stringify(ref.file)}`);
    const rows = await this.rows<{ content: string }>(`select content from ${this.t('results')} where run_id = $1 and file = $2`, [runId, ref.file], 'read a result');
    if (!rows[0]) throw Object.assign(new Error(`The result ${ref.file} of run ${runId} is not in the store ${this.location}`), { code: 'ENOENT' });
    return rows[0].content;
  }

  resultsDir(runId: string): string {
    if (!RUN_ID.test(runId)) throw new Error(`Not a run id: ${JSON.stringify(runId)}`);
    return join(this.home, 'results', runId);
  }

  async dropUnrecordedResults(runId: string, ended: boolean): Promise<void> {
    this.assertWritable();
    const dir = this.resultsDir(runId);
    // Every result on record is in the database: the folder holds only staged files and copies for a resume.
    if (ended) return rm(dir, { recursive: true, force: true });
    const files = await readdir(dir).catch((): string[] => []);
    if (files.length === 0) return;
    const rows = await this.rows<{ file: string }>(`select file from ${this.t('results')} where run_id = $1`, [runId], 'read results');
    const named = new Set(rows.map((r) => r.file));
    for (const f of files) if (!named.has(f)) await rm(join(dir, f), { force: true });
  }

  async readArtifacts(id: string): Promise<Artifact[] | undefined> {
    const runs = await this.rows<{ id: string }>(`select id from ${this.t('runs')} where id = $1`, [id], 'read artifacts');
    if (runs.length === 0) return undefined;
    const latest = new Map<string, Artifact>();
    await this.scan(id, 0, (lines) => {
      for (const { line } of lines) {
        const r = lineRecord(line, id);
        if (r?.k !== 'artifact') continue;
        const { k: _k, ...artifact } = r;
        latest.set(r.key, artifact);
      }
    }, 'artifact');
    return [...latest.values()];
  }

  /** @internal The run's artifact keys, once the records holding them are written (PgRunHandle.addArtifactKeys). */
  async addArtifactKeys(id: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.rows(
      `update ${this.t('runs')} set artifact_keys = array(select distinct k from unnest(coalesce(artifact_keys, '{}') || $2::text[]) as k order by k) where id = $1`,
      [id, keys],
      'record artifact keys',
    );
    await this.rows('select pg_notify($1, $2)', [this.channels.runs, id], 'record artifact keys');
  }

  /**
   * @internal The lease a claim is made under now (a run's start, a schedule's slot). Its lease lost (cut off
   * from the database) and not renewed yet: a claim made now would be under a session no row holds — anyone
   * may take it over, and nobody gives it back — while this process could not write what it claimed.
   * Refused; the caller tries again once the lease holds (HostLease.whenHeld).
   */
  claimSession(): string {
    this.assertWritable();
    if (this.lease!.fenced) {
      throw new StoreWriteError(`This host (${this.hostname}) lost its lease on the store ${this.location} and has no new one yet: it claims nothing until the database answers again`, this.location, LEASE_LOST);
    }
    return this.lease!.id;
  }

  async claim(key: string, options: ClaimOptions = {}): Promise<boolean> {
    this.assertWritable();
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(key)) throw new Error(`Not a claim key: ${JSON.stringify(key)}`);
    const session = this.claimSession();
    // Held by a live process (its lease fresh), a claim stands; held by one whose lease lapsed (before doing
    // what it claimed, or after: callers check which), one caller takes it over, the row locked meanwhile.
    const rows = await this.rows<{ key: string }>(
      `insert into ${this.t('claims')} as c (key, session) values ($1, $2)
         on conflict (key) do update set session = excluded.session, claimed_at = now(), cancel_reason = null where not ${liveSession(this.t('hosts'), 'c.session')}
         returning key`,
      [key, session],
      'claim',
      options.signal,
    );
    return rows.length === 1;
  }

  async markOnce(key: string): Promise<boolean> {
    this.assertWritable();
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(key)) throw new Error(`Not a claim key: ${JSON.stringify(key)}`);
    // A claim row of no session: no lease lapses under it, and only claim() (never called with a mark's key) takes such a row over.
    // Set only while its run's row is there, locked until the mark is in: a delete of the run waits for it, then
    // removes it with the run's claims; one done before finds no row, and sets no mark of a run gone.
    const rows = await this.rows<{ key: string }>(
      `with run as (select id from ${this.t('runs')} where id = split_part($1, ':', 2) for key share)
       insert into ${this.t('claims')} (key, session) select $1, null from run on conflict (key) do nothing returning key`,
      [key],
      'set a mark',
    );
    return rows.length === 1;
  }

  async isMarked(key: string): Promise<boolean> {
    // Any row of the key: a crash notice's mark was once a claim (its session set), and says told as well.
    const rows = await this.rows<{ key: string }>(`select key from ${this.t('claims')} where key = $1`, [key], 'read a mark');
    return rows.length === 1;
  }

  async marked(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.rows<{ key: string }>(`select key from ${this.t('claims')} where key = any($1::text[])`, [[...keys]], 'read marks');
    return new Set(rows.map((r) => r.key));
  }

  async unclaim(key: string): Promise<void> {
    this.assertWritable();
    // Only a claim of this process's own: another's stands.
    await this.rows(`delete from ${this.t('claims')} where key = $1 and session = $2`, [key, this.lease!.id], 'give back a claim');
  }

  async cancelOfClaim(key: string): Promise<string | undefined> {
    const rows = await this.rows<{ cancel_reason: string | null }>(`select cancel_reason from ${this.t('claims')} where key = $1`, [key], 'read a claim');
    return rows[0]?.cancel_reason ?? undefined;
  }

  async runTree(id: string): Promise<FlowRunSummary[]> {
    const rows = await this.rows<RunRow>(
      `with recursive t as (select ${SUMMARY} from ${this.t('runs')} where id = $1
         union all select ${SUMMARY.split(', ').map((c) => `r.${c}`).join(', ')} from ${this.t('runs')} r join t on r.parent_run_id = t.id)
       select * from t`,
      [id],
      'read a run tree',
    );
    const runs = rows.map((r) => this.summary(r));
    const children = new Map<string, FlowRunSummary[]>();
    for (const r of runs) {
      if (!r.parentRunId) continue;
      // Pushed, not copied: a list copied at each of 20,000 subflow runs of a parent took 2.0 s of CPU.
      const siblings = children.get(r.parentRunId);
      if (siblings) siblings.push(r);
      else children.set(r.parentRunId, [r]);
    }
    const root = runs.find((r) => r.id === id);
    if (!root) return [];
    // Parents first; below a parent the oldest first, the order they were started in (as the embedded store).
    const out: FlowRunSummary[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const r = queue.shift()!;
      out.push(r);
      queue.push(...(children.get(r.id) ?? []).sort((a, b) => a.created - b.created || (a.id < b.id ? 1 : -1)));
    }
    return out;
  }

  /** @internal */
  assertWritable(): void {
    if (this.readOnly) throw new Error('This store was opened read-only');
  }

  /** @internal Who this process is, as the runs, slot claims and leases it owns name it. */
  me(): ProcessIdentity {
    return { ...currentProcess(), hostname: this.hostname };
  }

  private handleContext(): HandleContext {
    return {
      schema: this.schema,
      location: this.location,
      channels: this.channels,
      connect: () => this.pool.connect(),
      pool: this.pool,
      describe: (e) => this.describe(e),
      addArtifactKeys: (id, keys) => this.addArtifactKeys(id, keys),
      freeName: (wanted, from) => this.freeName(wanted, from),
      beginWrite: () => this.writes.begin(),
    };
  }

  async createRun(run: NewRun | Promise<NewRun>, options: NewRunOptions = {}): Promise<RunHandle> {
    this.assertWritable();
    const created = await this.insertRun(await run, { ownerSession: this.lease!.id, ...(options.id !== undefined ? { id: options.id } : {}), ...(options.signal ? { signal: options.signal } : {}) });
    return new PgRunHandle(this.handleContext(), created, this.resultsDir(created.runId), this.lease!, this.lease!.id, 'owner', this.me());
  }

  /** @internal The first free numbered form of `wanted` (`wanted`, `wanted-2`…), from the `from`th on, as the store reads now. */
  async freeName(wanted: string, from: number): Promise<{ name: string; n: number }> {
    const like = `${wanted.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`;
    const rows = await this.rows<{ name: string }>(`select name from ${this.t('runs')} where name = $1 or name like $2`, [wanted, like], 'find a free run name');
    const taken = new Set(rows.map((r) => r.name));
    return firstFreeName(wanted, (c) => taken.has(c), from);
  }

  /** Inserts the run (index row, first journal records) in one transaction; `queue` hands it to the workers too. */
  /** @internal */
  async insertRun(run: NewRun, how: { ownerSession: string | null; queue?: string; sourceHash?: string; id?: string; signal?: AbortSignal }): Promise<RunCreatedRecord> {
    // A given id the store holds already breaks the primary key: the insert fails, nothing is made.
    const id = how.id === undefined ? randomUUID() : checkedNewRunId(how.id);
    const owner = run.owner ? { ...run.owner, hostname: this.hostname } : this.me();
    if (run.name !== undefined) checkedRunName(run.name);
    // A subflow run, its parent going on here: the database away a while, its creation waits for it as the
    // run's own writes do (pgRunHandle write) — said as a write unconfirmed, so the runs start nothing more
    // meanwhile — tried again with the same id and name, until this host fences itself. Before, the call
    // failed at once and its parent with it, in an outage the run would otherwise have come through.
    const outlasts = run.parentRunId !== undefined && how.ownerSession !== null && this.lease !== undefined;
    let underWay: WriteUnderWay | undefined;
    let n = 1;
    let made: ReturnType<typeof newRunRecords> & { name: string } | undefined;
    try {
      for (let tries = 0; ; tries++) {
        if (made === undefined) {
          let name: string;
          if (run.name === undefined) name = randomRunName();
          else ({ name, n } = await this.freeName(run.name, n));
          made = { name, ...newRunRecords(run, id, name, owner) };
        }
        const { name, created, first, records } = made;
        const lines = records.map((r) => JSON.stringify(r));
        try {
          // Given up meanwhile (Ctrl-C), its statement waiting on a lock too: none of it is kept (NewRunOptions.signal).
          await abortableTransaction(this.pool, how.signal, async (client) => {
            await client.query(
              `insert into ${this.t('runs')} (id, name, flow_name, source, parent_run_id, parent_task_run_id, created, state, state_type, owner, owner_session, trigger, resume_on_crash, source_hash, queue, journal_seq, tags)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
              [id, name, run.flowName, run.source, run.parentRunId ?? null, run.parentTaskRunId ?? null, created.created, indexState(first), first.type, owner, how.ownerSession, run.trigger ?? null, run.resumeOnCrash === true, run.sourceHash ?? null, how.queue ?? null, lines.length, created.tags ?? null],
            );
            await client.query(`insert into ${this.t('records')} (run_id, seq, kind, line) select $1, t.ord, t.kind, t.line from unnest($2::text[], $3::text[]) with ordinality as t(kind, line, ord)`, [
              id,
              lines.map((_, i) => (i === 0 ? 'run' : 'state')),
              lines,
            ]);
            if (how.queue !== undefined) await addRunJob(client, this.schema, how.queue, id, `run:${id}`);
            await client.query('select pg_notify($1, $2)', [this.channels.runs, id]);
          });
          this.unfinished ||= !isTerminal(first.type);
          return created;
        } catch (e) {
          if (how.signal?.aborted) throw how.signal.reason;
          // A try whose answer was lost may have committed after all (its id is then taken, maybe its name too).
          if (underWay !== undefined && (isUnreachable(e) || (e as { code?: string }).code === '23505') && (await this.runExists(id))) {
            this.unfinished ||= !isTerminal(first.type);
            return created;
          }
          // Two processes picked the same name: pick another.
          if (isNameTaken(e) && tries < 50) {
            n++;
            made = undefined;
            continue;
          }
          if (!outlasts || !isUnreachable(e)) this.fail(e, 'create a run');
          (underWay ??= this.writes.begin()).unreachable();
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(tries, 5))));
          if (this.lease!.fenced) this.fail(e, 'create a run');
        }
      }
    } finally {
      underWay?.settled();
    }
  }

  /** Whether the run `id` is in the store; false while the database does not answer. */
  private async runExists(id: string): Promise<boolean> {
    try {
      return (await this.pool.query(`select 1 from ${this.t('runs')} where id = $1`, [id])).rowCount === 1;
    } catch (e) {
      if (isUnreachable(e)) return false;
      this.fail(e, 'create a run');
    }
  }

  async openRun(id: string, options: OpenRunOptions = {}): Promise<RunHandle> {
    this.assertWritable();
    const summary = await this.get(id);
    if (!summary || summary.id !== id) throw new Error(`No run ${id} in ${this.location}`);
    const created: RunCreatedRecord = { k: 'run', runId: id, name: summary.name, flowName: summary.flowName, source: summary.source, parameters: {}, created: summary.created, owner: summary.owner };
    // A root run opened to take it up again (resume): its checkpointed results, and its subflows', must be
    // on this machine for the worker that reuses them. Only then: a crash hook's, a scheduler's or a
    // worker's note copied the whole tree at every open.
    if (options.resume === true && !summary.parentRunId) await this.materializeResults(id, options.signal);
    return new PgRunHandle(this.handleContext(), created, this.resultsDir(id), this.lease!, this.lease!.id, 'open', this.me());
  }

  /** Writes the stored out-of-line results of a run tree into their local results folders. */
  private async materializeResults(rootId: string, signal?: AbortSignal): Promise<void> {
    const rows = await this.rows<{ run_id: string; file: string; content: string }>(
      `with recursive t as (select id from ${this.t('runs')} where id = $1 union all select r.id from ${this.t('runs')} r join t on r.parent_run_id = t.id)
       select run_id, file, content from ${this.t('results')} where run_id in (select id from t)`,
      [rootId],
      'read results',
      signal,
    );
    for (const r of rows) {
      const dir = this.resultsDir(r.run_id);
      await mkdir(join(this.home, 'results'), { recursive: true, mode: 0o700 });
      await privateDir(dir);
      await writeFile(join(dir, r.file), r.content, { mode: 0o600 });
    }
  }

  async markCrashed(): Promise<string[]> {
    if (this.missingSchema) return [];
    if (this.readOnly) {
      // Shown as they ended, but settled only by a process allowed to write (as the embedded store does).
      // Only a view: should it fail, the runs are shown as stored, and what failed shows on the next read.
      const shown = await this.reaper.lapsedEnds().catch(() => new Map<string, ShownEnd>());
      for (const [id, end] of await this.expiredSuspensions().catch(() => new Map<string, ShownEnd>())) shown.set(id, end);
      this.shownEnds = shown;
      this.changes.tell([...this.shownEnds.keys()]);
      return [...this.shownEnds].filter(([, e]) => e.state.type === 'CRASHED').map(([id]) => id);
    }
    try {
      const crashed = await this.reaper.reap();
      const expired = await settleExpiredSuspensions(this, Date.now());
      await this.updateUnfinished();
      this.changes.tell([...crashed, ...expired]);
      return crashed;
    } catch (e) {
      this.fail(e, 'settle runs of hosts that stopped responding');
    }
  }

  /**
   * Suspended runs whose time ran out, as a writer will settle them (Failed at their deadline;
   * settleExpiredSuspensions) — not one resumed in time on its queue, waiting for a worker: for a read-only
   * look, which records nothing. The newest MAX_SHOWN_SUSPENSIONS.
   */
  private async expiredSuspensions(): Promise<Map<string, ShownEnd>> {
    const now = Date.now();
    const rows = await this.rows<RunRow>(
      `select ${SUMMARY} from ${this.t('runs')} where state_type = 'PAUSED' and state->>'name' = 'Suspended' order by created desc limit ${MAX_SHOWN_SUSPENSIONS}`,
      [],
      'list suspended runs',
    );
    const ends = new Map<string, ShownEnd>();
    for (const row of rows) {
      const run = toSummary(row);
      const end = expiredSuspension(run, now);
      if (end === undefined) continue;
      if (inputGivenSince((await this.readRun(run.id)) ?? { state: run.state }) !== undefined) continue;
      ends.set(run.id, { state: end, endTime: end.timestamp, inJournal: false });
    }
    return ends;
  }

  hasUnfinishedRuns(): boolean {
    return this.unfinished;
  }

  async ownerHoldsLease(runId: string): Promise<boolean> {
    const rows = await this.rows<{ live: boolean }>(
      `select ${liveSession(this.t('hosts'), 'r.owner_session')} as live from ${this.t('runs')} r where r.id = $1`,
      [runId],
      "read a run's owner",
    );
    return rows[0]?.live === true;
  }

  async delete(ids: readonly string[]): Promise<string[]> {
    this.assertWritable();
    const deleted: string[] = [];
    // Each run with its subflows in one statement, a bounded number of named runs at a time (a prune of
    // tens of thousands is a few statements, not one per run). A named run that could be resumed (not
    // Completed) has its next attempt claimed first, as a resume claims it: one being resumed (its flow
    // loading, the claim held by a live process) is kept, and no resume takes up a run being deleted.
    for (let i = 0; i < ids.length; i += DELETE_AT_ONCE) {
      const rows = await this.rows<{ id: string }>(
        `with recursive named as (select id, attempt, state_type from ${this.t('runs')} r where id = any($1::text[]) and ${this.deletableRun()}),
         claimed as (insert into ${this.t('claims')} as c (key, session) select 'attempt:' || id || ':' || (attempt + 1), $3::uuid from named where state_type <> 'COMPLETED'
           on conflict (key) do update set session = excluded.session, claimed_at = now(), cancel_reason = null where not ${liveSession(this.t('hosts'), 'c.session')}
           returning key),
         t as (select n.id from named n where n.state_type = 'COMPLETED' or exists (select 1 from claimed k where k.key = 'attempt:' || n.id || ':' || (n.attempt + 1))
           union select r.id from ${this.t('runs')} r join t on r.parent_run_id = t.id),
         d as (delete from ${this.t('runs')} r where id in (select id from t) and ${this.deletableRun()} returning id)
         select id, pg_notify($2, id) from d`,
        [ids.slice(i, i + DELETE_AT_ONCE), this.channels.runs, this.lease!.id],
        'delete runs',
      );
      if (rows.length === 0) continue;
      // The claims of their starts and attempts (start:<id>, resume:<id>:<attempt>) go with them.
      await this.rows(`delete from ${this.t('claims')} where split_part(key, ':', 2) = any($1::text[])`, [rows.map((r) => r.id)], 'delete runs');
      deleted.push(...rows.map((r) => r.id));
      // What this machine staged or copied for them (other machines' folders are theirs to clear).
      for (const r of rows) await rm(this.resultsDir(r.id), { recursive: true, force: true }).catch(() => undefined);
    }
    // An optimisation: the delete is done, and a sweep that fails leaves its marks to the next one.
    if (deleted.length > 0) await this.sweepOrphanMarks().catch(() => undefined);
    return deleted;
  }

  /**
   * Removes the notice marks and claims of runs gone (orphanMarks.ts), at most ORPHAN_MARKS_AT_ONCE, at a delete
   * ORPHAN_SWEEP_EVERY_MS after this process's last (it reads every claim). One of a run made meanwhile is not
   * seen gone: its mark is set after its row, which this statement then sees too.
   */
  private async sweepOrphanMarks(): Promise<void> {
    const now = (this.options.clock ?? systemClock).now();
    if (now < this.nextOrphanSweep) return;
    // Materialized: planned for all of them, as one pass against the runs (a hash anti-join), not a look up
    // of each claim's run for the first few (200,000 claims: 2.5 s, most often to find none).
    const rows = await this.rows<{ key: string }>(
      `with gone as materialized (select c.key from ${this.t('claims')} c where split_part(c.key, ':', 1) = any($1::text[])
         and not exists (select 1 from ${this.t('runs')} r where r.id = split_part(c.key, ':', 2)))
       delete from ${this.t('claims')} where key in (select key from gone limit $2) returning key`,
      [[...NOTICE_KEY_KINDS], ORPHAN_MARKS_AT_ONCE],
      'sweep the marks of runs gone',
    );
    // As many as it takes at once: more may be left, for the next delete.
    this.nextOrphanSweep = rows.length < ORPHAN_MARKS_AT_ONCE ? now + ORPHAN_SWEEP_EVERY_MS : 0;
  }

  /** A run `r` that may be deleted: it ended, or the process that ran it is gone. */
  private deletableRun(): string {
    return `(r.state_type in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') or (r.owner_session is not null and not exists (select 1 from ${this.t('hosts')} h where h.id = r.owner_session)))`;
  }

  async prune(limit: number): Promise<string[]> {
    checkedKeep(limit, 0);
    const rows = await this.rows<{ id: string }>(
      // Not a crashed run still to be dealt with (historyRetention.ts awaitsHandling): one resumed when it
      // crashes — resume_on_crash, or a queued run with retries left (crashReaper.ts) — or a schedule's run
      // that never started (its slot is taken over).
      `select id from ${this.t('runs')} where parent_run_id is null and state_type in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')
         and not (state_type = 'CRASHED' and (resume_on_crash or (queue is not null and attempt <= coalesce(retries, 0)) or (trigger->>'kind' = 'schedule' and start_time is null)))
         order by created desc, id offset $1`,
      [limit],
      'prune the run history',
    );
    return rows.length === 0 ? [] : this.delete(rows.map((r) => r.id));
  }

  /**
   * The flow's own retries, learnt when a worker loaded it (a queued run is made before): a crash resumes the
   * run while attempts are left. (Its `resumeOnCrash`, which always does, the runner records as it takes the
   * run up: runFlowFacts.ts.)
   */
  async recordRetries(runId: string, retries: number): Promise<void> {
    await this.rows(`update ${this.t('runs')} set retries = $2 where id = $1`, [runId, retries], 'record a run');
  }

  /** The queue a run was handed to, and the content hash it was queued with. */
  async queuedAs(runId: string): Promise<{ queue: string | null; sourceHash: string | null; retries: number | null; cancelReason: string | null } | undefined> {
    const rows = await this.rows<{ queue: string | null; source_hash: string | null; retries: number | null; cancel_reason: string | null }>(
      `select queue, source_hash, retries, cancel_reason from ${this.t('runs')} where id = $1`,
      [runId],
      'read a run',
    );
    const r = rows[0];
    return r ? { queue: r.queue, sourceHash: r.source_hash, retries: r.retries, cancelReason: r.cancel_reason } : undefined;
  }

  /**
   * Purges the result cache's expired entries unless a process has today: the day is set in one row, and
   * only the writer that changes it purges. (Not the user's kv: their keys are kept as 64-digit hashes.)
   */
  private async purgeCacheDaily(): Promise<void> {
    const day = new Date((this.options.clock ?? systemClock).now()).toISOString().slice(0, 10);
    const first = await this.rows(
      `insert into ${this.t('kv')} as kv (namespace, key_hash, value) values ('flowdeck', 'cache-purged', to_jsonb($1::text))
       on conflict (namespace, key_hash) do update set value = excluded.value where kv.value is distinct from excluded.value returning 1 as one`,
      [day],
      'note the day the result cache was purged',
    );
    if (first.length === 1) await this.cache.purge();
  }

  async close(): Promise<void> {
    await this.purging;
    await this.feed.close();
    await this.lease?.end();
    await this.pool.end().catch(() => undefined);
  }

  onLeaseHeld(listener: (ms: number) => void): () => void {
    return this.lease ? this.lease.onHeld(listener) : () => undefined;
  }

  onWritesWaiting(listener: (waiting: boolean) => void): () => void {
    listener(this.writes.waiting);
    return this.writes.onChange(listener);
  }

  requestCancel(runId: string, reason: string): Promise<CancelOutcome> {
    return this.shared.requestCancel(runId, reason);
  }

  requestResumePaused(runId: string, input: Record<string, unknown>): Promise<ResumePausedOutcome> {
    return this.shared.requestResumePaused(runId, input);
  }

  /**
   * Subscribes to resume requests: `onResume(runId, input)` for each (the input read from the run's row).
   * The process that took it clears the row's input, if it is still that request's.
   * A request sent while the LISTEN connection was down, or given back as the pool waited for a free slot
   * (changeFeed.ts's poolWaits), was never heard: once it listens again (`resync`), the input stored on this
   * process's paused runs is passed on too (the runner ignores a pause it is resuming already).
   */
  onResumePausedRequest(onResume: (runId: string, input: Record<string, unknown>) => boolean): () => void {
    const take = async (id: string, text: string | null | undefined): Promise<void> => {
      const input = text ? inputOf(text) : undefined;
      if (input === undefined || !onResume(id, input)) return;
      await this.rows(`update ${this.t('runs')} set resume_input = null where id = $1 and resume_input = $2`, [id, text], 'take a resume request');
    };
    const off = this.feed.subscribe({
      notify: (channel, id) => {
        if (channel !== 'resume') return;
        void this.rows<{ resume_input: string | null }>(`select resume_input from ${this.t('runs')} where id = $1`, [id], 'read a resume request')
          .then((rows) => take(id, rows[0]?.resume_input))
          .catch(() => undefined);
      },
      resync: () => {
        void this.resumesAsked()
          .then((asked) => Promise.all(asked.map((r) => take(r.id, r.text))))
          .catch(() => undefined);
      },
    });
    void this.feed.start().catch(() => undefined);
    return off;
  }

  /** This process's paused runs with a resume's input stored (pgShared.requestResumePaused), not yet taken. */
  private async resumesAsked(): Promise<{ id: string; text: string }[]> {
    if (!this.lease) return [];
    const rows = await this.rows<{ id: string; resume_input: string }>(
      `select id, resume_input from ${this.t('runs')} where owner_session = $1 and resume_input is not null and state_type = 'PAUSED'`,
      [this.lease.id],
      'read resume requests',
    );
    return rows.map((r) => ({ id: r.id, text: r.resume_input }));
  }

  /** This process's unfinished runs a cancel was asked for (pgShared.requestCancel, never cleared but by a take-over), with its reason. */
  private async cancelsAsked(): Promise<{ id: string; reason: string }[]> {
    if (!this.lease) return [];
    const rows = await this.rows<{ id: string; cancel_reason: string }>(
      `select id, cancel_reason from ${this.t('runs')} where owner_session = $1 and cancel_reason is not null and state_type not in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED')`,
      [this.lease.id],
      'read cancel requests',
    );
    return rows.map((r) => ({ id: r.id, reason: r.cancel_reason }));
  }

  /**
   * Subscribes to cancel requests: `onCancel(runId, reason)` for each (the reason read from the run's row).
   * A request sent while the LISTEN connection was down, or given back as the pool waited for a free slot
   * (changeFeed.ts's poolWaits), was never heard: once it listens again (`resync`), the requests stored on
   * this process's unfinished runs are passed on too (the runner ignores one it already follows).
   */
  onCancelRequest(onCancel: (runId: string, reason: string) => boolean): () => void {
    const off = this.feed.subscribe({
      notify: (channel, id) => {
        if (channel !== 'cancel') return;
        void this.queuedAs(id).then(
          (run) => onCancel(id, run?.cancelReason ?? 'Cancelled by request'),
          () => onCancel(id, 'Cancelled by request'),
        );
      },
      resync: () => {
        void this.cancelsAsked().then(
          (asked) => {
            for (const r of asked) onCancel(r.id, r.reason);
          },
          () => undefined,
        );
      },
    });
    void this.feed.start().catch(() => undefined);
    return off;
  }
}
