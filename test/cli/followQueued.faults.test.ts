/**
 * `flowdeck run --queue --wait` through faults, with real workers and a real CLI: the store unreachable a
 * while (the follower's own connections cut), and the run's worker killed (the run Crashed, then resumed by
 * another worker). Either way the follower follows the run to its true end: its exit code, its JSON.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker, type WorkerProc } from '../support/workers';

type RunJson = { name: string; attempt: number; result: unknown; state: { name: string } };

/** A flow that says it started, then waits for file `go` (looking every 50 ms, for at most 2 minutes). */
function waitingFlow(go: string, options: string): string {
  return flowSource(`import { existsSync } from 'node:fs';
const started = task({ name: 'started' }, async () => { getRunLogger().info('waiting for go'); return 1; });
const wait = task({ name: 'wait' }, async () => {
  for (let i = 0; i < 2400 && !existsSync(${JSON.stringify(go)}); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(${JSON.stringify(go)})) throw new Error('no go');
  return 2;
});
export default flow({ name: 'gated', ${options} }, async () => (await started()) + (await wait()));`);
}

/**
 * A workspace with a `resumeOnCrash` flow waiting for file `go`, and a flow that completes at once; a store of
 * its own; workers on it with a short lease (a killed one's run is Crashed within seconds).
 */
async function resumableSetup(): Promise<{ go: string; ws: string; env: NodeJS.ProcessEnv; startNamed: (name: string) => Promise<WorkerProc> }> {
  const go = join(tempDir(), 'go');
  const ws = workspace({ 'flows/gated.flow.ts': waitingFlow(go, 'resumeOnCrash: true'), 'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 'ok ran');`) });
  const schema = freshSchema();
  const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
  const startNamed = (name: string): Promise<WorkerProc> => startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 1, heartbeatSeconds: 0.25, leaseSeconds: 2 });
  return { go, ws, env, startNamed };
}

describe('flowdeck run --queue --wait through faults', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('the store unreachable a while (the follower cut off from it): it says so, keeps following, and ends with the run (exit 0, its JSON)', async () => {
    const go = join(tempDir(), 'go');
    const ws = workspace({ 'flows/gated.flow.ts': waitingFlow(go, '') });
    const schema = freshSchema();
    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, concurrency: 1 });
    // The follower reaches the database only through this forwarder; the worker directly.
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(pgUrl()).port));
    try {
      await explainedBy(worker, async () => {
        let started = false;
        const following = runCli(['run', 'flows/gated.flow.ts', '--queue', 'default', '--wait', '--json'], {
          cwd: ws,
          env: { FLOWDECK_STORE: forwarder.url(pgUrl()), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() },
          onStderr: (c) => (started ||= c.includes('waiting for go')),
        });
        await waitFor(() => started, 'the run to start', 120_000);
        forwarder.cut();
        // Cut off long enough for every look and reconnect to fail a few times.
        await new Promise((r) => setTimeout(r, 3000));
        writeFileSync(go, '');
        forwarder.restore();
        const end = await following;
        assert.equal(end.code, 0, end.stderr);
        assert.match(end.stderr, /flowdeck: .*(unreachable|terminated|ECONNRE).*; still following/);
        const doc = JSON.parse(end.stdout) as RunJson;
        assert.deepEqual([doc.state.name, doc.result], ['Completed', 3]);
      });
    } finally {
      await forwarder.close();
      await worker.stop();
    }
  });

  it('its worker killed mid-run: the follower says a worker resumes it and follows the next attempt to its end (exit 0), not the crash (exit 1)', async () => {
    const { go, ws, env, startNamed } = await resumableSetup();
    const first = await startNamed('w1');
    let second: WorkerProc | undefined;
    try {
      await explainedBy(first, async () => {
        let started = false;
        const following = runCli(['run', 'flows/gated.flow.ts', '--queue', 'default', '--wait', '--json'], { cwd: ws, env, onStderr: (c) => (started ||= c.includes('waiting for go')) });
        await waitFor(() => started, 'the run to start on w1', 120_000);
        await first.kill9();
        // The next attempt goes through.
        writeFileSync(go, '');
        second = await startNamed('w2');
        const end = await following;
        assert.ok(existsSync(go));
        assert.equal(end.code, 0, `${end.stderr}\n--- w2:\n${second.output().slice(-2000)}`);
        assert.match(end.stderr, /Flow run '[a-z-]+' ended Crashed\('worker w1 stopped responding'\); a worker of its queue resumes it \(attempt 2\)…/);
        const doc = JSON.parse(end.stdout) as RunJson;
        assert.deepEqual([doc.state.name, doc.attempt, doc.result], ['Completed', 2, 3]);
        assert.match(second.output(), /resuming [a-z-]+ \(gated\) from its checkpoints/);
      });
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('its worker killed and no other alive: the follower waits for a worker; a cancel withdraws the resume, the follower ends (exit 1, Crashed) and no worker resumes it', async () => {
    const { go, ws, env, startNamed } = await resumableSetup();
    const first = await startNamed('w1');
    let second: WorkerProc | undefined;
    try {
      await explainedBy(first, async () => {
        let name: string | undefined;
        let started = false;
        let waits = false;
        const following = runCli(['run', 'flows/gated.flow.ts', '--queue', 'default', '--wait', '--json'], {
          cwd: ws,
          env,
          onStderr: (c) => {
            name ??= /Queued flow run '([a-z-]+)'/.exec(c)?.[1];
            started ||= c.includes('waiting for go');
            waits ||= /a worker of its queue resumes it \(attempt 2\)/.test(c);
          },
        });
        await waitFor(() => started, 'the run to start on w1', 120_000);
        await first.kill9();
        writeFileSync(go, '');
        // The follower's store finds the lapsed worker's run Crashed, its resume queued; no worker takes it.
        await waitFor(() => waits, 'the follower to say a worker resumes it', 120_000);
        const cancel = await runCli(['cancel', name!, '--json'], { cwd: ws, env });
        assert.equal(cancel.code, 1, cancel.stderr);
        assert.equal(JSON.parse(cancel.stdout).outcome, 'withdrawn');
        const end = await following;
        assert.equal(end.code, 1, end.stderr);
        assert.match(end.stderr, /Its resume on its queue was withdrawn before a worker took it up \(Cancelled by flowdeck cancel\); it stays Crashed/);
        assert.deepEqual([(JSON.parse(end.stdout) as RunJson).state.name, (JSON.parse(end.stdout) as RunJson).attempt], ['Crashed', 1]);
        // A worker now takes what its queue holds: a run queued after the cancel runs, the cancelled resume does not.
        second = await startNamed('w2');
        const ok = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'default', '--wait'], { cwd: ws, env });
        assert.equal(ok.code, 0, ok.stderr);
        const listed = (JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as (RunJson & { flowName: string })[]).find((r) => r.name === name)!;
        assert.deepEqual([listed.state.name, listed.attempt], ['Crashed', 1]);
        assert.doesNotMatch(second.output(), /resuming/);
      });
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
