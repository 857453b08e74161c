/**
 * The Postgres store's schema, as numbered migrations. Every process that opens the store applies the
 * ones its database lacks, all in one transaction under an advisory lock: two processes starting at once
 * never both migrate, and a failed migration leaves the schema as it was. A new kind of stored state (the
 * schedules' slots, concurrency limits) is a new entry at the end; an applied entry never changes.
 */
import type { PoolClient } from 'pg';
import { checkSchemaName } from './schemaName';
import { inTransaction } from './transaction';

export interface Migration {
  version: number;
  name: string;
  /** SQL with `:S` standing for the store's (quoted) schema. */
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, journals, results, hosts, claims, cache, key-value',
    sql: `
      -- Processes using the store (workers, CLI runs, editors): a run's owner is alive while its row is fresh.
      create table :S.hosts (
        id uuid primary key,
        hostname text not null,
        pid integer not null,
        kind text not null check (kind in ('worker', 'cli', 'editor')),
        queue text,
        concurrency integer,
        running integer not null default 0,
        queue_worker_ids text[] not null default '{}',
        -- How long after its last heartbeat the host counts as gone (each host says its own).
        lease_ms integer not null,
        started_at timestamptz not null default now(),
        last_seen timestamptz not null default now()
      );

      -- The run index: one row per run, its latest state and a per-run sequence number.
      create table :S.runs (
        id text primary key,
        name text not null unique,
        flow_name text not null,
        source text not null,
        parent_run_id text,
        parent_task_run_id text,
        created bigint not null,
        seq bigint not null default 0,
        state jsonb not null,
        state_type text not null,
        start_time bigint,
        end_time bigint,
        attempt integer not null default 1,
        owner jsonb not null,
        -- The hosts row of the process running it; null while it waits for a worker.
        owner_session uuid,
        trigger jsonb,
        resume_on_crash boolean not null default false,
        source_hash text,
        -- The flow's retries, learnt when a worker loads it: how many attempts a crash may resume.
        retries integer,
        queue text,
        cancel_reason text,
        journal_seq bigint not null default 0
      );
      create index runs_newest on :S.runs (created desc, id);
      create index runs_parent on :S.runs (parent_run_id) where parent_run_id is not null;
      create index runs_unfinished on :S.runs (owner_session) where state_type not in ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED');

      -- A run's journal: its records as the very lines the worker sent (already masked), in order.
      create table :S.records (
        run_id text not null references :S.runs (id) on delete cascade,
        seq bigint not null,
        kind text not null,
        line text not null,
        primary key (run_id, seq)
      );

      -- Results too large for a journal line, moved here from the worker's results folder.
      create table :S.results (
        run_id text not null references :S.runs (id) on delete cascade,
        file text not null,
        content text not null,
        primary key (run_id, file)
      );

      create table :S.claims (
        key text primary key,
        session uuid,
        claimed_at timestamptz not null default now()
      );

      -- Keys are kept only as hashes: a key may hold a secret.
      create table :S.cache (
        key_hash text primary key,
        value text not null,
        expires_at bigint
      );
      create table :S.kv (
        namespace text not null,
        key_hash text not null,
        value jsonb not null,
        primary key (namespace, key_hash)
      );
    `,
  },
  {
    version: 2,
    name: 'artifact keys of a run',
    sql: `
      -- The keys of the artifacts a run published, as the embedded index keeps them (the artifacts are journal records).
      alter table :S.runs add column artifact_keys text[];
    `,
  },
  {
    version: 3,
    name: 'schedules, slot claims, concurrency limits and their leases',
    sql: `
      -- Schedules added without editing code (schedule_paused and schedule_seen also name schedules declared in flow files).
      create table :S.schedules (
        id text primary key,
        flow_name text not null,
        source text not null,
        schedule jsonb not null,
        created bigint not null
      );
      create table :S.schedule_paused (id text primary key);
      -- When a scheduler first saw a schedule: the first insert wins.
      create table :S.schedule_seen (id text primary key, at bigint not null);
      -- A slot's claim: the primary key lets one process have it; session is the claimant's hosts row,
      -- so a claimant whose lease lapsed is dead.
      create table :S.schedule_slots (
        schedule_id text not null,
        slot bigint not null,
        session uuid not null,
        owner jsonb not null,
        claimed_at timestamptz not null default now(),
        primary key (schedule_id, slot)
      );

      create table :S.limits (
        tag text primary key,
        max_running integer not null check (max_running >= 1)
      );
      -- Slot n of a tag, held by one task run of the process whose lease is session.
      create table :S.limit_leases (
        tag text not null,
        slot integer not null,
        nonce text not null,
        session uuid not null,
        owner jsonb not null,
        run_id text not null,
        task_run_id text not null,
        since bigint not null,
        primary key (tag, slot)
      );
    `,
  },
  {
    version: 4,
    name: "a cancel asked of a run's resume before it took the run over",
    sql: `
      -- Set on an attempt's claim (attempt:<run>:<n>) by a cancel that finds the run ended and its resume loading.
      alter table :S.claims add column cancel_reason text;
    `,
  },
  {
    version: 5,
    name: 'the input of a request to resume a paused run',
    sql: `
      -- Set by a resume request (pauseFlowRun) for the process running the run, which clears it as it takes it.
      alter table :S.runs add column resume_input text;
    `,
  },
  {
    version: 6,
    name: 'variables',
    sql: `
      -- Named JSON values flows read and people set (flowdeck variable set): the value's JSON text, kept as
      -- written (jsonb would reorder an object's keys).
      create table :S.variables (
        name text primary key,
        value text not null,
        updated bigint not null
      );
    `,
  },
  {
    version: 7,
    name: 'what a cached result is of',
    sql: `
      -- The task and run a cached result is of, and when it was cached: flowdeck cache ls|clear.
      alter table :S.cache add column task_name text, add column run_id text, add column created bigint;
      create index cache_task_name on :S.cache (task_name);
    `,
  },
  {
    version: 8,
    name: 'run tags',
    sql: `
      -- A run's tags (its flow's and those it was started with): flowdeck runs --tag.
      alter table :S.runs add column tags text[];
      create index runs_tags on :S.runs using gin (tags);
    `,
  },
  {
    version: 9,
    name: 'a concurrency limit of 0',
    sql: `
      -- A limit of 0 stops its tag's task runs at once (Prefect's): flowdeck limit set api 0.
      alter table :S.limits drop constraint if exists limits_max_running_check;
      alter table :S.limits add constraint limits_max_running_check check (max_running >= 0);
    `,
  },
  {
    version: 10,
    name: 'the timezone a schedule was first seen in',
    sql: `
      -- The timezone of the scheduler that first saw the schedule: a cron declared in a flow file without a
      -- timezone is read in it by every machine on the store (null: seen first by an older Flowdeck).
      alter table :S.schedule_seen add column zone text;
    `,
  },
  {
    version: 11,
    name: "an artifact's line without its data",
    sql: `
      -- An artifact's journal line without its data but the data's kind (artifactHead.ts), written with the
      -- line: flowdeck runs --json and inspect read it instead, the data (up to 1 MiB a table) left here.
      -- Null for every other record, and for a line that is not an artifact of a kind once parsed (read whole).
      alter table :S.records add column artifact_head text;

      -- The heads of the artifacts already here: one pass over the table, each artifact's line parsed once
      -- (other records' lines are not), its row rewritten (the line itself not copied). A line Postgres
      -- cannot parse (not JSON, or with a NUL character, which jsonb refuses) keeps no head and is read
      -- whole as before: never a failed migration. About 20 s for 1 GB of artifacts (README, Postgres).
      create function :S.artifact_head_of(line text) returns text language plpgsql as $f$
      declare
        v jsonb;
      begin
        v := line::jsonb;
        if jsonb_typeof(v) is distinct from 'object' or v->>'k' is distinct from 'artifact' or jsonb_typeof(v->'data'->'kind') is distinct from 'string' then
          return null;
        end if;
        return ((v - 'data') || jsonb_build_object('data', jsonb_build_object('kind', v->'data'->'kind')))::text;
      exception when others then
        return null;
      end
      $f$;
      update :S.records set artifact_head = :S.artifact_head_of(line) where kind in ('artifact', 'unknown');
      drop function :S.artifact_head_of(text);
    `,
  },
  {
    version: 12,
    name: "a host's last sign of life between heartbeats",
    sql: `
      -- Stamped every second while the host has runs going (hostLease.ts holdRun): a run whose host died is
      -- dated crashed at the later of this and last_seen (crashReaper.ts). Null: no run went since its lease began.
      alter table :S.hosts add column alive_at timestamptz;
    `,
  },
];

