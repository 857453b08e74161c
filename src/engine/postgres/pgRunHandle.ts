/**
 * The writer of one run in Postgres. Appends go out in order, one statement per batch (appends made while
 * one is in flight are sent together), each atomic: the records, the journal's new length, and a
 * notification for followers. A result record that names a file (`{ k: 'result', ref }`: the worker
 * wrote a large result to the run's local results folder) moves that file's content into the database
 * in the same transaction — so the result is stored exactly when its record is — and the local copy goes.
 *
 * Writes are fenced: a handle writes only while its lease is current and, for the run's owner, only
 * while the run is still its own. A worker that was cut off and came back finds its writes refused
 * (StoreWriteError), and its runner stops the run, instead of writing into a run another worker resumed.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { EndedBeforeStart } from '../endedBeforeStart';
import { checkedRunName } from '../givenRunName';
import { Fifo } from '../fifo';
import type { ProcessIdentity, RunCreatedRecord, RunFlowFacts, RunNameRecord, RunRecord } from '../records';
import { stateToColumn } from './stateColumn';
import type { JournalText } from '../journalFile';
import type { RunHandle } from '../runStore';
import { isTerminal, type State } from '../states';
import { StoreWriteError } from '../storeErrors';
import { artifactHead } from './artifactHead';
import { LEASE_LOST, type HostLease } from './hostLease';
import { isUnreachable } from './connection';
import { abortableTransaction } from './transaction';
import type { WriteUnderWay } from './unconfirmedWrites';

/** What the handle needs of its store. */
export interface HandleContext {
  schema: string;
  location: string;
  channels: { runs: string; journal: string };
  connect(): Promise<PoolClient>;
  /** The pool `connect` takes from: a batch's statement is cancelled from another of its connections (flush's signal). */
  pool: Pool;
  describe(e: unknown): string;
  addArtifactKeys(id: string, keys: readonly string[]): Promise<void>;
  /** The first free numbered form of `wanted` (givenRunName.ts), from the `from`th candidate on. */
  freeName(wanted: string, from: number): Promise<{ name: string; n: number }>;
  /** A batch goes out (unconfirmedWrites.ts): the store waits — runs start no task run — while it is not confirmed. */
  beginWrite(): WriteUnderWay;
}

/** `owner`: created (or taken over) by this process; `open`: a note added to someone else's run (a crash mark, a hook's logs). */
export type HandleRole = 'owner' | 'open';

const KIND = /^\{"k":"([a-z]+)"/;
const RESULT_FILE = /^[A-Za-z0-9_.-]+$/;

/** A unique violation on the runs' name: another run has the name. */
export function isNameTaken(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string };
  return err.code === '23505' && /name/.test(err.constraint ?? '');
}

/** The non-empty lines of journal text. */
function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/** At most this many journal lines go out in one transaction… */
export const BATCH_LINES = 5000;
/** …and at most this many characters of them (a longer line goes alone). */
export const BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Past this many journal lines appended and not yet written (or this many characters of them), the handle
 * says it is behind (overBacklog) until it is down to half: a map of a million task runs made lines ~4×
 * faster than the database took them, and the host held them all (~700 MB).
 */
export const BACKLOG_LINES = 50_000;
export const BACKLOG_CHARS = 64 * 1024 * 1024;

function textBytes(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) n += l.length;
  return n;
}

/** `lines` cut into runs of at most BATCH_LINES lines and BATCH_CHARS characters (one line at least each). */
function* inBatches(lines: string[]): Generator<string[]> {
  let start = 0;
  while (start < lines.length) {
    let end = start;
    let bytes = 0;
    while (end < lines.length && end - start < BATCH_LINES && (end === start || bytes + lines[end]!.length <= BATCH_CHARS)) bytes += lines[end++]!.length;
    yield start === 0 && end === lines.length ? lines : lines.slice(start, end);
    start = end;
  }
}

interface Pending {
  lines: string[];
  /** The characters of `lines` (textBytes). */
  chars: number;
  /** Written only if every batch before it was (a run's final state): see appendAfterAll. */
  afterAll?: boolean;
  state?: { s: State; extra: SetStateExtra };
  /** The run's new name, set in its row with the lines (see rename). */
  rename?: string;
  resolve(): void;
  reject(e: Error): void;
}

