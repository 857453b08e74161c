/**
 * Opens the run store the environment points at: Postgres when FLOWDECK_STORE (or the `store` option:
 * `--store`, the `flowdeck.store` setting) is a `postgres://` URL, else the embedded store under FLOWDECK_HOME.
 */
import { EmbeddedStore, type EmbeddedStoreOptions } from './embeddedStore';
import { leaseFromEnv, type HostKind, type LeaseTiming } from './postgres/hostLease';
import { loadPostgres } from './postgres/load';
import type { PoolUse } from './postgres/poolSize';
import { checkSchemaName } from './postgres/schemaName';
import type { RunStore } from './runStore';
import { StoreUrlError } from './storeErrors';
import { defaultHome, prepareHome } from './storeHome';

export interface OpenStoreOptions extends EmbeddedStoreOptions {
  /** The store folder; FLOWDECK_HOME or ~/.flowdeck when unset. With Postgres, the local folder for compiled flows and results in transit. */
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** A `postgres://` URL; FLOWDECK_STORE when unset; empty or unset means the embedded store. */
  store?: string;
  /** With Postgres: what this process is (workers list), its host name, its lease. */
  kind?: HostKind;
  hostname?: string;
  lease?: LeaseTiming;
  worker?: { queue: string; concurrency: number };
  onLeaseLost?: (why: string) => void;
  /** With Postgres: how many connections the process keeps, and how long idle (postgres/poolSize.ts). */
  pool?: PoolUse;
  /** With Postgres: said once when the server has no free connection and the store waits for one. */
  onConnectionWait?: (message: string) => void;
  /** With Postgres: the opening given up when it fires (Ctrl-C), its statements cancelled on the server; it rejects with the signal's reason (PgStoreOptions.signal). */
  signal?: AbortSignal;
}

/** The Postgres URL a process uses, or undefined for the embedded store. Throws for a value that is neither. */
export function storeUrl(options: Pick<OpenStoreOptions, 'store' | 'env'>): string | undefined {
  const value = (options.store ?? (options.env ?? process.env).FLOWDECK_STORE ?? '').trim();
  if (value === '') return undefined;
  if (!/^postgres(?:ql)?:\/\//i.test(value)) {
    throw new StoreUrlError('FLOWDECK_STORE (or --store, or the flowdeck.store setting) must be a postgres:// URL, like postgres://user@host/db; leave it empty for the embedded store under FLOWDECK_HOME');
  }
  return value;
}

export async function openStore(options: OpenStoreOptions = {}): Promise<RunStore> {
  const env = options.env ?? process.env;
  const home = options.home ?? defaultHome(env);
  const url = storeUrl(options);
  if (url === undefined) return EmbeddedStore.open(home, options);
  const schema = env.FLOWDECK_STORE_SCHEMA ? checkSchemaName(env.FLOWDECK_STORE_SCHEMA, 'FLOWDECK_STORE_SCHEMA') : undefined;
  // The local folder still holds results on their way into the database: one that cannot is said now (exit 2),
  // as for the embedded store, not by each run with a large result failing on it.
  if (!options.readOnly) await prepareHome(home, 'write');
  return loadPostgres().PgStore.open(url, {
    home,
    schema,
    lease: options.lease ?? leaseFromEnv(env),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
    ...(options.hostname ? { hostname: options.hostname } : {}),
    ...(options.worker ? { worker: options.worker } : {}),
    ...(options.onLeaseLost ? { onLeaseLost: options.onLeaseLost } : {}),
    ...(options.detectCrashed === false ? { detectCrashed: false } : {}),
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.onConnectionWait ? { onConnectionWait: options.onConnectionWait } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
