/**
 * `flowdeck resume <run>` on Postgres whose resume waits on a table another session locked (as
 * `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does; `IN EXCLUSIVE MODE`, readable but not writable, for
 * its attempt's first records): Ctrl-C went unheard — the resume went on waiting,
 * and once the lock went it took the run's next attempt and ran it. Now Ctrl-C ends the command at once, saying
 * the run was not resumed (exit 130), and the run is as it was: its attempt, its state, its journal, no claim.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { lockLooker, lockTable, startCli, waitsOnLock } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/**
 * A statement of the resume waits on the lock of `table` (in `mode`: access exclusive unless said):
 * `doing` is how it begins (pg_stat_activity.query).
 */
const LOCKS: { table: string; mode?: 'exclusive'; doing: string; what: string; shown?: true }[] = [
  // Its read of the run's journal, before anything of it is claimed.
  { table: 'records', doing: 'from "%s".records', what: "the read of the run's journal" },
  // Its next attempt's claim (after its reads of the run).
  { table: 'claims', doing: 'insert into "%s".claims', what: "the claim of the run's next attempt" },
  // Its open of the run, its flow loaded (its stored results copied here).
  { table: 'results', doing: 'from "%s".results', what: 'the open of the run' },
  // Its next attempt's first records (the run taken over: AwaitingRetry, this process its owner), the journal
  // readable (the run read, opened) but not writable. Their 'Resuming…' line is `shown` as it is made, before it is written.
  { table: 'records', mode: 'exclusive', doing: 'insert into "%s".records', what: "the write of the next attempt's records", shown: true },
];

describe('flowdeck resume interrupted while it waits on Postgres', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const lock of LOCKS) {
    it(`ends on Ctrl-C (exit 130) while ${lock.what} waits on the ${lock.mode === 'exclusive' ? 'write-locked' : 'locked'} ${lock.table}, leaving the run as it was`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      const ws = workspace({ 'fails.flow.ts': flowSource(`export default flow({ name: 'fails' }, async () => { throw new Error('boom'); });`) });
      const env = { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home };
      const first = await runCli(['run', 'fails.flow.ts', '--json'], { cwd: ws, env });
      assert.equal(first.code, 1, first.stderr);
      const runId = (JSON.parse(first.stdout) as { id: string }).id;

      const looker = await lockLooker();
      const asItWas = async (): Promise<unknown> => {
        const { rows } = await looker.query(`select state, attempt, journal_seq, owner_session from "${schema}".runs where id = $1`, [runId]);
        const { rows: records } = await looker.query<{ n: string }>(`select count(*) as n from "${schema}".records where run_id = $1`, [runId]);
        return { run: rows[0], records: Number(records[0]!.n) };
      };
      const before = await asItWas();
      const { rows: claimsBefore } = await looker.query(`select key from "${schema}".claims order by key`);
      const locked = await lockTable(`"${schema}".${lock.table}`, lock.mode ?? 'access exclusive');

      const cmd = startCli(['resume', runId], { cwd: ws, env });

      const waiting = (): Promise<boolean> => waitsOnLock(looker, `%${lock.doing.replace('%s', schema)}%`);
      await waitFor(waiting, `${lock.what} to wait on the locked ${lock.table}`, 60_000);
      const stopped = await cmd.interrupt();
      assert.ok(stopped, `flowdeck resume did not end within 20 s of Ctrl-C while ${lock.what} waited on the lock; it printed:\n${cmd.stderr}`);
      assert.equal(stopped.code, 130, cmd.stderr);
      assert.match(cmd.stderr, /Stopped by SIGINT before the run was resumed; it stays as it was/);
      assert.doesNotMatch(cmd.stderr, lock.shown ? /Finished in state/ : /Resuming|Finished in state/);
      assert.equal(await waiting(), false, 'the resume still waits on the server');

      await locked.unlock();
      assert.deepEqual(await asItWas(), before, 'the run changed');
      const { rows: claimsAfter } = await looker.query(`select key from "${schema}".claims order by key`);
      assert.deepEqual(claimsAfter, claimsBefore, 'a claim was left');
    });
  }
});
