/**
 * `flowdeck resume <run> --queue NAME`: a run that did not complete, run here (not by workers), is resumed
 * by a `flowdeck worker` of that queue from its checkpoints and followed here; a cancel before a worker takes
 * it up withdraws the resume (the run stays as it ended); a worker without the flow file says so and the follower ends; what cannot be sent
 * is refused with exit 2 naming why.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { explainedBy, startWorker } from '../support/workers';

type RunJson = { name: string; attempt: number; result: unknown; state: { name: string; message?: string }; taskRuns: { name: string; state: { name: string } }[] };
type Listed = { name: string; attempt: number; state: { name: string; message?: string } };

/** A flow whose `load` fails until the file `fixed` exists; every task body run is counted in `count`. */
function flakyWorkspace(): { ws: string; count: string; fixed: string; ran: () => string[] } {
  const dir = tempDir();
  const count = join(dir, 'count.txt');
  const fixed = join(dir, 'fixed');
  writeFileSync(count, '');
  const ws = workspace({
    'flows/flaky.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const fetchRows = task({ name: 'fetch-rows' }, async () => { appendFileSync(${JSON.stringify(count)}, 'fetch\\n'); return [1, 2, 3]; });
const load = task({ name: 'load' }, async (rows: number[]) => {
  appendFileSync(${JSON.stringify(count)}, 'load\\n');
  if (!existsSync(${JSON.stringify(fixed)})) throw new Error('warehouse down');
  return rows.length;
});
export default flow({ name: 'flaky' }, async () => load(await fetchRows()));`),
    'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 'ok ran');`),
    'flows/publish.flow.ts': flowSource(`import { suspendFlowRun } from 'flowdeck';
const build = task({ name: 'build' }, async () => { getRunLogger().info('building'); return 'report-7'; });
export default flow({ name: 'publish' }, async () => {
  const report = await build();
  const { approve } = await suspendFlowRun({ description: 'Publish ' + report + '?', input: { approve: { type: 'boolean', required: true } } });
  return approve ? 'published ' + report : 'kept back';
});`),
  });
  return { ws, count, fixed, ran: () => readFileSync(count, 'utf8').split('\n').filter(Boolean) };
}

async function failedLocally(ws: string, env: NodeJS.ProcessEnv): Promise<string> {
  const run = await runCli(['run', 'flows/flaky.flow.ts', '--json'], { cwd: ws, env });
  assert.equal(run.code, 1, run.stderr);
  const doc = JSON.parse(run.stdout) as RunJson;
  assert.equal(doc.state.name, 'Failed');
  return doc.name;
}

async function listed(ws: string, env: NodeJS.ProcessEnv, name: string): Promise<Listed> {
  const all = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as Listed[];
  return all.find((r) => r.name === name)!;
}

