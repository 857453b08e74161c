/**
 * `flowdeck run` and `flowdeck run --queue` on Postgres whose run's creation waits on the journal's table
 * (locked by another session, as `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does). `run`: Ctrl-C went
 * unheard — the flow had loaded, so the CLI no longer gave up on it — and once the lock went the run was
 * created and ran to its end (exit 0); its 10 s notice said it was still loading the flow, where it waits for
 * the store. `run --queue`: Ctrl-C killed the process (nothing said, its end a signal's, not exit 130) and left
 * its insert waiting on the server, in the lock's queue, till the lock went. Now either ends at once, its
 * insert cancelled on the server, saying no run was created (exit 130), and none was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { lockLooker, lockTable, startCli, waitsOnLock } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** The command; what it `says` on Ctrl-C; what it prints once it has `made` a run; `notice`: it runs the run here, so its 10 s notice is looked at. */
const COMMANDS: { args: string[]; says: RegExp; made: RegExp; notice?: true }[] = [
  { args: ['run', 'hello.flow.ts'], says: /Stopped by SIGINT before the run started; no run was created/, made: /Created flow run|Finished in state/, notice: true },
  { args: ['run', 'hello.flow.ts', '--queue', 'q'], says: /Stopped by SIGINT before the run was queued; no run was created/, made: /Queued flow run/ },
];

describe('flowdeck run interrupted while its run is being created on Postgres', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const command of COMMANDS) {
    it(`flowdeck ${command.args.join(' ')} ends on Ctrl-C (exit 130) saying no run was created, and leaves none`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      const ws = workspace({ 'hello.flow.ts': flowSource(`export default flow({ name: 'hello' }, async () => 'hi');`) });
      // The schema made before the lock (opening the store migrates it).
      await (await PgStore.open(pgUrl(), { home, schema })).close();

      const lock = await lockTable(`"${schema}".records`, 'access exclusive');
      const looker = await lockLooker();

      const cmd = startCli(command.args, { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home } });

      // The run's creation waits for the lock: its insert into the journal is held.
      const waiting = (): Promise<boolean> => waitsOnLock(looker, `%insert into "${schema}".records%`);
      await waitFor(waiting, "the run's creation to wait on the locked journal", 60_000);
      if (command.notice) {
        // Its 10 s notice says what holds it up: the store (its server named, no credentials), not the flow's loading.
        await waitFor(() => cmd.stderr.includes('still waiting for the store'), 'the notice that the run waits for the store', 40_000);
        const server = new URL(pgUrl());
        assert.match(cmd.stderr, new RegExp(`flowdeck: still waiting for the store after 10 s: the Postgres server ${server.hostname.replace(/\./g, '\\.')}:${server.port || '5432'} has not taken the run's creation`));
        assert.doesNotMatch(cmd.stderr, /still loading the flow/);
        assert.ok(!cmd.stderr.includes(pgUrl()) && !(server.username && cmd.stderr.includes(`${server.username}@`)), `the notice shows the connection string's credentials:\n${cmd.stderr}`);
      }
      const stopped = await cmd.interrupt();
      assert.ok(stopped, `flowdeck ${command.args.join(' ')} did not end within 20 s of Ctrl-C while its run's creation waited on the lock; it printed:\n${cmd.stderr}`);
      assert.deepEqual(stopped, { code: 130, signal: null }, cmd.stderr);
      assert.match(cmd.stderr, command.says);
      assert.doesNotMatch(cmd.stderr, command.made);
      assert.equal(await waiting(), false, 'the creation still waits on the server');

      await lock.unlock();
      const { rows: runs } = await lock.client.query<{ n: string }>(`select count(*) as n from "${schema}".runs`);
      const { rows: records } = await lock.client.query<{ n: string }>(`select count(*) as n from "${schema}".records`);
      assert.equal(Number(runs[0]!.n), 0, 'a run was left');
      assert.equal(Number(records[0]!.n), 0, 'journal records were left');
    });
  }
});
