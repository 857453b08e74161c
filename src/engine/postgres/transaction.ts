/**
 * A Postgres transaction: `work` runs between `begin` and `commit`, and a throw rolls it back (and is thrown
 * on). Work that finds nothing to do returns: committing a transaction that wrote nothing is its rollback.
 */
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';

/** In a transaction on `client`, which stays the caller's. */
export async function inTransaction<T>(client: PoolClient, work: (client: PoolClient) => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
}

/** In a transaction on a client of its own (`connect`: a pool's), released after. */
export async function transaction<T>(connect: () => Promise<PoolClient>, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect();
  try {
    return await inTransaction(client, work);
  } finally {
    client.release();
  }
}

/**
 * As `transaction` on a client of `pool`, given up when `signal` fires (Ctrl-C): the statement the server is
 * running (one waiting on a lock another session holds) is cancelled there (pg_cancel_backend, from another
 * of the pool's connections), nothing is committed, and the call rejects with the signal's reason at once. A
 * commit already sent is not undone: the call then resolves, its work done. The connection is closed after,
 * never given back: the cancel may still be on its way to it.
 */
export async function abortableTransaction<T>(pool: Pool, signal: AbortSignal | undefined, work: (client: PoolClient) => Promise<T>): Promise<T> {
  if (!signal) return transaction(() => pool.connect(), work);
  return onAbortableClient(pool, signal, async (client) => {
    await client.query('begin');
    try {
      const result = await work(client);
      signal.throwIfAborted();
      await client.query('commit');
      return result;
    } catch (e) {
      // Given up: the connection closes with its transaction, which the server rolls back.
      if (signal.aborted) throw e;
      await client.query('rollback').catch(() => undefined);
      throw e;
    }
  });
}

/**
 * One statement on a client of `pool`, given up when `signal` fires as `abortableTransaction` is: cancelled on
 * the server, it rejects with the signal's reason. One the server had done stands: its rows are returned.
 */
export async function abortableQuery<R extends QueryResultRow>(pool: Pool, signal: AbortSignal, sql: string, params: unknown[]): Promise<QueryResult<R>> {
  return onAbortableClient(pool, signal, (client) => client.query<R>(sql, params));
}

/** `use` of a client of `pool` whose statement is cancelled on the server when `signal` fires; its failure then rejects with the signal's reason. */
async function onAbortableClient<T>(pool: Pool, signal: AbortSignal, use: (client: PoolClient) => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const client = await pool.connect();
  // The server's process for this connection (pg's Client knows it from the connection's start).
  const pid = (client as { processID?: number | null }).processID;
  const cancel = (): void => {
    if (typeof pid === 'number') void pool.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    signal.throwIfAborted();
    return await use(client);
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw e;
  } finally {
    signal.removeEventListener('abort', cancel);
    client.release(signal.aborted ? true : undefined);
  }
}
