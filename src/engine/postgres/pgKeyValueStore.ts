/** Small values flows keep across runs (`getRunContext().kv`), in Postgres: keys hashed, values bounded. */
import type { Pool } from 'pg';
import { MAX_KV_VALUE_BYTES, type KeyValueStore } from '../keyValueStore';
import { keyHash } from '../resultCache';

export class PgKeyValueStore implements KeyValueStore {
  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  async get(namespace: string, key: string): Promise<unknown> {
    const { rows } = await this.pool.query<{ value: { v: unknown } }>(`select value from ${this.table} where namespace = $1 and key_hash = $2`, [namespace, keyHash(key)]);
    return rows[0]?.value.v;
  }

  async set(namespace: string, key: string, value: unknown): Promise<void> {
    // Wrapped, so any JSON value (a bare string, null) round-trips through jsonb as it was.
    const text = JSON.stringify({ v: value });
    if (Buffer.byteLength(text) > MAX_KV_VALUE_BYTES) throw new RangeError(`kv value for '${namespace}' is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_KV_VALUE_BYTES} (keep large data in task results)`);
    await this.pool.query(`insert into ${this.table} (namespace, key_hash, value) values ($1, $2, $3::jsonb) on conflict (namespace, key_hash) do update set value = excluded.value`, [namespace, keyHash(key), text]);
  }
}
