/**
 * Postgres for tests: FLOWDECK_TEST_PG_URL names a database (`bash test/support/pg-up.sh` starts one and
 * prints it). Each test gets a schema of its own, dropped afterwards, so test files run side by side.
 * Without the variable, Postgres tests skip saying so — except in CI (CI=true), where they fail.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Client } from 'pg';
import { waitFor } from './engine';

export const PG_URL = process.env.FLOWDECK_TEST_PG_URL;

/** Why Postgres tests cannot run here; undefined when they can (and always in CI: a missing server fails there). */
export const PG_SKIP: string | undefined =
  PG_URL || process.env.CI === 'true' ? undefined : 'no Postgres: set FLOWDECK_TEST_PG_URL (export FLOWDECK_TEST_PG_URL=$(bash test/support/pg-up.sh | tail -n 1))';

export function pgUrl(): string {
  if (!PG_URL) throw new Error('FLOWDECK_TEST_PG_URL is not set: CI must start Postgres (bash test/support/pg-up.sh) before the tests');
  return PG_URL;
}

const schemas: string[] = [];
after(async () => {
  if (schemas.length === 0 || !PG_URL) return;
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade; drop schema if exists "${s}_queue" cascade`);
  } finally {
    await client.end();
  }
});

const databases: string[] = [];
after(async () => {
  if (databases.length === 0 || !PG_URL) return;
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const d of databases) await client.query(`drop database if exists "${d}" with (force)`);
  } finally {
    await client.end();
  }
});

/**
 * A database of its own for tests whose workers must not hear other test files: graphile-worker announces
 * every job added (`jobs:insert`) and every breaking migration (`worker:migrate`) of any schema to the whole
 * database. Workers now hear only their own store's migrations (src/engine/postgres/ownMigrations.ts; the
 * workers.migrate test checks it in the shared database); the kill and network tests keep a database of
 * their own so that no other file's traffic reaches the processes they time. Dropped when the file's tests end.
 */
export async function ownDatabaseUrl(): Promise<string> {
  const name = `t_db_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  databases.push(name);
  const url = new URL(pgUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh schema name for one test's store (dropped, with its queue schema, when the file's tests end). */
export function freshSchema(): string {
  const s = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
}

/** Waits (bounded) until the lease `id` in `schema` has lapsed by the database's clock: its process counts as dead. */
export async function leaseLapsed(schema: string, id: string, timeoutMs = 20_000): Promise<void> {
  const client = new Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    await waitFor(async () => (await client.query(`select 1 from "${schema}".hosts where id = $1 and last_seen >= now() - lease_ms * interval '1 millisecond'`, [id])).rowCount === 0, `lease ${id} to lapse`, timeoutMs);
  } finally {
    await client.end();
  }
}