describe('flowdeck resume --queue', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('a run that failed here is resumed by a worker of the queue from its checkpoints, followed here; a suspended one too; what cannot be sent exits 2', async () => {
    const { ws, fixed, ran } = flakyWorkspace();
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const name = await failedLocally(ws, env);
    assert.deepEqual(ran(), ['fetch', 'load']);

    // Refused, saying why, nothing sent.
    const badQueue = await runCli(['resume', name, '--queue', 'no such queue'], { cwd: ws, env });
    assert.equal(badQueue.code, 2, badQueue.stderr);
    assert.match(badQueue.stderr, /queue/i);
    const outside = await runCli(['resume', name, '--queue', 'nightly', '--root', tempDir()], { cwd: ws, env });
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, new RegExp(`flowdeck resume: run '${name}' cannot be sent to queue 'nightly': .*flaky\\.flow\\.ts is not inside the workspace root`));
    const embedded = await runCli(['resume', name, '--queue', 'nightly'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(embedded.code, 2, embedded.stderr);
    assert.match(embedded.stderr, /--queue needs a Postgres store that workers share/);
    const rootAlone = await runCli(['resume', name, '--root', ws], { cwd: ws, env });
    assert.equal(rootAlone.code, 2, rootAlone.stderr);
    assert.match(rootAlone.stderr, /--root goes with --queue/);
    assert.deepEqual(await listed(ws, env, name).then((r) => [r.state.name, r.attempt]), ['Failed', 1]);

    writeFileSync(fixed, '');
    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, queue: 'nightly', concurrency: 1 });
    try {
      await explainedBy(worker, async () => {
        const resumed = await runCli(['resume', name, '--queue', 'nightly', '--json'], { cwd: ws, env });
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stderr, new RegExp(`Flow run '${name}' goes back to queue 'nightly': a worker resumes it from its checkpoints…`));
        const doc = JSON.parse(resumed.stdout) as RunJson;
        assert.deepEqual([doc.state.name, doc.attempt, doc.result], ['Completed', 2, 3]);
        assert.doesNotMatch(resumed.stderr, /warehouse down/, 'what its first attempt logged is not shown again');
        assert.deepEqual(ran(), ['fetch', 'load', 'load'], 'fetch-rows completed before: its result is reused, not run again');
        assert.match(worker.output(), new RegExp(`resuming ${name} \\(flaky\\) from its checkpoints[\\s\\S]*${name} ended Completed`));

        const again = await runCli(['resume', name, '--queue', 'nightly'], { cwd: ws, env });
        assert.equal(again.code, 2, again.stderr);
        assert.match(again.stderr, new RegExp(`run '${name}' completed; there is nothing to resume`));

        // Suspended here, resumed there with its input.
        const suspended = await runCli(['run', 'flows/publish.flow.ts', '--json'], { cwd: ws, env });
        assert.equal(suspended.code, 1, suspended.stderr);
        const paused = (JSON.parse(suspended.stdout) as RunJson).name;
        const sent = await runCli(['resume', paused, '--queue', 'nightly', '--input', 'approve=true', '--json'], { cwd: ws, env });
        assert.equal(sent.code, 0, sent.stderr);
        const published = JSON.parse(sent.stdout) as RunJson;
        assert.deepEqual([published.state.name, published.attempt, published.result], ['Completed', 2, 'published report-7']);
        assert.doesNotMatch(sent.stderr, /building/, 'the build before the suspension is reused');
        assert.match(worker.output(), new RegExp(`resuming ${paused} \\(publish\\) from its checkpoints`));
      });
    } finally {
      await worker.stop();
    }
  });

  it('a cancel before a worker takes it up withdraws the resume (it stays Failed, never run); a worker without the flow file says so and the follower ends', async () => {
    const { ws, ran } = flakyWorkspace();
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const name = await failedLocally(ws, env);

    // No worker on the queue yet: the resume waits, followed, until the cancel.
    let sent = false;
    const following = runCli(['resume', name, '--queue', 'nightly', '--json'], { cwd: ws, env, onStderr: (c) => (sent ||= /goes back to queue 'nightly'/.test(c)) });
    await waitFor(() => sent, 'the resume to be sent', 60_000);
    const cancel = await runCli(['cancel', name, '--json'], { cwd: ws, env });
    assert.equal(cancel.code, 1, cancel.stderr);
    assert.equal(JSON.parse(cancel.stdout).outcome, 'withdrawn');
    assert.match(cancel.stderr, new RegExp(`Flow run '${name}': its resume on its queue was withdrawn before a worker took it up; it stays Failed\\('warehouse down'\\)`));
    const ended = await following;
    assert.equal(ended.code, 1, ended.stderr);
    assert.equal((JSON.parse(ended.stdout) as RunJson).state.name, 'Failed');
    assert.match(ended.stderr, /Its resume on its queue was withdrawn before a worker took it up \(Cancelled by flowdeck cancel\); it stays Failed/);

    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, queue: 'nightly', concurrency: 1 });
    // A worker without the workspace's files.
    const bare = await startWorker({ url: pgUrl(), schema, name: 'w2', flowsDir: workspace({ 'README.md': 'no flows here' }), queue: 'bare', concurrency: 1 });
    try {
      await explainedBy(worker, async () => {
        // The worker takes the queue's jobs: one queued after the cancel runs, the cancelled run is not resumed.
        const ok = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'nightly', '--wait'], { cwd: ws, env });
        assert.equal(ok.code, 0, ok.stderr);
        assert.deepEqual(await listed(ws, env, name).then((r) => [r.state.name, r.attempt]), ['Failed', 1]);
        assert.deepEqual(ran(), ['fetch', 'load']);
        assert.doesNotMatch(worker.output(), new RegExp(`resuming ${name}`));
      });
      await explainedBy(bare, async () => {
        const other = await failedLocally(ws, env);
        const refused = await runCli(['resume', other, '--queue', 'bare'], { cwd: ws, env });
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(refused.stderr, /worker w2 could not resume the run: Worker \S+ has no flow file flows\/flaky\.flow\.ts under .*; it stays Failed/);
        assert.deepEqual(await listed(ws, env, other).then((r) => [r.state.name, r.attempt]), ['Failed', 1]);
      });
    } finally {
      await worker.stop();
      await bare.stop();
    }
  });
});
