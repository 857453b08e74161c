/**
 * A crashed queued run that the worker taking up its resume cannot run (it has another version of the flow
 * file) stays Crashed, and its logs say why: not only that worker's output; resumed by hand where the flow
 * file is, it completes.
 */
import assert from 'node:assert/strict';
import { cpSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { logsOf, runCli, tempDir, waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { describeRuns, effectFlow, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';
import { attemptKey } from '../../src/engine/resumePlan';
import type { PgStore } from '../../src/engine/postgres/pgStore';

/** A queued run partway through on worker u1 (pushed on `workers`), killed -9 there: its id. */
async function crashedOnFirstWorker(o: { url: string; schema: string; ws: string; store: PgStore; effectsFile: string; lease: { heartbeatSeconds: number; leaseSeconds: number }; workers: WorkerProc[] }): Promise<string> {
  const first = await startWorker({ url: o.url, schema: o.schema, name: 'u1', flowsDir: o.ws, concurrency: 1, env: { EFFECTS: o.effectsFile }, ...o.lease });
  o.workers.push(first);
  const [id] = await enqueue(o.store, o.ws, 'slow.flow.ts', 1);
  await waitFor(async () => ((await o.store.readRun(id))?.taskRuns.filter((t) => t.state.type === 'COMPLETED').length ?? 0) >= 2, 'the run to be partway through', 120_000).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${await describeRuns(o.store, [id])}\n${first.output().slice(-1500)}`);
  });
  await first.kill9();
  return id;
}

describe('flowdeck workers on a Postgres queue', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('a crashed run whose resume a worker cannot run (another version of its flow file) stays Crashed, its logs saying why', async () => {
    // A database of its own, as the kill test: other files' fresh queues would stop these workers' queues.
    const { ws, schema, url, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 400, 'retries: 1') }, { ownDatabase: true });
    // The second worker's copy of the workspace differs in the flow file.
    const copy = join(tempDir(), 'copy');
    cpSync(ws, copy, { recursive: true });
    appendFileSync(join(copy, 'slow.flow.ts'), '\n// edited on this worker\n');
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      const id = await crashedOnFirstWorker({ url, schema, ws, store, effectsFile, lease, workers });
      const other = await startWorker({ url, schema, name: 'u2', flowsDir: copy, concurrency: 1, env: { EFFECTS: effectsFile }, ...lease });
      workers.push(other);
      await waitFor(async () => (await logsOf(store, id)).some((l) => l.message.includes('could not resume the run')), "the run's logs to say it could not be resumed", 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [id])}\n${other.output().slice(-1500)}`);
      });
      const line = (await logsOf(store, id)).at(-1)!;
      assert.equal(line.level, 'ERROR');
      assert.match(line.message, /^worker u2 could not resume the run: Worker u2 has a different slow\.flow\.ts: its content hash is [0-9a-f]{64}, the run was queued with [0-9a-f]{64}.*; it stays Crashed \(resume it with `flowdeck resume [a-z]+-[a-z]+` where the flow file is\)$/);
      assert.equal((await store.get(id))!.state.name, 'Crashed');
      assert.match(other.output(), /could not resume run /);
      // Resumed as its logs say, where the flow file is: the worker's claim of the resume it could not run
      // does not stand in the way (the resume was refused as "resumed meanwhile").
      const name = (await store.get(id))!.name;
      const resumed = await runCli(['resume', name, '--json'], { cwd: ws, env: { FLOWDECK_STORE: url, FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir(), EFFECTS: effectsFile } });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout).state.name, 'Completed');
      assert.equal(JSON.parse(resumed.stdout).attempt, 2);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });

  it("a worker finding a crashed run's resume taken by another (a `flowdeck resume` racing it) leaves it to that one, its logs saying nothing false", async () => {
    const { ws, schema, url, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 400, 'retries: 1') }, { ownDatabase: true });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      const id = await crashedOnFirstWorker({ url, schema, ws, store, effectsFile, lease, workers });
      // Another resume (this process, as `flowdeck resume` would) takes attempt 2 before the next worker looks.
      const taken = attemptKey(id, 2);
      assert.equal(await store.claim(taken), true);
      const other = await startWorker({ url, schema, name: 'u2', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, ...lease });
      workers.push(other);
      await waitFor(() => /could not resume run .*was resumed meanwhile/.test(other.output()), 'the worker to find the resume taken', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [id])}\n${other.output().slice(-1500)}`);
      });
      const said = (await logsOf(store, id)).filter((l) => l.message.includes('could not resume') || l.message.includes('it stays'));
      assert.deepEqual(said.map((l) => l.message), [], 'nothing in the run\'s logs says it stays Crashed while another resume has it');
      // The other gives it up: resumed by hand, or by the worker should its resume come again first, it completes.
      await store.unclaim(taken);
      const resumed = await runCli(['resume', (await store.get(id))!.name, '--json'], { cwd: ws, env: { FLOWDECK_STORE: url, FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir(), EFFECTS: effectsFile } });
      if (resumed.code !== 0) assert.match(resumed.stderr, /is Running in another process|was resumed meanwhile/, resumed.stderr);
      await waitFor(async () => (await store.get(id))?.state.name === 'Completed', 'the run to complete', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [id])}\n${other.output().slice(-1500)}`);
      });
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
});
