/**
 * graphile-worker tells every worker in the database of a breaking migration on a channel that names no
 * schema, and its workers stop taking jobs when they hear one. A queue installed for another schema of the
 * same database (a second Flowdeck store, or another application) stopped every `flowdeck worker` of this
 * store, which lived on taking nothing. The worker starts its queue again and goes on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runMigrations } from 'graphile-worker';
import { Pool } from 'pg';
import { waitFor } from '../support/engine';
import { freshSchema, PG_SKIP, pgUrl } from '../support/postgres';
import { allEnded, describeRuns, effectFlow, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';
import { queueSchemaOf } from '../../src/engine/postgres/runQueue';

describe('flowdeck worker beside another queue schema', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('a queue installed for another schema of the database does not stop the worker: queued runs still complete', async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'quick.flow.ts': effectFlow('quick', 0, '') });
    let worker: WorkerProc | undefined;
    const pool = new Pool({ connectionString: pgUrl(), max: 1 });
    pool.on('error', () => undefined);
    try {
      worker = await startWorker({ url: pgUrl(), schema, name: 'm1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile } });
      // Another store's queue, installed from scratch: its breaking migrations are announced to every listener.
      await runMigrations({ pgPool: pool, schema: queueSchemaOf(freshSchema()) });
      const ids = await enqueue(store, ws, 'quick.flow.ts', 2);
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'the queued runs to complete', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, ids)}\n--- m1:\n${worker!.output().slice(-1500)}`);
      });
      assert.match(worker.output(), /the queue stopped taking runs .*; starting it again/, 'the worker said what happened');
    } finally {
      await worker?.stop();
      await pool.end();
      await store.close();
    }
  });
});
