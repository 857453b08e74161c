/**
 * A `flowdeck run` on Postgres killed (SIGKILL) in a task that writes nothing: its run ends Crashed at its
 * host's last sign of life. That was the host's last heartbeat (every 5 s by default), so a run killed 4 s in
 * showed a duration of 0 ms; a host with runs going now stamps its row every second (hostLease.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, runCli, startedRun, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const NAP = flowSource(`
const nap = task({ name: 'nap' }, async () => { console.log('nap started'); await new Promise((r) => setTimeout(r, 60_000)); return 1; });
export default flow({ name: 'nap' }, async () => { await nap(); });`);

/** How long the run goes on after its task said it started, before its host is killed: under a heartbeat (5 s). */
const KILL_AFTER_MS = 3500;

describe('a Postgres run whose host was killed in a quiet task', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('ends Crashed about when its host died (within ~2 life signs), not at the last heartbeat before — in a read-only look and once settled', async () => {
    const schema = freshSchema();
    const home = tempDir();
    const ws = workspace({ 'nap.flow.ts': NAP });
    // The default heartbeat, said here so that the environment cannot shorten it.
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: home, FLOWDECK_HEARTBEAT_SECONDS: '5', FLOWDECK_LEASE_SECONDS: '20' };
    const { name, child, done } = await startedRun(ws, env, 'nap.flow.ts', 'nap started');
    // Counted from when the task said it started (the run started before): the run lived at least this long.
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    child.kill('SIGKILL');
    await done.catch(() => undefined);
    const killedAt = Date.now();

    // The lease lapses now rather than 20 s after its last heartbeat (its host is dead: it renews nothing).
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      await client.query(`update "${schema}".hosts set lease_ms = 0`);
    } finally {
      await client.end();
    }

    const looked = await runCli(['runs', '--json'], { env, cwd: ws });
    assert.equal(looked.code, 0, looked.stderr);
    const shown = (JSON.parse(looked.stdout) as { name: string; state: { type: string }; startTime: string; endTime: string }[]).find((r) => r.name === name)!;
    assert.equal(shown.state.type, 'CRASHED');
    const shownMs = Date.parse(shown.endTime) - Date.parse(shown.startTime);
    assert.ok(shownMs >= 2000 && Date.parse(shown.endTime) <= killedAt, `read-only look: a run killed ${KILL_AFTER_MS} ms into its task showed a duration of ${shownMs} ms`);

    const settler = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    try {
      const run = (await settler.list({ limit: 5 })).find((r) => r.name === name)!;
      const settled = (await settler.readRun(run.id))!;
      assert.equal(settled.state.name, 'Crashed');
      const settledMs = settled.endTime! - settled.startTime!;
      assert.ok(settledMs >= 2000 && settled.endTime! <= killedAt, `settled: a run killed ${KILL_AFTER_MS} ms into its task ended ${settledMs} ms after it started`);
      assert.equal(settled.endTime, Date.parse(shown.endTime), 'settled as the read-only look showed it');
    } finally {
      await settler.close();
    }
  });
});
