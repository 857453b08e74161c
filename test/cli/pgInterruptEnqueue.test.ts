/**
 * `flowdeck run --queue` on Postgres whose queued run's creation waits on the journal's table (locked by
 * another session, as `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does): Ctrl-C killed the process
 * (nothing said, its end a signal's, not exit 130) and left its insert waiting on the server, in the lock's
 * queue, till the lock went. Now the insert is cancelled there and the command ends saying no run was queued
 * (exit 130), and none was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { lockLooker, lockTable, startCli, waitsOnLock } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

describe('flowdeck run --queue interrupted while its run is being queued on Postgres', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('ends on Ctrl-C (exit 130) saying no run was queued, and leaves none', async () => {
    const schema = freshSchema();
    const home = tempDir();
    const ws = workspace({ 'hello.flow.ts': flowSource(`export default flow({ name: 'hello' }, async () => 'hi');`) });
    // The schema made before the lock (opening the store migrates it).
    await (await PgStore.open(pgUrl(), { home, schema })).close();

    const lock = await lockTable(`"${schema}".records`, 'access exclusive');
    const looker = await lockLooker();

    const cmd = startCli(['run', 'hello.flow.ts', '--queue', 'q'], { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home } });

    // The queued run's creation waits for the lock: its insert into the journal is held.
    const waiting = (): Promise<boolean> => waitsOnLock(looker, `%insert into "${schema}".records%`);
    await waitFor(waiting, "the queued run's creation to wait on the locked journal", 60_000);
    const stopped = await cmd.interrupt();
    assert.ok(stopped, `flowdeck run --queue did not end within 20 s of Ctrl-C while its run's creation waited on the lock; it printed:\n${cmd.stderr}`);
    assert.deepEqual(stopped, { code: 130, signal: null }, cmd.stderr);
    assert.match(cmd.stderr, /Stopped by SIGINT before the run was queued; no run was created/);
    assert.doesNotMatch(cmd.stderr, /Queued flow run/);
    assert.equal(await waiting(), false, 'the creation still waits on the server');

    await lock.unlock();
    const { rows: runs } = await lock.client.query<{ n: string }>(`select count(*) as n from "${schema}".runs`);
    const { rows: records } = await lock.client.query<{ n: string }>(`select count(*) as n from "${schema}".records`);
    assert.equal(Number(runs[0]!.n), 0, 'a run was left');
    assert.equal(Number(records[0]!.n), 0, 'journal records were left');
  });
});
