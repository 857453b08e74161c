/**
 * `flowdeck run` on Postgres whose run's creation waits on the journal's table (locked by another session,
 * as `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` from psql does): Ctrl-C went unheard — the flow had loaded, so
 * the CLI no longer gave up on it — and once the lock went the run was created and ran to its end (exit 0).
 * Now Ctrl-C ends the command at once, saying no run was created (exit 130), and none was. Its 10 s notice
 * said it was still loading the flow; it says it waits for the store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { CLI, flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

describe('flowdeck run interrupted while its run is being created on Postgres', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('ends on Ctrl-C (exit 130) saying no run was created, and leaves none', async () => {
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

    const child = spawn(process.execPath, [CLI, 'run', 'hello.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.resume();
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
    after(() => {
      child.kill('SIGKILL');
    });

    // The run's creation waits for the lock: its insert into the journal is held.
    const waiting = async (): Promise<boolean> => {
      const { rows } = await looker.query<{ n: string }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like $1`, [`%insert into "${schema}".records%`]);
      return Number(rows[0]!.n) > 0;
    };
    await waitFor(waiting, "the run's creation to wait on the locked journal", 60_000);
    // Its 10 s notice says what holds it up: the store (its server named, no credentials), not the flow's loading.
    await waitFor(() => stderr.includes('still waiting for the store'), 'the notice that the run waits for the store', 40_000);
    const server = new URL(pgUrl());
    assert.match(stderr, new RegExp(`flowdeck: still waiting for the store after 10 s: the Postgres server ${server.hostname.replace(/\./g, '\\.')}:${server.port || '5432'} has not taken the run's creation`));
    assert.doesNotMatch(stderr, /still loading the flow/);
    assert.ok(!stderr.includes(pgUrl()) && !(server.username && stderr.includes(`${server.username}@`)), `the notice shows the connection string's credentials:\n${stderr}`);
    child.kill('SIGINT');
    // The lock is held till the command has ended: it must end without it.
    const waited = new AbortController();
    const stopped = await Promise.race([ended, delay(20_000, undefined, { signal: waited.signal }).catch(() => undefined)]);
    waited.abort();
    assert.ok(stopped, `flowdeck run did not end within 20 s of Ctrl-C while its run's creation waited on the lock; it printed:\n${stderr}`);
    assert.equal(stopped.code, 130, stderr);
    assert.match(stderr, /Stopped by SIGINT before the run started; no run was created/);
    assert.doesNotMatch(stderr, /Created flow run|Finished in state/);
    assert.equal(await waiting(), false, 'the creation still waits on the server');

    await unlock();
    const { rows: runs } = await locker.query<{ n: string }>(`select count(*) as n from "${schema}".runs`);
    const { rows: records } = await locker.query<{ n: string }>(`select count(*) as n from "${schema}".records`);
    assert.equal(Number(runs[0]!.n), 0, 'a run was left');
    assert.equal(Number(records[0]!.n), 0, 'journal records were left');
  });
});
