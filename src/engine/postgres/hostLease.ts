/**
 * A process's lease on the shared store: a row in `hosts` it refreshes every heartbeat. Other processes
 * judge it dead once the row is older than its lease (by the database's clock, so clocks of different
 * machines never matter) and take over: its runs turn Crashed and those that may resume go back to the
 * queue. A process that cannot refresh its row for most of its lease fences itself before anyone else
 * could take over — it stops writing under that lease — so a cut-off worker that comes back never runs
 * a run that was already handed to another.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { StoreSettingError } from '../storeErrors';
import type { Clock } from '../clock';
import { LIFE_SIGN_MS } from '../lifeSign';

export type HostKind = 'worker' | 'cli' | 'editor';

export interface LeaseTiming {
  /** How often the row is refreshed. */
  heartbeatMs: number;
  /** How long after its last heartbeat a host counts as gone. */
  lapseMs: number;
}

/** The code of the StoreWriteError a store gives for a write refused because this host's lease was lost. */
export const LEASE_LOST = 'ELEASE';

export const DEFAULT_LEASE: LeaseTiming = { heartbeatMs: 5000, lapseMs: 30_000 };

/**
 * FLOWDECK_HEARTBEAT_SECONDS and FLOWDECK_LEASE_SECONDS, `fallback`'s where unset (or empty). A value set
 * that is not a number of seconds above 0 is a StoreSettingError naming the variable, as `--heartbeat -1`
 * is refused: running on the default instead would look like the setting took.
 */
export function leaseFromEnv(env: NodeJS.ProcessEnv, fallback: LeaseTiming = DEFAULT_LEASE): LeaseTiming {
  const seconds = (name: string, fallbackMs: number): number => {
    const text = env[name]?.trim();
    if (text === undefined || text === '') return fallbackMs;
    const v = Number(text);
    if (!Number.isFinite(v) || v <= 0) throw new StoreSettingError(`${name} must be a number of seconds above 0, got ${JSON.stringify(env[name])}; unset it for the default (${fallbackMs / 1000})`);
    return v * 1000;
  };
  const heartbeatMs = seconds('FLOWDECK_HEARTBEAT_SECONDS', fallback.heartbeatMs);
  const lapseMs = seconds('FLOWDECK_LEASE_SECONDS', fallback.lapseMs);
  try {
    return checkLease({ heartbeatMs, lapseMs });
  } catch (e) {
    throw new StoreSettingError(`FLOWDECK_LEASE_SECONDS and FLOWDECK_HEARTBEAT_SECONDS: ${(e as Error).message}`);
  }
}

/**
 * A lease lasts at least four heartbeats: a process fences itself once no heartbeat got through for
 * `fenceAfterMs` — two heartbeats before its lease lapses — which must leave at least one heartbeat
 * between. At three, the first tick after the lease's start already found it a heartbeat old and fenced it.
 */
export function checkLease(t: LeaseTiming): LeaseTiming {
  if (!(t.heartbeatMs >= 50) || !(t.lapseMs >= 4 * t.heartbeatMs)) {
    throw new RangeError(`A lease of ${t.lapseMs / 1000} s with a heartbeat every ${t.heartbeatMs / 1000} s cannot work: the lease must be at least four heartbeats (and a heartbeat at least 0.05 s)`);
  }
  return t;
}

/** SQL: the hosts row (aliased `h`) of the process whose lease is `session` is fresh — that process is alive. */
export function liveSession(hostsTable: string, session: string): string {
  return `exists (select 1 from ${hostsTable} h where h.id = ${session} and h.last_seen >= now() - h.lease_ms * interval '1 millisecond')`;
}

export interface HostInfo {
  hostname: string;
  pid: number;
  kind: HostKind;
  queue?: string;
  concurrency?: number;
}