/** The transaction a batch went out in, as the server numbered it: asked after once its connection was lost. */
interface Sent {
  xid?: string;
  pid?: number;
}

/** A result file moved into the database with its record. */
interface ResultFile {
  runId: string;
  file: string;
  path: string;
  content: string;
}

type SetStateExtra = {
  startTime?: number;
  endTime?: number;
  attempt?: number;
  owner?: ProcessIdentity;
  /** Written only while the run waits to start (Scheduled, never started): see takeUp. */
  waiting?: boolean;
  /** What its loaded flow adds to the run (takeUp). */
  flow?: RunFlowFacts;
};

export class PgRunHandle implements RunHandle {
  readonly id: string;
  name: string;
  /** The appends, state changes and renames not yet written, in order (a Fifo: a backlog may be 50,000 long). */
  private readonly queue = new Fifo<Pending>();
  /** The lines queued and not yet written (or refused), and their characters: see overBacklog. */
  private backlogLines = 0;
  private backlogChars = 0;
  /** The most lines ever queued at once (for tests: the bound held). */
  peakBacklog = 0;
  /** Those waiting for the backlog to be down to half its bound. */
  private caughtUp: (() => void)[] = [];
  private draining?: Promise<void>;
  private closed = false;
  /** A batch of this handle failed: what must come after all before it is refused from now on. */
  private failure?: Error;
  /** Ends this process's hold on the run, as the owner running it (HostLease.holdRun: its sign of life). */
  private releaseRun?: () => void;
  /** Fired when a flush's signal gives up the writes pending (see flush); a fresh one after, if all had committed. */
  private stopping = new AbortController();
  /** Why a write was given up (flush's signal): the handle writes nothing more. */
  private givenUp?: Error;

  constructor(
    private readonly ctx: HandleContext,
    readonly created: RunCreatedRecord,
    readonly resultsDir: string,
    private readonly lease: HostLease,
    private readonly leaseId: string,
    private role: HandleRole,
    /** The owner identity this process writes (its host name as the store shows it). */
    private readonly me: ProcessIdentity,
  ) {
    this.id = created.runId;
    this.name = created.name;
    if (role === 'owner') this.releaseRun = lease.holdRun();
  }

  append(records: readonly RunRecord[]): Promise<void> {
    return this.enqueue(records.map((r) => JSON.stringify(r)));
  }

  appendText(text: JournalText): Promise<void> {
    if (typeof text === 'string') return this.enqueue(linesOf(text));
    // Each piece is whole lines: split where it lies, not joined into one text first.
    const lines: string[] = [];
    for (const piece of text) for (const line of linesOf(typeof piece === 'string' ? piece : piece.toString('utf8'))) lines.push(line);
    return this.enqueue(lines);
  }

  /**
   * As appendText, but written only if every batch before it was: refused (rejected, never written) once
   * any batch of this handle failed. A transaction is all or nothing, so it may go out with the lines
   * queued before it: the run's final state is never in the database without the records before it.
   */
  appendAfterAll(text: string): Promise<void> {
    return this.enqueue(linesOf(text), true);
  }

