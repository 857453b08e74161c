/**
 * The statements a pool's connections are running, cancelled on the server when a signal fires: for work
 * spread over many statements and helpers (the store's opening: its migrations, its lease, its look for
 * crashed runs) that is given up as a whole (Ctrl-C). A statement waiting on a lock another session holds
 * then fails at once instead of waiting in the lock's queue, which a client's end alone does not leave.
 */
import type { Pool, PoolClient } from 'pg';

/** Cancels, once `signal` fires, what every connection `pool` opened (from now on) is running; call what this returns to stop. */
export function cancelPoolOnAbort(pool: Pool, signal: AbortSignal): () => void {
  // The server's process of each connection (pg's Client knows it from the connection's start).
  const pids = new Set<number>();
  const opened = (client: PoolClient): void => {
    const pid = (client as { processID?: number | null }).processID;
    if (typeof pid === 'number') pids.add(pid);
  };
  const removed = (client: PoolClient): void => {
    const pid = (client as { processID?: number | null }).processID;
    if (typeof pid === 'number') pids.delete(pid);
  };
  const cancel = (): void => {
    // From another of the pool's connections; one that runs nothing is left as it is.
    if (pids.size > 0) void pool.query('select pg_cancel_backend(p) from unnest($1::int[]) p', [[...pids]]).catch(() => undefined);
  };
  pool.on('connect', opened);
  pool.on('remove', removed);
  signal.addEventListener('abort', cancel, { once: true });
  return () => {
    pool.off('connect', opened);
    pool.off('remove', removed);
    signal.removeEventListener('abort', cancel);
  };
}
