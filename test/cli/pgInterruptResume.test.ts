/**
 * `flowdeck resume <run>` on Postgres whose resume waits on a table another session locked (as
 * `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does): Ctrl-C went unheard — the resume went on waiting,
 * and once the lock went it took the run's next attempt and ran it. Now Ctrl-C ends the command at once, saying
 * the run was not resumed (exit 130), and the run is as it was: its attempt, its state, its journal, no claim.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { CLI, flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** A statement of the resume waits on the lock of `table`: `doing` is how it begins (pg_stat_activity.query). */
const LOCKS: { table: string; doing: string; what: string }[] = [
  // Its next attempt's claim (after its reads of the run).
  // Its read of the run's journal, before anything of it is claimed.
  { table: 'records', doing: 'from "%s".records', what: "the read of the run's journal" },
  { table: 'claims', doing: 'insert into "%s".claims', what: "the claim of the run's next attempt" },
  // Its open of the run, its flow loaded (its stored results copied here).
  { table: 'results', doing: 'from "%s".results', what: 'the open of the run' },
];

describe('flowdeck resume interrupted while it waits on Postgres', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const lock of LOCKS) {
    it(`ends on Ctrl-C (exit 130) while ${lock.what} waits on the locked ${lock.table}, leaving the run as it was`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      const ws = workspace({ 'fails.flow.ts': flowSource(`export default flow({ name: 'fails' }, async () => { throw new Error('boom'); });`) });
      const env = { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home };
      const first = await runCli(['run', 'fails.flow.ts', '--json'], { cwd: ws, env });
      assert.equal(first.code, 1, first.stderr);
      const runId = (JSON.parse(first.stdout) as { id: string }).id;

      const locker = new pg.Client({ connectionString: pgUrl() });
      await locker.connect();
      let locked = true;
      const unlock = async (): Promise<void> => {
        if (!locked) return;
        locked = false;
        await locker.query('commit');
      };
      // Looks from a session of its own: a transaction sees pg_stat_activity as it was when it first looked.
      const looker = new pg.Client({ connectionString: pgUrl() });
      await looker.connect();
      after(async () => {
        await unlock();
        await locker.end();
        await looker.end();
      });
      const asItWas = async (): Promise<unknown> => {
        const { rows } = await looker.query(`select state, attempt, journal_seq, owner_session from "${schema}".runs where id = $1`, [runId]);
        const { rows: records } = await looker.query<{ n: string }>(`select count(*) as n from "${schema}".records where run_id = $1`, [runId]);
        return { run: rows[0], records: Number(records[0]!.n) };
      };
      const before = await asItWas();
      const { rows: claimsBefore } = await looker.query(`select key from "${schema}".claims order by key`);
      await locker.query('begin');
      await locker.query(`lock table "${schema}".${lock.table} in access exclusive mode`);

      const child = spawn(process.execPath, [CLI, 'resume', runId], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdout.resume();
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
      after(() => {
        child.kill('SIGKILL');
      });

      const waiting = async (): Promise<boolean> => {
        const { rows } = await looker.query<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`, [`%${lock.doing.replace('%s', schema)}%`]);
        return Number(rows[0]!.n) > 0;
      };
      await waitFor(waiting, `${lock.what} to wait on the locked ${lock.table}`, 60_000);
      child.kill('SIGINT');
      // The lock is held till the command has ended: it must end without it.
      const waited = new AbortController();
      const stopped = await Promise.race([ended, delay(20_000, undefined, { signal: waited.signal }).catch(() => undefined)]);
      waited.abort();
      assert.ok(stopped, `flowdeck resume did not end within 20 s of Ctrl-C while ${lock.what} waited on the lock; it printed:\n${stderr}`);
      assert.equal(stopped.code, 130, stderr);
      assert.match(stderr, /Stopped by SIGINT before the run was resumed; it stays as it was/);
      assert.doesNotMatch(stderr, /Resuming|Finished in state/);
      assert.equal(await waiting(), false, 'the resume still waits on the server');

      await unlock();
      assert.deepEqual(await asItWas(), before, 'the run changed');
      const { rows: claimsAfter } = await looker.query(`select key from "${schema}".claims order by key`);
      assert.deepEqual(claimsAfter, claimsBefore, 'a claim was left');
    });
  }
});