  setState(s: State, extra: SetStateExtra = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ lines: [], chars: 0, state: { s, extra }, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /**
   * The lines and the state in one transaction, its row updated only while it is still Scheduled and never
   * started: a cancel (pgShared.requestCancel, which locks the row) lands wholly before it or finds the run
   * taken up and asks its new owner.
   */
  takeUp(text: string, s: State, extra: { attempt: number; owner: ProcessIdentity; flow?: RunFlowFacts }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.push({ lines: linesOf(text), chars: 0, state: { s, extra: { ...extra, waiting: true } }, resolve, reject });
    });
  }

  /**
   * The name record and the row's new name in one transaction; the row's unique name is the claim. A name
   * another run took meanwhile is not a failed write (the handle goes on): the next number is tried.
   */
  async rename(wanted: string, ts: number): Promise<RunNameRecord> {
    checkedRunName(wanted);
    await this.flush();
    let n = 1;
    for (let tries = 0; ; tries++) {
      let name: string;
      ({ name, n } = await this.ctx.freeName(wanted, n));
      const record: RunNameRecord = { k: 'name', runId: this.id, name, ts };
      try {
        await new Promise<void>((resolve, reject) => {
          this.push({ lines: [JSON.stringify(record)], chars: 0, rename: name, resolve, reject });
        });
        this.name = name;
        return record;
      } catch (e) {
        if (!isNameTaken(e) || tries >= 50) throw e;
        n++;
      }
    }
  }

  /**
   * Settles once everything queued is written. Given up when `signal` fires while some is not (Ctrl-C as a
   * resume writes its attempt's first records, the journal locked by another session): the batch under way
   * is cancelled on the server, none of it kept (abortableTransaction), and it rejects with the signal's
   * reason, as do every write queued and every later one: the handle writes nothing more. A batch whose
   * commit was sent stands; all of them committed so, the handle goes on. Once all is written the signal
   * does nothing here.
   */
  async flush(signal?: AbortSignal): Promise<void> {
    if (!signal) return this.draining ?? Promise.resolve();
    const giveUp = (): void => {
      if (this.draining) this.stopping.abort(signal.reason);
    };
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
    try {
      await (this.draining ?? Promise.resolve());
    } finally {
      signal.removeEventListener('abort', giveUp);
      if (this.stopping.signal.aborted && !this.givenUp) this.stopping = new AbortController();
    }
  }

  async addArtifactKeys(keys: readonly string[]): Promise<void> {
    // The run's row never names an artifact its journal does not hold yet.
    await this.flush();
    await this.ctx.addArtifactKeys(this.id, keys);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.releaseRun?.();
      this.releaseRun = undefined;
    }
  }

  private enqueue(lines: string[], afterAll = false): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new StoreWriteError(`The run ${this.id} was closed for writing`, this.ctx.location));
    if (this.givenUp) return Promise.reject(this.givenUp);
    return new Promise((resolve, reject) => {
      this.push({ lines, chars: 0, ...(afterAll ? { afterAll } : {}), resolve, reject });
    });
  }

  /** Queues `p` (its lines counted in the backlog) and starts the drain if none is going. */
  private push(p: Pending): void {
    p.chars = textBytes(p.lines);
    this.backlogLines += p.lines.length;
    this.backlogChars += p.chars;
    if (this.backlogLines > this.peakBacklog) this.peakBacklog = this.backlogLines;
    this.queue.push(p);
    this.draining ??= this.drain();
  }

  /** `p` is written or refused: its lines leave the backlog. */
  private settledPending(p: Pending): void {
    this.backlogLines -= p.lines.length;
    this.backlogChars -= p.chars;
    if (this.caughtUp.length > 0 && this.backlogLines <= BACKLOG_LINES / 2 && this.backlogChars <= BACKLOG_CHARS / 2) {
      const waiting = this.caughtUp;
      this.caughtUp = [];
      for (const resolve of waiting) resolve();
    }
  }

  /** The lines appended and not yet written, and their characters. */
  get backlog(): { lines: number; chars: number } {
    return { lines: this.backlogLines, chars: this.backlogChars };
  }

  overBacklog(): Promise<void> | undefined {
    if (this.backlogLines <= BACKLOG_LINES && this.backlogChars <= BACKLOG_CHARS) return undefined;
    return new Promise((resolve) => this.caughtUp.push(resolve));
  }

  private async drain(): Promise<void> {
    // Not a step before `draining` holds this drain: a final state refused at once would end it unawaited,
    // and `draining` would then hold a drain that is over, which nothing would start again.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        // Journal lines queued before a state change go out with it, in one transaction; the state after them.
        // A batch holds at most BATCH_LINES lines and BATCH_CHARS characters of them (the appends that fit whole, one at
        // least): a writer left behind by a map of a million task runs sent everything queued in one
        // transaction, and building it held the host's thread for seconds — its lease's heartbeat too.
        const batch: Pending[] = [];
        let lineCount = 0;
        let byteCount = 0;
        while (this.queue.length > 0) {
          const next = this.queue.peek()!;
          const bytes = next.chars;
          if (batch.length > 0 && next.lines.length > 0 && (lineCount + next.lines.length > BATCH_LINES || byteCount + bytes > BATCH_CHARS)) break;
          this.queue.shift();
          if (next.afterAll && this.failure) {
            this.settledPending(next);
            next.reject(this.failure);
            continue;
          }
          batch.push(next);
          lineCount += next.lines.length;
          byteCount += bytes;
          if (next.state || next.rename !== undefined) break;
        }
        if (batch.length === 0) continue;
        try {
          const last = batch[batch.length - 1]!;
          if (batch.length === 1 && !last.state && last.rename === undefined && !last.afterAll) {
            // One append of more than a batch's worth (lines alone): in batches of its own, in order.
            for (const part of inBatches(last.lines)) await this.write(part, undefined, undefined);
          } else {
            await this.write(batch.flatMap((p) => p.lines), last.state, last.rename);
          }
          for (const p of batch) {
            this.settledPending(p);
            p.resolve();
          }
        } catch (e) {
          if (isNameTaken(e) && batch.length === 1) {
            // Nothing was written (rename flushed first): rename tries the next name.
            this.settledPending(batch[0]!);
            batch[0]!.reject(e as Error);
            continue;
          }
          const error = e instanceof StoreWriteError || e instanceof EndedBeforeStart || e === this.givenUp ? (e as Error) : new StoreWriteError(`Could not record run ${this.name}: ${this.ctx.describe(e)}`, this.ctx.location, (e as { code?: string }).code);
          this.failure ??= error;
          for (const p of batch) {
            this.settledPending(p);
            p.reject(error);
          }
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * The condition under which this handle may write: its lease is current and, as owner, the run is its own.
   * Others write a run nobody runs: no owner, an owner whose lease is gone, or a run settled — ended, or
   * Suspended — whose owner (a worker that ran it, a window still open) lives on but writes it no more: a
   * resume takes such a run over (its attempt claimed first, so one resume), a cancel or expiry ends a
   * suspended one.
   */
  private guard(role: HandleRole, leaseParam: string): string {
    const s = `"${this.ctx.schema}"`;
    const leaseLive = `exists (select 1 from ${s}.hosts h where h.id = ${leaseParam})`;
    return role === 'owner'
      ? `runs.owner_session = ${leaseParam} and ${leaseLive}`
      : `(runs.owner_session is null or runs.owner_session = ${leaseParam} or not exists (select 1 from ${s}.hosts h where h.id = runs.owner_session)
          or runs.state_type in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') or runs.state->>'name' = 'Suspended')`;
  }

  /**
   * One batch, in one transaction. The database unreachable (a restart, a network blip) is not a failed
   * write while this host's lease holds: the batch is sent again once it answers — unless it was already
   * written, its commit's answer lost on the way (see `outcome`): nothing is recorded twice.
   */
  private async write(lines: string[], state: Pending['state'], rename?: string): Promise<void> {
    const results = await this.resultFiles(lines);
    const underWay = this.ctx.beginWrite();
    try {
      for (let tries = 1; ; tries++) {
        const stop = this.stopping.signal;
        if (this.givenUp) throw this.givenUp;
        this.checkLease();
        const sent: Sent = {};
        try {
          if (stop.aborted) throw stop.reason;
          await abortableTransaction(this.ctx.pool, stop, (client) => this.writeIn(client, sent, lines, state, rename, results));
          break;
        } catch (e) {
          if (stop.aborted && e === stop.reason) throw (this.givenUp ??= e as Error);
          if (!isUnreachable(e)) throw e;
          underWay.unreachable();
          if ((await this.outcome(sent, tries)) === 'committed') break;
        }
      }
    } finally {
      underWay.settled();
    }
    // In the database now: the local copies have done their job.
    for (const r of results) await rm(r.path, { force: true }).catch(() => undefined);
  }

  /** Refuses to write once this handle's lease is lost (fenced here, or renewed under another id). */
  private checkLease(): void {
    if (this.lease.fenced && this.lease.id === this.leaseId) throw this.fencedError();
    if (this.lease.id !== this.leaseId && this.role === 'owner') throw this.fencedError();
  }

  /**
   * What became of a transaction whose connection was lost, asked once the database answers again: by its
   * transaction id, as Postgres keeps it (`txid_status`). One still in progress (its session not yet
   * ended on the server) is ended, so it cannot commit later. Waits between tries, a little longer each
   * time; gives up, refusing the write, when this host's lease is lost meanwhile.
   */
  private async outcome(sent: Sent, tries: number): Promise<'committed' | 'not written'> {
    for (let wait = Math.min(2000, 100 * 2 ** Math.min(tries, 5)); ; wait = Math.min(2000, wait * 2)) {
      await new Promise((r) => setTimeout(r, wait));
      this.checkLease();
      if (sent.xid === undefined) return 'not written';
      try {
        const client = await this.ctx.connect();
        try {
          const { rows } = await client.query<{ status: string | null }>('select txid_status($1::bigint) as status', [sent.xid]);
          const status = rows[0]?.status;
          if (status === 'committed') return 'committed';
          if (status !== 'in progress') return 'not written';
          await client.query('select pg_terminate_backend($1)', [sent.pid]);
        } finally {
          client.release();
        }
      } catch (e) {
        if (!isUnreachable(e)) throw e;
      }
    }
  }

  private async writeIn(client: PoolClient, sent: Sent, lines: string[], state: Pending['state'], rename: string | undefined, results: ResultFile[]): Promise<void> {
    const s = `"${this.ctx.schema}"`;
    // The transaction's id, to ask after it should its commit's answer be lost: with the first update (no
    // round trip of its own), or asked for when the batch has no lines.
    const ids = 'txid_current()::text as xid, pg_backend_pid() as pid';
    if (lines.length === 0) Object.assign(sent, (await client.query<Sent>(`select ${ids}`)).rows[0]);
    if (lines.length > 0) {
      const kinds = lines.map((l) => KIND.exec(l)?.[1] ?? 'unknown');
      // An artifact's line without its data, for the readers that print none of it (artifactHead.ts).
      const heads = lines.map((l, i) => artifactHead(l, kinds[i]!));
      const { rows } = await client.query<{ base: string } & Sent>(
        `update ${s}.runs set journal_seq = journal_seq + $2 where id = $1 and ${this.guard(this.role, '$3::uuid')} returning journal_seq - $2 as base, ${ids}`,
        [this.id, lines.length, this.leaseId],
      );
      if (rows.length === 0) throw await this.refusal(client);
      sent.xid = rows[0]!.xid;
      sent.pid = rows[0]!.pid;
      await client.query(
        `insert into ${s}.records (run_id, seq, kind, line, artifact_head) select $1, $2::bigint + t.ord, t.kind, t.line, t.head from unnest($3::text[], $4::text[], $5::text[]) with ordinality as t(kind, line, head, ord)`,
        [this.id, rows[0]!.base, kinds, lines, heads],
      );
      for (const r of results) {
        await client.query(`insert into ${s}.results (run_id, file, content) values ($1, $2, $3) on conflict (run_id, file) do update set content = excluded.content`, [r.runId, r.file, r.content]);
      }
      await client.query('select pg_notify($1, $2)', [this.ctx.channels.journal, this.id]);
    }
    if (state) await this.writeState(client, state.s, state.extra);
    if (rename !== undefined) {
      await client.query(`update ${s}.runs set name = $2, seq = seq + 1 where id = $1`, [this.id, rename]);
      await client.query('select pg_notify($1, $2)', [this.ctx.channels.runs, this.id]);
    }
  }

  private async writeState(client: PoolClient, st: State, extra: SetStateExtra): Promise<void> {
    const s = `"${this.ctx.schema}"`;
    const small = stateToColumn(st);
    const takeOver = extra.owner !== undefined;
    const clearsEnd = extra.endTime === undefined && (st.type === 'SCHEDULED' || st.type === 'PENDING');
    // Taking a run over (a new attempt) is allowed where an outsider may write; the run is this process's after.
    // A cancel asked of an attempt before goes with it: one asked of this attempt lands after this row is written
    // (pgShared.requestCancel locks it), and a process's unfinished runs' stored requests are acted on (pgStore.onCancelRequest).
    // A resume's input (pgShared.requestResumePaused) is for the pause it was sent to: once the run is written
    // to any other state (resumed, ended, taken over) it goes, whether or not the process that took it cleared it,
    // so a later pause of the run is never handed it (pgStore.resumesAsked, once its process listens again).
    const waiting = extra.waiting ? ` and runs.state_type = 'SCHEDULED' and runs.start_time is null` : '';
    const guard = this.guard(takeOver ? 'open' : this.role, '$9::uuid') + waiting;
    const { rowCount } = await client.query(
      `update ${s}.runs set seq = seq + 1, state = $2, state_type = $3,
         start_time = coalesce($4, start_time),
         end_time = case when $5::bigint is not null then $5::bigint when $6 then null else end_time end,
         attempt = coalesce($7, attempt),
         owner = coalesce($8, owner),
         owner_session = case when $10 then $9::uuid else owner_session end,
         cancel_reason = case when $10 then null else cancel_reason end,
         resume_input = case when $3 = 'PAUSED' and not $10 then resume_input else null end,
         resume_on_crash = resume_on_crash or $11,
         tags = coalesce($12, tags)
       where id = $1 and ${guard}`,
      [this.id, small, st.type, extra.startTime ?? null, extra.endTime ?? null, clearsEnd, extra.attempt ?? null, takeOver ? { ...extra.owner, hostname: this.me.hostname } : null, this.leaseId, takeOver, extra.flow?.resumeOnCrash === true, extra.flow?.tags ?? null],
    );
    if (rowCount === 0) throw await this.refusal(client, extra.waiting);
    if (takeOver) {
      this.role = 'owner';
      if (!this.closed) this.releaseRun ??= this.lease.holdRun();
    }
    await client.query('select pg_notify($1, $2)', [this.ctx.channels.runs, this.id]);
  }

  /** Why a write was refused, for the run's final message; `waiting`: a take-up's (EndedBeforeStart when the run ended before it). */
  private async refusal(client: PoolClient, waiting = false): Promise<Error> {
    const s = `"${this.ctx.schema}"`;
    const { rows } = await client.query<{ owner: { hostname?: string } | null; mine: boolean; live: boolean; state: State; start_time: string | null }>(
      `select owner, owner_session = $2::uuid as mine, exists (select 1 from ${s}.hosts where id = $2::uuid) as live, state, start_time from ${s}.runs where id = $1`,
      [this.id, this.leaseId],
    );
    const row = rows[0];
    if (!row) return new StoreWriteError(`Run ${this.name} is no longer in the store ${this.ctx.location} (deleted)`, this.ctx.location);
    if (!row.live) return this.fencedError();
    if (waiting && isTerminal(row.state.type) && row.start_time === null) return new EndedBeforeStart({ id: this.id, name: this.name, state: row.state });
    if (waiting && row.state.type !== 'SCHEDULED') return new StoreWriteError(`Run ${this.name} is ${row.state.name}, no longer waiting to start; this host does not take it up`, this.ctx.location);
    return new StoreWriteError(`Run ${this.name} was taken over by ${row.owner?.hostname ?? 'another host'}; this host no longer writes to it`, this.ctx.location);
  }

  private fencedError(): StoreWriteError {
    return new StoreWriteError(`This host (${this.me.hostname}) lost its lease on the store ${this.ctx.location}: its runs may be resumed elsewhere, so it stops writing them`, this.ctx.location, LEASE_LOST);
  }

  /** Result records that point at a file in a results folder: the content to move into the database. */
  private async resultFiles(lines: readonly string[]): Promise<ResultFile[]> {
    const out: ResultFile[] = [];
    for (const line of lines) {
      if (!line.startsWith('{"k":"result"') || !line.includes('"ref":')) continue;
      let record: { runId?: unknown; ref?: { file?: unknown } };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        continue;
      }
      const file = record.ref?.file;
      if (typeof file !== 'string' || !RESULT_FILE.test(file) || file.startsWith('.') || record.runId !== this.id) continue;
      const path = join(this.resultsDir, file);
      try {
        out.push({ runId: this.id, file, path, content: await readFile(path, 'utf8') });
      } catch (e) {
        throw new StoreWriteError(`Could not move the result file ${path} of run ${this.name} into the store: ${(e as Error).message}`, path, (e as NodeJS.ErrnoException).code);
      }
    }
    return out;
  }
}
