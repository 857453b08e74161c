/**
 * A `flowdeck run` on a Postgres store cut off from it past its lease: the host fences itself and stops the
 * run, and every batch of records it had queued while the store was away is refused alike. It says so once,
 * not once a batch (a hundred lines and more of the same message, found by a hunt: the database stopped 20 s).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { startForwarder } from '../support/forwarder';

/** Logs and runs a short task at a steady pace (up to a minute): many batches of records queue while the store is away. */
const BUSY = flowSource(`
const step = task({ name: 'step' }, async (i: number) => { await new Promise((r) => setTimeout(r, 20)); return i; });
export default flow({ name: 'busy' }, async () => {
  for (let i = 0; i < 3000; i++) { getRunLogger().info('step ' + i); await step(i); }
});`);

describe('flowdeck run that lost its lease on the store', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('says once that it lost its lease, not once per refused write; not that the run ended Failed, an end the store never holds, but that it is lost; --json prints it as the store holds it; exit 1', async () => {
    const ws = workspace({ 'busy.flow.ts': BUSY });
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(pgUrl()).port));
    try {
      let started = false;
      let fenced = false;
      const running = runCli(['run', 'busy.flow.ts', '--json'], {
        cwd: ws,
        env: { FLOWDECK_STORE: forwarder.url(pgUrl()), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir(), FLOWDECK_HEARTBEAT_SECONDS: '0.25', FLOWDECK_LEASE_SECONDS: '2' },
        onStderr: (c) => {
          started ||= c.includes('step 20');
          fenced ||= c.includes('lost its lease on the store');
        },
        timeoutMs: 180_000,
      });
      await waitFor(() => started, 'the run to be partway through', 120_000);
      forwarder.cut();
      await waitFor(() => fenced, 'the run to be stopped for its lost lease', 60_000);
      // Refused batches are said as they fail: give them time to, then let the command end.
      await new Promise((r) => setTimeout(r, 3000));
      forwarder.restore();
      const r = await running;
      assert.equal(r.code, 1, r.stderr.slice(-3000));
      const said = r.stderr.split('\n').filter((l) => l.includes('lost its lease on the store') && !l.includes('Finished in state'));
      assert.equal(said.length, 1, said.join('\n'));
      assert.doesNotMatch(r.stderr, /Finished in state Failed/, r.stderr.slice(-3000));
      assert.match(r.stderr, /flow run '[^']+' lost: .*its end is not recorded \(it is not Failed\): the store marks it Crashed once the lease lapses/);
      const json = JSON.parse(r.stdout) as { state: { type: string }; endNotRecorded?: boolean };
      assert.ok(['RUNNING', 'CRASHED'].includes(json.state.type), json.state.type);
      assert.equal(json.endNotRecorded, true);
    } finally {
      await forwarder.close();
    }
  });
});
