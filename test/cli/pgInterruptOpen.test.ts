/**
 * A flowdeck command on Postgres whose opening of the store waits on a table another session locked (as
 * `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does; here the migrations' table, which every opening
 * reads): Ctrl-C came before the command listened for it, so the process was killed by the signal, saying
 * nothing, and its statement stayed waiting on the server, in the lock's queue, till the lock went. Now the
 * statement is cancelled there and the command ends saying nothing was done, exit 130.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { lockLooker, lockTable, startCli, waitsOnLock } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** Commands that open the store first: one that runs a flow here, one that hands it to workers, one that reads. */
const COMMANDS: string[][] = [['run', 'hello.flow.ts'], ['run', 'hello.flow.ts', '--queue', 'q'], ['resume', 'some-run'], ['runs']];

describe('flowdeck interrupted while it opens the Postgres store', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const args of COMMANDS) {
    it(`flowdeck ${args.join(' ')} ends on Ctrl-C (exit 130) while the opening waits on the locked migrations, its statement cancelled`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      const ws = workspace({ 'hello.flow.ts': flowSource(`export default flow({ name: 'hello' }, async () => 'hi');`) });
      // The schema made before the lock.
      await (await PgStore.open(pgUrl(), { home, schema })).close();
      const lock = await lockTable(`"${schema}".migrations`, 'access exclusive');
      const looker = await lockLooker();

      const cmd = startCli(args, { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home } });

      const waiting = (): Promise<boolean> => waitsOnLock(looker, `%from "${schema}".migrations%`);
      await waitFor(waiting, "the store's opening to wait on the locked migrations", 60_000);
      const stopped = await cmd.interrupt();
      assert.ok(stopped, `flowdeck ${args[0]} did not end within 20 s of Ctrl-C while the store's opening waited on the lock; it printed:\n${cmd.stderr}`);
      assert.deepEqual(stopped, { code: 130, signal: null }, cmd.stderr);
      assert.match(cmd.stderr, /^flowdeck: Stopped by SIGINT while the store was opening; nothing was done\n$/);
      assert.equal(await waiting(), false, "the opening's statement still waits on the server");

      await lock.unlock();
      const { rows } = await lock.client.query<{ n: string }>(`select count(*) as n from "${schema}".runs`);
      assert.equal(Number(rows[0]!.n), 0, 'a run was made');
    });
  }
});
