/**
 * `flowdeck run --queue` on Postgres whose queued run's creation waits on the journal's table (locked by
 * another session, as `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does): Ctrl-C killed the process
 * (nothing said, its end a signal's, not exit 130) and left its insert waiting on the server, in the lock's
 * queue, till the lock went. Now the insert is cancelled there and the command ends saying no run was queued
 * (exit 130), and none was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { CLI, flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

describe('flowdeck run --queue interrupted while its run is being queued on Postgres', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('ends on Ctrl-C (exit 130) saying no run was queued, and leaves none', async () => {
    const schema = freshSchema();
    const home = tempDir();
    const ws = workspace({ 'hello.flow.ts': flowSource(`export default flow({ name: 'hello' }, async () => 'hi');`) });
    // The schema made before the lock (opening the store migrates it).
    await (await PgStore.open(pgUrl(), { home, schema })).close();

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
    await locker.query('begin');
    await locker.query(`lock table "${schema}".records in access exclusive mode`);

    const child = spawn(process.execPath, [CLI, 'run', 'hello.flow.ts', '--queue', 'q'], { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.resume();
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    after(() => {
      child.kill('SIGKILL');
    });

    // The queued run's creation waits for the lock: its insert into the journal is held.
    const waiting = async (): Promise<boolean> => {
      const { rows } = await looker.query<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`, [`%insert into "${schema}".records%`]);
      return Number(rows[0]!.n) > 0;
    };
    await waitFor(waiting, "the queued run's creation to wait on the locked journal", 60_000);
    child.kill('SIGINT');
    // The lock is held till the command has ended: it must end without it.
    const waited = new AbortController();
    const stopped = await Promise.race([ended, delay(20_000, undefined, { signal: waited.signal }).catch(() => undefined)]);
    waited.abort();
    assert.ok(stopped, `flowdeck run --queue did not end within 20 s of Ctrl-C while its run's creation waited on the lock; it printed:\n${stderr}`);
    assert.deepEqual(stopped, { code: 130, signal: null }, stderr);
    assert.match(stderr, /Stopped by SIGINT before the run was queued; no run was created/);
    assert.doesNotMatch(stderr, /Queued flow run/);
    assert.equal(await waiting(), false, 'the creation still waits on the server');

    await unlock();
    const { rows: runs } = await locker.query<{ n: string }>(`select count(*) as n from "${schema}".runs`);
    const { rows: records } = await locker.query<{ n: string }>(`select count(*) as n from "${schema}".records`);
    assert.equal(Number(runs[0]!.n), 0, 'a run was left');
    assert.equal(Number(records[0]!.n), 0, 'journal records were left');
  });
});
