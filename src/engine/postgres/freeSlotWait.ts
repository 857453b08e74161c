/**
 * Waiting for a free connection slot when the server has none: past a role's `CONNECTION LIMIT`, the
 * database's, or `max_connections`, Postgres refuses a new connection ("too many connections for role …",
 * SQLSTATE 53300; 53400 for another configured limit), and one that is shutting down or starting up says so
 * (57P03: a restart, waited for the same way, and said as such).
 * node-postgres fails such a connection at once — so a burst of `flowdeck run`s started together against a
 * small limit ended some of them with "could not open the run store" (exit 2), though a slot was free a
 * moment later.
 *
 * A connection refused so is tried again, on those answers alone, with a growing pause randomised between
 * processes (p-retry: 100 ms doubling to at most 2 s, times 1–2), for at most `waitMs` in all; then the
 * last refusal is thrown, saying how long it waited and what to do. One FreeSlotWait serves a store's pool
 * (slotWaitingPool.ts) and its LISTEN connection (changeFeed.ts), so the wait is said once per process.
 */
import pRetry from 'p-retry';
import { shareErrorClass } from '../sharedErrorClass';

/** SQLSTATEs of a server with no free slot for one more connection now, which may have one soon. */
const NO_FREE_SLOT = new Set(['53300', '53400', '57P03']);
/** The server is shutting down or starting up (a restart): it has no connection limit to raise. */
const RESTARTING = '57P03';

/** How long one connection waits for a free slot, in all, by default. */
export const CONNECTION_WAIT_MS = 60_000;

export function isNoFreeSlot(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NO_FREE_SLOT.has(code);
}

/** What a connection refused so waits for, by the refusal's code. */
function awaited(code: string | undefined): string {
  return code === RESTARTING ? 'the server to take connections again' : 'a free connection';
}

/** What is said as a connection first waits, refused by `error` (the server's words), for at most `waitMs`. */
export function waitText(error: Error & { code?: string }, waitMs: number): string {
  const server = error.code === RESTARTING ? 'the Postgres server is shutting down or starting up' : 'the Postgres server has no free connection for this process';
  return `${server} (${error.message}): it waits for ${awaited(error.code)}, up to ${Math.round(waitMs / 1000)} s`;
}

/** A server that still had no free slot after the whole wait: its own code and words, and what to do. */
export class NoFreeSlotError extends Error {
  override readonly name = 'NoFreeSlotError';
  readonly code: string | undefined;
  constructor(cause: Error & { code?: string }, waitedMs: number) {
    const todo =
      cause.code === RESTARTING
        ? 'Check that the Postgres server is up, or run the command again once it is'
        : "Raise the limit (ALTER ROLE … CONNECTION LIMIT, ALTER DATABASE … CONNECTION LIMIT, or the server's max_connections), start fewer flowdeck processes at once, or run the command again later";
    super(`${cause.message}, still after waiting ${Math.round(waitedMs / 1000)} s for ${awaited(cause.code)}. ${todo}`, { cause });
    this.code = cause.code;
  }
}
shareErrorClass(NoFreeSlotError, 'NoFreeSlotError');

export interface FreeSlotWaitOptions {
  /** At most this long in all per connection (default CONNECTION_WAIT_MS). */
  waitMs?: number;
  /** Said once, the first time a connection waits, with the server's words. */
  onWait?: (message: string) => void;
}

export class FreeSlotWait {
  private said = false;
  readonly waitMs: number;

  constructor(private readonly options: FreeSlotWaitOptions = {}) {
    this.waitMs = options.waitMs ?? CONNECTION_WAIT_MS;
  }

  /**
   * `connect()`, again while the server has no free slot (and not `stopping()`), for at most waitMs.
   * `onWait` is called as it first waits; what it returns, once it is done waiting (connected or not).
   */
  async connect<T>(connect: () => Promise<T>, stopping: () => boolean = () => false, onWait?: () => () => void): Promise<T> {
    const started = performance.now();
    let waitEnded: (() => void) | undefined;
    try {
      return await pRetry(connect, {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 100,
        factor: 2,
        maxTimeout: 2000,
        randomize: true,
        maxRetryTime: this.waitMs,
        shouldRetry: ({ error }) => isNoFreeSlot(error) && !stopping(),
        onFailedAttempt: ({ error }) => {
          if (!isNoFreeSlot(error) || stopping()) return;
          waitEnded ??= onWait?.() ?? (() => undefined);
          if (this.said) return;
          this.said = true;
          this.options.onWait?.(waitText(error as Error & { code?: string }, this.waitMs));
        },
      });
    } catch (e) {
      if (isNoFreeSlot(e) && !stopping()) throw new NoFreeSlotError(e as Error & { code?: string }, performance.now() - started);
      throw e;
    } finally {
      waitEnded?.();
    }
  }
}
