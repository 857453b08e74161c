/**
 * Ctrl-C as `flowdeck run --queue`'s COMMIT waits on Postgres: the cancel the signal sends reaches the
 * server during the commit. Made to wait there by a deferred constraint trigger on the runs' table that reads
 * a table another session locked (`LOCK TABLE … IN ACCESS EXCLUSIVE MODE`). Either the commit fails (the
 * trigger's wait cancelled: nothing of the run is kept) or, the cancel not heeded (a trigger that catches it,
 * as a commit past the point of no return does), it commits. Whichever it was, the store and what the command
 * says agree: no run and 'no run was created', or the run queued and 'it stays queued'. Exit 130 both ways.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { lockLooker, lockTable, startCli, waitsOnLock } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** How the trigger's wait takes the cancel, what the commit then did, and what the command says. */
const CASES: { heeds: boolean; runs: number; says: RegExp; saysNot: RegExp }[] = [
  { heeds: true, runs: 0, says: /Stopped by SIGINT before the run was queued; no run was created/, saysNot: /Queued flow run/ },
  { heeds: false, runs: 1, says: /Queued flow run '[^']+' \([0-9a-f-]+\)[^\n]*\nflowdeck: stopped as the run was queued; it stays queued for a worker/, saysNot: /no run was created/ },
];

describe('flowdeck run --queue interrupted while Postgres commits its run', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const c of CASES) {
    it(`says what the commit did when the cancel ${c.heeds ? 'stops it (nothing kept)' : 'comes too late to stop it (the run kept)'}`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      const ws = workspace({ 'hello.flow.ts': flowSource(`export default flow({ name: 'hello' }, async () => 'hi');`) });
      await (await PgStore.open(pgUrl(), { home, schema })).close();
      const looker = await lockLooker();
      // At its commit, an insert into the runs' table reads the gate.
      const wait = c.heeds ? 'perform 1 from "%s".commit_gate;' : 'begin perform 1 from "%s".commit_gate; exception when query_canceled then null; end;';
      await looker.query(
        `create table "${schema}".commit_gate (x int);
         create function "${schema}".wait_at_commit() returns trigger language plpgsql as $$ begin ${wait.replaceAll('%s', schema)} return null; end $$;
         create constraint trigger wait_at_commit after insert on "${schema}".runs deferrable initially deferred for each row execute function "${schema}".wait_at_commit();`,
      );
      const gate = await lockTable(`"${schema}".commit_gate`, 'access exclusive');

      const cmd = startCli(['run', 'hello.flow.ts', '--queue', 'q'], { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home } });

      const waiting = (): Promise<boolean> => waitsOnLock(looker, 'commit');
      await waitFor(waiting, "the queued run's commit to wait on the locked gate", 60_000);
      const stopped = await cmd.interrupt();
      assert.ok(stopped, `flowdeck run --queue did not end within 20 s of Ctrl-C while its commit waited; it printed:\n${cmd.stderr}`);
      assert.deepEqual(stopped, { code: 130, signal: null }, cmd.stderr);
      assert.match(cmd.stderr, c.says);
      assert.doesNotMatch(cmd.stderr, c.saysNot);
      assert.equal(await waiting(), false, 'the commit still waits on the server');

      await gate.unlock();
      const { rows } = await looker.query<{ state_type: string }>(`select state_type from "${schema}".runs`);
      assert.equal(rows.length, c.runs, `the store holds ${rows.length} runs; the command said:\n${cmd.stderr}`);
      for (const r of rows) assert.equal(r.state_type, 'SCHEDULED');
    });
  }
});
