/**
 * A `flowdeck worker` cut off from its database past its lease fences itself and kills its run; another
 * process (an editor window looking every few seconds) settles the run Crashed and queues its resume
 * before the worker has a lease again. The database answering, the worker's queue is handed that resume
 * while its new lease is not written yet: it must wait for the lease, not claim the resume under a lease
 * nobody holds — which left the run Failed at attempt 2 ("This host (w1) lost its lease on the store") or
 * Crashed for good, its resume claimed and never run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { tempDir, waitFor } from '../support/engine';
import { freshSchema, PG_SKIP, pgUrl } from '../support/postgres';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker } from '../support/workers';
import { resumeKey } from '../../src/engine/resumePlan';

describe('a worker back from an outage longer than its lease', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('resumes its crashed run that another process queued meanwhile only once it has a lease again', async () => {
    // A database of its own: other files' fresh queues would stop this worker's queue.
    const { ws, schema, url, store, effectsFile } = await setup({ 'keep.flow.ts': effectFlow('keep', 300, 'resumeOnCrash: true') }, { ownDatabase: true });
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
    const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: 2 });
    // Holds the hosts table while the worker comes back: its new lease cannot be written, all else can.
    const blocker = new Client({ connectionString: url });
    await blocker.connect();
    try {
      await explainedBy(worker, async () => {
        const [id] = await enqueue(store, ws, 'keep.flow.ts', 1);
        await waitFor(() => effects(effectsFile).length >= 2, 'the run to be partway through', 60_000);
        forwarder.cut();
        // Another process (here the test's store, directly connected) finds the worker's lease lapsed: the
        // run turns Crashed and its resume is queued while the worker is still cut off.
        await waitFor(async () => (await store.markCrashed()).includes(id!), 'the run to be settled Crashed', 30_000);
        await blocker.query('begin');
        // Reads of it go on (a claim checks the hosts it names); the worker's new lease, an insert, waits.
        await blocker.query(`lock table "${schema}".hosts in exclusive mode`);
        forwarder.restore();
        const job = `select locked_at is not null as taken from "${schema}_queue".jobs where key = $1`;
        await waitFor(async () => (await blocker.query<{ taken: boolean }>(job, [resumeKey(id!, 2)])).rows[0]?.taken === true, 'the worker to take the resume job', 60_000).catch(async (e: Error) => {
          const jobs = await blocker.query(`select key, locked_at, locked_by, attempts, run_at, last_error from "${schema}_queue".jobs`);
          const sessions = await blocker.query(`select state, wait_event_type, left(query, 200) as query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
          throw new Error(`${e.message}\njobs: ${JSON.stringify(jobs.rows)}\nsessions: ${JSON.stringify(sessions.rows)}\n${await describeRuns(store, [id!])}`);
        });
        // Held a while longer: time to claim the resume and go on with it, were it to do so without a lease.
        await new Promise((r) => setTimeout(r, 5000));
        await blocker.query('commit');
        await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await store.readRun(id!))!.state.type), 'the run to end', 60_000).catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await describeRuns(store, [id!])}`);
        });
        const run = (await store.readRun(id!))!;
        assert.equal(run.state.name, 'Completed', await describeRuns(store, [id!]));
        assert.equal(run.attempt, 2);
      });
    } finally {
      await blocker.end().catch(() => undefined);
      await worker.stop();
      await forwarder.close();
      await store.close();
    }
  });

  /**
   * A store cut off until its lease is lost, then answered again while its new lease cannot be written yet
   * (the hosts table locked): `whileFenced` runs then, `afterRenewed` once the lease holds again.
   */
  async function withLeaseLostThenRenewed(whileFenced: (store: PgStore) => Promise<void>, afterRenewed: (store: PgStore) => Promise<void>): Promise<void> {
    const schema = freshSchema();
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(pgUrl()).port));
    const store = await PgStore.open(forwarder.url(pgUrl()), { home: tempDir(), schema, lease: { heartbeatMs: 100, lapseMs: 800 } });
    const blocker = new Client({ connectionString: pgUrl() });
    await blocker.connect();
    try {
      forwarder.cut();
      await waitFor(() => store.lease!.fenced, 'the lease to be lost', 10_000);
      await blocker.query('begin');
      await blocker.query(`lock table "${schema}".hosts in exclusive mode`);
      forwarder.restore();
      const renewed = store.lease!.whenHeld();
      await whileFenced(store);
      await blocker.query('commit');
      await renewed;
      await afterRenewed(store);
    } finally {
      await blocker.end().catch(() => undefined);
      await store.close();
      await forwarder.close();
    }
  }

  const leaseLost = (e: Error & { code?: string }) => e.code === 'ELEASE' && /lost its lease/.test(e.message);

  it('a store whose lease was lost claims nothing until it has a new one', async () => {
    await withLeaseLostThenRenewed(
      (store) => assert.rejects(store.claim('resume:r1:2'), leaseLost),
      async (store) => assert.equal(await store.claim('resume:r1:2'), true),
    );
  });

  it("a store whose lease was lost claims no schedule slot until it has a new one (a scheduler would make a run it cannot write, at every look)", async () => {
    const slot = Date.parse('2026-01-01T09:00:00Z');
    await withLeaseLostThenRenewed(
      (store) => assert.rejects(store.schedules.claimSlot('abcdef0123', slot), leaseLost),
      async (store) => assert.deepEqual(await store.schedules.claimSlot('abcdef0123', slot), { claimed: true }),
    );
  });
});