export class HostLease {
  id = randomUUID();
  /** Set once this lease can no longer be trusted: nothing more is written under it. */
  fenced = false;
  running = 0;
  /** The queue's ids for this process (graphile-worker locks a job with its pool's id), freed when the lease lapses. */
  queueWorkerIds: string[] = [];
  private timer?: NodeJS.Timeout;
  private lastOk: number;
  private beating = false;
  private readonly heldListeners = new Set<(ms: number) => void>();
  /** Runs this process has going (holdRun): while there are any, its row's `alive_at` is stamped every LIFE_SIGN_MS. */
  private runsHeld = 0;
  private lifeSign?: NodeJS.Timeout;
  private signing = false;
  /** The id whose row was inserted, once it was: a lease never begun has no row to delete. */
  private inserted?: string;
  /** Waiting for the lease to be renewed after it was lost (whenHeld). */
  private readonly renewWaiters = new Set<() => void>();

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
    readonly info: HostInfo,
    readonly timing: LeaseTiming,
    private readonly clock: Clock,
    /** Called once when the lease is lost (fenced here, or taken away by another process). */
    private readonly onLost: (why: string) => void,
  ) {
    checkLease(timing);
    this.lastOk = clock.now();
  }

  async start(): Promise<void> {
    await this.insert();
    this.tick();
  }

  private tick(): void {
    this.timer = setInterval(() => {
      // Checked on every tick, also while a heartbeat hangs on a dead connection (a cut network sends no reset).
      if (this.clock.now() - this.lastOk > this.fenceAfterMs) {
        this.lose(`no heartbeat reached the database for ${Math.round((this.clock.now() - this.lastOk) / 1000)} s`);
        return;
      }
      void this.beat();
    }, this.timing.heartbeatMs);
    this.timer.unref();
  }

  private async insert(): Promise<void> {
    await this.pool.query({
      text: `insert into ${this.table} (id, hostname, pid, kind, queue, concurrency, lease_ms) values ($1, $2, $3, $4, $5, $6, $7)`,
      values: [this.id, this.info.hostname, this.info.pid, this.info.kind, this.info.queue ?? null, this.info.concurrency ?? null, this.timing.lapseMs],
      query_timeout: this.timing.lapseMs,
    } as import('pg').QueryConfig);
    this.inserted = this.id;
    this.held();
  }

  /** A heartbeat got through: the lease holds `fenceAfterMs` more, as this process counts (it fences itself then). */
  private held(): void {
    this.lastOk = this.clock.now();
    for (const l of this.heldListeners) l(this.fenceAfterMs);
  }

  /**
   * Calls `listener(ms)` at once with how long the lease surely holds (0 once lost), then after each heartbeat
   * that got through: the processes of its runs end when it does not hold any more (worker/main.ts).
   */
  onHeld(listener: (ms: number) => void): () => void {
    this.heldListeners.add(listener);
    listener(this.fenced ? 0 : Math.max(0, this.fenceAfterMs - (this.clock.now() - this.lastOk)));
    return () => this.heldListeners.delete(listener);
  }

  /**
   * Resolves once the lease holds: at once, unless it was lost and is not renewed yet — then when it is.
   * Rejects with `signal`'s reason should it abort first. What a process does in its store's name (a claim,
   * a run taken up) waits for this: under a lease that was lost it would be nobody's.
   */
  whenHeld(signal?: AbortSignal): Promise<void> {
    if (!this.fenced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const renewed = (): void => {
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        this.renewWaiters.delete(renewed);
        reject(signal!.reason);
      };
      if (signal?.aborted) return aborted();
      this.renewWaiters.add(renewed);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /**
   * No heartbeat got through for this long: stop before others may take over — at most 60% of the lease
   * (a margin for a slow machine's timers) and at least two heartbeats before it lapses.
   */
  get fenceAfterMs(): number {
    return Math.min(this.timing.lapseMs * 0.6, this.timing.lapseMs - 2 * this.timing.heartbeatMs);
  }

  /**
   * Records a queue id of this process now, not at the next heartbeat: it may lock a job at once, and a
   * job locked by an id the lease does not name would stay locked after this process died.
   */
  async addQueueWorker(id: string): Promise<void> {
    this.queueWorkerIds = [...this.queueWorkerIds, id];
    if (this.fenced) return;
    await this.pool.query(`update ${this.table} set queue_worker_ids = $2 where id = $1`, [this.id, this.queueWorkerIds]);
  }

  /**
   * A run of this process is going until the function returned is called. While any is, the row's
   * `alive_at` is stamped every LIFE_SIGN_MS — one statement for all of them — the date its runs' crash is
   * given should this process die (crashReaper.ts): its heartbeat (5 s by default) dated a run killed 4 s
   * into a quiet task as ending when it started. A process with no run going (an editor, a serve waiting)
   * writes nothing more than its heartbeat; one whose heartbeat is this frequent already, nothing more at all.
   */
  holdRun(): () => void {
    this.runsHeld++;
    this.signLife();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.runsHeld--;
      this.signLife();
    };
  }

  /** Stamps `alive_at` every LIFE_SIGN_MS while runs are held and the lease is; else not. */
  private signLife(): void {
    const wanted = this.runsHeld > 0 && !this.fenced && this.timing.heartbeatMs > LIFE_SIGN_MS;
    if (wanted && this.lifeSign === undefined) {
      this.lifeSign = setInterval(() => void this.stamp(), LIFE_SIGN_MS);
      this.lifeSign.unref();
    } else if (!wanted && this.lifeSign !== undefined) {
      clearInterval(this.lifeSign);
      this.lifeSign = undefined;
    }
  }

  private async stamp(): Promise<void> {
    // Only on a connection sitting idle: a sign of life never opens one nor waits for one, so it takes
    // nothing from a server short of connections (a role's CONNECTION LIMIT) — there a missed sign dates a
    // crash at the heartbeat, as before.
    if (this.signing || this.fenced || this.pool.idleCount === 0 || this.pool.waitingCount > 0) return;
    this.signing = true;
    try {
      await this.pool.query({ text: `update ${this.table} set alive_at = now() where id = $1`, values: [this.id], query_timeout: LIFE_SIGN_MS } as import('pg').QueryConfig);
    } catch {
      // A sign missed dates a crash a little earlier; whether the lease holds is the heartbeat's to say.
    } finally {
      this.signing = false;
    }
  }

  private async beat(): Promise<void> {
    if (this.beating || this.fenced) return;
    this.beating = true;
    const id = this.id;
    try {
      const { rowCount } = await this.pool.query({
        text: `update ${this.table} set last_seen = now(), running = $2, queue_worker_ids = $3 where id = $1`,
        values: [id, this.running, this.queueWorkerIds],
        // A heartbeat that cannot get through in time counts as missed (the tick above decides when that is fatal).
        query_timeout: this.fenceAfterMs,
      } as import('pg').QueryConfig);
      if (id !== this.id) return;
      if (rowCount === 0) this.lose('another process found its lease lapsed and took its runs over');
      else this.held();
    } catch {
      // Missed; the tick decides.
    } finally {
      this.beating = false;
    }
  }

  private lose(why: string): void {
    if (this.fenced) return;
    this.fenced = true;
    clearInterval(this.timer);
    this.signLife();
    this.onLost(why);
  }

  /** A fresh lease (a new id) after this one was lost; the old one's runs are someone else's to settle. */
  async renew(): Promise<string> {
    const old = this.id;
    this.id = randomUUID();
    await this.insert();
    this.fenced = false;
    this.tick();
    this.signLife();
    const waiters = [...this.renewWaiters];
    this.renewWaiters.clear();
    for (const w of waiters) w();
    return old;
  }

  /**
   * Ends the lease: the row goes, so anything still owned under it counts as crashed at once. A lease whose
   * row never went in (the store could not be opened: its database out of reach) asks nothing: a command
   * against a network that answers nothing waited a second connection timeout (15 s) to say so.
   */
  async end(): Promise<void> {
    clearInterval(this.timer);
    if (this.fenced) return;
    this.fenced = true;
    this.signLife();
    if (this.inserted !== this.id) return;
    await this.pool.query(`delete from ${this.table} where id = $1`, [this.id]).catch(() => undefined);
  }
}