/** The advisory lock key of a schema's migrations (any stable 64-bit number per schema). */
function lockKey(schema: string): string {
  let h = 0n;
  for (const c of `flowdeck-migrate:${schema}`) h = (h * 31n + BigInt(c.codePointAt(0)!)) & 0x7fffffffffffffffn;
  return h.toString();
}

/** Whether an existing schema lacks any of this version's migrations (or is newer: migrate says so). */
export async function schemaBehind(client: PoolClient, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<boolean> {
  const s = `"${checkSchemaName(schema)}"`;
  const { rows } = await client.query<{ version: number }>(`select version from ${s}.migrations`);
  const have = new Set(rows.map((r) => r.version));
  return migrations.some((m) => !have.has(m.version)) || [...have].some((v) => !migrations.some((m) => m.version === v));
}

/** Applies the migrations the schema lacks; returns the versions applied. */
export async function migrate(client: PoolClient, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const s = `"${checkSchemaName(schema)}"`;
  return inTransaction(client, async () => {
    await client.query('select pg_advisory_xact_lock($1::bigint)', [lockKey(schema)]);
    await client.query(`create schema if not exists ${s}`);
    await client.query(`create table if not exists ${s}.migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ version: number }>(`select version from ${s}.migrations`);
    const have = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...have);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) throw new Error(`The Flowdeck store in schema ${schema} was migrated by a newer Flowdeck (version ${newest}; this one knows up to ${known}): update Flowdeck on this machine`);
    const applied: number[] = [];
    for (const m of migrations) {
      if (have.has(m.version)) continue;
      await client.query(m.sql.replaceAll(':S', s));
      await client.query(`insert into ${s}.migrations (version, name) values ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
