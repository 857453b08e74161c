/**
 * The job queue runs are handed to workers on: graphile-worker, in a schema of its own next to the
 * store's. A job only says "run R needs a worker"; the run itself, its state and its ownership live in
 * the store, so a job that is delivered twice (a worker died holding it) finds the run already taken and
 * does nothing — at most one worker ever claims a run's attempt (RunStore.claim).
 */
import { Logger, runMigrations } from 'graphile-worker';
import type { Pool, PoolClient } from 'pg';
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
}

export function isRunJob(payload: unknown): payload is RunJob {
  return typeof payload === 'object' && payload !== null && typeof (payload as RunJob).runId === 'string';
}

/** Creates or updates graphile-worker's own schema (its migrations, its lock). */
export async function migrateQueue(pool: Pool, schema: string): Promise<void> {
  await runMigrations({ pgPool: pool, schema: queueSchemaOf(schema), logger: silentLogger() });
}

/**
 * Adds the job for run `runId` inside the caller's transaction, so a run is queued exactly when it is
 * created (or marked for resuming). `key` dedupes: adding the same key twice leaves one job.
 */
export async function addRunJob(client: Pool | PoolClient, schema: string, queue: string, runId: string, key: string, afterMs?: number): Promise<void> {
  // `afterMs`: not before then. A job of the key that a worker holds now keeps running; this one is added beside it.
  await client.query(
    `select "${queueSchemaOf(schema)}".add_job($1, json_build_object('runId', $2::text), run_at => now() + make_interval(secs => $4::double precision / 1000), max_attempts => 10, job_key => $3, job_key_mode => 'preserve_run_at')`,
    [taskIdentifier(queue), runId, key, afterMs ?? 0],
  );
}

/**
 * Hands runs that wait on their queues to workers now, in the order given: each run's job (key `run:<id>`)
 * is due at the time given for it (in the past: it goes before jobs added since), replacing the job's later
 * time. A job a worker holds now keeps running; this one is added beside it.
 */
export async function wakeRunJobs(client: Pool | PoolClient, schema: string, runs: readonly { id: string; queue: string; dueAt: number }[]): Promise<void> {
  for (const r of runs) {
    await client.query(
      `select "${queueSchemaOf(schema)}".add_job($1, json_build_object('runId', $2::text), run_at => to_timestamp($4::double precision / 1000), max_attempts => 10, job_key => $3, job_key_mode => 'replace')`,
      [taskIdentifier(r.queue), r.id, `run:${r.id}`, r.dueAt],
    );
  }
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
