/**
 * The host's side of concurrency limits: a worker asks before each attempt of a task run with tags, and
 * the gate holds a slot of every limited tag for it — waiting, polling the store, while every slot is
 * held by a live process (a dead one's are taken back by the store). Slots are taken in tag order, so two
 * task runs wanting the same two tags never wait on each other. This process's waiters for a tag take its
 * slots in the order they asked (a map's task runs in the map's order): only the first in line tries the
 * store, and polls it; the others wait to be first. Other processes' waiters are not in that line, but with
 * `line` (a flow's own slots) the processes wait in one of the store's: each process's first waiter holds a
 * ticket there (a lease of the tag's line, `lineTag`), and tries for a slot only while fewer than the free
 * slots are held by tickets taken before its own — so across processes too a slot goes to the one that has
 * waited longest, not to whichever polled first (a newcomer's first poll, its backoff the shortest).
 */
import type { ConcurrencyLimit, Lease, LeaseHolder, LeaseInfo, LimitStore } from './limitStore';
import { LIMIT_TAG, MAX_LIMIT } from './limitStore';

/** How one `acquire` goes, when not as a task run's tags ask. */
export interface AcquireOptions {
  /** These limits, instead of those the store and this host set for the tags (a flow's own `concurrencyLimit`). */
  limits?: readonly ConcurrencyLimit[];
  /** False: no waiting — when a slot is not free at once, nothing is held and `refused` is set. */
  wait?: boolean;
  /** Stops the wait (as `release` of the holder does): `acquire` rejects with its reason. */
  signal?: AbortSignal;
  /** In line with other processes' waiters for the tags (first come, first served across processes). */
  line?: boolean;
}

/** The tag whose leases are the tickets of processes waiting for a slot of `tag` (LIMIT_TAG holds it for a flow's tag). */
export function lineTag(tag: string): string {
  return `${tag}.line`;
}

/** At most this many processes wait in the store's line of a tag at once (more wait outside it, polling). */
const LINE_TICKETS = MAX_LIMIT;

/** A ticket taken before another: by when (each host's clock), then by its place in the line's slots. */
function before(a: LeaseInfo, b: LeaseInfo): boolean {
  return a.since < b.since || (a.since === b.since && a.slot < b.slot);
}

export interface GateOptions {
  /** This host's own limits (the editor's `flowdeck.concurrencyLimits`); where the store has one too, the lower applies. */
  ownLimits?: () => Readonly<Record<string, number>>;
  /** The clock the limits read from the store are aged by (epoch ms); tests move it. */
  now?: () => number;
}

/** How long the limits read from the store are used before they are read again. */
const LIMITS_TTL_MS = 1000;
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

/** A task run of this process in line for a tag's slot. */
interface Waiter {
  /** When it asked: the line's order. */
  readonly seq: number;
  /** Ends its pause: set while it pauses. */
  resume?: () => void;
  /** Woken while not pausing (trying the store): its next pause ends at once, so no wake is lost. */
  woken?: boolean;
}

function wake(w: Waiter | undefined): void {
  if (!w) return;
  if (w.resume) w.resume();
  else w.woken = true;
}

export class ConcurrencyGate {
  private cache?: { at: number; limits: Promise<Map<string, ConcurrencyLimit>> };
  /** The store's limits as last read, to tell a change (which wakes every waiter: each reads them again). */
  private lastRead?: string;
  private readonly held = new Map<string, Lease[]>();
  private readonly waiting = new Map<string, AbortController>();
  /** By tag, this process's waiters in the order they asked; the first tries the store (others' releases are polled). */
  private readonly lines = new Map<string, Waiter[]>();
  /** Slots of each tag this process holds: when it holds them all, only its own release can free one. */
  private readonly heldHere = new Map<string, number>();
  private asked = 0;

  constructor(
    private readonly store: LimitStore,
    private readonly options: GateOptions = {},
  ) {}

  /** The limits that apply to these tags here, by tag. */
  async limitsFor(tags: readonly string[]): Promise<ConcurrencyLimit[]> {
    // One read for the callers of the same moment, answered in the order they called.
    const now = this.options.now ?? Date.now;
    if (!this.cache || now() - this.cache.at > LIMITS_TTL_MS) {
      const limits = this.store.list().then((list) => {
        const read = JSON.stringify(list);
        // Changed (`flowdeck limit set|rm` here or in another process): every waiter here looks again, not
        // only the first in each line — a tag of its own may be stopped, or no longer limited.
        if (this.lastRead !== undefined && this.lastRead !== read) queueMicrotask(() => this.wakeAll());
        this.lastRead = read;
        return new Map(list.map((l) => [l.tag, l]));
      });
      this.cache = { at: now(), limits };
      limits.catch(() => {
        if (this.cache?.limits === limits) this.cache = undefined;
      });
    }
    const stored = await this.cache.limits;
    const own = this.options.ownLimits?.() ?? {};
    const out: ConcurrencyLimit[] = [];
    for (const tag of [...new Set(tags)].sort()) {
      const ownLimit = Object.hasOwn(own, tag) && LIMIT_TAG.test(tag) && Number.isInteger(own[tag]) && own[tag]! >= 1 ? own[tag] : undefined;
      const storedLimit = stored.get(tag);
      // A stored limit that cannot be read stops the tag's task runs (ConcurrencyLimit.unreadable), whatever this host's own.
      if (storedLimit?.unreadable !== undefined) {
        out.push(storedLimit);
        continue;
      }
      const limit = storedLimit === undefined ? ownLimit : ownLimit === undefined ? storedLimit.limit : Math.min(storedLimit.limit, ownLimit);
      if (limit !== undefined) out.push({ tag, limit });
    }
    return out;
  }

