/**
 * A Postgres table locked by another session (as `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does),
 * for tests of what flowdeck does while a statement of it waits on that lock: the lock, a look at whether
 * the statement waits, and the command interrupted there.
 */
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { CLI } from './engine';
import { pgUrl } from './postgres';

/** A session of its own holding `table` locked in `mode` till `unlock` (or the test's end). */
export interface TableLock {
  /** The locking session: once unlocked, a client like any other. */
  client: pg.Client;
  /** Lets the lock go (once; later calls do nothing). */
  unlock(): Promise<void>;
}

/**
 * `table` ("schema".name) locked in `mode`; let go and its session ended after the test, before the test's
 * own `after` hooks registered later (they run in that order): closing a store waits for its writes.
 */
export async function lockTable(table: string, mode: 'access exclusive' | 'exclusive'): Promise<TableLock> {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  let locked = true;
  const unlock = async (): Promise<void> => {
    if (!locked) return;
    locked = false;
    await client.query('commit');
  };
  // Released whatever the test found.
  after(async () => {
    await unlock();
    await client.end();
  });
  await client.query('begin');
  await client.query(`lock table ${table} in ${mode} mode`);
  return { client, unlock };
}

/**
 * Looks from a session of its own: a transaction sees pg_stat_activity as it was when it first looked.
 * Ended after the test.
 */
export async function lockLooker(): Promise<pg.Client> {
  const looker = new pg.Client({ connectionString: pgUrl() });
  await looker.connect();
  after(async () => {
    await looker.end();
  });
  return looker;
}

/** Whether a statement whose text is like `like` (an SQL pattern) waits on a lock now. */
export async function waitsOnLock(looker: pg.Client, like: string): Promise<boolean> {
  const { rows } = await looker.query<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`, [like]);
  return Number(rows[0]!.n) > 0;
}

/** How a command ended: its exit code, or the signal that ended it. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A flowdeck command started to be interrupted while it waits: its stderr so far, and Ctrl-C to it. */
export interface Interruptible {
  readonly stderr: string;
  /** Ctrl-C to it: how it ended, or undefined when it had not within `ms` (the lock held till then: it must end without it). */
  interrupt(ms?: number): Promise<Ended | undefined>;
}

/** `flowdeck <args>` started in `cwd` with `env`; killed after the test if it has not ended. */
export function startCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Interruptible {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdout.resume();
  const ended = new Promise<Ended>((res) => child.on('close', (code, signal) => res({ code, signal })));
  after(() => {
    child.kill('SIGKILL');
  });
  return {
    get stderr() {
      return stderr;
    },
    async interrupt(ms = 20_000) {
      child.kill('SIGINT');
      const waited = new AbortController();
      const stopped = await Promise.race([ended, delay(ms, undefined, { signal: waited.signal }).catch(() => undefined)]);
      waited.abort();
      return stopped;
    },
  };
}
