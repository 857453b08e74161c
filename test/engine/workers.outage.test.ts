/**
 * A `flowdeck worker` whose database goes away for a few seconds in the middle of a run — well within its
 * lease — reaching it through a forwarder of this process: its connections cut and refused a while (as a
 * Postgres restart or a network blip), or cut just after a journal write's commit went out, its answer lost
 * (the write done, the worker not told). The run goes on when the database is back and Completes, every
 * record in its journal once and every task run once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { assertNoCheckpointRedone, describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker } from '../support/workers';

/** Journal lines written more than once in the run. */
async function repeatedLines(url: string, schema: string, runId: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ line: string; n: number }>(`select line, count(*)::int as n from "${schema}".records where run_id = $1 group by line having count(*) > 1`, [runId]);
    return rows.map((r) => `${r.n}× ${r.line.slice(0, 160)}`);
  } finally {
    await client.end();
  }
}

describe('a worker whose database goes away a few seconds mid-run', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  for (const fault of ['connections cut for 3 s', "a journal write's commit answer lost, then 2 s cut"] as const) {
    it(`${fault}: the run goes on and Completes, each record and task once`, async () => {
      const { ws, schema, url, store, effectsFile } = await setup({ 'steady.flow.ts': effectFlow('steady', 150, '') });
      const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
      const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile } });
      try {
        await explainedBy(worker, async () => {
          const [id] = await enqueue(store, ws, 'steady.flow.ts', 1);
          await waitFor(() => effects(effectsFile).length >= 4, 'the run to be partway through', 120_000);
          const before = effects(effectsFile).length;
          if (fault === 'connections cut for 3 s') {
            forwarder.cut();
            await new Promise((r) => setTimeout(r, 3000));
            forwarder.restore();
          } else {
            // The next journal write (an insert into records) commits; the worker never hears so.
            await forwarder.loseCommitAnswer('records', 2000);
          }
          console.log(`${fault}: ${before} task(s) done before, ${effects(effectsFile).length} when it was over`);
          await waitFor(async () => ['COMPLETED', 'FAILED', 'CRASHED'].includes((await store.readRun(id!))?.state.type ?? ''), 'the run to end', 120_000);
          const detail = (await store.readRun(id!))!;
          assert.equal(detail.state.name, 'Completed', await describeRuns(store, [id!]));
          assert.equal(detail.attempt, 1, 'the run went on in its first attempt');
          assert.deepEqual(await repeatedLines(url, schema, id!), [], 'no journal record written twice');
          await assertNoCheckpointRedone(store, effectsFile, [id!]);
          assert.equal(effects(effectsFile).length, 20, 'each task ran once');
        });
      } finally {
        await worker.stop();
        await forwarder.close();
        await store.close();
      }
    });
  }
});
