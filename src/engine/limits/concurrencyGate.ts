/**
 * The host's side of concurrency limits: a worker asks before each attempt of a task run with tags, and
 * the gate holds a slot of every limited tag for it — waiting, polling the store, while every slot is
 * held by a live process (a dead one's are taken back by the store). Slots are taken in tag order, so two
 * task runs wanting the same two tags never wait on each other.
 */
import type { ConcurrencyLimit, Lease, LeaseHolder, LimitStore } from './limitStore';
import { LIMIT_TAG } from './limitStore';

export interface GateOptions {
  /** This host's own limits (the editor's `flowdeck.concurrencyLimits`); where the store has one too, the lower applies. */
  ownLimits?: () => Readonly<Record<string, number>>;
}

/** How long the limits read from the store are used before they are read again. */
const LIMITS_TTL_MS = 1000;
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

export class ConcurrencyGate {
  private cache?: { at: number; limits: Map<string, number> };
  private readonly held = new Map<string, Lease[]>();
  private readonly waiting = new Map<string, AbortController>();
  /** Waiters of this process, woken when it gives a slot back (other processes' releases are polled). */
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly store: LimitStore,
    private readonly options: GateOptions = {},
  ) {}

  /** The limits that apply to these tags here, by tag. */
  async limitsFor(tags: readonly string[]): Promise<ConcurrencyLimit[]> {
    if (!this.cache || Date.now() - this.cache.at > LIMITS_TTL_MS) {
      this.cache = { at: Date.now(), limits: new Map((await this.store.list()).map((l) => [l.tag, l.limit])) };
    }
    const own = this.options.ownLimits?.() ?? {};
    const out: ConcurrencyLimit[] = [];
    for (const tag of [...new Set(tags)].sort()) {
      const ownLimit = Object.hasOwn(own, tag) && LIMIT_TAG.test(tag) && Number.isInteger(own[tag]) && own[tag]! >= 1 ? own[tag] : undefined;
      const stored = this.cache.limits.get(tag);
      const limit = stored === undefined ? ownLimit : ownLimit === undefined ? stored : Math.min(stored, ownLimit);
      if (limit !== undefined) out.push({ tag, limit });
    }
    return out;
  }

  /**
   * Holds a slot of each limited tag for `holder`, waiting while none is free (`onWait` is called once,
   * when it starts waiting). `held` is false when no limit applies. Rejects when `release` is called
   * for the holder meanwhile (its run was cancelled).
   */
  async acquire(holder: LeaseHolder, tags: readonly string[], onWait: (limits: ConcurrencyLimit[]) => void): Promise<{ held: boolean; waitedMs: number }> {
    const limits = await this.limitsFor(tags);
    if (limits.length === 0) return { held: false, waitedMs: 0 };
    const key = keyOf(holder);
    const stop = new AbortController();
    this.waiting.set(key, stop);
    const leases: Lease[] = [];
    const started = Date.now();
    let waited = false;
    try {
      for (const { tag, limit } of limits) {
        for (let poll = FIRST_POLL_MS; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
          stop.signal.throwIfAborted();
          const lease = await this.store.tryAcquire(tag, limit, holder);
          if (lease) {
            leases.push(lease);
            break;
          }
          if (!waited) {
            waited = true;
            onWait(limits);
          }
          await this.pause(poll, stop.signal);
        }
      }
    } catch (e) {
      await Promise.all(leases.map((l) => this.store.release(l)));
      this.wakeAll();
      throw e;
    } finally {
      if (this.waiting.get(key) === stop) this.waiting.delete(key);
    }
    this.held.set(key, leases);
    return { held: true, waitedMs: waited ? Date.now() - started : 0 };
  }

  /** Gives back the holder's slots, or stops its wait. */
  async release(holder: LeaseHolder): Promise<void> {
    const key = keyOf(holder);
    this.waiting.get(key)?.abort(new Error('The task run stopped waiting for a concurrency slot'));
    const leases = this.held.get(key);
    if (!leases) return;
    this.held.delete(key);
    await Promise.all(leases.map((l) => this.store.release(l)));
    this.wakeAll();
  }

  /** Gives back everything the task runs of these flow runs hold or wait for (their worker ended). */
  async releaseRuns(runIds: Iterable<string>): Promise<void> {
    const runs = new Set(runIds);
    const keys = [...new Set([...this.held.keys(), ...this.waiting.keys()])].filter((k) => runs.has(k.slice(0, k.indexOf('/'))));
    await Promise.all(keys.map((k) => this.release({ runId: k.slice(0, k.indexOf('/')), taskRunId: k.slice(k.indexOf('/') + 1) })));
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

function keyOf(holder: LeaseHolder): string {
  return `${holder.runId}/${holder.taskRunId}`;
}
