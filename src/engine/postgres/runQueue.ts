/**
 * The job queue runs are handed to workers on: graphile-worker, in a schema of its own next to the
 * store's. A job only says "run R needs a worker"; the run itself, its state and its ownership live in
 * the store, so a job that is delivered twice (a worker died holding it) finds the run already taken and
 * does nothing — at most one worker ever claims a run's attempt (RunStore.claim).
 */
import { Logger, runMigrations } from 'graphile-worker';
import type { ClientBase, Pool, PoolClient } from 'pg';
import { checkQueueName } from './queueName';


export function queueSchemaOf(schema: string): string {
  return `${schema}_queue`;
}

/** graphile-worker's task identifier for the runs of a queue: a worker takes only the queues it serves. */
export function taskIdentifier(queue: string): string {
  return `flowdeck-run:${checkQueueName(queue)}`;
}

export interface RunJob {
  runId: string;
  /**
   * A job asking for the run to be resumed (SharedStore.resumeOnQueue): the attempt to run, and the run's
   * state sequence number when asked — a run whose state changed since (cancelled, resumed) is left as it is.
   */
  resume?: { attempt: number; seq: number };
}

export function isRunJob(payload: unknown): payload is RunJob {
  if (typeof payload !== 'object' || payload === null || typeof (payload as RunJob).runId !== 'string') return false;
  const resume = (payload as RunJob).resume;
  return resume === undefined || (typeof resume === 'object' && resume !== null && Number.isSafeInteger(resume.attempt) && Number.isSafeInteger(resume.seq));
}

/** Creates or updates graphile-worker's own schema (its migrations, its lock). */
export async function migrateQueue(pool: Pool, schema: string): Promise<void> {
  await runMigrations({ pgPool: pool, schema: queueSchemaOf(schema), logger: silentLogger() });
}

/**
 * Adds the job for run `runId` inside the caller's transaction, so a run is queued exactly when it is
 * created (or marked for resuming). `key` dedupes: adding the same key twice leaves one job. `when`: due
 * `afterMs` from now (default at once), keeping an existing job's time; or `at` (epoch ms), replacing it —
 * a time in the past hands the run out ahead of jobs added since. A job of the key that a worker holds now
 * keeps running; this one is added beside it.
 */
export async function addRunJob(client: Pool | PoolClient, schema: string, queue: string, runId: string, key: string, when: { afterMs?: number } | { at: number } = {}, resume?: RunJob['resume']): Promise<void> {
  const at = 'at' in when;
  await client.query(
    `select "${queueSchemaOf(schema)}".add_job($1, json_strip_nulls(json_build_object('runId', $2::text, 'resume', $5::json)), max_attempts => 10, job_key => $3,
       run_at => ${at ? 'to_timestamp($4::double precision / 1000)' : 'now() + make_interval(secs => $4::double precision / 1000)'},
       job_key_mode => '${at ? 'replace' : 'preserve_run_at'}')`,
    [taskIdentifier(queue), runId, key, at ? when.at : (when.afterMs ?? 0), resume ? JSON.stringify(resume) : null],
  );
}

/**
 * Withdraws the job of key `key` that no worker has taken yet: true when there was one and it is gone. A
 * job a worker holds now is left to it (false).
 */
export async function withdrawRunJob(client: Pool | PoolClient, schema: string, key: string): Promise<boolean> {
  const q = `"${queueSchemaOf(schema)}"`;
  // complete_jobs deletes only the jobs no worker holds.
  const { rows } = await client.query<{ id: string }>(`select id from ${q}.complete_jobs(array(select id from ${q}.jobs where key = $1))`, [key]);
  return rows.length > 0;
}

/** The newest graphile-worker migration applied to the store's queue schema (0 before any). */
export async function queueMigrationHead(client: Pool | ClientBase, schema: string): Promise<number> {
  const { rows } = await client.query<{ id: number | null }>(`select max(id) as id from "${queueSchemaOf(schema)}".migrations`);
  return rows[0]?.id ?? 0;
}

/** Frees the jobs a dead worker held, so another worker is handed them again. */
export async function unlockQueueWorkers(client: Pool | PoolClient, schema: string, workerIds: readonly string[]): Promise<void> {
  if (workerIds.length === 0) return;
  await client.query(`select "${queueSchemaOf(schema)}".force_unlock_workers($1::text[])`, [workerIds]);
}

/** graphile-worker logs through this; the store says what matters itself. */
export function silentLogger(onError?: (message: string) => void): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error') onError?.(message);
  });
}