  /**
   * Holds a slot of each limited tag for `holder`, waiting while none is free (`onWait` is called once,
   * when it starts waiting). `held` is false when no limit applies, or (`wait: false`) when a slot was not
   * free: then `refused`. A tag limited to 0 lets none go, ever: `stopped` names such tags, nothing held
   * (Prefect's: its task runs are aborted, not delayed). The limits are read again before each try, so a
   * change reaches the task runs waiting: one limited to 0 meanwhile stops them (`stopped`, the slots taken
   * for other tags given back), one lowered is what they wait under, one removed lets them go (without a
   * slot of that tag; a tag limited meanwhile is waited for, if not yet passed). Rejects when `release` is
   * called for the holder meanwhile (its run was cancelled), or `options.signal` fires.
   */
  async acquire(holder: LeaseHolder, tags: readonly string[], onWait: (limits: ConcurrencyLimit[]) => void, options: AcquireOptions = {}): Promise<{ held: boolean; waitedMs: number; refused?: true; stopped?: string[]; unreadable?: string[] }> {
    const seq = ++this.asked;
    const given = options.limits !== undefined ? [...options.limits] : undefined;
    // The limits as they are now (the store's read at most once a second, for every waiter here).
    const current = async (): Promise<ConcurrencyLimit[]> => given ?? (await this.limitsFor(tags));
    let limits = await current();
    if (limits.length === 0) return { held: false, waitedMs: 0 };
    const stopped = stoppedBy(limits);
    if (stopped) return { held: false, waitedMs: 0, ...stopped };
    const key = keyOf(holder);
    const stop = new AbortController();
    this.waiting.set(key, stop);
    const stopWith = (): void => stop.abort(options.signal!.reason);
    if (options.signal?.aborted) stopWith();
    else options.signal?.addEventListener('abort', stopWith, { once: true });
    const leases: Lease[] = [];
    const started = Date.now();
    let waited = false;
    try {
      // In tag order: those limited now, and those limited later before their turn comes.
      for (const tag of given ? given.map((l) => l.tag) : [...new Set(tags)].sort()) {
        if (!limits.some((l) => l.tag === tag)) continue;
        const me: Waiter = { seq };
        const line = this.join(tag, me);
        let ticket: Lease | undefined;
        try {
          for (let poll = FIRST_POLL_MS, tries = 0; ; tries++) {
            stop.signal.throwIfAborted();
            if (tries > 0) limits = await current();
            const now = stoppedBy(limits);
            if (now) {
              await this.give(leases.splice(0));
              return { held: false, waitedMs: waited ? Date.now() - started : 0, ...now };
            }
            const limit = limits.find((l) => l.tag === tag)?.limit;
            // No longer limited: no slot of it to wait for.
            if (limit === undefined) break;
            const first = line[0] === me;
            // Every slot held here: none comes free but by a release here, which wakes the line — the store is
            // not asked (a map under a limit would otherwise fail a try after each slot it got).
            const allHeldHere = (this.heldHere.get(tag) ?? 0) >= limit;
            if (first && !allHeldHere) {
              const place = options.line ? await this.place(tag, limit, ticket) : { turn: true, inLine: false };
              const lease = place.turn ? await this.store.tryAcquire(tag, limit, holder) : undefined;
              if (lease) {
                leases.push(lease);
                this.count(tag, 1);
                break;
              }
              // Waiting: in the store's line, behind the tickets taken before (once, kept while it waits; again
              // should the store have lost it).
              if (options.line && options.wait !== false && !place.inLine) ticket = await this.store.tryAcquire(lineTag(tag), LINE_TICKETS, holder).catch(() => ticket);
            }
            if (!waited) {
              waited = true;
              onWait(limits);
            }
            if (options.wait === false) {
              await this.give(leases.splice(0));
              return { held: false, waitedMs: 0, refused: true };
            }
            // The first in line polls (a slot another process gives back); the others wait their turn.
            await this.pause(me, first ? (allHeldHere ? MAX_POLL_MS : poll) : undefined, stop.signal);
            if (first && !allHeldHere) poll = Math.min(poll * 2, MAX_POLL_MS);
          }
        } finally {
          // Out of the store's line before the next waiter here looks at it.
          if (ticket) await this.store.release(ticket).catch(() => undefined);
          this.leave(tag, me);
        }
      }
    } catch (e) {
      await this.give(leases);
      throw e;
    } finally {
      options.signal?.removeEventListener('abort', stopWith);
      if (this.waiting.get(key) === stop) this.waiting.delete(key);
    }
    const waitedMs = waited ? Date.now() - started : 0;
    if (leases.length === 0) return { held: false, waitedMs };
    this.held.set(key, leases);
    return { held: true, waitedMs };
  }

