/**
 * Task results kept for caching, in Postgres: the same contract as the file cache (values arrive
 * serialized and masked; the key is kept only as its hash; expiry by the injected clock).
 */
import type { Pool } from 'pg';
import type { Clock } from '../clock';
import { keyHash, type ResultCache } from '../resultCache';

export class PgResultCache implements ResultCache {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>(`select value from ${this.table} where key_hash = $1 and (expires_at is null or expires_at > $2)`, [keyHash(key), this.clock.now()]);
    return rows[0]?.value;
  }

  async put(key: string, serialized: string, expiresAt?: number): Promise<void> {
    await this.pool.query(`insert into ${this.table} (key_hash, value, expires_at) values ($1, $2, $3) on conflict (key_hash) do update set value = excluded.value, expires_at = excluded.expires_at`, [
      keyHash(key),
      serialized,
      expiresAt ?? null,
    ]);
  }

  async purge(): Promise<number> {
    const { rowCount } = await this.pool.query(`delete from ${this.table} where expires_at is not null and expires_at <= $1`, [this.clock.now()]);
    return rowCount ?? 0;
  }
}
