/**
 * Task results kept for caching, in Postgres: the same contract as the file cache (values arrive
 * serialized and masked; the key is kept only as its hash; expiry by the injected clock).
 */
import type { Clock } from '../clock';
import type { PgStore } from './pgStore';
import { MAX_CACHE_ENTRIES_LISTED, cachedByFields, keyHash, type CacheEntry, type CachedBy, type ResultCache } from '../resultCache';

export class PgResultCache implements ResultCache {
  constructor(
    private readonly store: PgStore,
    private readonly clock: Clock,
  ) {}

  private get table(): string {
    return this.store.t('cache');
  }

  async get(key: string): Promise<string | undefined> {
    const rows = await this.store.rows<{ value: string }>(`select value from ${this.table} where key_hash = $1 and (expires_at is null or expires_at > $2)`, [keyHash(key), this.clock.now()], 'read the result cache');
    return rows[0]?.value;
  }

  async put(key: string, serialized: string, expiresAt?: number, by?: CachedBy): Promise<void> {
    const { task, runId } = cachedByFields(by);
    await this.store.rows(
      `insert into ${this.table} (key_hash, value, expires_at, task_name, run_id, created) values ($1, $2, $3, $4, $5, $6)
       on conflict (key_hash) do update set value = excluded.value, expires_at = excluded.expires_at, task_name = excluded.task_name, run_id = excluded.run_id, created = excluded.created`,
      [keyHash(key), serialized, expiresAt ?? null, task ?? null, runId ?? null, this.clock.now()],
      'keep a result in the cache',
    );
  }

  async entries(): Promise<CacheEntry[]> {
    const rows = await this.store.rows<{ key_hash: string; task_name: string | null; run_id: string | null; created: string | null; expires_at: string | null; bytes: number }>(
      `select key_hash, task_name, run_id, created, expires_at, octet_length(value) as bytes from ${this.table} order by created desc nulls last, key_hash limit $1`,
      [MAX_CACHE_ENTRIES_LISTED],
      'list the result cache',
    );
    return rows.map((r) => {
      const e: CacheEntry = { keyHash: r.key_hash, bytes: Number(r.bytes) };
      if (r.task_name !== null) e.task = r.task_name;
      if (r.run_id !== null) e.runId = r.run_id;
      if (r.created !== null) e.created = Number(r.created);
      if (r.expires_at !== null) e.expiresAt = Number(r.expires_at);
      return e;
    });
  }

  async remove(keyHashes: readonly string[]): Promise<number> {
    let removed = 0;
    for (let i = 0; i < keyHashes.length; i += 10_000) {
      const rows = await this.store.rows(`delete from ${this.table} where key_hash = any($1::text[]) returning key_hash`, [keyHashes.slice(i, i + 10_000)], 'remove results from the cache');
      removed += rows.length;
    }
    return removed;
  }

  async purge(): Promise<number> {
    const rows = await this.store.rows(`delete from ${this.table} where expires_at is not null and expires_at <= $1 returning key_hash`, [this.clock.now()], 'purge the result cache');
    return rows.length;
  }
}
