/**
 * A Postgres transaction: `work` runs between `begin` and `commit`, and a throw rolls it back (and is thrown
 * on). Work that finds nothing to do returns: committing a transaction that wrote nothing is its rollback.
 */
import type { PoolClient } from 'pg';

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
