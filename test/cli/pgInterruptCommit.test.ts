/**
 * Ctrl-C as a command's COMMIT waits on Postgres: the cancel the signal sends reaches the server during the
 * commit — of `flowdeck run --queue`'s run, of `flowdeck resume`'s takeover of its run. Made to wait there by a
 * deferred constraint trigger on the runs' table that reads a table another session locked (`LOCK TABLE … IN
 * ACCESS EXCLUSIVE MODE`). Either the commit fails (the trigger's wait cancelled: nothing of it kept) or, the
 * cancel not heeded (a trigger that catches it, as a commit past the point of no return does), it commits.
 * Whichever it was, the store and what the command says agree: no run and 'no run was created', or the run
 * queued and 'it stays queued'; the run as it was, or its attempt begun and cancelled.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
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

/** As above for `flowdeck resume`'s takeover of the run (its state, attempt and owner with its first records), held at its commit likewise. */
const RESUME_CASES: { heeds: boolean; code: number; says: RegExp; state: string; attempt: number }[] = [
  { heeds: true, code: 130, says: /Stopped by SIGINT before the run was resumed; it stays as it was/, state: 'FAILED', attempt: 1 },
  // Its attempt begun, the Ctrl-C cancels it as a run going on (exit 1, Cancelled), its claim kept as any attempt's.
  { heeds: false, code: 1, says: /Cancelling flow run '[^']+'[^\n]*\n[\s\S]*Finished in state Cancelled/, state: 'CANCELLED', attempt: 2 },
];

describe('flowdeck resume interrupted while Postgres commits its takeover of the run', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const c of RESUME_CASES) {
    it(`says what the commit did when the cancel ${c.heeds ? 'stops it (the run as it was)' : 'comes too late to stop it (the attempt begun, then cancelled)'}`, async () => {
      const schema = freshSchema();
      const home = tempDir();
      // It fails, then (resumed) waits till cancelled: a Ctrl-C after the takeover ends it Cancelled, never in a race with its end.
      const ws = workspace({
        'fails.flow.ts': `import { existsSync } from 'node:fs';\n${flowSource(
          `export default flow({ name: 'fails' }, async () => { if (!existsSync('resumed')) throw new Error('boom'); await new Promise((r, j) => { const t = setTimeout(r, 120_000); getRunContext().signal.addEventListener('abort', () => { clearTimeout(t); j(new Error('stopped')); }); }); });`,
        )}`,
      });
      const env = { ...process.env, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home };
      const first = await runCli(['run', 'fails.flow.ts', '--json'], { cwd: ws, env });
      assert.equal(first.code, 1, first.stderr);
      const runId = (JSON.parse(first.stdout) as { id: string }).id;
      writeFileSync(join(ws, 'resumed'), '');
      const looker = await lockLooker();
      // At its commit, a change of the run's attempt (the takeover) reads the gate.
      const wait = c.heeds ? 'perform 1 from "%s".commit_gate;' : 'begin perform 1 from "%s".commit_gate; exception when query_canceled then null; end;';
      await looker.query(
        `create table "${schema}".commit_gate (x int);
         create function "${schema}".wait_at_commit() returns trigger language plpgsql as $$ begin ${wait.replaceAll('%s', schema)} return null; end $$;
         create constraint trigger wait_at_commit after update on "${schema}".runs deferrable initially deferred for each row when (old.attempt <> new.attempt) execute function "${schema}".wait_at_commit();`,
      );
      const gate = await lockTable(`"${schema}".commit_gate`, 'access exclusive');

      const cmd = startCli(['resume', runId], { cwd: ws, env });

      const waiting = (): Promise<boolean> => waitsOnLock(looker, 'commit');
      await waitFor(waiting, "the resume's takeover to wait at its commit on the locked gate", 60_000);
      const stopped = await cmd.interrupt();
      assert.ok(stopped, `flowdeck resume did not end within 20 s of Ctrl-C while its takeover's commit waited; it printed:\n${cmd.stderr}`);
      assert.deepEqual(stopped, { code: c.code, signal: null }, cmd.stderr);
      assert.match(cmd.stderr, c.says);
      assert.equal(await waiting(), false, 'the commit still waits on the server');
      await gate.unlock();
      const { rows } = await looker.query<{ state_type: string; attempt: number }>(`select state_type, attempt from "${schema}".runs where id = $1`, [runId]);
      assert.deepEqual(rows[0], { state_type: c.state, attempt: c.attempt }, cmd.stderr);
      const { rows: claims } = await looker.query(`select key from "${schema}".claims`);
      assert.deepEqual(claims, c.attempt === 1 ? [] : [{ key: `attempt:${runId}:${c.attempt}` }], 'the claims are not those of the attempts made');
    });
  }
});
