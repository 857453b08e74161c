/**
 * The store's pool as graphile-worker is given it (queueWorker.ts): a connection asked for while the database
 * is unreachable is waited for, trying again with a growing pause, instead of failing at once.
 *
 * graphile-worker completes (and fails) a job without awaiting it: `completeJob(job)` in its worker loop is
 * a promise nobody catches, and the retries under it (`withRetries`) try again only on a few error codes —
 * not ECONNREFUSED, ECONNRESET nor "Connection terminated". So a job that ended while the database was away
 * (a run killed as its worker lost its lease, in an outage longer than 60% of the lease) rejected unhandled
 * and Node ended the worker. Waiting here, its completion goes through once the database answers; its other
 * calls (taking jobs) wait the same way rather than failing and trying again themselves. Its LISTEN
 * connection (`connect(callback)`) is left as it was: graphile-worker reconnects it itself.
 *
 * Once the queue is stopping, a connection fails at once as before, so that stopping never waits on a
 * database that is gone.
 */
import type { Pool, PoolClient } from 'pg';
import { isUnreachable } from './connection';

const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5000;

export interface WaitingPoolOptions {
  /** True once the queue is stopping: connections then fail at once. */
  stopping(): boolean;
  /** Said once as the database is found unreachable, and once as it answers again. */
  say(message: string): void;
}

export function waitingPool(pool: Pool, options: WaitingPoolOptions): Pool {
  let away = false;
  const connect = async (): Promise<PoolClient> => {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
      try {
        const client = await pool.connect();
        if (away) {
          away = false;
          options.say('the database answers again: the queue goes on');
        }
        return client;
      } catch (e) {
        if (options.stopping() || !isUnreachable(e)) throw e;
        if (!away) {
          away = true;
          options.say(`the database is unreachable (${(e as Error).message}): the queue waits for it, finishing jobs that ended once it answers`);
        }
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  };
  return new Proxy(pool, {
    get(target, key) {
      if (key === 'connect') return (...args: unknown[]) => (args.length > 0 ? (target.connect as (...a: unknown[]) => unknown)(...args) : connect());
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
