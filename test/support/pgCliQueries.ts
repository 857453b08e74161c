/**
 * For tests that count what a CLI command's reads cost on Postgres (test/cli/*Queries, journalReadBytes):
 * a store of a fresh schema with the environment that points the CLI at it, the CLI run in this process,
 * and every query pg's pools make meanwhile watched.
 */
import { PassThrough } from 'node:stream';
import { Pool } from 'pg';
import { main } from '../../src/cli/main';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { tempDir } from './engine';
import { freshSchema, pgUrl } from './postgres';

/** A store of a fresh schema on the test database, and `env`: a CLI run with it reads that store. */
export async function cliStore(): Promise<{ env: NodeJS.ProcessEnv; store: PgStore }> {
  const home = tempDir();
  const schema = freshSchema();
  const env = { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home };
  const store = await PgStore.open(pgUrl(), { home, schema });
  return { env, store };
}

/** `flowdeck <argv>` run in this process, in FLOWDECK_HOME: its exit code and what it printed. */
export async function cliInProcess(env: NodeJS.ProcessEnv, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await main(argv, { stdout, stderr, env, cwd: env.FLOWDECK_HOME! });
  return { code, stdout: out, stderr: err };
}

/**
 * `work` run with every query of pg's pools in this process watched: `sent` as each goes, `answered` with
 * its rows when its answer comes back. pg's own Pool.prototype.query is put back after.
 */
export async function watchingQueries<T>(work: () => Promise<T>, watch: { sent?: (sql: string) => void; answered?: (sql: string, rows: Record<string, unknown>[]) => void }): Promise<T> {
  const query = Pool.prototype.query;
  Pool.prototype.query = function (this: Pool, ...args: unknown[]) {
    const sql = typeof args[0] === 'string' ? args[0] : '';
    watch.sent?.(sql);
    const result = (query as (...a: unknown[]) => unknown).apply(this, args) as Promise<{ rows: Record<string, unknown>[] }> | undefined;
    const answered = watch.answered;
    // Called with a callback, pg answers through it and returns nothing: nothing to watch there.
    if (answered === undefined || result === undefined) return result;
    return result.then((r) => {
      answered(sql, r.rows);
      return r;
    });
  } as typeof query;
  try {
    return await work();
  } finally {
    Pool.prototype.query = query;
  }
}
