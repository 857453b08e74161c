/**
 * A run whose host died before its first heartbeat after the run's latest state (a `flowdeck run` killed
 * within a heartbeat of its run starting: up to 5 s by default). The crash is dated at the host's last
 * heartbeat, kept within the run's span — but the span was read from the run's row, which may not have
 * its start yet, so the Crashed state was dated before the Running state its journal holds. Read-only
 * looks (`runs --json`, `inspect`) folded the journal and kept the later-dated Running: the dead run showed
 * Running until a process that writes settled it (found by a hunt: 4 of 12 `flowdeck run`s killed just
 * after they started, still Running 4 s after a 2 s lease); settled, its Crashed state was dated before
 * its Running one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { tempDir } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

describe('a Postgres run whose host died before a heartbeat after its latest state', { timeout: 60_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('is shown Crashed by a read-only look, and settled Crashed no earlier than its last state', async () => {
    const schema = freshSchema();
    // No heartbeat in the test's time: the host's last one is the one it opened with.
    const host = await PgStore.open(pgUrl(), { home: tempDir(), schema, lease: { heartbeatMs: 60_000, lapseMs: 240_000 }, detectCrashed: false });
    let reader: PgStore | undefined;
    let settler: PgStore | undefined;
    try {
      const h = await host.createRun({ flowName: 'early', source: 'x', parameters: {} });
      await new Promise((r) => setTimeout(r, 20));
      const runningAt = Date.now();
      // The worker's Running state, in the journal (the run's row has no start yet).
      await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: runningAt, attempt: 1 }]);
      // The host dies now; its last heartbeat (its lease's start) came before the run started.
      await host.pool.query(`update "${schema}".hosts set last_seen = last_seen - interval '10 minutes' where id = $1`, [host.lease!.id]);

      reader = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true, detectCrashed: false });
      await reader.markCrashed();
      const shown = (await reader.readRun(h.id))!;
      assert.equal(shown.state.name, 'Crashed', `read-only look: ${JSON.stringify(shown.state)}`);
      assert.ok(shown.state.timestamp >= runningAt, `shown crashed at ${shown.state.timestamp}, before its Running state at ${runningAt}`);

      settler = await PgStore.open(pgUrl(), { home: tempDir(), schema, detectCrashed: false });
      assert.deepEqual(await settler.markCrashed(), [h.id]);
      const settled = (await settler.readRun(h.id))!;
      assert.equal(settled.state.name, 'Crashed');
      assert.ok(settled.state.timestamp >= runningAt, `settled crashed at ${settled.state.timestamp}, before its Running state at ${runningAt}`);
      assert.ok(settled.endTime! >= settled.startTime!, `ended ${settled.endTime} before it started ${settled.startTime}`);
    } finally {
      await reader?.close();
      await settler?.close();
      await host.close();
    }
  });
});
