/**
 * A flow whose code computes synchronously for longer than its host's lease would hold without a heartbeat
 * (the fence: 60% of the lease, 18 s by default) on a Postgres store. The host's lease holds throughout (its
 * heartbeats go on); its worker's loop is busy, so the host's word that the lease holds waits in the IPC
 * channel. The worker's own lease timer fired first when its loop came back, and it killed itself: the run
 * ended Crashed, "killed from outside the flow … by `kill -9` … or ran short of memory" (found by a hunt: a
 * 25 s synchronous task, default lease; also a 40 MB result's serializing with a 4 s lease). The embedded
 * store ran the same flow to Completed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const SYNC = flowSource(`
const busy = task({ name: 'busy' }, async (ms: number) => { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x++; return x > 0; });
const after = task({ name: 'after' }, async () => { await new Promise((r) => setTimeout(r, 100)); return 1; });
export default flow({ name: 'sync-work' }, async () => {
  await busy(2500);
  await after();
  return 'done';
});`);

describe('a flow computing synchronously past its host lease fence, on Postgres', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('completes: the worker reads the word its host sent while it was busy before it judges the lease lapsed', async () => {
    const ws = workspace({ 'sync.flow.ts': SYNC });
    // Lease 2 s, heartbeat 0.25 s: the fence is 1.2 s, the synchronous task 2.5 s.
    const r = await runCli(['run', 'sync.flow.ts', '--json'], {
      cwd: ws,
      env: { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir(), FLOWDECK_HEARTBEAT_SECONDS: '0.25', FLOWDECK_LEASE_SECONDS: '2' },
      timeoutMs: 90_000,
    });
    assert.doesNotMatch(r.stderr, /Crashed|killed from outside/, r.stderr.slice(-3000));
    assert.equal(r.code, 0, r.stderr.slice(-3000));
    const json = JSON.parse(r.stdout) as { state: { name: string }; result: unknown };
    assert.equal(json.state.name, 'Completed');
    assert.equal(json.result, 'done');
  });
});