  /**
   * Whether a waiter may try for a slot of `tag` now, by the store's line (`turn`): while fewer slots are held
   * than the limit less the tickets ahead of its own (every ticket, for a waiter without one: a newcomer goes
   * behind those waiting); and whether its ticket is in the line. Tickets of processes gone do not count
   * (the store's leases are live ones).
   */
  private async place(tag: string, limit: number, ticket: Lease | undefined): Promise<{ turn: boolean; inLine: boolean }> {
    try {
      const tickets = await this.store.leases(lineTag(tag));
      const mine = ticket && tickets.find((t) => t.slot === ticket.slot && t.nonce === ticket.nonce);
      const ahead = mine ? tickets.filter((t) => before(t, mine)).length : tickets.length;
      const turn = ahead === 0 || (await this.store.leases(tag)).length + ahead < limit;
      return { turn, inLine: mine !== undefined };
    } catch {
      // The line unread (the store unreachable a moment): it tries as if nobody waited, and the try says
      // whether the store is there. A wait is not ended by one failed look at the line.
      return { turn: true, inLine: ticket !== undefined };
    }
  }

  /** Gives back the holder's slots, or stops its wait. */
  async release(holder: LeaseHolder): Promise<void> {
    const key = keyOf(holder);
    this.waiting.get(key)?.abort(new Error('The task run stopped waiting for a concurrency slot'));
    const leases = this.held.get(key);
    if (!leases) return;
    this.held.delete(key);
    await this.give(leases);
  }

  /**
   * Gives slots back to the store; the first in each line tries again. Counted as given back even when the
   * store failed to take one: the store stays the judge of what is free, and its waiters ask it again.
   */
  private async give(leases: readonly Lease[]): Promise<void> {
    try {
      await Promise.all(leases.map((l) => this.store.release(l)));
    } finally {
      for (const l of leases) this.count(l.tag, -1);
      this.wakeFirsts();
    }
  }

  private count(tag: string, delta: number): void {
    const n = (this.heldHere.get(tag) ?? 0) + delta;
    if (n > 0) this.heldHere.set(tag, n);
    else this.heldHere.delete(tag);
  }

  /** Gives back everything the task runs of these flow runs hold or wait for (their worker ended). */
  async releaseRuns(runIds: Iterable<string>): Promise<void> {
    const runs = new Set(runIds);
    const keys = [...new Set([...this.held.keys(), ...this.waiting.keys()])].filter((k) => runs.has(k.slice(0, k.indexOf('/'))));
    await Promise.all(keys.map((k) => this.release({ runId: k.slice(0, k.indexOf('/')), taskRunId: k.slice(k.indexOf('/') + 1) })));
  }

  /** Puts `me` in `tag`'s line by the order it asked (one that asked earlier may join later: its limits read last). */
  private join(tag: string, me: Waiter): Waiter[] {
    let line = this.lines.get(tag);
    if (!line) this.lines.set(tag, (line = []));
    let at = line.length;
    while (at > 0 && line[at - 1]!.seq > me.seq) at--;
    line.splice(at, 0, me);
    return line;
  }

  /** Takes `me` out of `tag`'s line; the one first after it tries at once (another slot may be free). */
  private leave(tag: string, me: Waiter): void {
    const line = this.lines.get(tag);
    if (!line) return;
    const at = line.indexOf(me);
    if (at >= 0) line.splice(at, 1);
    if (line.length === 0) this.lines.delete(tag);
    else if (at === 0) wake(line[0]);
  }

  /** Waits until woken, the signal fires, or (when given) `ms` have passed. */
  private pause(me: Waiter, ms: number | undefined, signal: AbortSignal): Promise<void> {
    if (me.woken) {
      me.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        me.resume = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      me.resume = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A slot was given back here: the first in each line tries again. */
  private wakeFirsts(): void {
    for (const line of [...this.lines.values()]) wake(line[0]);
  }

  /** The limits changed: every waiter here looks at them again (those not first go back to waiting their turn). */
  private wakeAll(): void {
    for (const line of [...this.lines.values()]) for (const w of line) wake(w);
  }
}

/** The tags limited to 0 (none: undefined): a task run carrying one is not run. */
/** The tags limited to 0 (and what is wrong with those whose limit cannot be read), if any. */
function stoppedBy(limits: readonly ConcurrencyLimit[]): { stopped: string[]; unreadable?: string[] } | undefined {
  const stopped = limits.filter((l) => l.limit === 0);
  if (stopped.length === 0) return undefined;
  const unreadable = stopped.flatMap((l) => l.unreadable ?? []);
  return { stopped: stopped.map((l) => l.tag), ...(unreadable.length > 0 ? { unreadable } : {}) };
}

function keyOf(holder: LeaseHolder): string {
  return `${holder.runId}/${holder.taskRunId}`;
}
