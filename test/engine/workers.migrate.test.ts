/**
 * graphile-worker tells every worker in the database of a breaking migration on a channel that names no
 * schema, and its workers stop taking jobs when they hear one — gracefully: nothing more until every job
 * they hold has ended. A queue installed for another schema of the same database (a second Flowdeck store,
 * another application) stopped every `flowdeck worker` of this store until its runs going had ended. The
 * worker hears only its own store's migrations; one of those still stops it (and a breaking one too new for
 * it ends it, saying why).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMigrations } from 'graphile-worker';
import { Client, Pool } from 'pg';
import { waitFor } from '../support/engine';
import { freshSchema, PG_SKIP, pgUrl } from '../support/postgres';
import { allEnded, describeRuns, effectFlow, enqueue, setup } from '../support/effectFlows';
import { gatedFlow } from '../support/gatedFlow';
import { startWorker, type WorkerProc } from '../support/workers';
import { queueMigrationHead, queueSchemaOf } from '../../src/engine/postgres/runQueue';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { queuedFlowFor } from '../../src/engine/queuedFlow';

const STOPPED = /the queue stopped taking runs .*; starting it again/;

describe('flowdeck worker beside another queue schema', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it("a queue installed for another schema of the database while a run goes stops nothing: queued runs start and complete beside it", async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'quick.flow.ts': effectFlow('quick', 0, ''), 'gated.flow.ts': gatedFlow('gated') });
    let worker: WorkerProc | undefined;
    const pool = new Pool({ connectionString: pgUrl(), max: 1 });
    pool.on('error', () => undefined);
    const gate = join(ws, 'gate');
    const mark = join(ws, 'started');
    try {
      worker = await startWorker({ url: pgUrl(), schema, name: 'm1', flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile } });
      const flow = await queuedFlowFor({ kind: 'file', path: join(ws, 'gated.flow.ts') }, ws, undefined, discoverFlows);
      const gated = (await store.shared.enqueue({ queue: 'default', parameters: { gate, mark }, ...flow })).id;
      await waitFor(() => existsSync(mark), 'the gated run to start', 60_000);
      // Another store's queue, installed from scratch: its breaking migrations are announced to every listener.
      await runMigrations({ pgPool: pool, schema: queueSchemaOf(freshSchema()) });
      const ids = await enqueue(store, ws, 'quick.flow.ts', 2);
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'the queued runs to complete while the gated one goes', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [gated, ...ids])}\n--- m1:\n${worker!.output().slice(-1500)}`);
      });
      assert.equal((await store.get(gated))?.state.name, 'Running', 'the gated run still goes');
      assert.doesNotMatch(worker.output(), STOPPED, 'the queue never stopped');
      writeFileSync(gate, '');
      await waitFor(async () => (await store.get(gated))?.state.name === 'Completed', 'the gated run to complete', 60_000);
    } finally {
      writeFileSync(gate, '');
      await worker?.stop();
      await pool.end();
      await store.close();
    }
  });

  it("its own store's queue migrated under it stops the worker's queue, which starts again; one too new for it ends the worker, saying why", async () => {
    // A database of its own: the worker's LISTEN session is the only one there (waited for below).
    const { ws, schema, url, store, effectsFile } = await setup({ 'quick.flow.ts': effectFlow('quick', 0, '') }, { ownDatabase: true });
    let worker: WorkerProc | undefined;
    const client = new Client({ connectionString: url });
    await client.connect();
    const queue = queueSchemaOf(schema);
    // What a newer graphile-worker does when it migrates this queue schema: the migration row, then the announcement.
    const migrated = async (breaking: boolean): Promise<void> => {
      const id = (await queueMigrationHead(client, schema)) + 1;
      await client.query(`insert into "${queue}".migrations (id, breaking) values ($1, $2)`, [id, breaking]);
      await client.query(`select pg_notify('worker:migrate', $1)`, [JSON.stringify({ migrationNumber: id, breaking: true })]);
    };
    try {
      worker = await startWorker({ url, schema, name: 'm2', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile } });
      // graphile-worker listens once its queue has started: an announcement before that is heard by nobody.
      const listening = async (): Promise<boolean> => (await client.query(`select 1 from pg_stat_activity where datname = current_database() and query like 'LISTEN %worker:migrate%'`)).rowCount! > 0;
      await waitFor(listening, 'the worker to listen', 60_000);
      await migrated(false);
      await waitFor(() => STOPPED.test(worker!.output()), "the worker's queue to stop and start again", 60_000);
      const ids = await enqueue(store, ws, 'quick.flow.ts', 1);
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'a queued run to complete after', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, ids)}\n--- m2:\n${worker!.output().slice(-1500)}`);
      });
      // A breaking migration this graphile-worker does not know: unsafe to go on, the worker ends.
      await waitFor(listening, 'the worker to listen again', 60_000);
      await migrated(true);
      let gone = false;
      void worker.exited.then(() => (gone = true));
      await waitFor(() => gone, 'the worker to exit', 60_000);
      assert.match(worker.output(), /could not start the queue again: Database is using Graphile Worker schema revision \d+ which includes breaking migration \d+/);
    } finally {
      await worker?.stop();
      await client.end();
      await store.close();
    }
  });
});
